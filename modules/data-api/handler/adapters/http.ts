/**
 * `http` adapter: an external service that keeps items as JSON resources under its base URL, with
 * HTTP's own conditional requests:
 *
 * | repository call                 | request to the service                              | answers read                     |
 * |---------------------------------|-----------------------------------------------------|----------------------------------|
 * | get(id)                         | `GET <base>/<id>`                                   | 200 body = data, ETag = version; 404 |
 * | put(id, data, create)           | `PUT <base>/<id>`, `If-None-Match: *`               | 2xx; 412 or 409 = exists         |
 * | put(id, data, replace[, v])     | `PUT <base>/<id>` (`If-Match: "v"`)                 | 2xx; 412 = other version; 404    |
 * | delete(id[, v])                 | `DELETE <base>/<id>` (`If-Match: "v"`)              | 2xx; 404; 412                    |
 * | query(limit, cursor)            | `GET <base>?limit=<n>&cursor=<c>`                   | `{"items":[{id,data,version?}],"next"?}` |
 *
 * Each attempt has the store's `timeoutMs`. GET, DELETE and unconditional or `If-Match` PUTs are
 * idempotent and retried (bounded, with full-jitter backoff) on a network error, a timeout, 429 or a
 * 5xx; a create (`If-None-Match: *`) is never retried, since a lost response would turn its own
 * success into a 409. Network errors, timeouts and 5xx answers count toward the per-container circuit
 * breaker ({@link CircuitBreaker}); while it is open calls fail at once with a 503.
 *
 * With `apiKeySecretArn`, the key is read from Secrets Manager once per container and sent in
 * `apiKeyHeader` (default `x-api-key`).
 */
import { z } from "zod";
import type { StoreConfig } from "../config";
import { ConflictError, NotFoundError, UnavailableError } from "../errors";
import type { Item, ItemData, Page, PutMode, QueryRequest, Repository } from "../repository";
import { backoffDelay, CircuitBreaker, DEFAULT_RESILIENCE, type ResilienceSettings } from "./resilience";

export type HttpStoreConfig = Extract<StoreConfig, { kind: "http" }>;

/** The header carrying the API key when the store config names none. */
export const DEFAULT_API_KEY_HEADER = "x-api-key";

export interface HttpDeps {
  readonly fetch?: typeof fetch;
  /** Resolves to the API key (Secrets Manager in production); required when the config has `apiKeySecretArn`. */
  readonly apiKey?: () => Promise<string>;
  readonly settings?: ResilienceSettings;
  /** The container's breaker; a new one per repository when not given. */
  readonly breaker?: CircuitBreaker;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const cursorSchema = z.object({ cursor: z.string().min(1).max(2048) }).strict();
type HttpCursor = z.infer<typeof cursorSchema>;

const pageSchema = z.object({
  items: z.array(z.object({ id: z.string().min(1), data: z.record(z.unknown()), version: z.string().optional() })),
  next: z.string().min(1).max(2048).optional(),
});

/** Failed attempt worth retrying (network error, timeout, 429, 5xx). */
class TransientError extends Error {
  constructor(
    message: string,
    /** Whether it counts against the breaker (429 does not: the service is up, we are too fast). */
    readonly breakerFailure: boolean,
  ) {
    super(message);
    this.name = "TransientError";
  }
}

const stripQuotes = (etag: string | null) => (etag === null ? undefined : etag.replace(/^(W\/)?"|"$/g, ""));
const quote = (version: string) => `"${version.replace(/"/g, "")}"`;
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createHttpRepository(config: HttpStoreConfig, deps: HttpDeps = {}): Repository<HttpCursor> {
  const doFetch = deps.fetch ?? fetch;
  const settings = deps.settings ?? DEFAULT_RESILIENCE;
  const breaker = deps.breaker ?? new CircuitBreaker(settings);
  const sleep = deps.sleep ?? defaultSleep;
  const random = deps.random ?? Math.random;
  const base = config.baseUrl.endsWith("/") ? config.baseUrl : `${config.baseUrl}/`;
  if (config.apiKeySecretArn && !deps.apiKey) {
    throw new Error("http store: apiKeySecretArn is set but no API key source was given");
  }

  async function attempt(url: URL, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await doFetch(url, { ...init, signal: AbortSignal.timeout(config.timeoutMs) });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      throw new TransientError(timedOut ? `timed out after ${config.timeoutMs} ms` : "network error", true);
    }
    if (response.status >= 500 || response.status === 429) {
      await response.body?.cancel().catch(() => undefined);
      throw new TransientError(`answered ${response.status}`, response.status >= 500);
    }
    return response;
  }

  async function call(method: string, url: URL, options: { body?: unknown; headers?: Record<string, string>; idempotent: boolean }): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (deps.apiKey) headers[(config.apiKeyHeader ?? DEFAULT_API_KEY_HEADER).toLowerCase()] = await deps.apiKey();
    const init: RequestInit = { method, headers, ...(options.body !== undefined && { body: JSON.stringify(options.body) }) };
    const attempts = options.idempotent ? settings.maxAttempts : 1;
    let last: TransientError | undefined;
    for (let n = 1; n <= attempts; n++) {
      if (n > 1) await sleep(backoffDelay(n - 1, settings, random));
      const gate = breaker.permit();
      if (!gate.ok) {
        throw new UnavailableError("the external service is unavailable (circuit open)", Math.ceil(gate.retryAfterMs / 1000));
      }
      try {
        const response = await attempt(url, init);
        breaker.success();
        return response;
      } catch (error) {
        if (!(error instanceof TransientError)) throw error;
        if (error.breakerFailure) breaker.failure();
        else breaker.success();
        last = error;
      }
    }
    throw new UnavailableError(`the external service failed: ${last?.message ?? "no attempt"} (${attempts} attempt${attempts > 1 ? "s" : ""})`);
  }

  const itemUrl = (id: string) => new URL(encodeURIComponent(id), base);

  async function jsonBody(response: Response): Promise<unknown> {
    const text = await response.text();
    if (text.length === 0) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`http store: the external service answered ${response.status} with a body that is not JSON`);
    }
  }

  function unexpected(response: Response): Error {
    return new Error(`http store: the external service answered ${response.status}`);
  }

  return {
    kind: "http",
    hasSortKey: false,
    cursorSchema,

    async get({ id }) {
      const response = await call("GET", itemUrl(id), { idempotent: true });
      if (response.status === 404) return undefined;
      if (!response.ok) throw unexpected(response);
      const data = z.record(z.unknown()).safeParse(await jsonBody(response));
      if (!data.success) throw new Error("http store: the external service's item is not a JSON object");
      const version = stripQuotes(response.headers.get("etag"));
      return { id, data: data.data, ...(version && { version }) };
    },

    async put({ id }, data: ItemData, mode: PutMode): Promise<Item> {
      const create = mode.mode === "create";
      const expected = mode.mode === "replace" ? mode.expectedVersion : undefined;
      const headers: Record<string, string> = create ? { "if-none-match": "*" } : expected !== undefined ? { "if-match": quote(expected) } : {};
      const response = await call("PUT", itemUrl(id), { body: data, headers, idempotent: !create });
      if (response.status === 412 || (create && response.status === 409)) {
        throw new ConflictError(create ? "an item with this id exists" : "the item has another version");
      }
      if (response.status === 404 && expected !== undefined) throw new NotFoundError();
      if (!response.ok) throw unexpected(response);
      const body = z.record(z.unknown()).safeParse(await jsonBody(response));
      const version = stripQuotes(response.headers.get("etag"));
      return { id, data: body.success ? body.data : data, ...(version && { version }) };
    },

    async delete({ id }, options = {}) {
      const headers: Record<string, string> = options.expectedVersion !== undefined ? { "if-match": quote(options.expectedVersion) } : {};
      const response = await call("DELETE", itemUrl(id), { headers, idempotent: true });
      if (response.status === 404) throw new NotFoundError();
      if (response.status === 412) throw new ConflictError("the item has another version");
      if (!response.ok) throw unexpected(response);
      await response.body?.cancel().catch(() => undefined);
    },

    async query({ limit, cursor }: QueryRequest<HttpCursor>): Promise<Page<HttpCursor>> {
      const url = new URL(base);
      url.searchParams.set("limit", String(limit));
      if (cursor) url.searchParams.set("cursor", cursor.cursor);
      const response = await call("GET", url, { idempotent: true });
      if (!response.ok) throw unexpected(response);
      const page = pageSchema.safeParse(await jsonBody(response));
      if (!page.success) throw new Error("http store: the external service's listing is not {items, next?}");
      const items = page.data.items.slice(0, limit).map(({ id, data, version }) => ({ id, data, ...(version && { version }) }));
      return page.data.next ? { items, cursor: { cursor: page.data.next } } : { items };
    },
  };
}

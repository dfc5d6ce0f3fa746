/**
 * The HTTP contract of a data-store Lambda (API Gateway HTTP API, payload format 2.0, route
 * `ANY /<store>/{proxy+}`), the same for every store kind:
 *
 * | request                                   | answer                                            |
 * |-------------------------------------------|---------------------------------------------------|
 * | `GET /<store>/items/{id}[/{sort}]`        | 200 item, `ETag`; 404                             |
 * | `POST /<store>/items` `{id, sort?, data}` | 201 item, `ETag`, `Location`; 409 when it exists  |
 * | `PUT /<store>/items/{id}[/{sort}]` `{data}` [`If-Match`] | 200 item, `ETag`; 409 other version; 404 (with `If-Match`) |
 * | `DELETE /<store>/items/{id}[/{sort}]` [`If-Match`] | 204; 404; 409 other version              |
 * | `GET /<store>/items?limit=&next=[&partition=]` | 200 `{items, next?}`                          |
 *
 * An item is `{id, sort?, data, version?}`. Errors are `{"error": {code, message, requestId,
 * issues?}}` with 400 `invalid_request` (zod checks; `issues` lists `{path, message}`), 404
 * `not_found`, 405 `method_not_allowed`, 409 `conflict`, 503 `unavailable` (an external service is
 * down or its circuit is open; `Retry-After`) and 500 `internal` (nothing but the request id).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { z } from "zod";
import type { StoreConfig } from "./config";
import { ConflictError, InvalidInputError, MethodNotAllowedError, NotFoundError, UnavailableError, type Issue } from "./errors";
import { consoleWriter, describeError, requestLine, type LineWriter, type RequestRecord } from "./log";
import { decodePageToken, encodePageToken } from "./pagination";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Item, type ItemKey, type Repository } from "./repository";

/** Largest request body accepted (DynamoDB items stop at 400 KB; documents are meant to be small). */
export const MAX_BODY_BYTES = 256 * 1024;

/** Item ids and sort values: URL-safe, 1-256 characters, not `.` or `..`. */
export const idSchema = z
  .string()
  .min(1, "must not be empty")
  .max(256, "must be at most 256 characters")
  .regex(/^[A-Za-z0-9._~:@-]+$/, "may hold only letters, digits and . _ ~ : @ -")
  .refine((id) => id !== "." && id !== "..", "must not be . or ..");

const dataSchema = z.record(z.unknown(), { invalid_type_error: "must be a JSON object" });
const createBodySchema = z.object({ id: idSchema, sort: idSchema.optional(), data: dataSchema }).strict();
const replaceBodySchema = z.object({ data: dataSchema }).strict();
const querySchema = z
  .object({
    limit: z
      .string()
      .regex(/^[0-9]{1,4}$/, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
      .transform(Number)
      .pipe(z.number().min(1, `must be from 1 to ${MAX_PAGE_SIZE}`).max(MAX_PAGE_SIZE, `must be from 1 to ${MAX_PAGE_SIZE}`))
      .optional(),
    next: z.string().optional(),
    partition: idSchema.optional(),
  })
  .strict();
/** `If-Match: "<version>"` (quotes optional, weak validators accepted). */
const ifMatchSchema = z
  .string()
  .transform((value) => value.trim().replace(/^(W\/)?"(.*)"$/, "$2"))
  .pipe(z.string().regex(/^[\x21\x23-\x7e]{1,256}$/, 'must be one version, e.g. "3"'));

export type ApiHandler = (event: APIGatewayProxyEventV2, context?: { awsRequestId?: string }) => Promise<APIGatewayProxyStructuredResultV2>;

export interface ApiDeps {
  readonly store: Pick<StoreConfig, "name" | "kind">;
  readonly repository: Repository<unknown>;
  readonly write?: LineWriter;
  /** Milliseconds; `Date.now` (also the metric timestamp). */
  readonly now?: () => number;
  /** For the metrics' `FunctionName` dimension. @default the `AWS_LAMBDA_FUNCTION_NAME` environment variable */
  readonly functionName?: string;
}

function zodIssues(error: z.ZodError, prefix: string): Issue[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path].join("."),
    message: issue.code === "unrecognized_keys" ? `unknown field(s): ${issue.keys.join(", ")}` : issue.message,
  }));
}

function parse<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, prefix: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidInputError(zodIssues(result.error, prefix));
  return result.data;
}

function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  // Payload 2.0 lower-cases header names; repeated headers arrive comma-joined.
  return event.headers?.[name];
}

function readBody(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === null || event.body === "") {
    throw new InvalidInputError([{ path: "body", message: "is required (a JSON object)" }]);
  }
  const raw = event.isBase64Encoded ? Buffer.from(event.body, "base64") : Buffer.from(event.body, "utf8");
  if (raw.length > MAX_BODY_BYTES) {
    throw new InvalidInputError([{ path: "body", message: `must be at most ${MAX_BODY_BYTES} bytes` }]);
  }
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    throw new InvalidInputError([{ path: "body", message: "is not valid JSON" }]);
  }
}

function pathSegments(event: APIGatewayProxyEventV2, store: string): string[] | undefined {
  const raw = (event.rawPath ?? "").split("/").filter((segment) => segment.length > 0);
  let segments: string[];
  try {
    segments = raw.map(decodeURIComponent);
  } catch {
    throw new InvalidInputError([{ path: "path", message: "is not validly percent-encoded" }]);
  }
  // `/<store>/...` on the `$default` stage; a named stage or a custom domain's mapping may come first.
  const at = segments.indexOf(store);
  return at >= 0 ? segments.slice(at + 1) : undefined;
}

const json = (status: number, body: unknown, headers: Record<string, string>): APIGatewayProxyStructuredResultV2 => ({
  statusCode: status,
  headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...headers },
  body: JSON.stringify(body),
});

const etag = (item: Item): Record<string, string> => (item.version !== undefined ? { etag: `"${item.version}"` } : {});

/** The repository's errors that are answers, not backend failures. */
const isAnswer = (error: unknown) => error instanceof InvalidInputError || error instanceof NotFoundError || error instanceof ConflictError;

export function createApiHandler({ store, repository, write = consoleWriter, now = Date.now, functionName }: ApiDeps): ApiHandler {
  const fn = functionName ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? "local";
  const itemPath = (key: ItemKey) =>
    `/${store.name}/items/${encodeURIComponent(key.id)}${key.sort !== undefined ? `/${encodeURIComponent(key.sort)}` : ""}`;

  return async (event, context) => {
    const started = now();
    const requestId = event.requestContext?.requestId ?? context?.awsRequestId ?? "unknown";
    const method = (event.requestContext?.http?.method ?? "GET").toUpperCase();
    let route = "unmatched";
    // Set by the repository calls below (TS cannot see closure writes, hence the explicit type).
    const adapter: { called: boolean; ms: number; failed: boolean } = { called: false, ms: 0, failed: false };

    /** Times a repository call; a failure other than a 400/404/409 answer counts as an adapter error. */
    async function callStore<T>(call: () => Promise<T>): Promise<T> {
      adapter.called = true;
      const t0 = now();
      try {
        return await call();
      } catch (error) {
        if (!isAnswer(error)) adapter.failed = true;
        throw error;
      } finally {
        adapter.ms += now() - t0;
      }
    }

    async function respond(): Promise<APIGatewayProxyStructuredResultV2> {
      const segments = pathSegments(event, store.name);
      if (!segments || segments[0] !== "items") throw new NotFoundError("no such route");
      const keyParts = segments.slice(1);

      if (keyParts.length === 0) {
        route = "items";
        if (method === "GET") {
          const query = parse(querySchema, event.queryStringParameters ?? {}, "query");
          const cursor = query.next !== undefined ? decodePageToken(query.next, store.name, repository.cursorSchema, query.partition) : undefined;
          const page = await callStore(() =>
            repository.query({ limit: query.limit ?? DEFAULT_PAGE_SIZE, ...(cursor !== undefined && { cursor }), ...(query.partition !== undefined && { partition: query.partition }) }),
          );
          const next = page.cursor !== undefined ? encodePageToken(store.name, page.cursor, query.partition) : undefined;
          return json(200, { items: page.items, ...(next && { next }) }, {});
        }
        if (method === "POST") {
          const body = parse(createBodySchema, readBody(event), "body");
          const key: ItemKey = { id: body.id, ...(body.sort !== undefined && { sort: body.sort }) };
          const item = await callStore(() => repository.put(key, body.data, { mode: "create" }));
          return json(201, item, { ...etag(item), location: itemPath(key) });
        }
        throw new MethodNotAllowedError(["GET", "POST"]);
      }

      if (keyParts.length > (repository.hasSortKey ? 2 : 1)) throw new NotFoundError("no such route");
      route = "item";
      const key: ItemKey = {
        id: parse(idSchema, keyParts[0], "path.id"),
        ...(keyParts[1] !== undefined && { sort: parse(idSchema, keyParts[1], "path.sort") }),
      };
      if (repository.hasSortKey && key.sort === undefined) {
        throw new InvalidInputError([{ path: "path.sort", message: "is required: this store's items are /items/{id}/{sort}" }]);
      }
      const ifMatchHeader = header(event, "if-match");
      const expectedVersion = ifMatchHeader !== undefined ? parse(ifMatchSchema, ifMatchHeader, "header.if-match") : undefined;
      switch (method) {
        case "GET": {
          const item = await callStore(() => repository.get(key));
          if (!item) throw new NotFoundError();
          return json(200, item, etag(item));
        }
        case "PUT": {
          const body = parse(replaceBodySchema, readBody(event), "body");
          const item = await callStore(() => repository.put(key, body.data, { mode: "replace", ...(expectedVersion !== undefined && { expectedVersion }) }));
          return json(200, item, etag(item));
        }
        case "DELETE":
          await callStore(() => repository.delete(key, expectedVersion !== undefined ? { expectedVersion } : {}));
          return { statusCode: 204, headers: { "cache-control": "no-store" } };
        default:
          throw new MethodNotAllowedError(["GET", "PUT", "DELETE"]);
      }
    }

    let result: APIGatewayProxyStructuredResultV2;
    let logged: Record<string, unknown> | undefined;
    const fail = (status: number, code: string, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
      json(status, { error: { code, message, requestId, ...extra } }, headers);
    try {
      result = await respond();
    } catch (error) {
      if (error instanceof InvalidInputError) {
        result = fail(400, "invalid_request", "the request is invalid", { issues: error.issues });
      } else if (error instanceof NotFoundError) {
        result = fail(404, "not_found", error.message);
      } else if (error instanceof MethodNotAllowedError) {
        result = fail(405, "method_not_allowed", `use ${error.allowed.join(", ")}`, {}, { allow: error.allowed.join(", ") });
      } else if (error instanceof ConflictError) {
        result = fail(409, "conflict", error.message);
      } else if (error instanceof UnavailableError) {
        logged = describeError(error);
        result = fail(503, "unavailable", "the store is unavailable; retry later", {}, error.retryAfterSeconds ? { "retry-after": String(error.retryAfterSeconds) } : {});
      } else {
        logged = describeError(error);
        result = fail(500, "internal", "internal error; quote the request id when reporting it");
      }
    }
    result.headers = { ...result.headers, "x-request-id": requestId };

    const record: RequestRecord = {
      requestId,
      ...(context?.awsRequestId && { lambdaRequestId: context.awsRequestId }),
      store: store.name,
      kind: store.kind,
      method,
      route,
      status: result.statusCode ?? 200,
      latencyMs: now() - started,
      ...(adapter.called && { adapter: { latencyMs: adapter.ms, failed: adapter.failed } }),
      ...(logged && { error: logged }),
    };
    write(requestLine(record, fn, now()));
    return result;
  };
}

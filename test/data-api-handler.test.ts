/**
 * The data-store Lambda's shared HTTP layer: routing, zod validation and the error format, page
 * tokens, the request log line with its EMF metrics, and the `handler` entry point reading
 * STORE_CONFIG. Backends are in-memory repositories here; each adapter has its own tests
 * (data-api-adapters.test.ts, data-api-aurora-postgres.test.ts).
 */
import { join } from "node:path";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { createApiHandler, MAX_BODY_BYTES } from "../modules/data-api/handler/api";
import { DATA_API_METRIC_DIMENSIONS, DATA_API_METRICS, DATA_API_METRICS_NAMESPACE, STORE_CONFIG_ENV } from "../modules/data-api/handler/config";
import { ConflictError, NotFoundError, UnavailableError } from "../modules/data-api/handler/errors";
import { handler, loadStoreConfig, resetForTests } from "../modules/data-api/handler/index";
import { decodePageToken, encodePageToken } from "../modules/data-api/handler/pagination";
import type { Item, ItemData, ItemKey, PutMode, Repository } from "../modules/data-api/handler/repository";

/** A repository over a Map, in id order, that records its calls. */
function memoryRepository(options: { sortKey?: boolean } = {}) {
  const items = new Map<string, Item>();
  const calls: string[] = [];
  const k = (key: ItemKey) => `${key.id}\u0000${key.sort ?? ""}`;
  const cursorSchema = z.object({ after: z.string() }).strict();
  const repo: Repository<{ after: string }> & { items: Map<string, Item>; calls: string[]; fail?: Error } = {
    kind: "dynamodb",
    hasSortKey: options.sortKey ?? false,
    cursorSchema,
    items,
    calls,
    async get(key) {
      calls.push(`get ${k(key)}`);
      if (repo.fail) throw repo.fail;
      return items.get(k(key));
    },
    async put(key, data: ItemData, mode: PutMode) {
      calls.push(`put ${k(key)} ${mode.mode}`);
      if (repo.fail) throw repo.fail;
      const current = items.get(k(key));
      if (mode.mode === "create" && current) throw new ConflictError("an item with this key exists");
      if (mode.mode === "replace" && mode.expectedVersion !== undefined) {
        if (!current) throw new NotFoundError();
        if (current.version !== mode.expectedVersion) throw new ConflictError("the item has another version");
      }
      const item: Item = { ...key, data, version: String(Number(current?.version ?? 0) + 1) };
      items.set(k(key), item);
      return item;
    },
    async delete(key, opts = {}) {
      calls.push(`delete ${k(key)}`);
      const current = items.get(k(key));
      if (!current) throw new NotFoundError();
      if (opts.expectedVersion !== undefined && opts.expectedVersion !== current.version) throw new ConflictError("the item has another version");
      items.delete(k(key));
    },
    async query({ limit, cursor, partition }) {
      calls.push(`query ${limit} ${cursor?.after ?? "-"} ${partition ?? "-"}`);
      const all = [...items.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).filter(([key]) => !cursor || key > cursor.after);
      const page = all.slice(0, limit);
      return all.length > limit ? { items: page.map(([, v]) => v), cursor: { after: page[page.length - 1][0] } } : { items: page.map(([, v]) => v) };
    },
  };
  return repo;
}

function event(method: string, path: string, extra: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 {
  return {
    version: "2.0",
    routeKey: "ANY /orders/{proxy+}",
    rawPath: path,
    rawQueryString: "",
    headers: {},
    requestContext: { requestId: "Abc123=", http: { method, path, protocol: "HTTP/1.1", sourceIp: "203.0.113.9", userAgent: "test" } },
    isBase64Encoded: false,
    ...extra,
  } as unknown as APIGatewayProxyEventV2;
}

const body = (result: APIGatewayProxyStructuredResultV2) => JSON.parse(result.body as string);

function setup(options: { sortKey?: boolean } = {}) {
  const repo = memoryRepository(options);
  const lines: string[] = [];
  let clock = 1_700_000_000_000;
  const api = createApiHandler({
    store: { name: "orders", kind: "dynamodb" },
    repository: repo as Repository<unknown>,
    write: (line) => lines.push(line),
    now: () => (clock += 5),
    functionName: "acme-dev-data-orders",
  });
  return { repo, lines, api };
}

describe("HTTP contract", () => {
  it("POST creates (201, ETag, Location); a second POST is a 409 conflict", async () => {
    const { api, repo } = setup();
    const created = await api(event("POST", "/orders/items", { body: JSON.stringify({ id: "o-1", data: { total: 3 } }) }));
    expect(created.statusCode).toBe(201);
    expect(created.headers).toMatchObject({ etag: '"1"', location: "/orders/items/o-1", "x-request-id": "Abc123=", "content-type": "application/json; charset=utf-8" });
    expect(body(created)).toEqual({ id: "o-1", data: { total: 3 }, version: "1" });
    const again = await api(event("POST", "/orders/items", { body: JSON.stringify({ id: "o-1", data: {} }) }));
    expect(again.statusCode).toBe(409);
    expect(body(again)).toEqual({ error: { code: "conflict", message: "an item with this key exists", requestId: "Abc123=" } });
    expect(repo.items.get("o-1\u0000")?.data).toEqual({ total: 3 });
  });

  it("GET reads an item (200 with ETag) or answers 404 in the error format; base64 bodies are decoded", async () => {
    const { api } = setup();
    await api(event("POST", "/orders/items", { body: Buffer.from(JSON.stringify({ id: "a.b", data: { x: 1 } })).toString("base64"), isBase64Encoded: true }));
    const found = await api(event("GET", "/orders/items/a.b"));
    expect(found.statusCode).toBe(200);
    expect(found.headers?.etag).toBe('"1"');
    expect(body(found)).toEqual({ id: "a.b", data: { x: 1 }, version: "1" });
    const missing = await api(event("GET", "/orders/items/zzz"));
    expect(missing.statusCode).toBe(404);
    expect(body(missing)).toEqual({ error: { code: "not_found", message: "item not found", requestId: "Abc123=" } });
  });

  it("PUT replaces; with If-Match only the current version writes (409 otherwise, 404 when missing)", async () => {
    const { api } = setup();
    expect((await api(event("PUT", "/orders/items/p", { body: JSON.stringify({ data: { v: 1 } }) }))).statusCode).toBe(200);
    const ok = await api(event("PUT", "/orders/items/p", { headers: { "if-match": '"1"' }, body: JSON.stringify({ data: { v: 2 } }) }));
    expect(body(ok)).toEqual({ id: "p", data: { v: 2 }, version: "2" });
    expect(ok.headers?.etag).toBe('"2"');
    // Weak and unquoted forms of the same version are accepted.
    expect((await api(event("PUT", "/orders/items/p", { headers: { "if-match": 'W/"2"' }, body: JSON.stringify({ data: {} }) }))).statusCode).toBe(200);
    expect((await api(event("PUT", "/orders/items/p", { headers: { "if-match": "3" }, body: JSON.stringify({ data: {} }) }))).statusCode).toBe(200);
    const stale = await api(event("PUT", "/orders/items/p", { headers: { "if-match": '"1"' }, body: JSON.stringify({ data: { v: 9 } }) }));
    expect(stale.statusCode).toBe(409);
    expect((await api(event("PUT", "/orders/items/none", { headers: { "if-match": '"1"' }, body: JSON.stringify({ data: {} }) }))).statusCode).toBe(404);
  });

  it("DELETE answers 204, then 404; a stale If-Match is a 409", async () => {
    const { api } = setup();
    await api(event("POST", "/orders/items", { body: JSON.stringify({ id: "d", data: {} }) }));
    expect((await api(event("DELETE", "/orders/items/d", { headers: { "if-match": '"5"' } }))).statusCode).toBe(409);
    const gone = await api(event("DELETE", "/orders/items/d", { headers: { "if-match": '"1"' } }));
    expect(gone.statusCode).toBe(204);
    expect(gone.body).toBeUndefined();
    expect((await api(event("DELETE", "/orders/items/d"))).statusCode).toBe(404);
  });

  it("lists with opaque page tokens until the last page", async () => {
    const { api } = setup();
    for (const id of ["c", "a", "e", "b", "d"]) await api(event("POST", "/orders/items", { body: JSON.stringify({ id, data: {} }) }));
    const seen: string[] = [];
    let next: string | undefined;
    do {
      const page = await api(event("GET", "/orders/items", { queryStringParameters: { limit: "2", ...(next && { next }) } }));
      expect(page.statusCode).toBe(200);
      const parsed = body(page);
      seen.push(...parsed.items.map((i: Item) => i.id));
      next = parsed.next;
      if (next) expect(next).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    } while (next);
    expect(seen).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("uses 25 items per page by default and refuses limits outside 1..100", async () => {
    const { api, repo } = setup();
    await api(event("GET", "/orders/items"));
    expect(repo.calls).toEqual(["query 25 - -"]);
    for (const limit of ["0", "101", "abc", "-1", "2.5"]) {
      const result = await api(event("GET", "/orders/items", { queryStringParameters: { limit } }));
      expect(result.statusCode).toBe(400);
      expect(body(result).error.issues[0].path).toBe("query.limit");
    }
  });

  it("a tampered, truncated or foreign page token is a 400 and never reaches the store", async () => {
    const { api, repo } = setup();
    const token = encodePageToken("orders", { after: "b\u0000" });
    const [payload, check] = token.split(".");
    const edited = Buffer.from(JSON.stringify({ v: 1, s: "orders", c: { after: "z\u0000" } })).toString("base64url");
    const bad = [
      `${edited}.${check}`,
      token.slice(0, -2),
      `${payload}.`,
      "not-a-token",
      encodePageToken("invoices", { after: "b\u0000" }),
      encodePageToken("orders", { after: 5 }),
      encodePageToken("orders", { after: "b" }, "some-partition"),
      "x".repeat(5000),
    ];
    for (const next of bad) {
      const result = await api(event("GET", "/orders/items", { queryStringParameters: { next } }));
      expect(result.statusCode, next).toBe(400);
      expect(body(result).error.issues[0].path).toBe("query.next");
    }
    expect(repo.calls).toEqual([]);
    expect((await api(event("GET", "/orders/items", { queryStringParameters: { next: token } }))).statusCode).toBe(200);
  });

  it("validates bodies, ids and headers with one issue per problem", async () => {
    const { api, repo } = setup();
    const cases: [APIGatewayProxyEventV2, string][] = [
      [event("POST", "/orders/items", { body: "{not json" }), "body"],
      [event("POST", "/orders/items"), "body"],
      [event("POST", "/orders/items", { body: JSON.stringify({ id: "x", data: [1, 2] }) }), "body.data"],
      [event("POST", "/orders/items", { body: JSON.stringify({ id: "x", data: {}, extra: 1 }) }), "body"],
      [event("POST", "/orders/items", { body: JSON.stringify({ id: "has space", data: {} }) }), "body.id"],
      [event("POST", "/orders/items", { body: JSON.stringify({ id: "x".repeat(257), data: {} }) }), "body.id"],
      [event("PUT", "/orders/items/x", { body: JSON.stringify({ id: "x", data: {} }) }), "body"],
      [event("PUT", "/orders/items/x", { body: JSON.stringify({ data: "text" }) }), "body.data"],
      [event("PUT", "/orders/items/x", { body: JSON.stringify({ data: { big: "x".repeat(MAX_BODY_BYTES) } }) }), "body"],
      [event("GET", "/orders/items/.."), "path.id"],
      [event("GET", "/orders/items/%E0%A4%A"), "path"],
      [event("GET", "/orders/items/x", { headers: { "if-match": '"a" , "b"' } }), "header.if-match"],
      [event("GET", "/orders/items", { queryStringParameters: { sort: "desc" } }), "query"],
    ];
    for (const [request, path] of cases) {
      const result = await api(request);
      expect(result.statusCode, `${request.requestContext.http.method} ${request.rawPath} ${request.body?.slice(0, 40)}`).toBe(400);
      const error = body(result).error;
      expect(error.code).toBe("invalid_request");
      expect(error.requestId).toBe("Abc123=");
      expect(error.issues[0].path).toBe(path);
    }
    expect(repo.calls).toEqual([]);
  });

  it("unknown routes are 404, wrong methods 405 with Allow", async () => {
    const { api } = setup();
    expect((await api(event("GET", "/orders/other"))).statusCode).toBe(404);
    expect((await api(event("GET", "/invoices/items"))).statusCode).toBe(404);
    // A stage name or an API mapping before the store is passed over.
    expect((await api(event("GET", "/v1/orders/items"))).statusCode).toBe(200);
    expect((await api(event("GET", "/orders/items/a/b"))).statusCode).toBe(404);
    const put = await api(event("PUT", "/orders/items"));
    expect(put.statusCode).toBe(405);
    expect(put.headers?.allow).toBe("GET, POST");
    const post = await api(event("POST", "/orders/items/x"));
    expect(post.statusCode).toBe(405);
    expect(post.headers?.allow).toBe("GET, PUT, DELETE");
  });

  it("stores with a sort key address items as /items/{id}/{sort} and list one partition", async () => {
    const { api, repo } = setup({ sortKey: true });
    const created = await api(event("POST", "/orders/items", { body: JSON.stringify({ id: "cust-1", sort: "2025-01-01", data: {} }) }));
    expect(created.statusCode).toBe(201);
    expect(created.headers?.location).toBe("/orders/items/cust-1/2025-01-01");
    expect((await api(event("GET", "/orders/items/cust-1/2025-01-01"))).statusCode).toBe(200);
    const noSort = await api(event("GET", "/orders/items/cust-1"));
    expect(noSort.statusCode).toBe(400);
    expect(body(noSort).error.issues[0].path).toBe("path.sort");
    await api(event("GET", "/orders/items", { queryStringParameters: { partition: "cust-1", limit: "5" } }));
    expect(repo.calls.at(-1)).toBe("query 5 - cust-1");
  });

  it("500 and 503 carry only the request id: no error text, no internals", async () => {
    const { api, repo, lines } = setup();
    repo.fail = Object.assign(new Error("ValidationException: secret detail about attribute card=4111"), { name: "ValidationException", $metadata: { httpStatusCode: 400, requestId: "AWSREQ1" } });
    const failed = await api(event("GET", "/orders/items/x"));
    expect(failed.statusCode).toBe(500);
    expect(body(failed)).toEqual({ error: { code: "internal", message: "internal error; quote the request id when reporting it", requestId: "Abc123=" } });
    expect(failed.body).not.toContain("4111");
    expect(lines.at(-1)).not.toContain("4111");
    expect(JSON.parse(lines.at(-1) as string).error).toEqual({ name: "ValidationException", awsRequestId: "AWSREQ1", httpStatus: 400 });

    repo.fail = new UnavailableError("the external service is unavailable (circuit open)", 12);
    const down = await api(event("GET", "/orders/items/x"));
    expect(down.statusCode).toBe(503);
    expect(down.headers?.["retry-after"]).toBe("12");
    expect(body(down)).toEqual({ error: { code: "unavailable", message: "the store is unavailable; retry later", requestId: "Abc123=" } });
  });
});

describe("request log and metrics", () => {
  it("writes one JSON line per request with id, store, method, status and latency, and no payload", async () => {
    const { api, lines } = setup();
    await api(event("POST", "/orders/items", { body: JSON.stringify({ id: "secret-id", data: { password: "hunter2" } }) }), { awsRequestId: "lambda-1" } as Context);
    await api(event("GET", "/orders/items/nothing"));
    expect(lines).toHaveLength(2);
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first).toMatchObject({ level: "info", message: "request", requestId: "Abc123=", lambdaRequestId: "lambda-1", store: "orders", kind: "dynamodb", method: "POST", route: "items", status: 201 });
    expect(first.latencyMs).toBeGreaterThan(0);
    expect(lines[0]).not.toContain("hunter2");
    expect(lines[0]).not.toContain("secret-id");
    expect(second).toMatchObject({ method: "GET", route: "item", status: 404 });
  });

  it("embeds CloudWatch metrics (EMF): requests, 4xx/5xx as 0/1, latency, and adapter error and latency when the store was called", async () => {
    const { api, lines, repo } = setup();
    await api(event("GET", "/orders/items/none"));
    await api(event("GET", "/orders/items/.."));
    repo.fail = new Error("boom");
    await api(event("GET", "/orders/items/x"));
    const [notFound, invalid, failed] = lines.map((l) => JSON.parse(l));

    expect(notFound._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: DATA_API_METRICS_NAMESPACE,
        Dimensions: [[...DATA_API_METRIC_DIMENSIONS]],
        Metrics: [
          { Name: "Requests", Unit: "Count" },
          { Name: "ClientErrors", Unit: "Count" },
          { Name: "ServerErrors", Unit: "Count" },
          { Name: "Latency", Unit: "Milliseconds" },
          { Name: "AdapterErrors", Unit: "Count" },
          { Name: "AdapterLatency", Unit: "Milliseconds" },
        ],
      },
    ]);
    expect(notFound._aws.Timestamp).toBeTypeOf("number");
    // Every metric named in the directive is a number at the top level, with the dimension values.
    for (const line of [notFound, failed]) {
      for (const metric of line._aws.CloudWatchMetrics[0].Metrics) expect(line[metric.Name]).toBeTypeOf("number");
      expect(line).toMatchObject({ FunctionName: "acme-dev-data-orders", Store: "orders" });
    }
    // A 404 is an answer of the store, not an adapter error.
    expect(notFound).toMatchObject({ Requests: 1, ClientErrors: 1, ServerErrors: 0, AdapterErrors: 0, AdapterLatency: 5 });
    // A conflict the store answers is not an adapter error either.
    repo.fail = undefined;
    await api(event("POST", "/orders/items", { body: JSON.stringify({ id: "c", data: {} }) }));
    await api(event("POST", "/orders/items", { body: JSON.stringify({ id: "c", data: {} }) }));
    expect(JSON.parse(lines[4])).toMatchObject({ status: 409, ClientErrors: 1, AdapterErrors: 0 });
    // Refused before reaching the store: no adapter metrics.
    expect(invalid.AdapterErrors).toBeUndefined();
    expect(invalid._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name)).toEqual(["Requests", "ClientErrors", "ServerErrors", "Latency"]);
    expect(failed).toMatchObject({ level: "error", status: 500, ServerErrors: 1, AdapterErrors: 1, error: { name: "Error", message: "boom" } });
    expect(Object.values(DATA_API_METRICS).sort()).toEqual(["AdapterErrors", "AdapterLatency", "ClientErrors", "Latency", "Requests", "ServerErrors"]);
  });
});

describe("page tokens", () => {
  const schema = z.object({ after: z.string() }).strict();
  it("round-trip a cursor for the same store and partition", () => {
    const token = encodePageToken("orders", { after: "k9" }, "p1");
    expect(decodePageToken(token, "orders", schema, "p1")).toEqual({ after: "k9" });
    expect(() => decodePageToken(token, "orders", schema)).toThrow(/another listing/);
    expect(() => decodePageToken(token, "other", schema, "p1")).toThrow(/not a page token of this store/);
  });
  it("every single-character edit is caught", () => {
    const token = encodePageToken("orders", { after: "k9" });
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (let i = 0; i < token.length; i++) {
      if (token[i] === ".") continue;
      const replacement = alphabet[(alphabet.indexOf(token[i]) + 1) % alphabet.length];
      const edited = token.slice(0, i) + replacement + token.slice(i + 1);
      let decoded: unknown;
      try {
        decoded = decodePageToken(edited, "orders", schema);
      } catch {
        continue;
      }
      // A base64url edit in the last character's unused bits decodes to the same bytes: same cursor.
      expect(decoded).toEqual({ after: "k9" });
    }
  });
});

describe("handler entry point (STORE_CONFIG)", () => {
  const dynamo = mockClient(DynamoDBClient);
  const saved = process.env[STORE_CONFIG_ENV];
  beforeEach(() => {
    resetForTests();
    dynamo.reset();
    vi.spyOn(console, "log").mockImplementation(() => undefined);
    vi.spyOn(console, "error").mockImplementation(() => undefined);
  });
  afterEach(() => {
    if (saved === undefined) delete process.env[STORE_CONFIG_ENV];
    else process.env[STORE_CONFIG_ENV] = saved;
    resetForTests();
    vi.restoreAllMocks();
  });

  const context = { awsRequestId: "lambda-req" } as Context;

  it("builds the configured adapter once and serves requests through it", async () => {
    process.env[STORE_CONFIG_ENV] = JSON.stringify({ kind: "dynamodb", name: "orders", tableName: "acme-dev-orders", partitionKey: { name: "pk", type: "S" } });
    dynamo.on(GetItemCommand).resolves({ Item: { pk: { S: "o-1" }, version: { N: "4" }, total: { N: "12" } } });
    const result = (await handler(event("GET", "/orders/items/o-1"), context, () => undefined)) as APIGatewayProxyStructuredResultV2;
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body as string)).toEqual({ id: "o-1", data: { total: 12 }, version: "4" });
    expect(dynamo.commandCalls(GetItemCommand)[0].args[0].input).toMatchObject({ TableName: "acme-dev-orders", Key: { pk: { S: "o-1" } }, ConsistentRead: true });
    // The environment is read once per container.
    process.env[STORE_CONFIG_ENV] = "{}";
    expect(((await handler(event("GET", "/orders/items/o-1"), context, () => undefined)) as APIGatewayProxyStructuredResultV2).statusCode).toBe(200);
  });

  it("a missing or invalid STORE_CONFIG answers 500 with the request id and logs the reason", async () => {
    delete process.env[STORE_CONFIG_ENV];
    const result = (await handler(event("GET", "/orders/items/x"), context, () => undefined)) as APIGatewayProxyStructuredResultV2;
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body as string)).toEqual({ error: { code: "internal", message: "internal error; quote the request id when reporting it", requestId: "Abc123=" } });
    expect(vi.mocked(console.error).mock.calls[0][0]).toContain("STORE_CONFIG is not set");
    // The next request tries again (a fixed environment is picked up).
    process.env[STORE_CONFIG_ENV] = JSON.stringify({ kind: "s3", name: "docs", bucket: "acme-dev-docs", prefix: "documents" });
    expect(((await handler(event("GET", "/orders/items/x"), context, () => undefined)) as APIGatewayProxyStructuredResultV2).statusCode).toBe(404);
  });

  it("loadStoreConfig names the variable and each broken rule on one line", () => {
    expect(() => loadStoreConfig({ STORE_CONFIG: "{" })).toThrow("STORE_CONFIG is not valid JSON");
    expect(() => loadStoreConfig({ STORE_CONFIG: JSON.stringify({ kind: "http", name: "crm", baseUrl: "http://crm.example.com", timeoutMs: 1000 }) })).toThrow(
      /^STORE_CONFIG: baseUrl /,
    );
    expect(loadStoreConfig({ STORE_CONFIG: JSON.stringify({ kind: "http", name: "crm", baseUrl: "https://crm.example.com", timeoutMs: 1000 }) })).toMatchObject({ kind: "http" });
  });
});

describe("bundle", () => {
  it("esbuild bundles the handler into one CommonJS file for node22 that loads and answers", async () => {
    const { buildSync } = await import("esbuild");
    const started = performance.now();
    const result = buildSync({
      absWorkingDir: join(__dirname, ".."),
      entryPoints: ["modules/data-api/handler/index.ts"],
      outfile: "index.js",
      bundle: true,
      platform: "node",
      target: "node22",
      format: "cjs",
      minify: true,
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const seconds = (performance.now() - started) / 1000;
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0].text;
    // The budget that keeps synthesis fast: the four adapters and their SDK clients fit well within it.
    expect(code.length).toBeLessThan(1_500_000);
    expect(seconds).toBeLessThan(20);
    const inputs = Object.keys(result.metafile.inputs);
    for (const client of ["client-rds-data", "client-dynamodb", "client-s3", "client-secrets-manager"]) {
      expect(inputs.some((input) => input.includes(`@aws-sdk/${client}/`)), client).toBe(true);
    }
    // Only the clients the adapters use: nothing of the pipeline's EMR client or the tooling's.
    expect(inputs.filter((input) => /@aws-sdk\/client-(emr|ec2|ecs|iam|lambda|rds\/)/.test(input))).toEqual([]);

    const module = { exports: {} as { handler?: (event: unknown, context: unknown) => Promise<APIGatewayProxyStructuredResultV2> } };
    new Function("module", "exports", "require", code)(module, module.exports, require);
    expect(typeof module.exports.handler).toBe("function");
    const saved = process.env[STORE_CONFIG_ENV];
    process.env[STORE_CONFIG_ENV] = JSON.stringify({ kind: "s3", name: "docs", bucket: "acme-dev-documents", prefix: "docs" });
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    try {
      const answer = await module.exports.handler!(event("GET", "/docs/items/.."), { awsRequestId: "r" });
      expect(answer.statusCode).toBe(400);
      expect(JSON.parse(log.mock.calls[0][0] as string)).toMatchObject({ message: "request", store: "docs", status: 400 });
    } finally {
      log.mockRestore();
      if (saved === undefined) delete process.env[STORE_CONFIG_ENV];
      else process.env[STORE_CONFIG_ENV] = saved;
    }
  });
});

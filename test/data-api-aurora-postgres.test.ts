/**
 * The aurora adapter's SQL on a real PostgreSQL server: the adapter talks to an RDSDataClient whose
 * ExecuteStatement is answered by a double that runs each statement with its parameters on a
 * throwaway server (test/rds-data-on-postgres.ts), so statements, parameter binding and type
 * mappings are executed, not just mocked. Skips visibly without PostgreSQL, except where
 * PLATFORM_REQUIRE_POSTGRES=1 (CI), where that is a failure.
 */
import { ExecuteStatementCommand, RDSDataClient } from "@aws-sdk/client-rds-data";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { Client } from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AURORA_TABLE_DDL, auroraStatements, auroraTableDdl, createAuroraRepository } from "../modules/data-api/handler/adapters/aurora";
import { createApiHandler } from "../modules/data-api/handler/api";
import type { StoreConfig } from "../modules/data-api/handler/config";
import { ConflictError, NotFoundError } from "../modules/data-api/handler/errors";
import type { Item } from "../modules/data-api/handler/repository";
import { postgresRequired, postgresUnavailableReason, startPostgres, type PostgresServer } from "./postgres-server";
import { dataApiOnPostgres, TEXT_TYPES, type ExecutedStatement } from "./rds-data-on-postgres";

const unavailable = postgresUnavailableReason();
if (unavailable && !postgresRequired()) {
  console.warn(`PostgreSQL tests skipped: ${unavailable}`);
}

// Skipped (with the reason in its name) where PostgreSQL is absent; fails there when it is required.
it.skipIf(unavailable !== undefined && !postgresRequired())(
  `a PostgreSQL server can be started for the aurora adapter tests${unavailable ? ` (absent: ${unavailable})` : ""}`,
  () => {
    expect(unavailable).toBeUndefined();
  },
);

const CONFIG: Extract<StoreConfig, { kind: "aurora" }> = {
  kind: "aurora",
  name: "orders",
  clusterArn: "arn:aws:rds:us-east-1:123456789012:cluster:acme-dev",
  secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:acme-dev-db-AbCdEf",
  database: "postgres",
  table: "items",
};

describe.skipIf(unavailable !== undefined)("aurora adapter on a real PostgreSQL server", () => {
  let server: PostgresServer;
  let pg: Client;
  const executed: ExecutedStatement[] = [];
  const rds = mockClient(RDSDataClient);
  const client = new RDSDataClient({ region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  const repo = createAuroraRepository(CONFIG, client);

  beforeAll(async () => {
    server = await startPostgres();
    pg = new Client({ host: server.host, port: server.port, user: server.user, database: server.database, types: TEXT_TYPES });
    await pg.connect();
    await pg.query(AURORA_TABLE_DDL);
  });
  afterAll(async () => {
    rds.restore();
    await pg?.end();
    await server?.stop();
  });
  beforeEach(async () => {
    rds.reset();
    rds.on(ExecuteStatementCommand).callsFake(dataApiOnPostgres(pg, executed));
    executed.length = 0;
    await pg.query("TRUNCATE items");
  });

  const DATA = {
    name: "Ünïcode ✓ 'quoted' \"double\" \\ back",
    count: 42,
    ratio: 0.125,
    big: 9007199254740991,
    negative: -3,
    flag: false,
    nothing: null,
    tags: ["a", "b", ""],
    nested: { deep: { list: [1, { x: true }] } },
  };

  it("creates the documented table, idempotently", async () => {
    await pg.query(AURORA_TABLE_DDL);
    const columns = await pg.query(
      "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'items' ORDER BY ordinal_position",
    );
    expect(columns.rows).toEqual([
      { column_name: "id", data_type: "text", is_nullable: "NO" },
      { column_name: "data", data_type: "jsonb", is_nullable: "NO" },
      { column_name: "version", data_type: "bigint", is_nullable: "NO" },
      { column_name: "created_at", data_type: "timestamp with time zone", is_nullable: "NO" },
      { column_name: "updated_at", data_type: "timestamp with time zone", is_nullable: "NO" },
    ]);
    expect(() => auroraTableDdl('items"; DROP TABLE x; --')).toThrow(/not a lower-case SQL identifier/);
  });

  it("round-trips JSON types exactly, with the version as a bigint counter", async () => {
    const created = await repo.put({ id: "order-1" }, DATA, { mode: "create" });
    expect(created).toEqual({ id: "order-1", data: DATA, version: "1" });
    expect(await repo.get({ id: "order-1" })).toEqual(created);
    expect(await repo.get({ id: "missing" })).toBeUndefined();
    // What the Data API returned: bigint as longValue, jsonb as stringValue.
    const result = await client.send(new ExecuteStatementCommand({ resourceArn: CONFIG.clusterArn, secretArn: CONFIG.secretArn, sql: auroraStatements("items").get, parameters: [{ name: "id", value: { stringValue: "order-1" } }] }));
    expect(result.records?.[0][2]).toEqual({ longValue: 1 });
    expect(typeof result.records?.[0][1].stringValue).toBe("string");
    const row = await pg.query("SELECT data->>'name' AS name, jsonb_typeof(data->'count') AS t, version FROM items WHERE id = 'order-1'");
    expect(row.rows[0]).toEqual({ name: DATA.name, t: "number", version: "1" });
  });

  it("put-if-absent refuses an existing id and leaves it unchanged", async () => {
    await repo.put({ id: "a" }, { v: 1 }, { mode: "create" });
    await expect(repo.put({ id: "a" }, { v: 2 }, { mode: "create" })).rejects.toBeInstanceOf(ConflictError);
    expect(await repo.get({ id: "a" })).toEqual({ id: "a", data: { v: 1 }, version: "1" });
  });

  it("replace without a version upserts and counts versions", async () => {
    expect(await repo.put({ id: "b" }, { v: 1 }, { mode: "replace" })).toEqual({ id: "b", data: { v: 1 }, version: "1" });
    expect(await repo.put({ id: "b" }, { v: 2 }, { mode: "replace" })).toEqual({ id: "b", data: { v: 2 }, version: "2" });
    const times = await pg.query("SELECT updated_at >= created_at AS ok FROM items WHERE id = 'b'");
    expect(times.rows[0].ok).toBe("t");
  });

  it("optimistic update: the expected version writes once; a stale one is a conflict; a missing item is 404", async () => {
    await repo.put({ id: "c" }, { v: 1 }, { mode: "create" });
    expect(await repo.put({ id: "c" }, { v: 2 }, { mode: "replace", expectedVersion: "1" })).toEqual({ id: "c", data: { v: 2 }, version: "2" });
    await expect(repo.put({ id: "c" }, { v: 3 }, { mode: "replace", expectedVersion: "1" })).rejects.toBeInstanceOf(ConflictError);
    await expect(repo.put({ id: "nope" }, { v: 3 }, { mode: "replace", expectedVersion: "1" })).rejects.toBeInstanceOf(NotFoundError);
    expect((await repo.get({ id: "c" }))?.data).toEqual({ v: 2 });
  });

  it("concurrent optimistic updates of one version: exactly one wins", async () => {
    await repo.put({ id: "race" }, { v: 0 }, { mode: "create" });
    const second = new Client({ host: server.host, port: server.port, user: server.user, database: server.database, types: TEXT_TYPES });
    await second.connect();
    try {
      // A second container: its own connection, so the two updates really run concurrently.
      const run = dataApiOnPostgres(second);
      const other = { send: (command: ExecuteStatementCommand) => run(command.input) } as unknown as RDSDataClient;
      const results = await Promise.allSettled([
        repo.put({ id: "race" }, { by: "one" }, { mode: "replace", expectedVersion: "1" }),
        createAuroraRepository(CONFIG, other).put({ id: "race" }, { by: "two" }, { mode: "replace", expectedVersion: "1" }),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(ConflictError);
      expect((await repo.get({ id: "race" }))?.version).toBe("2");
    } finally {
      await second.end();
    }
  });

  it("delete: by id, by expected version, 404 and 409", async () => {
    await repo.put({ id: "d" }, { v: 1 }, { mode: "create" });
    await repo.put({ id: "e" }, { v: 1 }, { mode: "create" });
    await repo.delete({ id: "d" });
    expect(await repo.get({ id: "d" })).toBeUndefined();
    await expect(repo.delete({ id: "d" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(repo.delete({ id: "e" }, { expectedVersion: "7" })).rejects.toBeInstanceOf(ConflictError);
    await expect(repo.delete({ id: "zzz" }, { expectedVersion: "1" })).rejects.toBeInstanceOf(NotFoundError);
    await repo.delete({ id: "e" }, { expectedVersion: "1" });
    expect((await pg.query("SELECT count(*) AS n FROM items")).rows[0].n).toBe("0");
  });

  it("pages through every item in id order, each exactly once", async () => {
    const ids = ["k07", "k01", "k05", "k03", "k02", "k06", "k04"];
    for (const id of ids) await repo.put({ id }, { id }, { mode: "create" });
    const seen: string[] = [];
    let cursor: { after: string } | undefined;
    let pages = 0;
    do {
      const page = await repo.query({ limit: 3, ...(cursor && { cursor }) });
      seen.push(...page.items.map((item: Item) => item.id));
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual([...ids].sort());
    expect(pages).toBe(3);
    // An exact multiple of the page size ends without an empty extra page.
    expect((await repo.query({ limit: 7 })).cursor).toBeUndefined();
  });

  it("request values travel only as parameters: hostile ids and data are stored literally", async () => {
    const id = "x'); DROP TABLE items; --";
    const data = { sql: "'; DELETE FROM items WHERE ''='", colon: ":id :data ::text" };
    await repo.put({ id }, data, { mode: "create" });
    expect(await repo.get({ id })).toEqual({ id, data, version: "1" });
    expect(executed.length).toBeGreaterThan(0);
    for (const statement of executed) {
      expect(statement.sql).not.toContain("DROP");
      expect(statement.sql).not.toContain("DELETE FROM items WHERE ''");
      expect(Object.values(auroraStatements("items"))).toContain(statement.sql);
    }
  });

  it("serves the HTTP contract end to end (create, read, optimistic update, list with tokens, delete)", async () => {
    const lines: string[] = [];
    const api = createApiHandler({ store: CONFIG, repository: repo as never, write: (line) => lines.push(line), functionName: "acme-dev-data-orders" });
    const event = (method: string, path: string, extra: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 =>
      ({
        version: "2.0",
        routeKey: "ANY /orders/{proxy+}",
        rawPath: path,
        rawQueryString: "",
        headers: {},
        requestContext: { requestId: `req-${lines.length}`, http: { method } },
        isBase64Encoded: false,
        ...extra,
      }) as unknown as APIGatewayProxyEventV2;

    const created = await api(event("POST", "/orders/items", { body: JSON.stringify({ id: "o-1", data: { total: 12.5 } }) }));
    expect(created.statusCode).toBe(201);
    expect(created.headers?.etag).toBe('"1"');
    expect((await api(event("POST", "/orders/items", { body: JSON.stringify({ id: "o-1", data: {} }) }))).statusCode).toBe(409);
    const updated = await api(event("PUT", "/orders/items/o-1", { headers: { "if-match": '"1"' }, body: JSON.stringify({ data: { total: 13 } }) }));
    expect(updated.statusCode).toBe(200);
    expect(JSON.parse(updated.body as string)).toEqual({ id: "o-1", data: { total: 13 }, version: "2" });
    expect((await api(event("PUT", "/orders/items/o-1", { headers: { "if-match": '"1"' }, body: JSON.stringify({ data: {} }) }))).statusCode).toBe(409);
    for (const id of ["o-2", "o-3"]) await api(event("POST", "/orders/items", { body: JSON.stringify({ id, data: {} }) }));
    const first = JSON.parse((await api(event("GET", "/orders/items", { queryStringParameters: { limit: "2" } }))).body as string);
    expect(first.items.map((i: Item) => i.id)).toEqual(["o-1", "o-2"]);
    const second = JSON.parse((await api(event("GET", "/orders/items", { queryStringParameters: { limit: "2", next: first.next } }))).body as string);
    expect(second).toEqual({ items: [{ id: "o-3", data: {}, version: "1" }] });
    expect((await api(event("DELETE", "/orders/items/o-1", { headers: { "if-match": '"2"' } }))).statusCode).toBe(204);
    expect((await api(event("GET", "/orders/items/o-1"))).statusCode).toBe(404);
  });
});

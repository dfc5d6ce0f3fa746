/**
 * The four adapters of the data-store Lambda against mocked AWS SDK clients (aws-sdk-client-mock) and
 * a scripted `fetch`: the exact requests each repository call sends (conditions, parameters, keys)
 * and how each backend answer maps onto the repository's results and errors. The aurora SQL also
 * runs on a real PostgreSQL server in data-api-aurora-postgres.test.ts.
 */
import {
  BadRequestException,
  DatabaseResumingException,
  DatabaseUnavailableException,
  ExecuteStatementCommand,
  RDSDataClient,
} from "@aws-sdk/client-rds-data";
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from "@aws-sdk/client-dynamodb";
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { auroraStatements, createAuroraRepository } from "../modules/data-api/handler/adapters/aurora";
import { createDynamoRepository } from "../modules/data-api/handler/adapters/dynamodb";
import { createHttpRepository } from "../modules/data-api/handler/adapters/http";
import { backoffDelay, CircuitBreaker, DEFAULT_RESILIENCE, type ResilienceSettings } from "../modules/data-api/handler/adapters/resilience";
import { createS3Repository } from "../modules/data-api/handler/adapters/s3";
import type { StoreConfig } from "../modules/data-api/handler/config";
import { ConflictError, InvalidInputError, NotFoundError, UnavailableError } from "../modules/data-api/handler/errors";
import { createRepository } from "../modules/data-api/handler/index";

type Of<K extends StoreConfig["kind"]> = Extract<StoreConfig, { kind: K }>;
const REGION = { region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } };
const conditionFailed = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: { httpStatusCode: 400 }, ...(item && { Item: item as never }) });

describe("dynamodb adapter", () => {
  const ddb = mockClient(DynamoDBClient);
  const client = new DynamoDBClient(REGION);
  const SIMPLE: Of<"dynamodb"> = { kind: "dynamodb", name: "orders", tableName: "acme-dev-orders", partitionKey: { name: "orderId", type: "S" } };
  const SORTED: Of<"dynamodb"> = { ...SIMPLE, name: "events", tableName: "acme-dev-events", partitionKey: { name: "customer", type: "N" }, sortKey: { name: "at", type: "S" } };
  beforeEach(() => ddb.reset());

  it("get reads consistently and flattens attributes into data", async () => {
    ddb.on(GetItemCommand).resolves({ Item: { orderId: { S: "o-1" }, version: { N: "3" }, total: { N: "12.5" }, tags: { L: [{ S: "a" }] }, paid: { BOOL: true } } });
    expect(await createDynamoRepository(SIMPLE, client).get({ id: "o-1" })).toEqual({ id: "o-1", data: { total: 12.5, tags: ["a"], paid: true }, version: "3" });
    expect(ddb.commandCalls(GetItemCommand)[0].args[0].input).toEqual({ TableName: "acme-dev-orders", Key: { orderId: { S: "o-1" } }, ConsistentRead: true });
    ddb.on(GetItemCommand).resolves({});
    expect(await createDynamoRepository(SIMPLE, client).get({ id: "none" })).toBeUndefined();
  });

  it("create is a put with attribute_not_exists on the partition key; a failed condition is a conflict", async () => {
    const repo = createDynamoRepository(SIMPLE, client);
    ddb.on(PutItemCommand).resolvesOnce({}).rejectsOnce(conditionFailed({ orderId: { S: "o-1" } }));
    expect(await repo.put({ id: "o-1" }, { total: 3, note: "x" }, { mode: "create" })).toEqual({ id: "o-1", data: { total: 3, note: "x" }, version: "1" });
    expect(ddb.commandCalls(PutItemCommand)[0].args[0].input).toEqual({
      TableName: "acme-dev-orders",
      Item: { orderId: { S: "o-1" }, total: { N: "3" }, note: { S: "x" }, version: { N: "1" } },
      ConditionExpression: "attribute_not_exists(#pk)",
      ExpressionAttributeNames: { "#pk": "orderId" },
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    });
    await expect(repo.put({ id: "o-1" }, {}, { mode: "create" })).rejects.toBeInstanceOf(ConflictError);
  });

  it("numbers beyond 2^53 are written and read as the JSON doubles they are", async () => {
    const repo = createDynamoRepository(SIMPLE, client);
    ddb.on(PutItemCommand).resolves({});
    await repo.put({ id: "big" }, { n: 1e20 }, { mode: "create" });
    expect(ddb.commandCalls(PutItemCommand)[0].args[0].input.Item?.n).toEqual({ N: "100000000000000000000" });
    ddb.on(GetItemCommand).resolves({ Item: { orderId: { S: "big" }, n: { N: "100000000000000000000" }, version: { N: "1" } } });
    expect(await repo.get({ id: "big" })).toEqual({ id: "big", data: { n: 1e20 }, version: "1" });
  });

  it("an optimistic update conditions on the version: stale -> conflict, absent -> not found", async () => {
    const repo = createDynamoRepository(SIMPLE, client);
    ddb.on(PutItemCommand).resolvesOnce({}).rejectsOnce(conditionFailed({ orderId: { S: "o-1" }, version: { N: "5" } })).rejectsOnce(conditionFailed());
    expect(await repo.put({ id: "o-1" }, { v: 2 }, { mode: "replace", expectedVersion: "4" })).toMatchObject({ version: "5" });
    expect(ddb.commandCalls(PutItemCommand)[0].args[0].input).toMatchObject({
      Item: { orderId: { S: "o-1" }, v: { N: "2" }, version: { N: "5" } },
      ConditionExpression: "#version = :expected",
      ExpressionAttributeNames: { "#version": "version" },
      ExpressionAttributeValues: { ":expected": { N: "4" } },
    });
    await expect(repo.put({ id: "o-1" }, {}, { mode: "replace", expectedVersion: "4" })).rejects.toBeInstanceOf(ConflictError);
    await expect(repo.put({ id: "o-1" }, {}, { mode: "replace", expectedVersion: "4" })).rejects.toBeInstanceOf(NotFoundError);
    await expect(repo.put({ id: "o-1" }, {}, { mode: "replace", expectedVersion: "abc" })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("an unconditional replace reads the version and writes on it, retrying when a concurrent write wins", async () => {
    const repo = createDynamoRepository(SIMPLE, client);
    ddb.on(GetItemCommand).resolvesOnce({ Item: { version: { N: "7" } } }).resolvesOnce({ Item: { version: { N: "8" } } });
    ddb.on(PutItemCommand).rejectsOnce(conditionFailed({ version: { N: "8" } })).resolvesOnce({});
    expect(await repo.put({ id: "o-1" }, { v: 1 }, { mode: "replace" })).toMatchObject({ version: "9" });
    const puts = ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input.ExpressionAttributeValues);
    expect(puts).toEqual([{ ":expected": { N: "7" } }, { ":expected": { N: "8" } }]);
    expect(ddb.commandCalls(GetItemCommand)[0].args[0].input).toMatchObject({ ConsistentRead: true, ProjectionExpression: "#version" });

    ddb.reset();
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand).resolves({});
    expect(await repo.put({ id: "new" }, {}, { mode: "replace" })).toMatchObject({ version: "1" });
    expect(ddb.commandCalls(PutItemCommand)[0].args[0].input.ConditionExpression).toBe("attribute_not_exists(#pk)");

    ddb.reset();
    ddb.on(GetItemCommand).resolves({ Item: { version: { N: "1" } } });
    ddb.on(PutItemCommand).rejects(conditionFailed({}));
    await expect(repo.put({ id: "busy" }, {}, { mode: "replace" })).rejects.toBeInstanceOf(ConflictError);
    expect(ddb.commandCalls(PutItemCommand)).toHaveLength(3);
  });

  it("refuses data fields that would overwrite the key or version attributes", async () => {
    const repo = createDynamoRepository(SORTED, client);
    await expect(repo.put({ id: "1", sort: "a" }, { at: "x", version: 9, ok: 1 }, { mode: "create" })).rejects.toMatchObject({
      issues: [
        { path: "body.data.at", message: "is a key or version attribute of this store" },
        { path: "body.data.version", message: "is a key or version attribute of this store" },
      ],
    });
    expect(ddb.calls()).toHaveLength(0);
  });

  it("types keys: N keys must be numbers; a sort key is required exactly when the table has one", async () => {
    const repo = createDynamoRepository(SORTED, client);
    ddb.on(GetItemCommand).resolves({ Item: { customer: { N: "42" }, at: { S: "2025-01-01" }, version: { N: "1" }, amount: { N: "5" } } });
    expect(await repo.get({ id: "42", sort: "2025-01-01" })).toEqual({ id: "42", sort: "2025-01-01", data: { amount: 5 }, version: "1" });
    expect(ddb.commandCalls(GetItemCommand)[0].args[0].input.Key).toEqual({ customer: { N: "42" }, at: { S: "2025-01-01" } });
    await expect(repo.get({ id: "abc", sort: "x" })).rejects.toMatchObject({ issues: [{ path: "path.id" }] });
    await expect(repo.get({ id: "42" })).rejects.toMatchObject({ issues: [{ path: "path.sort" }] });
    await expect(createDynamoRepository(SIMPLE, client).get({ id: "a", sort: "b" })).rejects.toMatchObject({ issues: [{ path: "path.sort" }] });
  });

  it("delete conditions on existence (and version): 404 and 409 from the failed condition", async () => {
    const repo = createDynamoRepository(SIMPLE, client);
    ddb.on(DeleteItemCommand).resolvesOnce({}).rejectsOnce(conditionFailed()).rejectsOnce(conditionFailed({ version: { N: "2" } }));
    await repo.delete({ id: "o-1" }, { expectedVersion: "1" });
    expect(ddb.commandCalls(DeleteItemCommand)[0].args[0].input).toEqual({
      TableName: "acme-dev-orders",
      Key: { orderId: { S: "o-1" } },
      ConditionExpression: "attribute_exists(#pk) AND #version = :expected",
      ExpressionAttributeNames: { "#pk": "orderId", "#version": "version" },
      ExpressionAttributeValues: { ":expected": { N: "1" } },
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    });
    await expect(repo.delete({ id: "o-1" })).rejects.toBeInstanceOf(NotFoundError);
    expect(ddb.commandCalls(DeleteItemCommand)[1].args[0].input).toMatchObject({ ConditionExpression: "attribute_exists(#pk)", ExpressionAttributeNames: { "#pk": "orderId" } });
    await expect(repo.delete({ id: "o-1" }, { expectedVersion: "1" })).rejects.toBeInstanceOf(ConflictError);
  });

  it("a table with a sort key lists one partition with Query in sort order, resuming from the cursor", async () => {
    const repo = createDynamoRepository(SORTED, client);
    ddb.on(QueryCommand).resolves({
      Items: [{ customer: { N: "42" }, at: { S: "b" }, version: { N: "1" } }],
      LastEvaluatedKey: { customer: { N: "42" }, at: { S: "b" } },
    });
    const page = await repo.query({ limit: 1, partition: "42", cursor: { customer: 42, at: "a" } });
    expect(page).toEqual({ items: [{ id: "42", sort: "b", data: {}, version: "1" }], cursor: { customer: 42, at: "b" } });
    expect(ddb.commandCalls(QueryCommand)[0].args[0].input).toEqual({
      TableName: "acme-dev-events",
      KeyConditionExpression: "#pk = :pk",
      ExpressionAttributeNames: { "#pk": "customer" },
      ExpressionAttributeValues: { ":pk": { N: "42" } },
      ScanIndexForward: true,
      Limit: 1,
      ExclusiveStartKey: { customer: { N: "42" }, at: { S: "a" } },
    });
    await expect(repo.query({ limit: 5 })).rejects.toMatchObject({ issues: [{ path: "query.partition" }] });
    await expect(repo.query({ limit: 5, partition: "43", cursor: { customer: 42, at: "a" } })).rejects.toMatchObject({ issues: [{ path: "query.next" }] });
    // The cursor schema follows the key types: a string where N is declared is refused.
    expect(repo.cursorSchema.safeParse({ customer: "42", at: "a" }).success).toBe(false);
    expect(repo.cursorSchema.safeParse({ customer: 42, at: "a", extra: 1 }).success).toBe(false);
  });

  it("a table without a sort key is scanned; no LastEvaluatedKey means the last page", async () => {
    const repo = createDynamoRepository(SIMPLE, client);
    ddb.on(ScanCommand).resolves({ Items: [{ orderId: { S: "a" }, version: { N: "1" } }] });
    expect(await repo.query({ limit: 10 })).toEqual({ items: [{ id: "a", data: {}, version: "1" }] });
    expect(ddb.commandCalls(ScanCommand)[0].args[0].input).toEqual({ TableName: "acme-dev-orders", Limit: 10 });
    await expect(repo.query({ limit: 10, partition: "a" })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("other DynamoDB errors propagate (a 500 in the HTTP layer)", async () => {
    ddb.on(GetItemCommand).rejects(Object.assign(new Error("throttled"), { name: "ProvisionedThroughputExceededException" }));
    await expect(createDynamoRepository(SIMPLE, client).get({ id: "a" })).rejects.toMatchObject({ name: "ProvisionedThroughputExceededException" });
  });
});

describe("s3 adapter", () => {
  const s3 = mockClient(S3Client);
  const client = new S3Client(REGION);
  const CONFIG: Of<"s3"> = { kind: "s3", name: "docs", bucket: "acme-dev-documents", prefix: "data-api/docs" };
  const repo = createS3Repository(CONFIG, client);
  const bodyOf = (value: unknown) => ({ transformToString: async () => JSON.stringify(value) }) as never;
  const s3Error = (name: string, status: number) => new S3ServiceException({ name, $fault: "client", message: name, $metadata: { httpStatusCode: status } });
  beforeEach(() => s3.reset());

  it("get reads <prefix>/<id>.json; the ETag is the version; a missing key is undefined", async () => {
    s3.on(GetObjectCommand).resolvesOnce({ Body: bodyOf({ id: "d1", data: { title: "T" } }), ETag: '"abc123"' }).rejectsOnce(new NoSuchKey({ message: "nope", $metadata: { httpStatusCode: 404 } }));
    expect(await repo.get({ id: "d1" })).toEqual({ id: "d1", data: { title: "T" }, version: "abc123" });
    expect(s3.commandCalls(GetObjectCommand)[0].args[0].input).toEqual({ Bucket: "acme-dev-documents", Key: "data-api/docs/d1.json" });
    expect(await repo.get({ id: "gone" })).toBeUndefined();
  });

  it("create sends If-None-Match: *; a failed precondition is a conflict", async () => {
    s3.on(PutObjectCommand).resolvesOnce({ ETag: '"e1"' }).rejectsOnce(s3Error("PreconditionFailed", 412));
    expect(await repo.put({ id: "d1" }, { a: 1 }, { mode: "create" })).toEqual({ id: "d1", data: { a: 1 }, version: "e1" });
    expect(s3.commandCalls(PutObjectCommand)[0].args[0].input).toEqual({
      Bucket: "acme-dev-documents",
      Key: "data-api/docs/d1.json",
      Body: JSON.stringify({ id: "d1", data: { a: 1 } }),
      ContentType: "application/json",
      IfNoneMatch: "*",
    });
    await expect(repo.put({ id: "d1" }, {}, { mode: "create" })).rejects.toBeInstanceOf(ConflictError);
  });

  it("replace with a version sends If-Match with the quoted ETag; without one, no condition", async () => {
    s3.on(PutObjectCommand).resolvesOnce({ ETag: '"e2"' }).rejectsOnce(s3Error("PreconditionFailed", 412)).rejectsOnce(new NoSuchKey({ message: "x", $metadata: { httpStatusCode: 404 } })).resolvesOnce({ ETag: '"e3"' });
    expect(await repo.put({ id: "d1" }, { a: 2 }, { mode: "replace", expectedVersion: "e1" })).toMatchObject({ version: "e2" });
    expect(s3.commandCalls(PutObjectCommand)[0].args[0].input.IfMatch).toBe('"e1"');
    await expect(repo.put({ id: "d1" }, {}, { mode: "replace", expectedVersion: "e1" })).rejects.toBeInstanceOf(ConflictError);
    await expect(repo.put({ id: "d9" }, {}, { mode: "replace", expectedVersion: "e1" })).rejects.toBeInstanceOf(NotFoundError);
    await repo.put({ id: "d1" }, {}, { mode: "replace" });
    const last = s3.commandCalls(PutObjectCommand)[3].args[0].input;
    expect(last.IfMatch).toBeUndefined();
    expect(last.IfNoneMatch).toBeUndefined();
  });

  it("delete: 404 for a missing key (HEAD first), If-Match for a version, 409 on mismatch", async () => {
    s3.on(HeadObjectCommand).rejectsOnce(s3Error("NotFound", 404)).resolves({});
    await expect(repo.delete({ id: "none" })).rejects.toBeInstanceOf(NotFoundError);
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    s3.on(DeleteObjectCommand).resolvesOnce({}).rejectsOnce(s3Error("PreconditionFailed", 412));
    await repo.delete({ id: "d1" }, { expectedVersion: "e1" });
    expect(s3.commandCalls(DeleteObjectCommand)[0].args[0].input).toEqual({ Bucket: "acme-dev-documents", Key: "data-api/docs/d1.json", IfMatch: '"e1"' });
    await expect(repo.delete({ id: "d1" }, { expectedVersion: "old" })).rejects.toBeInstanceOf(ConflictError);
  });

  it("query lists the prefix in key order, reads each document, and resumes after the last key", async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: "data-api/docs/a.json" }, { Key: "data-api/docs/nested/x.json" }, { Key: "data-api/docs/b.json" }, { Key: "data-api/docs/c.txt" }],
      IsTruncated: true,
    });
    s3.on(GetObjectCommand, { Key: "data-api/docs/a.json" }).resolves({ Body: bodyOf({ id: "a", data: { n: 1 } }), ETag: '"ea"' });
    s3.on(GetObjectCommand, { Key: "data-api/docs/b.json" }).rejects(new NoSuchKey({ message: "deleted meanwhile", $metadata: { httpStatusCode: 404 } }));
    const page = await repo.query({ limit: 4, cursor: { after: "0.json" } });
    expect(page).toEqual({ items: [{ id: "a", data: { n: 1 }, version: "ea" }], cursor: { after: "c.txt" } });
    expect(s3.commandCalls(ListObjectsV2Command)[0].args[0].input).toEqual({ Bucket: "acme-dev-documents", Prefix: "data-api/docs/", MaxKeys: 4, StartAfter: "data-api/docs/0.json" });
    s3.on(ListObjectsV2Command).resolves({ Contents: [], IsTruncated: false });
    expect(await repo.query({ limit: 4 })).toEqual({ items: [] });
  });
});

describe("aurora adapter (Data API requests)", () => {
  const rds = mockClient(RDSDataClient);
  const client = new RDSDataClient(REGION);
  const CONFIG: Of<"aurora"> = {
    kind: "aurora",
    name: "orders",
    clusterArn: "arn:aws:rds:us-east-1:123456789012:cluster:acme-dev",
    secretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:acme-dev-db-AbCdEf",
    database: "app",
    table: "orders",
  };
  const sql = auroraStatements("orders");
  beforeEach(() => rds.reset());

  it("sends constant statements with typed parameters, to the configured cluster, secret and database", async () => {
    rds.on(ExecuteStatementCommand).resolves({ records: [[{ stringValue: "o'1" }, { stringValue: '{"a":1}' }, { longValue: 1 }]] });
    const repo = createAuroraRepository(CONFIG, client);
    expect(await repo.put({ id: "o'1" }, { a: 1 }, { mode: "create" })).toEqual({ id: "o'1", data: { a: 1 }, version: "1" });
    expect(rds.commandCalls(ExecuteStatementCommand)[0].args[0].input).toEqual({
      resourceArn: CONFIG.clusterArn,
      secretArn: CONFIG.secretArn,
      database: "app",
      sql: sql.create,
      parameters: [
        { name: "id", value: { stringValue: "o'1" } },
        { name: "data", value: { stringValue: '{"a":1}' }, typeHint: "JSON" },
      ],
    });
    expect(sql.create).toBe('INSERT INTO "orders" (id, data) VALUES (:id, CAST(:data AS jsonb)) ON CONFLICT (id) DO NOTHING RETURNING id, data, version');
  });

  it("asks for one row more than the page to know whether another follows", async () => {
    const row = (id: string) => [{ stringValue: id }, { stringValue: "{}" }, { longValue: 1 }];
    rds.on(ExecuteStatementCommand).resolves({ records: [row("a"), row("b"), row("c")] });
    const page = await createAuroraRepository(CONFIG, client).query({ limit: 2, cursor: { after: "0" } });
    expect(page).toEqual({ items: [{ id: "a", data: {}, version: "1" }, { id: "b", data: {}, version: "1" }], cursor: { after: "b" } });
    expect(rds.commandCalls(ExecuteStatementCommand)[0].args[0].input).toMatchObject({
      sql: sql.nextPage,
      parameters: [{ name: "after", value: { stringValue: "0" } }, { name: "limit", value: { longValue: 3 } }],
    });
  });

  it("a resuming or unavailable database is a 503 (with Retry-After while resuming); other errors propagate", async () => {
    const repo = createAuroraRepository(CONFIG, client);
    rds.on(ExecuteStatementCommand)
      .rejectsOnce(new DatabaseResumingException({ message: "resuming", $metadata: { httpStatusCode: 400 } }))
      .rejectsOnce(new DatabaseUnavailableException({ message: "down", $metadata: { httpStatusCode: 504 } }))
      .rejectsOnce(new BadRequestException({ message: "ERROR: relation does not exist", $metadata: { httpStatusCode: 400 } }));
    await expect(repo.get({ id: "a" })).rejects.toMatchObject({ name: "UnavailableError", retryAfterSeconds: 15 });
    await expect(repo.get({ id: "a" })).rejects.toBeInstanceOf(UnavailableError);
    await expect(repo.get({ id: "a" })).rejects.toBeInstanceOf(BadRequestException);
  });

  it("every statement names its parameters; none carries a value", () => {
    for (const statement of Object.values(sql)) {
      expect(statement).not.toMatch(/'[^']*'/);
      expect(statement).toMatch(/^(SELECT|INSERT|UPDATE|DELETE) /);
    }
  });
});

describe("http adapter", () => {
  const CONFIG: Of<"http"> = { kind: "http", name: "crm", baseUrl: "https://crm.example.com/v1/contacts", timeoutMs: 50 };
  const SETTINGS: ResilienceSettings = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, failureThreshold: 5, cooldownMs: 30_000 };

  /** A fetch that answers from a script, recording each request. */
  function scripted(...answers: (Response | Error | "hang")[]) {
    const requests: { url: string; method: string; headers: Record<string, string>; body?: string }[] = [];
    const fetchFn = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
      requests.push({ url: String(url), method: init?.method ?? "GET", headers: { ...(init?.headers as Record<string, string>) }, ...(init?.body !== undefined && { body: String(init.body) }) });
      const answer = answers.shift() ?? new Response(null, { status: 599 });
      if (answer === "hang") {
        return new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)));
      }
      if (answer instanceof Error) throw answer;
      return answer;
    });
    return { fetchFn, requests };
  }
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

  function make(answers: (Response | Error | "hang")[], extra: Partial<Parameters<typeof createHttpRepository>[1]> = {}) {
    const { fetchFn, requests } = scripted(...answers);
    const sleeps: number[] = [];
    const repo = createHttpRepository(CONFIG, { fetch: fetchFn as typeof fetch, settings: SETTINGS, sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, ...extra });
    return { repo, requests, sleeps, fetchFn };
  }

  it("get: GET <base>/<id>, body = data, ETag = version; 404 = absent; the API key header is sent", async () => {
    const { repo, requests } = make([json(200, { name: "Ada" }, { etag: '"v7"' }), new Response(null, { status: 404 })], { apiKey: async () => "k-123" });
    expect(await repo.get({ id: "c/1 x" })).toEqual({ id: "c/1 x", data: { name: "Ada" }, version: "v7" });
    expect(await repo.get({ id: "none" })).toBeUndefined();
    expect(requests[0]).toMatchObject({ url: "https://crm.example.com/v1/contacts/c%2F1%20x", method: "GET", headers: { accept: "application/json", "x-api-key": "k-123" } });
  });

  it("retries idempotent requests on 5xx, 429 and network errors with full-jitter backoff, then succeeds", async () => {
    const { repo, requests, sleeps } = make([new Response("busy", { status: 503 }), new TypeError("fetch failed"), json(200, { ok: true })]);
    expect(await repo.get({ id: "a" })).toMatchObject({ data: { ok: true } });
    expect(requests).toHaveLength(3);
    // random() = 0.5 of the caps 100 and 200 ms.
    expect(sleeps).toEqual([50, 100]);
  });

  it("gives up after maxAttempts with a 503-class error naming no internals of the request", async () => {
    const { repo, requests } = make([new Response(null, { status: 502 }), new Response(null, { status: 502 }), new Response(null, { status: 502 })]);
    const error = await repo.get({ id: "a" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as Error).message).toBe("the external service failed: answered 502 (3 attempts)");
    expect(requests).toHaveLength(3);
  });

  it("times out each attempt after timeoutMs", async () => {
    const { repo, requests } = make(["hang", "hang", "hang"]);
    const started = Date.now();
    await expect(repo.delete({ id: "a" })).rejects.toThrow("timed out after 50 ms (3 attempts)");
    expect(requests).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("never retries a create (PUT with If-None-Match: *); 412 or 409 is a conflict", async () => {
    const failing = make([new Response(null, { status: 503 })]);
    await expect(failing.repo.put({ id: "a" }, { x: 1 }, { mode: "create" })).rejects.toBeInstanceOf(UnavailableError);
    expect(failing.requests).toHaveLength(1);
    expect(failing.requests[0]).toMatchObject({ method: "PUT", headers: { "if-none-match": "*", "content-type": "application/json" }, body: '{"x":1}' });
    const exists = make([new Response(null, { status: 412 }), new Response(null, { status: 409 })]);
    await expect(exists.repo.put({ id: "a" }, {}, { mode: "create" })).rejects.toBeInstanceOf(ConflictError);
    await expect(exists.repo.put({ id: "a" }, {}, { mode: "create" })).rejects.toBeInstanceOf(ConflictError);
  });

  it("replace and delete send If-Match for a version: 412 conflict, 404 not found", async () => {
    const { repo, requests } = make([
      json(200, { x: 2 }, { etag: 'W/"v2"' }),
      new Response(null, { status: 412 }),
      new Response(null, { status: 404 }),
      new Response(null, { status: 204 }),
      new Response(null, { status: 412 }),
      new Response(null, { status: 404 }),
    ]);
    expect(await repo.put({ id: "a" }, { x: 2 }, { mode: "replace", expectedVersion: "v1" })).toEqual({ id: "a", data: { x: 2 }, version: "v2" });
    expect(requests[0].headers["if-match"]).toBe('"v1"');
    await expect(repo.put({ id: "a" }, {}, { mode: "replace", expectedVersion: "v1" })).rejects.toBeInstanceOf(ConflictError);
    await expect(repo.put({ id: "a" }, {}, { mode: "replace", expectedVersion: "v1" })).rejects.toBeInstanceOf(NotFoundError);
    await repo.delete({ id: "a" }, { expectedVersion: "v2" });
    expect(requests[3]).toMatchObject({ method: "DELETE", headers: { "if-match": '"v2"' } });
    await expect(repo.delete({ id: "a" }, { expectedVersion: "v2" })).rejects.toBeInstanceOf(ConflictError);
    await expect(repo.delete({ id: "a" })).rejects.toBeInstanceOf(NotFoundError);
  });

  it("query: GET <base>?limit=&cursor=, validating the service's listing", async () => {
    const { repo, requests } = make([json(200, { items: [{ id: "a", data: {}, version: "1" }], next: "up-2" }), json(200, { rows: [] })]);
    expect(await repo.query({ limit: 10, cursor: { cursor: "up-1" } })).toEqual({ items: [{ id: "a", data: {}, version: "1" }], cursor: { cursor: "up-2" } });
    expect(requests[0].url).toBe("https://crm.example.com/v1/contacts/?limit=10&cursor=up-1");
    await expect(repo.query({ limit: 10 })).rejects.toThrow("is not {items, next?}");
  });

  it("opens the circuit after consecutive failures, fails fast while open, lets one trial through after the cool-down", async () => {
    let now = 1_000_000;
    const breaker = new CircuitBreaker(SETTINGS, () => now);
    const failures = Array.from({ length: 6 }, () => new Response(null, { status: 500 }));
    const { repo, fetchFn } = make([...failures, json(200, { back: true })], { breaker });
    await expect(repo.get({ id: "a" })).rejects.toBeInstanceOf(UnavailableError); // 3 failures
    await expect(repo.get({ id: "a" })).rejects.toThrow("circuit open"); // 2 more: open at the 5th
    expect(breaker.state).toBe("open");
    expect(fetchFn).toHaveBeenCalledTimes(5);
    const fast = await repo.get({ id: "a" }).catch((e: UnavailableError) => e);
    expect(fast).toMatchObject({ message: "the external service is unavailable (circuit open)", retryAfterSeconds: 30 });
    expect(fetchFn).toHaveBeenCalledTimes(5);

    now += 30_000;
    // Half-open: one trial (the 6th scripted answer, a 500) re-opens at once.
    await expect(repo.get({ id: "a" })).rejects.toThrow("circuit open");
    expect(fetchFn).toHaveBeenCalledTimes(6);
    expect(breaker.state).toBe("open");
    now += 30_000;
    expect(await repo.get({ id: "a" })).toMatchObject({ data: { back: true } });
    expect(breaker.state).toBe("closed");
  });

  it("429 is retried but does not count against the breaker", async () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 10 }, () => 0);
    const { repo, requests } = make([new Response(null, { status: 429 }), new Response(null, { status: 429 }), json(200, {})], { breaker });
    expect(await repo.get({ id: "a" })).toMatchObject({ data: {} });
    expect(requests).toHaveLength(3);
    expect(breaker.state).toBe("closed");
  });

  it("breaker: a success resets the count of consecutive failures", () => {
    const breaker = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 10 }, () => 0);
    breaker.failure();
    breaker.success();
    breaker.failure();
    expect(breaker.state).toBe("closed");
    breaker.failure();
    expect(breaker.state).toBe("open");
    expect(breaker.permit()).toEqual({ ok: false, retryAfterMs: 10 });
  });

  it("backoff is bounded: full jitter under min(max, base * 2^(n-1))", () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, DEFAULT_RESILIENCE, () => 0.999))).toEqual([99, 199, 399, 799, 999]);
    expect(backoffDelay(3, DEFAULT_RESILIENCE, () => 0)).toBe(0);
  });

  it("the production factory reads the API key from Secrets Manager once per container", async () => {
    const secrets = mockClient(SecretsManagerClient);
    const { fetchFn, requests } = scripted(json(200, {}), json(200, {}));
    vi.stubGlobal("fetch", fetchFn);
    try {
      secrets.on(GetSecretValueCommand).resolves({ SecretString: "s3cr3t" });
      const repo = await createRepository({ ...CONFIG, apiKeySecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:crm-key-AbCdEf", apiKeyHeader: "X-Crm-Key" });
      await repo.get({ id: "a" });
      await repo.get({ id: "b" });
      expect(requests.map((r) => r.headers["x-crm-key"])).toEqual(["s3cr3t", "s3cr3t"]);
      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
      expect(secrets.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({ SecretId: "arn:aws:secretsmanager:us-east-1:123456789012:secret:crm-key-AbCdEf" });
    } finally {
      vi.unstubAllGlobals();
      secrets.restore();
    }
  });
});

afterEach(() => vi.restoreAllMocks());

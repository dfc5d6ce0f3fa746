import { createHash } from "node:crypto";
import { EMRServerlessClient, StartJobRunCommand, type StartJobRunCommandInput } from "@aws-sdk/client-emr-serverless";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  clientTokenFor,
  ConfigError,
  createHandler,
  decodeS3Key,
  handler,
  jobNameFor,
  loadConfig,
  resetForTests,
  type HandlerConfig,
} from "../modules/data-pipeline/handler";
import type { LogFields, LogLevel } from "../modules/data-pipeline/handler/log";
import { jsonLogger } from "../modules/data-pipeline/handler/log";

const ROLE_ARN = "arn:aws:iam::123456789012:role/acme-dev-ingest-job";
const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:acme-dev-aurora-AbCdEf";
const BUCKET = "acme-dev-ingest";

const CONFIG: HandlerConfig = {
  emrApplicationId: "00fabc123def4567",
  emrExecutionRoleArn: ROLE_ARN,
  jobScriptUri: "s3://acme-dev-artifacts/jobs/ingest.py",
  keySuffixes: [".csv", ".json"],
  dbHost: "acme-dev.cluster-abc.us-east-1.rds.amazonaws.com",
  dbPort: 5432,
  dbName: "app",
  dbSecretArn: SECRET_ARN,
};

/** The environment that yields CONFIG (plus nothing optional). */
const ENV = {
  EMR_APPLICATION_ID: CONFIG.emrApplicationId,
  EMR_EXECUTION_ROLE_ARN: ROLE_ARN,
  JOB_SCRIPT_URI: CONFIG.jobScriptUri,
  KEY_SUFFIXES: ".csv,.json",
  DB_HOST: CONFIG.dbHost,
  DB_NAME: "app",
  DB_SECRET_ARN: SECRET_ARN,
};

interface ObjectSpec {
  key: string;
  eventName?: string;
  bucket?: string;
  versionId?: string | null;
  eTag?: string;
  size?: number;
}

/** One record of an S3 event notification, shaped like the ones S3 sends (key already URL-encoded). */
function s3Record({ key, eventName = "ObjectCreated:Put", bucket = BUCKET, versionId, eTag = "d41d8cd98f00b204e9800998ecf8427e", size = 1024 }: ObjectSpec) {
  return {
    eventVersion: "2.1",
    eventSource: "aws:s3",
    awsRegion: "us-east-1",
    eventTime: "2025-01-15T10:00:00.000Z",
    eventName,
    userIdentity: { principalId: "AWS:AIDAEXAMPLE" },
    requestParameters: { sourceIPAddress: "203.0.113.10" },
    responseElements: { "x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD" },
    s3: {
      s3SchemaVersion: "1.0",
      configurationId: "ingest",
      bucket: { name: bucket, ownerIdentity: { principalId: "A3NL1KOZZKExample" }, arn: `arn:aws:s3:::${bucket}` },
      object: {
        key,
        size,
        eTag,
        ...(versionId !== undefined && { versionId }),
        sequencer: "0055AED6DCD90281E5",
      },
    },
  };
}

function notification(...objects: ObjectSpec[]): string {
  return JSON.stringify({ Records: objects.map(s3Record) });
}

function sqsRecord(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "1736935200000",
      SenderId: "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp: "1736935200001",
    },
    messageAttributes: {},
    md5OfBody: "0".repeat(32),
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:123456789012:acme-dev-ingest",
    awsRegion: "us-east-1",
  };
}

function sqsEvent(...records: Array<[messageId: string, body: string]>): SQSEvent {
  return { Records: records.map(([id, body]) => sqsRecord(id, body)) };
}

/** The documented token recipe, restated independently of the implementation. */
function expectedToken(bucket: string, key: string, revision: string): string {
  return createHash("sha256").update(JSON.stringify([bucket, key, revision])).digest("hex");
}

const emr = mockClient(EMRServerlessClient);

/** Inputs of every StartJobRun call, in order. */
function startedJobs(): StartJobRunCommandInput[] {
  return emr.commandCalls(StartJobRunCommand).map((call) => call.args[0].input);
}

function argsOf(input: StartJobRunCommandInput): string[] {
  return input.jobDriver?.sparkSubmit?.entryPointArguments ?? [];
}

/** Value following `flag` in a job's argument list. */
function arg(input: StartJobRunCommandInput, flag: string): string | undefined {
  const args = argsOf(input);
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

let logs: Array<{ level: LogLevel; message: string; fields: LogFields }>;

function makeHandler(config: HandlerConfig = CONFIG) {
  return createHandler({
    config,
    client: new EMRServerlessClient({ region: "us-east-1" }),
    log: (level, message, fields = {}) => logs.push({ level, message, fields }),
  });
}

beforeEach(() => {
  emr.reset();
  let runs = 0;
  emr.on(StartJobRunCommand).callsFake(async (input: StartJobRunCommandInput) => {
    runs += 1;
    return { applicationId: input.applicationId, jobRunId: `jr-${runs}`, arn: `arn:aws:emr-serverless:us-east-1:123456789012:/applications/${input.applicationId}/jobruns/jr-${runs}` };
  });
  logs = [];
});

describe("starting EMR Serverless job runs", () => {
  it("starts one job run with the exact request for an uploaded object", async () => {
    const result = await makeHandler()(
      sqsEvent(["msg-1", notification({ key: "incoming/2025/orders.csv", versionId: "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY" })]),
    );

    expect(result).toEqual({ batchItemFailures: [] });
    expect(startedJobs()).toStrictEqual([
      {
        applicationId: "00fabc123def4567",
        executionRoleArn: ROLE_ARN,
        name: "ingest-orders.csv",
        clientToken: expectedToken(BUCKET, "incoming/2025/orders.csv", "version:3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"),
        jobDriver: {
          sparkSubmit: {
            entryPoint: "s3://acme-dev-artifacts/jobs/ingest.py",
            entryPointArguments: [
              "--bucket", BUCKET,
              "--key", "incoming/2025/orders.csv",
              "--db-host", "acme-dev.cluster-abc.us-east-1.rds.amazonaws.com",
              "--db-port", "5432",
              "--db-name", "app",
              "--db-secret-arn", SECRET_ARN,
            ],
          },
        },
      },
    ]);
    expect(startedJobs()[0].clientToken).toMatch(/^[0-9a-f]{64}$/);
    const started = logs.find((l) => l.message === "started job run");
    expect(started).toMatchObject({ level: "info", fields: { messageId: "msg-1", bucket: BUCKET, key: "incoming/2025/orders.csv", jobRunId: "jr-1" } });
  });

  it("passes Spark submit parameters and the S3 log URI when they are configured", async () => {
    const config = { ...CONFIG, sparkSubmitParameters: "--conf spark.executor.cores=2", emrLogUri: "s3://acme-dev-logs/emr/" };
    await makeHandler(config)(sqsEvent(["msg-1", notification({ key: "a.json" })]));

    const [input] = startedJobs();
    expect(input.jobDriver?.sparkSubmit?.sparkSubmitParameters).toBe("--conf spark.executor.cores=2");
    expect(input.configurationOverrides).toStrictEqual({
      monitoringConfiguration: { s3MonitoringConfiguration: { logUri: "s3://acme-dev-logs/emr/" } },
    });
  });

  it("passes a configured database port as a string argument", async () => {
    await makeHandler({ ...CONFIG, dbPort: 6543 })(sqsEvent(["msg-1", notification({ key: "a.csv" })]));
    expect(arg(startedJobs()[0], "--db-port")).toBe("6543");
  });

  it("starts one job per object when a message holds several S3 records, and per message in a batch", async () => {
    const result = await makeHandler()(
      sqsEvent(
        ["msg-1", notification({ key: "a.csv", versionId: "v1" }, { key: "b.json", versionId: "v2" })],
        ["msg-2", notification({ key: "c.csv", eventName: "ObjectCreated:CompleteMultipartUpload", versionId: "v3" })],
      ),
    );

    expect(result.batchItemFailures).toEqual([]);
    const jobs = startedJobs();
    expect(jobs.map((j) => arg(j, "--key"))).toEqual(["a.csv", "b.json", "c.csv"]);
    expect(jobs.map((j) => j.name)).toEqual(["ingest-a.csv", "ingest-b.json", "ingest-c.csv"]);
    expect(new Set(jobs.map((j) => j.clientToken)).size).toBe(3);
  });

  it("ignores the s3:TestEvent S3 sends when a notification is configured", async () => {
    const body = JSON.stringify({
      Service: "Amazon S3",
      Event: "s3:TestEvent",
      Time: "2025-01-15T10:00:00.000Z",
      Bucket: BUCKET,
      RequestId: "5582815E1AEA5ADF",
      HostId: "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE",
    });
    const result = await makeHandler()(sqsEvent(["msg-test", body]));

    expect(result).toEqual({ batchItemFailures: [] });
    expect(emr.commandCalls(StartJobRunCommand)).toHaveLength(0);
    expect(logs.map((l) => l.message)).toContain("ignored s3:TestEvent");
  });
});

describe("object keys", () => {
  it.each([
    ["plus signs and %20 as spaces", "my+file%20name.csv", "my file name.csv"],
    ["UTF-8 percent escapes", "donn%C3%A9es/caf%C3%A9.csv", "données/café.csv"],
    ["an encoded plus sign", "a%2Bb+c.csv", "a+b c.csv"],
    ["folders", "in/2025-01-15/orders%281%29.json", "in/2025-01-15/orders(1).json"],
  ])("decodes %s the way S3 encodes notification keys", async (_what, encoded, decoded) => {
    expect(decodeS3Key(encoded)).toBe(decoded);

    await makeHandler()(sqsEvent(["msg-1", notification({ key: encoded, versionId: "v1" })]));
    const [input] = startedJobs();
    expect(arg(input, "--key")).toBe(decoded);
    expect(input.name).toBe(`ingest-${decoded.slice(decoded.lastIndexOf("/") + 1)}`);
    expect(input.clientToken).toBe(expectedToken(BUCKET, decoded, "version:v1"));
  });

  it("matches suffixes against the decoded key", async () => {
    await makeHandler()(sqsEvent(["msg-1", notification({ key: "report%2Ecsv" })]));
    expect(startedJobs().map((j) => arg(j, "--key"))).toEqual(["report.csv"]);
  });

  it("skips keys without a configured suffix: logged, not failed, no job", async () => {
    const result = await makeHandler()(
      sqsEvent(
        ["msg-pdf", notification({ key: "docs/readme.pdf" })],
        ["msg-mixed", notification({ key: "notes.txt" }, { key: "data.csv" }, { key: "UPPER.CSV" }, { key: "csv" })],
      ),
    );

    expect(result).toEqual({ batchItemFailures: [] });
    expect(startedJobs().map((j) => arg(j, "--key"))).toEqual(["data.csv"]);
    const skipped = logs.filter((l) => l.message === "skipped: key suffix not configured").map((l) => l.fields.key);
    expect(skipped).toEqual(["docs/readme.pdf", "notes.txt", "UPPER.CSV", "csv"]);
  });

  it("starts jobs only for ObjectCreated events", async () => {
    const result = await makeHandler()(
      sqsEvent(
        ["msg-1", notification({ key: "gone.csv", eventName: "ObjectRemoved:Delete" })],
        ["msg-2", notification({ key: "restored.csv", eventName: "ObjectRestore:Completed" }, { key: "new.csv", eventName: "ObjectCreated:Copy" })],
      ),
    );

    expect(result.batchItemFailures).toEqual([]);
    expect(startedJobs().map((j) => arg(j, "--key"))).toEqual(["new.csv"]);
    expect(logs.filter((l) => l.message === "skipped: not an object creation").map((l) => l.fields.key)).toEqual(["gone.csv", "restored.csv"]);
  });

  it("cuts long job names to the API's 256 characters without splitting a character", () => {
    expect(jobNameFor("folder/x.csv")).toBe("ingest-x.csv");
    expect(jobNameFor(`${"a".repeat(300)}.csv`)).toBe(`ingest-${"a".repeat(249)}`);
    // 248 ASCII characters, then an emoji whose two UTF-16 units would straddle the limit.
    const name = jobNameFor(`${"b".repeat(248)}😀tail.csv`);
    expect(name).toBe(`ingest-${"b".repeat(248)}`);
    expect(name.length).toBeLessThanOrEqual(256);
  });
});

describe("idempotency (client token)", () => {
  it("gives an SQS redelivery of the same upload the same token", async () => {
    const body = notification({ key: "orders.csv", versionId: "v-111" });
    const run = makeHandler();
    await run(sqsEvent(["msg-1", body]));
    await run(sqsEvent(["msg-1-redelivered", body]));

    const [first, second] = startedJobs();
    expect(first.clientToken).toBe(second.clientToken);
    expect(first.clientToken).toHaveLength(64);
  });

  it("gives a new version of the same key a different token", () => {
    const v1 = clientTokenFor({ bucket: BUCKET, key: "orders.csv", versionId: "v-111", eTag: "e1" });
    const v2 = clientTokenFor({ bucket: BUCKET, key: "orders.csv", versionId: "v-222", eTag: "e1" });
    expect(v1).not.toBe(v2);
  });

  it("uses the ETag when the bucket is not versioned (or the version id is \"null\")", () => {
    const unversioned = clientTokenFor({ bucket: BUCKET, key: "orders.csv", eTag: "e1" });
    expect(unversioned).toBe(expectedToken(BUCKET, "orders.csv", "etag:e1"));
    expect(clientTokenFor({ bucket: BUCKET, key: "orders.csv", versionId: "null", eTag: "e1" })).toBe(unversioned);
    expect(clientTokenFor({ bucket: BUCKET, key: "orders.csv", eTag: "e2" })).not.toBe(unversioned);
  });

  it("differs by bucket and by key", () => {
    const base = clientTokenFor({ bucket: BUCKET, key: "a.csv", versionId: "v" });
    expect(clientTokenFor({ bucket: "other-bucket", key: "a.csv", versionId: "v" })).not.toBe(base);
    expect(clientTokenFor({ bucket: BUCKET, key: "b.csv", versionId: "v" })).not.toBe(base);
  });

  it("fails a record that has neither version id nor ETag instead of guessing", async () => {
    const body = JSON.stringify({ Records: [{ eventName: "ObjectCreated:Put", s3: { bucket: { name: BUCKET }, object: { key: "a.csv", size: 1 } } }] });
    const result = await makeHandler()(sqsEvent(["msg-1", body]));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "msg-1" }]);
    expect(emr.commandCalls(StartJobRunCommand)).toHaveLength(0);
  });
});

describe("partial batch failures", () => {
  /** StartJobRun rejects for objects whose key starts with "bad". */
  function rejectBadKeys() {
    let runs = 0;
    emr.on(StartJobRunCommand).callsFake(async (input: StartJobRunCommandInput) => {
      if (arg(input, "--key")?.startsWith("bad")) {
        throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { requestId: "req-123" } });
      }
      runs += 1;
      return { applicationId: input.applicationId, jobRunId: `jr-${runs}`, arn: "arn" };
    });
  }

  it("reports only the message whose StartJobRun threw", async () => {
    rejectBadKeys();
    const result = await makeHandler()(
      sqsEvent(["msg-1", notification({ key: "good1.csv" })], ["msg-2", notification({ key: "bad.csv" })], ["msg-3", notification({ key: "good2.csv" })]),
    );

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "msg-2" }] });
    expect(startedJobs().map((j) => arg(j, "--key"))).toEqual(["good1.csv", "bad.csv", "good2.csv"]);
    const failure = logs.find((l) => l.level === "error");
    expect(failure).toMatchObject({
      message: "failed to start job run",
      fields: { messageId: "msg-2", key: "bad.csv", error: { name: "ThrottlingException", message: "Rate exceeded", requestId: "req-123" } },
    });
  });

  it("still tries every object of a message, then fails the message if any object failed", async () => {
    rejectBadKeys();
    const result = await makeHandler()(sqsEvent(["msg-1", notification({ key: "a.csv" }, { key: "bad.csv" }, { key: "b.csv" })]));

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: "msg-1" }]);
    expect(startedJobs().map((j) => arg(j, "--key"))).toEqual(["a.csv", "bad.csv", "b.csv"]);
  });

  it.each([
    ["a body that is not JSON", "this is not json"],
    ["JSON without Records", JSON.stringify({ hello: "world" })],
    ["an empty Records list", JSON.stringify({ Records: [] })],
    ["a record without an object key", JSON.stringify({ Records: [{ eventName: "ObjectCreated:Put", s3: { bucket: { name: BUCKET }, object: { size: 1 } } }] })],
    ["a JSON array", "[1,2,3]"],
    ["an SNS envelope (raw delivery off)", JSON.stringify({ Type: "Notification", Message: notification({ key: "a.csv" }) })],
    ["a key with broken percent-encoding", notification({ key: "bad%E0%A4%A.csv" })],
  ])("fails only the message with %s", async (_what, body) => {
    const result = await makeHandler()(sqsEvent(["msg-good-1", notification({ key: "one.csv" })], ["msg-bad", body], ["msg-good-2", notification({ key: "two.csv" })]));

    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: "msg-bad" }] });
    expect(startedJobs().map((j) => arg(j, "--key"))).toEqual(["one.csv", "two.csv"]);
    expect(logs.filter((l) => l.level === "error")).toEqual([
      { level: "error", message: "malformed message", fields: expect.objectContaining({ messageId: "msg-bad", body: body.slice(0, 200) }) },
    ]);
  });

  it("returns an empty failure list for an empty batch", async () => {
    expect(await makeHandler()({ Records: [] })).toEqual({ batchItemFailures: [] });
  });
});

describe("configuration from the environment", () => {
  it("reads every variable, splits the suffixes and defaults the port", () => {
    expect(loadConfig({ ...ENV, KEY_SUFFIXES: " .csv , ,.json " })).toStrictEqual(CONFIG);
    const full = loadConfig({ ...ENV, DB_PORT: "6543", EMR_LOG_URI: "s3://acme-dev-logs/emr/", SPARK_SUBMIT_PARAMETERS: "--conf a=b" });
    expect(full).toMatchObject({ dbPort: 6543, emrLogUri: "s3://acme-dev-logs/emr/", sparkSubmitParameters: "--conf a=b" });
  });

  it("treats empty optional variables as unset", () => {
    const config = loadConfig({ ...ENV, DB_PORT: "", EMR_LOG_URI: "", SPARK_SUBMIT_PARAMETERS: " " });
    expect(config.dbPort).toBe(5432);
    expect(config).not.toHaveProperty("emrLogUri");
    expect(config).not.toHaveProperty("sparkSubmitParameters");
  });

  function problems(env: Record<string, string | undefined>): readonly string[] {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).problems;
    }
    throw new Error("expected the configuration to be refused");
  }

  it("names every missing variable", () => {
    expect(problems({})).toEqual([
      "EMR_APPLICATION_ID is required",
      "EMR_EXECUTION_ROLE_ARN is required",
      "JOB_SCRIPT_URI is required",
      "KEY_SUFFIXES is required",
      "DB_HOST is required",
      "DB_NAME is required",
      "DB_SECRET_ARN is required",
    ]);
  });

  it.each([
    ["a user ARN as role", { EMR_EXECUTION_ROLE_ARN: "arn:aws:iam::123456789012:user/bob" }, "EMR_EXECUTION_ROLE_ARN must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)"],
    ["an https job script", { JOB_SCRIPT_URI: "https://example.com/ingest.py" }, "JOB_SCRIPT_URI must be an s3://bucket/key URI"],
    ["a bucket-only job script", { JOB_SCRIPT_URI: "s3://acme-dev-artifacts/" }, "JOB_SCRIPT_URI must be an s3://bucket/key URI"],
    ["suffixes that are only commas", { KEY_SUFFIXES: " , ," }, 'KEY_SUFFIXES must list at least one suffix, e.g. ".csv,.json"'],
    ["a port that is not a number", { DB_PORT: "postgres" }, "DB_PORT must be a port number"],
    ["a port out of range", { DB_PORT: "70000" }, "DB_PORT must be between 1 and 65535"],
    ["a log URI that is not S3", { EMR_LOG_URI: "/var/log/emr" }, "EMR_LOG_URI must be an s3://bucket/prefix URI"],
    ["a secret that is not a Secrets Manager ARN", { DB_SECRET_ARN: "acme/dev/aurora" }, "DB_SECRET_ARN must be a Secrets Manager secret ARN"],
    ["an application id with capitals", { EMR_APPLICATION_ID: "00FABC" }, "EMR_APPLICATION_ID must be an EMR Serverless application id (1-64 lower-case letters and digits)"],
  ])("refuses %s", (_what, override, expected) => {
    expect(problems({ ...ENV, ...override })).toEqual([expected]);
  });

  it("lists every bad variable in the error message", () => {
    expect(() => loadConfig({ ...ENV, EMR_EXECUTION_ROLE_ARN: "nope", DB_PORT: "x", KEY_SUFFIXES: undefined })).toThrow(
      "invalid data-pipeline handler configuration: EMR_EXECUTION_ROLE_ARN must be an IAM role ARN (arn:aws:iam::<account>:role/<name>); " +
        "KEY_SUFFIXES is required; DB_PORT must be a port number",
    );
  });
});

describe("the Lambda entry point (handler)", () => {
  let stdout: ReturnType<typeof vi.spyOn>;
  let stderr: ReturnType<typeof vi.spyOn>;

  beforeEach(() => {
    resetForTests();
    // Clear every variable the handler reads, whatever the machine running the tests has set.
    for (const name of [...Object.keys(ENV), "DB_PORT", "EMR_LOG_URI", "SPARK_SUBMIT_PARAMETERS"]) {
      vi.stubEnv(name, "");
    }
    stdout = vi.spyOn(console, "log").mockImplementation(() => {});
    stderr = vi.spyOn(console, "error").mockImplementation(() => {});
  });

  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
    resetForTests();
  });

  function stubEnv(env: Record<string, string>) {
    for (const [name, value] of Object.entries(env)) {
      vi.stubEnv(name, value);
    }
  }

  const lines = (spy: ReturnType<typeof vi.spyOn>) => spy.mock.calls.map((call) => JSON.parse(String(call[0])));

  it("validates the environment on first use and starts jobs with the module's client", async () => {
    stubEnv(ENV);
    const result = await handler(sqsEvent(["msg-1", notification({ key: "a.csv" })]), { awsRequestId: "req-1" });

    expect(result).toEqual({ batchItemFailures: [] });
    expect(startedJobs()).toHaveLength(1);
    expect(startedJobs()[0]).toMatchObject({ applicationId: ENV.EMR_APPLICATION_ID, executionRoleArn: ROLE_ARN });
    // One JSON object per line, with level and message.
    expect(lines(stdout)).toContainEqual(
      expect.objectContaining({ level: "info", message: "started job run", requestId: "req-1", messageId: "msg-1", key: "a.csv", jobRunId: "jr-1" }),
    );
  });

  it("keeps the configuration of the cold start until reset", async () => {
    stubEnv(ENV);
    await handler(sqsEvent(["msg-1", notification({ key: "a.csv" })]));
    vi.stubEnv("EMR_APPLICATION_ID", "00changed");
    await handler(sqsEvent(["msg-2", notification({ key: "b.csv" })]));
    resetForTests();
    await handler(sqsEvent(["msg-3", notification({ key: "c.csv" })]));

    expect(startedJobs().map((j) => j.applicationId)).toEqual([ENV.EMR_APPLICATION_ID, ENV.EMR_APPLICATION_ID, "00changed"]);
  });

  it("refuses to run with invalid configuration, naming the variables, and starts nothing", async () => {
    stubEnv({ ...ENV, EMR_EXECUTION_ROLE_ARN: "arn:aws:iam::123456789012:user/bob", JOB_SCRIPT_URI: "ingest.py" });

    await expect(handler(sqsEvent(["msg-1", notification({ key: "a.csv" })]))).rejects.toThrow(
      /^invalid data-pipeline handler configuration: EMR_EXECUTION_ROLE_ARN must be an IAM role ARN .*; JOB_SCRIPT_URI must be an s3:\/\/bucket\/key URI$/,
    );
    expect(emr.commandCalls(StartJobRunCommand)).toHaveLength(0);
    expect(lines(stderr)).toEqual([
      { level: "error", message: "invalid configuration", error: expect.objectContaining({ name: "ConfigError", message: expect.stringContaining("EMR_EXECUTION_ROLE_ARN") }) },
    ]);
  });

  it("writes errors to stderr as JSON lines", () => {
    jsonLogger("error", "failed to start job run", { messageId: "m", key: "a b.csv" });
    jsonLogger("warn", "careful");
    expect(lines(stderr)).toEqual([{ level: "error", message: "failed to start job run", messageId: "m", key: "a b.csv" }]);
    expect(lines(stdout)).toEqual([{ level: "warn", message: "careful" }]);
  });
});

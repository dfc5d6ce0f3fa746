import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EmrserverlessApplication } from "@cdktf/provider-aws/lib/emrserverless-application";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { App, TerraformOutput, TerraformStack } from "cdktf";
import { afterAll, describe, expect, it } from "vitest";
import {
  buildHandlerBundle,
  DataPipeline,
  DEFAULT_SPARK_SUBMIT_PARAMETERS,
  ESBUILD_TARGET,
  handlerBundle,
  JOB_SCRIPT_PATH,
  LAMBDA_RUNTIME,
  notificationFilters,
  type DataPipelineProps,
} from "../modules/data-pipeline";
import { zipFiles } from "../src/lib/zip";
import { buildStartJobRunInput, loadConfig } from "../modules/data-pipeline/handler";
import { TEST_ACCOUNT, logicalIdOf, onlyResource, ref, resourcesOf, synthConstruct, testNaming, type SynthJson } from "./helpers";

const SECRET_ARN = `arn:aws:secretsmanager:us-east-1:${TEST_ACCOUNT}:secret:acme-test-db-AbCdEf`;
const DB_SG = "sg-0db0db0db0db0db00";

const base: DataPipelineProps = {
  naming: testNaming,
  region: "us-east-1",
  accountId: TEST_ACCOUNT,
  vpcId: "vpc-0123456789abcdef0",
  subnetIds: ["subnet-aaaa", "subnet-bbbb"],
  databaseSecurityGroupId: DB_SG,
  databaseHost: "acme-test.cluster-abc.us-east-1.rds.amazonaws.com",
  databaseName: "app",
  databaseSecretArn: SECRET_ARN,
  suffixes: [".csv", ".json"],
};

const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));
function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

function pipeline(overrides: Partial<DataPipelineProps> = {}) {
  return synthConstruct((stack) => new DataPipeline(stack, "pipeline", { ...base, ...overrides }));
}

/** Logical id of the bucket with this physical name. */
function bucketId(json: SynthJson, name: string): string {
  return logicalIdOf(json, "aws_s3_bucket", (b) => b.bucket === name);
}
function queueId(json: SynthJson, name: string): string {
  return logicalIdOf(json, "aws_sqs_queue", (q) => q.name === name);
}
function roleId(json: SynthJson, name: string): string {
  return logicalIdOf(json, "aws_iam_role", (r) => r.name === name);
}
const only = (json: SynthJson, type: string) => Object.keys(resourcesOf(json, type))[0];
function policyOf(json: SynthJson, roleLogicalId: string) {
  const policy = Object.values(resourcesOf(json, "aws_iam_role_policy")).find((p) => p.role === ref("aws_iam_role", roleLogicalId, "id"));
  if (!policy) throw new Error(`no inline policy on ${roleLogicalId}`);
  return JSON.parse(policy.policy);
}

const LANDING = `acme-test-ingest-landing-${TEST_ACCOUNT}`;
const ARTIFACTS = `acme-test-ingest-artifacts-${TEST_ACCOUNT}`;

describe("DataPipeline buckets", () => {
  it("hardens both buckets: public access blocked, ACLs disabled, encrypted, versioned, TLS-only", () => {
    const { json } = pipeline();
    for (const name of [LANDING, ARTIFACTS]) {
      const bucket = ref("aws_s3_bucket", bucketId(json, name), "id");
      const forBucket = (type: string) => Object.values(resourcesOf(json, type)).filter((r) => r.bucket === bucket);
      expect(forBucket("aws_s3_bucket_public_access_block"), name).toEqual([
        expect.objectContaining({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true }),
      ]);
      expect(forBucket("aws_s3_bucket_ownership_controls")[0].rule).toEqual({ object_ownership: "BucketOwnerEnforced" });
      expect(forBucket("aws_s3_bucket_server_side_encryption_configuration")[0].rule).toEqual([
        { apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } },
      ]);
      expect(forBucket("aws_s3_bucket_versioning")[0].versioning_configuration).toEqual({ status: "Enabled" });
      const policy = JSON.parse(forBucket("aws_s3_bucket_policy")[0].policy);
      expect(policy.Statement[0]).toMatchObject({ Sid: "DenyInsecureTransport", Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    }
  });

  it("expires landed objects under each prefix after landingExpiryDays (default 30) and aborts stale multipart uploads", () => {
    const lifecycle = (json: SynthJson) =>
      Object.values(resourcesOf(json, "aws_s3_bucket_lifecycle_configuration")).find(
        (l) => l.bucket === ref("aws_s3_bucket", bucketId(json, LANDING), "id"),
      )!.rule;
    expect(lifecycle(pipeline().json)).toEqual([
      expect.objectContaining({ id: "abort-incomplete-multipart-uploads", abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }] }),
      expect.objectContaining({ id: "expire-noncurrent-versions", noncurrent_version_expiration: [{ noncurrent_days: 7 }] }),
      expect.objectContaining({ id: "expire-landed-objects", filter: [{ prefix: "" }], expiration: [{ days: 30 }] }),
    ]);
    const rules = lifecycle(pipeline({ prefixes: ["incoming/", "partners/"], landingExpiryDays: 3 }).json);
    expect(rules.filter((r: any) => r.expiration)).toEqual([
      expect.objectContaining({ id: "expire-landed-objects-1", filter: [{ prefix: "incoming/" }], expiration: [{ days: 3 }] }),
      expect.objectContaining({ id: "expire-landed-objects-2", filter: [{ prefix: "partners/" }], expiration: [{ days: 3 }] }),
    ]);
  });

  it("expires job logs in the artifacts bucket after logRetentionDays", () => {
    const { json } = pipeline({ logRetentionDays: 90 });
    const rules = Object.values(resourcesOf(json, "aws_s3_bucket_lifecycle_configuration")).find(
      (l) => l.bucket === ref("aws_s3_bucket", bucketId(json, ARTIFACTS), "id"),
    )!.rule;
    expect(rules).toContainEqual(expect.objectContaining({ id: "expire-job-logs", filter: [{ prefix: "logs/" }], expiration: [{ days: 90 }] }));
  });
});

describe("DataPipeline notifications and queues", () => {
  it("sends ObjectCreated events to the queue with one filter per (prefix, suffix) pair, after the queue policy exists", () => {
    const { json } = pipeline({ prefixes: ["incoming/", "partners/"], suffixes: [".csv", ".json"] });
    const notification = onlyResource(json, "aws_s3_bucket_notification");
    const queueArn = ref("aws_sqs_queue", queueId(json, "acme-test-ingest"), "arn");
    expect(notification.bucket).toBe(ref("aws_s3_bucket", bucketId(json, LANDING), "id"));
    expect(notification.queue).toEqual([
      { id: "ingest-1", queue_arn: queueArn, events: ["s3:ObjectCreated:*"], filter_prefix: "incoming/", filter_suffix: ".csv" },
      { id: "ingest-2", queue_arn: queueArn, events: ["s3:ObjectCreated:*"], filter_prefix: "incoming/", filter_suffix: ".json" },
      { id: "ingest-3", queue_arn: queueArn, events: ["s3:ObjectCreated:*"], filter_prefix: "partners/", filter_suffix: ".csv" },
      { id: "ingest-4", queue_arn: queueArn, events: ["s3:ObjectCreated:*"], filter_prefix: "partners/", filter_suffix: ".json" },
    ]);
    const queuePolicy = logicalIdOf(json, "aws_sqs_queue_policy", (p) => p.queue_url === ref("aws_sqs_queue", queueId(json, "acme-test-ingest"), "url"));
    expect(notification.depends_on).toEqual([`aws_sqs_queue_policy.${queuePolicy}`]);
  });

  it("leaves the prefix filter out for the default whole-bucket prefix", () => {
    const queue = onlyResource(pipeline({ suffixes: [".csv"] }).json, "aws_s3_bucket_notification").queue;
    expect(queue).toHaveLength(1);
    expect(queue[0]).not.toHaveProperty("filter_prefix");
    expect(queue[0].filter_suffix).toBe(".csv");
  });

  it("lets only the landing bucket of this account send to the ingest queue, over TLS", () => {
    const { json } = pipeline();
    const queue = queueId(json, "acme-test-ingest");
    const policy = Object.values(resourcesOf(json, "aws_sqs_queue_policy")).find((p) => p.queue_url === ref("aws_sqs_queue", queue, "url"))!;
    expect(JSON.parse(policy.policy).Statement).toEqual([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "sqs:*",
        Resource: ref("aws_sqs_queue", queue, "arn"),
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
      {
        Sid: "AllowLandingBucketNotifications",
        Effect: "Allow",
        Principal: { Service: "s3.amazonaws.com" },
        Action: "sqs:SendMessage",
        Resource: ref("aws_sqs_queue", queue, "arn"),
        Condition: {
          ArnLike: { "aws:SourceArn": ref("aws_s3_bucket", bucketId(json, LANDING), "arn") },
          StringEquals: { "aws:SourceAccount": TEST_ACCOUNT },
        },
      },
    ]);
  });

  it("encrypts both queues, redrives to the DLQ after maxReceiveCount (default 5) and lets only the ingest queue redrive into it", () => {
    const { synth, json } = pipeline();
    const queue = queueId(json, "acme-test-ingest");
    const dlq = queueId(json, "acme-test-ingest-dlq");
    expect(synth).toHaveResourceWithProperties(SqsQueue, { name: "acme-test-ingest-dlq", sqs_managed_sse_enabled: true, message_retention_seconds: 1209600 });
    const ingest = resourcesOf(json, "aws_sqs_queue")[queue];
    expect(ingest.sqs_managed_sse_enabled).toBe(true);
    expect(JSON.parse(ingest.redrive_policy)).toEqual({ deadLetterTargetArn: ref("aws_sqs_queue", dlq, "arn"), maxReceiveCount: 5 });
    expect(JSON.parse(pipeline({ maxReceiveCount: 3 }).json.resource.aws_sqs_queue[queue].redrive_policy).maxReceiveCount).toBe(3);

    const allow = onlyResource(json, "aws_sqs_queue_redrive_allow_policy");
    expect(allow.queue_url).toBe(ref("aws_sqs_queue", dlq, "url"));
    expect(JSON.parse(allow.redrive_allow_policy)).toEqual({ redrivePermission: "byQueue", sourceQueueArns: [ref("aws_sqs_queue", queue, "arn")] });
    const dlqPolicy = Object.values(resourcesOf(json, "aws_sqs_queue_policy")).find((p) => p.queue_url === ref("aws_sqs_queue", dlq, "url"))!;
    expect(JSON.parse(dlqPolicy.policy).Statement).toEqual([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "sqs:*",
        Resource: ref("aws_sqs_queue", dlq, "arn"),
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });

  it("sets the visibility timeout to 6 x the Lambda timeout plus the batching window unless told otherwise", () => {
    const timeoutOf = (json: SynthJson) => resourcesOf(json, "aws_sqs_queue")[queueId(json, "acme-test-ingest")].visibility_timeout_seconds;
    expect(timeoutOf(pipeline().json)).toBe(6 * 60 + 5);
    expect(timeoutOf(pipeline({ lambdaTimeoutSeconds: 120, maxBatchingWindowSeconds: 20 }).json)).toBe(740);
    expect(timeoutOf(pipeline({ visibilityTimeoutSeconds: 900 }).json)).toBe(900);
  });
});

describe("DataPipeline Lambda", () => {
  it("runs the bundled handler on the current Node.js runtime with tracing and reserved concurrency", () => {
    const { synth, json } = pipeline();
    expect(synth).toHaveResourceWithProperties(LambdaFunction, {
      function_name: "acme-test-ingest",
      handler: "index.handler",
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      memory_size: 256,
      timeout: 60,
      reserved_concurrent_executions: 5,
      tracing_config: { mode: "Active" },
      role: ref("aws_iam_role", roleId(json, "acme-test-ingest-lambda"), "arn"),
    });
    expect(pipeline({ reservedConcurrency: 20, lambdaMemoryMb: 512, lambdaTimeoutSeconds: 30 }).synth).toHaveResourceWithProperties(LambdaFunction, {
      reserved_concurrent_executions: 20,
      memory_size: 512,
      timeout: 30,
    });
  });

  it("writes to its own log group, created first with the configured retention", () => {
    const { synth, json } = pipeline({ logRetentionDays: 30 });
    expect(synth).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "/aws/lambda/acme-test-ingest", retention_in_days: 30 });
    const fn = onlyResource(json, "aws_lambda_function");
    expect(fn.depends_on).toContain(`aws_cloudwatch_log_group.${only(json, "aws_cloudwatch_log_group")}`);
    expect(fn.depends_on).toContain(`aws_iam_role_policy.${logicalIdOf(json, "aws_iam_role_policy", (p) => p.name === "ingest-lambda")}`);
  });

  it("points every environment variable at the resource it names", () => {
    const { json } = pipeline({ databasePort: 6432, sparkSubmitParameters: "--conf spark.executor.cores=2" });
    const env = onlyResource(json, "aws_lambda_function").environment.variables;
    const app = only(json, "aws_emrserverless_application");
    const script = only(json, "aws_s3_object");
    expect(env).toEqual({
      EMR_APPLICATION_ID: ref("aws_emrserverless_application", app, "id"),
      EMR_EXECUTION_ROLE_ARN: ref("aws_iam_role", roleId(json, "acme-test-ingest-job"), "arn"),
      JOB_SCRIPT_URI: `s3://${ref("aws_s3_bucket", bucketId(json, ARTIFACTS), "id")}/${ref("aws_s3_object", script, "key")}`,
      KEY_SUFFIXES: ".csv,.json",
      DB_HOST: base.databaseHost,
      DB_PORT: "6432",
      DB_NAME: "app",
      DB_SECRET_ARN: SECRET_ARN,
      EMR_LOG_URI: `s3://${ref("aws_s3_bucket", bucketId(json, ARTIFACTS), "id")}/logs/`,
      SPARK_SUBMIT_PARAMETERS: "--conf spark.executor.cores=2",
    });
    expect(onlyResource(pipeline().json, "aws_lambda_function").environment.variables.SPARK_SUBMIT_PARAMETERS).toBe(DEFAULT_SPARK_SUBMIT_PARAMETERS);
  });

  it("gives the handler an environment its own config loader accepts once Terraform fills in the references", () => {
    const { json } = pipeline();
    const deployed: Record<string, string> = {};
    for (const [name, value] of Object.entries(onlyResource(json, "aws_lambda_function").environment.variables as Record<string, string>)) {
      deployed[name] = value
        .replace(/\$\{aws_emrserverless_application\.[^}]+\.id\}/, "00fabc123def4567")
        .replace(/\$\{aws_iam_role\.[^}]+\.arn\}/, `arn:aws:iam::${TEST_ACCOUNT}:role/acme-test-ingest-job`)
        .replace(/\$\{aws_s3_bucket\.[^}]+\.id\}/, ARTIFACTS)
        .replace(/\$\{aws_s3_object\.[^}]+\.key\}/, "jobs/ingest.py");
    }
    expect(loadConfig(deployed)).toEqual({
      emrApplicationId: "00fabc123def4567",
      emrExecutionRoleArn: `arn:aws:iam::${TEST_ACCOUNT}:role/acme-test-ingest-job`,
      jobScriptUri: `s3://${ARTIFACTS}/jobs/ingest.py`,
      keySuffixes: [".csv", ".json"],
      dbHost: base.databaseHost,
      dbPort: 5432,
      dbName: "app",
      dbSecretArn: SECRET_ARN,
      emrLogUri: `s3://${ARTIFACTS}/logs/`,
      sparkSubmitParameters: DEFAULT_SPARK_SUBMIT_PARAMETERS,
    });
  });

  it("ships the bundle as a zip package whose source_code_hash is the package's base64 SHA-256 (Lambda's CodeSha256)", () => {
    const { json } = pipeline();
    const fn = onlyResource(json, "aws_lambda_function");
    const bundle = handlerBundle();
    const zip = readFileSync(bundle.packagePath);
    expect(fn.source_code_hash).toBe(createHash("sha256").update(zip).digest("base64"));
    expect(fn.filename).toMatch(new RegExp(`^assets/[^/]+/${bundle.sha256}/function\\.zip$`));
    const code = readFileSync(join(bundle.directory, "index.js"));
    expect(bundle.sha256).toBe(createHash("sha256").update(code).digest("hex"));
    // The package holds exactly the bundle as index.js.
    expect(zip.equals(zipFiles([{ name: "index.js", data: code }]))).toBe(true);
  });

  it("bundles deterministically: two independent builds give the same bytes and hash, with no machine paths", () => {
    const first = buildHandlerBundle(scratchDir("bundle-a-"));
    const second = buildHandlerBundle(scratchDir("bundle-b-"));
    expect(second.sha256).toBe(first.sha256);
    expect(first.sha256).toBe(handlerBundle().sha256);
    const code = readFileSync(join(first.directory, "index.js"), "utf8");
    expect(readFileSync(join(second.directory, "index.js"), "utf8")).toBe(code);
    expect(readdirSync(first.directory).sort()).toEqual(["function.zip", "index.js"]);
    expect(readFileSync(second.packagePath).equals(readFileSync(first.packagePath))).toBe(true);
    expect(code).not.toContain(resolve(__dirname, ".."));
    expect(code).not.toContain("sourceMappingURL");
    expect(statSync(join(first.directory, "index.js")).mtime.toISOString()).toBe("2000-01-01T00:00:00.000Z");
  });

  it("bundles a self-contained CommonJS module exporting the handler, built for the runtime's Node.js version", () => {
    expect(ESBUILD_TARGET).toBe(LAMBDA_RUNTIME.replace(/^nodejs(\d+)\.x$/, "node$1"));
    const { directory } = handlerBundle();
    // Loading it from a folder with no node_modules proves every dependency is inside.
    const loaded = spawnSync(
      process.execPath,
      ["-e", `const m = require(${JSON.stringify(join(directory, "index.js"))}); process.stdout.write(typeof m.handler)`],
      { cwd: directory, encoding: "utf8", env: { PATH: process.env.PATH ?? "" } },
    );
    expect(loaded.stderr).toBe("");
    expect(loaded.stdout).toBe("function");
  });

  it("writes a byte-identical asset zip on every synth", () => {
    const synthAssets = () => {
      const outdir = scratchDir("pipeline-synth-");
      const app = new App({ outdir });
      const stack = new TerraformStack(app, "pipeline");
      new AwsProvider(stack, "aws", { region: "us-east-1" });
      new DataPipeline(stack, "pipeline", base);
      app.synth();
      const assets = join(outdir, "stacks", "pipeline", "assets");
      const files: Record<string, Buffer> = {};
      const walk = (dir: string) =>
        readdirSync(dir).forEach((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : (files[join(dir, f).slice(assets.length)] = readFileSync(join(dir, f)))));
      walk(assets);
      return files;
    };
    const first = synthAssets();
    const second = synthAssets();
    const zips = Object.keys(first).filter((f) => f.endsWith(".zip"));
    expect(zips).toEqual([expect.stringContaining(`/${handlerBundle().sha256}/function.zip`)]);
    expect(Object.keys(second)).toEqual(Object.keys(first));
    for (const [path, bytes] of Object.entries(first)) {
      expect(second[path].equals(bytes), path).toBe(true);
    }
  });

  it("consumes the queue in batches with partial failures, bounded by the reserved concurrency", () => {
    const { synth, json } = pipeline();
    expect(synth).toHaveResourceWithProperties(LambdaEventSourceMapping, {
      event_source_arn: ref("aws_sqs_queue", queueId(json, "acme-test-ingest"), "arn"),
      function_name: ref("aws_lambda_function", only(json, "aws_lambda_function"), "arn"),
      batch_size: 10,
      maximum_batching_window_in_seconds: 5,
      function_response_types: ["ReportBatchItemFailures"],
      scaling_config: { maximum_concurrency: 5 },
    });
    expect(onlyResource(json, "aws_lambda_event_source_mapping").depends_on).toEqual([
      `aws_iam_role_policy.${logicalIdOf(json, "aws_iam_role_policy", (p) => p.name === "ingest-lambda")}`,
    ]);
    expect(pipeline({ batchSize: 500, maxBatchingWindowSeconds: 30, reservedConcurrency: 10, maxConcurrency: 4 }).synth).toHaveResourceWithProperties(
      LambdaEventSourceMapping,
      { batch_size: 500, maximum_batching_window_in_seconds: 30, scaling_config: { maximum_concurrency: 4 } },
    );
  });
});

describe("DataPipeline EMR Serverless", () => {
  it("creates a pinned Spark application that starts on demand, stops when idle and is capped", () => {
    const { synth, json } = pipeline();
    expect(synth).toHaveResourceWithProperties(EmrserverlessApplication, {
      name: "acme-test-ingest",
      type: "spark",
      release_label: "emr-7.5.0",
      auto_start_configuration: { enabled: true },
      auto_stop_configuration: { enabled: true, idle_timeout_minutes: 15 },
      maximum_capacity: { cpu: "16 vCPU", memory: "64 GB" },
      network_configuration: {
        subnet_ids: ["subnet-aaaa", "subnet-bbbb"],
        security_group_ids: [ref("aws_security_group", only(json, "aws_security_group"), "id")],
      },
    });
    expect(
      pipeline({ releaseLabel: "emr-7.2.0", autoStopIdleMinutes: 5, maxCapacity: { cpu: "8 vCPU", memory: "32 GB", disk: "200 GB" } }).synth,
    ).toHaveResourceWithProperties(EmrserverlessApplication, {
      release_label: "emr-7.2.0",
      auto_stop_configuration: { enabled: true, idle_timeout_minutes: 5 },
      maximum_capacity: { cpu: "8 vCPU", memory: "32 GB", disk: "200 GB" },
    });
  });

  it("lets the workers out only on HTTPS and on the database port to the database security group", () => {
    const { json } = pipeline({ databasePort: 6432 });
    const sg = only(json, "aws_security_group");
    expect(resourcesOf(json, "aws_security_group")[sg]).toMatchObject({ name: "acme-test-ingest-emr", vpc_id: base.vpcId });
    expect(resourcesOf(json, "aws_security_group")[sg].ingress ?? []).toEqual([]);
    expect(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).toEqual({});
    const egress = Object.values(resourcesOf(json, "aws_vpc_security_group_egress_rule"));
    expect(egress).toHaveLength(2);
    for (const rule of egress) expect(rule.security_group_id).toBe(ref("aws_security_group", sg, "id"));
    expect(egress).toContainEqual(expect.objectContaining({ ip_protocol: "tcp", from_port: 443, to_port: 443, cidr_ipv4: "0.0.0.0/0" }));
    const db = egress.find((r) => r.from_port === 6432)!;
    expect(db).toMatchObject({ ip_protocol: "tcp", to_port: 6432, referenced_security_group_id: DB_SG });
    expect(db).not.toHaveProperty("cidr_ipv4");
  });
});

describe("DataPipeline IAM", () => {
  it("job role: trusted by EMR Serverless for this application only", () => {
    const { json } = pipeline();
    const role = resourcesOf(json, "aws_iam_role")[roleId(json, "acme-test-ingest-job")];
    const app = only(json, "aws_emrserverless_application");
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "emr-serverless.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": TEST_ACCOUNT },
          ArnLike: { "aws:SourceArn": `${ref("aws_emrserverless_application", app, "arn")}*` },
        },
      },
    ]);
  });

  it("job role: reads landed objects under the prefixes, the job artifacts and the secret; writes only job logs", () => {
    const { json } = pipeline({ prefixes: ["incoming/", "partners/"] });
    const landing = ref("aws_s3_bucket", bucketId(json, LANDING), "arn");
    const artifacts = ref("aws_s3_bucket", bucketId(json, ARTIFACTS), "arn");
    expect(policyOf(json, roleId(json, "acme-test-ingest-job")).Statement).toEqual([
      { Sid: "ReadLandedObjects", Effect: "Allow", Action: "s3:GetObject", Resource: [`${landing}/incoming/*`, `${landing}/partners/*`] },
      {
        Sid: "ListLandedObjects",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: landing,
        Condition: { StringLike: { "s3:prefix": ["incoming/*", "partners/*"] } },
      },
      { Sid: "ReadJobArtifacts", Effect: "Allow", Action: "s3:GetObject", Resource: [`${artifacts}/jobs/ingest.py`, `${artifacts}/jars/*`] },
      { Sid: "WriteJobLogs", Effect: "Allow", Action: "s3:PutObject", Resource: `${artifacts}/logs/*` },
      { Sid: "ReadDatabaseSecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: SECRET_ARN },
    ]);
  });

  it("job role: the whole landing bucket for the default prefix, and kms:Decrypt only through Secrets Manager when the secret has its own key", () => {
    const key = `arn:aws:kms:us-east-1:${TEST_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
    const { json } = pipeline({ databaseSecretKmsKeyArn: key });
    const landing = ref("aws_s3_bucket", bucketId(json, LANDING), "arn");
    const statements = policyOf(json, roleId(json, "acme-test-ingest-job")).Statement;
    expect(statements[0]).toEqual({ Sid: "ReadLandedObjects", Effect: "Allow", Action: "s3:GetObject", Resource: `${landing}/*` });
    expect(statements[1]).toEqual({ Sid: "ListLandedObjects", Effect: "Allow", Action: "s3:ListBucket", Resource: landing });
    expect(statements.at(-1)).toEqual({
      Sid: "DecryptDatabaseSecret",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: key,
      Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } },
    });
    expect(JSON.stringify(statements)).not.toMatch(/glue:|cloudwatch:|logs:/);
  });

  it("Lambda role: trusted by Lambda for this function, limited to its logs, its queue, one application and one role", () => {
    const { json } = pipeline();
    const role = roleId(json, "acme-test-ingest-lambda");
    expect(JSON.parse(resourcesOf(json, "aws_iam_role")[role].assume_role_policy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "lambda.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": TEST_ACCOUNT },
        },
      },
    ]);
    expect(policyOf(json, role).Statement).toEqual([
      {
        Sid: "WriteLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${ref("aws_cloudwatch_log_group", only(json, "aws_cloudwatch_log_group"), "arn")}:*`,
      },
      {
        Sid: "ConsumeIngestQueue",
        Effect: "Allow",
        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        Resource: ref("aws_sqs_queue", queueId(json, "acme-test-ingest"), "arn"),
      },
      {
        Sid: "StartJobRuns",
        Effect: "Allow",
        Action: "emr-serverless:StartJobRun",
        Resource: ref("aws_emrserverless_application", only(json, "aws_emrserverless_application"), "arn"),
      },
      {
        Sid: "PassJobRole",
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: ref("aws_iam_role", roleId(json, "acme-test-ingest-job"), "arn"),
        Condition: { StringEquals: { "iam:PassedToService": "emr-serverless.amazonaws.com" } },
      },
      { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
    ]);
  });

  it("grants no wildcard action anywhere and a wildcard resource only for X-Ray", () => {
    const { json } = pipeline();
    for (const policy of Object.values(resourcesOf(json, "aws_iam_role_policy"))) {
      for (const statement of JSON.parse(policy.policy).Statement) {
        for (const action of [statement.Action].flat()) expect(action).not.toContain("*");
        if ([statement.Resource].flat().includes("*")) expect(statement.Sid).toBe("WriteTraces");
      }
    }
  });
});

describe("DataPipeline job script", () => {
  const python = spawnSync("python3", ["--version"], { encoding: "utf8" });
  const hasPython = !python.error && python.status === 0;
  if (!hasPython) {
    console.warn("data-pipeline: python3 not found, skipping the ingest.py syntax and argument checks");
  }

  it("uploads jobs/ingest.py to the artifacts bucket with the file's MD5 as etag", () => {
    const { synth, json } = pipeline();
    const md5 = createHash("md5").update(readFileSync(JOB_SCRIPT_PATH)).digest("hex");
    expect(synth).toHaveResourceWithProperties(S3Object, {
      bucket: ref("aws_s3_bucket", bucketId(json, ARTIFACTS), "id"),
      key: "jobs/ingest.py",
      etag: md5,
    });
    expect(onlyResource(json, "aws_s3_object").source).toMatch(new RegExp(`^assets/[^/]+/${md5}/ingest\\.py$`));
  });

  it.skipIf(!hasPython)("is valid Python (python3 -m py_compile)", () => {
    const result = spawnSync("python3", ["-m", "py_compile", JOB_SCRIPT_PATH], {
      encoding: "utf8",
      env: { ...process.env, PYTHONPYCACHEPREFIX: scratchDir("pycache-") },
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it.skipIf(!hasPython)("parses exactly the arguments the handler passes and derives the table from the key's folder", () => {
    const input = buildStartJobRunInput(
      {
        emrApplicationId: "00fabc123def4567",
        emrExecutionRoleArn: `arn:aws:iam::${TEST_ACCOUNT}:role/r`,
        jobScriptUri: `s3://${ARTIFACTS}/jobs/ingest.py`,
        keySuffixes: [".csv"],
        dbHost: "db.example.internal",
        dbPort: 5432,
        dbName: "app",
        dbSecretArn: SECRET_ARN,
      },
      { eventName: "ObjectCreated:Put", bucket: "landing", key: "incoming/Orders 2024/part-1.csv", versionId: "v1" },
    );
    const args = input.jobDriver!.sparkSubmit!.entryPointArguments!;
    // boto3 and pyspark are stubbed: only the script's own logic runs.
    const program = `
import importlib.util, json, sys, types
sys.modules["boto3"] = types.ModuleType("boto3")
sql = types.ModuleType("pyspark.sql"); sql.SparkSession = None
sys.modules["pyspark"] = types.ModuleType("pyspark"); sys.modules["pyspark.sql"] = sql
spec = importlib.util.spec_from_file_location("ingest", sys.argv[1]); job = importlib.util.module_from_spec(spec); spec.loader.exec_module(job)
args = job.parse_args(json.loads(sys.argv[2]))
print(json.dumps({"args": vars(args), "table": job.table_for(args.key), "format": job.file_format(args.key),
  "root": job.table_for("2024-sales.json"), "gz": job.file_format("a/b.jsonl.gz"), "forced": job.parse_args(json.loads(sys.argv[2]) + ["--table", "t"]).table}))
`;
    const result = spawnSync("python3", ["-c", program, JOB_SCRIPT_PATH, JSON.stringify(args)], {
      encoding: "utf8",
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    });
    expect(result.stderr).toBe("");
    expect(JSON.parse(result.stdout)).toEqual({
      args: {
        bucket: "landing",
        key: "incoming/Orders 2024/part-1.csv",
        db_host: "db.example.internal",
        db_port: 5432,
        db_name: "app",
        db_secret_arn: SECRET_ARN,
        table: null,
      },
      table: "orders_2024",
      format: "csv",
      root: "t_2024_sales",
      gz: "json",
      forced: "t",
    });
  });
});

describe("DataPipeline outputs", () => {
  it("exposes each monitoring hook as a reference to the right attribute", () => {
    const { json } = synthConstruct((stack) => {
      const p = new DataPipeline(stack, "pipeline", base);
      const fields = [
        "landingBucketName", "landingBucketArn", "artifactsBucketName", "ingestQueueUrl", "ingestQueueArn", "ingestQueueName",
        "deadLetterQueueArn", "deadLetterQueueName", "deadLetterQueueUrl", "functionName", "functionArn", "applicationId",
        "applicationArn", "jobRoleArn", "securityGroupId",
      ] as const;
      for (const field of fields) new TerraformOutput(stack, field, { value: p[field] });
    });
    const value = (name: string) => json.output![name].value;
    const queue = queueId(json, "acme-test-ingest");
    const dlq = queueId(json, "acme-test-ingest-dlq");
    const app = only(json, "aws_emrserverless_application");
    expect({
      landingBucketName: value("landingBucketName"),
      landingBucketArn: value("landingBucketArn"),
      artifactsBucketName: value("artifactsBucketName"),
      ingestQueueUrl: value("ingestQueueUrl"),
      ingestQueueArn: value("ingestQueueArn"),
      ingestQueueName: value("ingestQueueName"),
      deadLetterQueueArn: value("deadLetterQueueArn"),
      deadLetterQueueName: value("deadLetterQueueName"),
      deadLetterQueueUrl: value("deadLetterQueueUrl"),
      functionName: value("functionName"),
      functionArn: value("functionArn"),
      applicationId: value("applicationId"),
      applicationArn: value("applicationArn"),
      jobRoleArn: value("jobRoleArn"),
      securityGroupId: value("securityGroupId"),
    }).toEqual({
      landingBucketName: ref("aws_s3_bucket", bucketId(json, LANDING), "id"),
      landingBucketArn: ref("aws_s3_bucket", bucketId(json, LANDING), "arn"),
      artifactsBucketName: ref("aws_s3_bucket", bucketId(json, ARTIFACTS), "id"),
      ingestQueueUrl: ref("aws_sqs_queue", queue, "url"),
      ingestQueueArn: ref("aws_sqs_queue", queue, "arn"),
      ingestQueueName: ref("aws_sqs_queue", queue, "name"),
      deadLetterQueueArn: ref("aws_sqs_queue", dlq, "arn"),
      deadLetterQueueName: ref("aws_sqs_queue", dlq, "name"),
      deadLetterQueueUrl: ref("aws_sqs_queue", dlq, "url"),
      functionName: ref("aws_lambda_function", only(json, "aws_lambda_function"), "function_name"),
      functionArn: ref("aws_lambda_function", only(json, "aws_lambda_function"), "arn"),
      applicationId: ref("aws_emrserverless_application", app, "id"),
      applicationArn: ref("aws_emrserverless_application", app, "arn"),
      jobRoleArn: ref("aws_iam_role", roleId(json, "acme-test-ingest-job"), "arn"),
      securityGroupId: ref("aws_security_group", only(json, "aws_security_group"), "id"),
    });
  });

  it("derives every physical name from the naming context and component", () => {
    const { json } = pipeline({ component: "events" });
    expect(Object.values(resourcesOf(json, "aws_s3_bucket")).map((b) => b.bucket).sort()).toEqual(
      [`acme-test-events-artifacts-${TEST_ACCOUNT}`, `acme-test-events-landing-${TEST_ACCOUNT}`],
    );
    expect(Object.values(resourcesOf(json, "aws_sqs_queue")).map((q) => q.name).sort()).toEqual(["acme-test-events", "acme-test-events-dlq"]);
    expect(Object.values(resourcesOf(json, "aws_iam_role")).map((r) => r.name).sort()).toEqual(["acme-test-events-job", "acme-test-events-lambda"]);
    expect(onlyResource(json, "aws_lambda_function").function_name).toBe("acme-test-events");
    expect(onlyResource(json, "aws_emrserverless_application").name).toBe("acme-test-events");
  });
});

describe("DataPipeline refuses invalid props", () => {
  it.each<[string, Partial<DataPipelineProps>, RegExp]>([
    ["batch size 0", { batchSize: 0 }, /batchSize must be a whole number from 1 to 10000, got 0/],
    ["batch size 10001", { batchSize: 10001 }, /batchSize must be a whole number from 1 to 10000, got 10001/],
    ["batch size > 10 without a batching window", { batchSize: 50, maxBatchingWindowSeconds: 0 }, /batchSize 50 needs maxBatchingWindowSeconds of at least 1/],
    ["batching window 301", { maxBatchingWindowSeconds: 301 }, /maxBatchingWindowSeconds must be a whole number from 0 to 300/],
    ["capacity \"4 cpus\"", { maxCapacity: { cpu: "4 cpus", memory: "16 GB" } }, /maxCapacity\.cpu must look like "16 vCPU".*got "4 cpus"/],
    ["memory without a space", { maxCapacity: { cpu: "4 vCPU", memory: "16GB" } }, /maxCapacity\.memory must look like "64 GB".*got "16GB"/],
    ["disk in TB", { maxCapacity: { cpu: "4 vCPU", memory: "16 GB", disk: "1 TB" } }, /maxCapacity\.disk must look like "200 GB"/],
    ["no suffixes", { suffixes: [] }, /suffixes must list at least one suffix/],
    ["an empty suffix", { suffixes: [".csv", ""] }, /suffix "" must be a non-empty literal key suffix/],
    ["a comma in a suffix", { suffixes: [".csv,.json"] }, /suffix ".csv,.json" must be a non-empty literal/],
    ["nested prefixes", { prefixes: ["incoming/", "incoming/2024/"] }, /prefixes "incoming\/" and "incoming\/2024\/" overlap/],
    ["the whole bucket and a prefix", { prefixes: ["", "incoming/"] }, /prefixes "" and "incoming\/" overlap/],
    ["overlapping suffixes", { suffixes: [".csv", "orders.csv"] }, /suffixes "\.csv" and "orders\.csv" overlap/],
    ["duplicate suffixes", { suffixes: [".csv", ".csv"] }, /suffixes "\.csv" and "\.csv" overlap/],
    ["a wildcard prefix", { prefixes: ["incoming/*"] }, /prefix "incoming\/\*" must be a literal key prefix/],
    ["visibility timeout too short", { visibilityTimeoutSeconds: 300 }, /visibilityTimeoutSeconds 300 is too short: at least 6 x lambdaTimeoutSeconds \(60\) \+ maxBatchingWindowSeconds \(5\) = 365/],
    ["visibility timeout too short for a longer Lambda", { lambdaTimeoutSeconds: 300, visibilityTimeoutSeconds: 1200 }, /= 1805/],
    ["max concurrency above reserved", { reservedConcurrency: 5, maxConcurrency: 10 }, /maxConcurrency 10 is above reservedConcurrency 5/],
    ["reserved concurrency 1", { reservedConcurrency: 1 }, /reservedConcurrency must be a whole number from 2 to 1000, got 1/],
    ["a Lambda timeout over 15 minutes", { lambdaTimeoutSeconds: 901 }, /lambdaTimeoutSeconds must be a whole number from 1 to 900/],
    ["an unpinned release", { releaseLabel: "latest" }, /releaseLabel must be a pinned EMR release such as "emr-7\.5\.0", got "latest"/],
    ["a retention CloudWatch lacks", { logRetentionDays: 42 }, /logRetentionDays must be one of CloudWatch's retention periods/],
    ["no subnets", { subnetIds: [] }, /subnetIds must list at least one private subnet/],
    ["an idle timeout of 0", { autoStopIdleMinutes: 0 }, /autoStopIdleMinutes must be a whole number from 1 to 10080, got 0/],
    ["a missing secret", { databaseSecretArn: "" }, /databaseSecretArn is required/],
    ["a subnet in a zone EMR Serverless does not run in", { subnetIds: ["subnet-aaaa", "subnet-bbbb", "subnet-cccc"], subnetZones: ["use1-az1", "use1-az3", "use1-az4"] }, /subnetZones: EMR Serverless does not run in use1-az3 \(us-east-1\); leave those subnets out/],
    ["one supported zone", { subnetIds: ["subnet-aaaa"], subnetZones: ["use1-az1"] }, /subnetZones: EMR Serverless needs at least 2 zones it supports/],
    ["zone names in a region where EMR Serverless is limited", { subnetZones: ["us-east-1a", "us-east-1b"] }, /subnetZones: EMR Serverless runs only in zones use1-az1, use1-az2, use1-az4, use1-az5, use1-az6 of us-east-1/],
    ["zones not matching the subnets", { subnetZones: ["use1-az1"] }, /subnetZones lists 1 zones for 2 subnetIds/],
  ])("refuses %s", (_, overrides, message) => {
    expect(() => pipeline(overrides)).toThrow(message);
    expect(() => pipeline(overrides)).toThrow(/^DataPipeline: /);
  });

  it("accepts subnets in zones EMR Serverless runs in, and zone names where it runs everywhere", () => {
    expect(() => pipeline({ subnetZones: ["use1-az1", "use1-az6"] })).not.toThrow();
    expect(() => pipeline({ region: "eu-west-1", subnetZones: ["eu-west-1a", "eu-west-1b"] })).not.toThrow();
  });

  it("accepts the boundary values", () => {
    expect(() => pipeline({ batchSize: 10000, maxBatchingWindowSeconds: 1 })).not.toThrow();
    expect(() => pipeline({ batchSize: 10, maxBatchingWindowSeconds: 0 })).not.toThrow();
    expect(() => pipeline({ visibilityTimeoutSeconds: 365 })).not.toThrow();
    expect(() => pipeline({ reservedConcurrency: 2, maxConcurrency: 2 })).not.toThrow();
  });
});

describe("notificationFilters", () => {
  it("pairs every prefix with every suffix", () => {
    expect(notificationFilters(["a/", "b/"], [".csv", ".json"])).toEqual([
      { prefix: "a/", suffix: ".csv" },
      { prefix: "a/", suffix: ".json" },
      { prefix: "b/", suffix: ".csv" },
      { prefix: "b/", suffix: ".json" },
    ]);
  });

  it("accepts sibling prefixes that share leading characters but do not nest", () => {
    expect(notificationFilters(["in/", "inbox/"], [".csv"])).toHaveLength(2);
    expect(() => notificationFilters(["in", "inbox/"], [".csv"])).toThrow(/prefixes "in" and "inbox\/" overlap/);
  });
});

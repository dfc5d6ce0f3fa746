import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EmrserverlessApplication } from "@cdktf/provider-aws/lib/emrserverless-application";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { S3BucketNotification, type S3BucketNotificationQueue } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { S3Object } from "@cdktf/provider-aws/lib/s3-object";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { SqsQueueRedriveAllowPolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { AssetType, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import { LOG_RETENTION_DAYS } from "../../src/lib/logs";
import { denyInsecureQueueTransport, policyDocument, type PolicyStatement, serviceTrustPolicy } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";
import { REPO_ROOT } from "../../src/lib/paths";
import { SecureBucket } from "../s3-bucket";
import { handlerBundle, LAMBDA_RUNTIME } from "./bundle";
import { emrServerlessSupportsZone, emrServerlessZonesProblem } from "./zones";

export { buildHandlerBundle, handlerBundle, LAMBDA_RUNTIME, ESBUILD_TARGET, type LambdaBundle } from "./bundle";
export * from "./zones";

/** The reference Spark job shipped with the module. */
export const JOB_SCRIPT_PATH = join(REPO_ROOT, "modules", "data-pipeline", "job", "ingest.py");
/** Key of the job script in the artifacts bucket. */
export const JOB_SCRIPT_KEY = "jobs/ingest.py";
/** Prefix of the artifacts bucket the job role may read extra jars from. */
export const JARS_PREFIX = "jars/";
/** Prefix of the artifacts bucket EMR Serverless writes job logs to. */
export const JOB_LOGS_PREFIX = "logs/";
/** The pinned default EMR release (Spark 3.5). */
export const DEFAULT_EMR_RELEASE_LABEL = "emr-7.5.0";
/** Default Spark settings: fetch the PostgreSQL JDBC driver from Maven Central (through the NAT gateway). */
export const DEFAULT_SPARK_SUBMIT_PARAMETERS = "--conf spark.jars.packages=org.postgresql:postgresql:42.7.4";
/** SQS keeps messages at most 14 days; the DLQ keeps them that long. */
const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;
/** The ingest queue keeps messages 4 days (shorter than the DLQ, which keeps the original enqueue time). */
const QUEUE_RETENTION_SECONDS = 4 * 24 * 3600;
/** SQS's largest visibility timeout (12 hours). */
const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;

/** Upper bounds of the application's total capacity, in EMR Serverless notation. */
export interface EmrCapacity {
  /** Total vCPUs, e.g. `"16 vCPU"`. */
  readonly cpu: string;
  /** Total memory, e.g. `"64 GB"`. */
  readonly memory: string;
  /** Total disk, e.g. `"200 GB"`. @default EMR Serverless's default */
  readonly disk?: string;
}

export interface DataPipelineProps {
  readonly naming: NameContext;
  readonly region: string;
  readonly accountId: string;
  /** VPC the Spark workers run in. */
  readonly vpcId: string;
  /** Private subnets for the Spark workers (they need a route to S3 and, for the default driver download, to the internet). */
  readonly subnetIds: readonly string[];
  /**
   * The zone (name or zone ID) of each subnet in `subnetIds`, in the same order. Given, the module
   * refuses a subnet in a zone EMR Serverless does not run in, and fewer than 2 zones it runs in
   * (see `EMR_SERVERLESS_ZONE_IDS`).
   * @default not checked
   */
  readonly subnetZones?: readonly string[];
  /** Security group of the database: the workers' only egress besides HTTPS. */
  readonly databaseSecurityGroupId: string;
  /** Writer endpoint of the Aurora PostgreSQL cluster. */
  readonly databaseHost: string;
  /** Database port. @default 5432 */
  readonly databasePort?: number;
  /** Database the job writes to. */
  readonly databaseName: string;
  /** Secrets Manager secret holding `username` and `password` (the RDS-managed master secret works). */
  readonly databaseSecretArn: string;
  /** Customer-managed KMS key encrypting the secret. @default none (AWS-managed key, no grant needed) */
  readonly databaseSecretKmsKeyArn?: string;
  /** Name component: resources are `<project>-<env>-<component>...`. @default "ingest" */
  readonly component?: string;
  /**
   * Key prefixes that start an ingestion; `""` is the whole bucket. Must not overlap (S3 refuses
   * overlapping notification filters). @default [""]
   */
  readonly prefixes?: readonly string[];
  /** Key suffixes that start an ingestion, e.g. `[".csv", ".json"]`; at least one, none overlapping. */
  readonly suffixes: readonly string[];
  /** Days after which landed objects expire (under the configured prefixes). @default 30 */
  readonly landingExpiryDays?: number;
  /** Retention of the Lambda log group and of the EMR job logs in S3, in days (a CloudWatch value). @default 365 */
  readonly logRetentionDays?: number;
  /** Receives before a message moves to the dead-letter queue. @default 5 */
  readonly maxReceiveCount?: number;
  /**
   * Visibility timeout of the ingest queue; at least 6 x `lambdaTimeoutSeconds` + `maxBatchingWindowSeconds`
   * (AWS's guidance for SQS event sources). @default exactly that minimum
   */
  readonly visibilityTimeoutSeconds?: number;
  /** Lambda timeout, 1-900 seconds. @default 60 */
  readonly lambdaTimeoutSeconds?: number;
  /** Lambda memory, 128-10240 MB. @default 256 */
  readonly lambdaMemoryMb?: number;
  /** Reserved concurrency of the function, 2-1000: caps StartJobRun pressure. @default 5 */
  readonly reservedConcurrency?: number;
  /** Messages per Lambda batch, 1-10000. @default 10 */
  readonly batchSize?: number;
  /** Seconds Lambda gathers a batch, 0-300; at least 1 when `batchSize` > 10. @default 5 */
  readonly maxBatchingWindowSeconds?: number;
  /** Most concurrent invocations the SQS event source makes, 2-1000, at most `reservedConcurrency`. @default reservedConcurrency */
  readonly maxConcurrency?: number;
  /** EMR release of the Spark application. @default "emr-7.5.0" */
  readonly releaseLabel?: string;
  /** Minutes idle before the application stops, 1-10080. @default 15 */
  readonly autoStopIdleMinutes?: number;
  /** Total capacity the application may scale to. @default { cpu: "16 vCPU", memory: "64 GB" } */
  readonly maxCapacity?: EmrCapacity;
  /**
   * `sparkSubmitParameters` of every job run. @default DEFAULT_SPARK_SUBMIT_PARAMETERS (PostgreSQL JDBC
   * driver from Maven Central); use `--jars s3://<artifacts>/jars/postgresql.jar` to avoid the download
   */
  readonly sparkSubmitParameters?: string;
  /** Make Terraform refuse to destroy the landing and artifacts buckets (production data). @default false */
  readonly preventDestroy?: boolean;
  /** Let `terraform destroy` empty and delete both buckets (disposable environments). @default false */
  readonly forceDestroy?: boolean;
}

/** One S3 notification filter: a prefix (`""` for none) and a suffix. */
export interface NotificationFilter {
  readonly prefix: string;
  readonly suffix: string;
}

function fail(message: string): never {
  throw new Error(`DataPipeline: ${message}`);
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  }
}

/**
 * The queue notification filters for every (prefix, suffix) pair. Refuses what S3 would refuse: two
 * filters for the same event overlap when one prefix starts with the other and one suffix ends with
 * the other, so distinct prefixes must not nest and distinct suffixes must not nest.
 */
export function notificationFilters(prefixes: readonly string[], suffixes: readonly string[]): NotificationFilter[] {
  if (prefixes.length === 0) {
    fail('prefixes must list at least one prefix ("" for the whole bucket)');
  }
  if (suffixes.length === 0) {
    fail('suffixes must list at least one suffix, e.g. [".csv"]');
  }
  for (const prefix of prefixes) {
    if (prefix.includes("*") || prefix.startsWith("/") || prefix.length > 1024) {
      fail(`prefix "${prefix}" must be a literal key prefix (no "*", no leading "/", at most 1024 characters)`);
    }
  }
  for (const suffix of suffixes) {
    if (suffix === "" || suffix.includes("*") || suffix.includes(",") || suffix.length > 1024) {
      fail(`suffix "${suffix}" must be a non-empty literal key suffix (no "*" or ",", at most 1024 characters)`);
    }
  }
  const clash = (values: readonly string[], nested: (a: string, b: string) => boolean) => {
    for (let i = 0; i < values.length; i++) {
      for (let j = i + 1; j < values.length; j++) {
        if (nested(values[i], values[j]) || nested(values[j], values[i])) return [values[i], values[j]];
      }
    }
    return undefined;
  };
  const prefixClash = clash(prefixes, (a, b) => a.startsWith(b));
  if (prefixClash) {
    fail(
      `prefixes "${prefixClash[0]}" and "${prefixClash[1]}" overlap: S3 refuses overlapping notification filters for one event (use the shorter prefix alone)`,
    );
  }
  const suffixClash = clash(suffixes, (a, b) => a.endsWith(b));
  if (suffixClash) {
    fail(
      `suffixes "${suffixClash[0]}" and "${suffixClash[1]}" overlap: S3 refuses overlapping notification filters for one event (use the shorter suffix alone)`,
    );
  }
  return prefixes.flatMap((prefix) => suffixes.map((suffix) => ({ prefix, suffix })));
}

/** Checks one EMR Serverless capacity value (`"16 vCPU"`, `"64 GB"`). */
function checkCapacity(field: string, value: string | undefined, unit: "vCPU" | "GB", example: string): void {
  if (value === undefined) return;
  if (!new RegExp(`^[1-9][0-9]{0,5} ${unit}$`).test(value)) {
    fail(`maxCapacity.${field} must look like "${example}" (a whole number, a space, "${unit}"), got "${value}"`);
  }
}


/**
 * The event-driven ingestion pipeline: an upload to the landing bucket (under a configured prefix,
 * with a configured suffix) sends an S3 event to an SQS queue; a Lambda consumes the queue in
 * batches (partial batch failures, DLQ after `maxReceiveCount`) and starts one EMR Serverless Spark
 * job per object; the job reads the object and appends it to Aurora PostgreSQL over TLS.
 *
 * Everything is private and least-privilege: hardened buckets, encrypted TLS-only queues that only
 * the landing bucket may send to, a Lambda role that can read one queue, start jobs on one
 * application and pass one role, and a job role that reads the landed objects, the job artifacts and
 * one secret. The Spark workers run in private subnets with a security group allowing only HTTPS out
 * and PostgreSQL to the database's security group.
 */
export class DataPipeline extends Construct {
  readonly landingBucket: SecureBucket;
  readonly artifactsBucket: SecureBucket;
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;
  readonly function: LambdaFunction;
  readonly eventSourceMapping: LambdaEventSourceMapping;
  readonly application: EmrserverlessApplication;
  readonly securityGroup: SecurityGroup;
  readonly functionRole: IamRole;
  readonly jobRole: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly jobScript: S3Object;

  readonly landingBucketName: string;
  readonly landingBucketArn: string;
  readonly artifactsBucketName: string;
  readonly ingestQueueUrl: string;
  readonly ingestQueueArn: string;
  readonly ingestQueueName: string;
  readonly deadLetterQueueArn: string;
  readonly deadLetterQueueName: string;
  readonly deadLetterQueueUrl: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly applicationId: string;
  readonly applicationArn: string;
  readonly jobRoleArn: string;
  /** Security group of the Spark workers: add it to the database's allowed sources. */
  readonly securityGroupId: string;
  /** `s3://<artifacts>/jobs/ingest.py`. */
  readonly jobScriptUri: string;
  /** `s3://<artifacts>/logs/`, where job runs write their logs. */
  readonly jobLogUri: string;
  /** The notification filters, one per (prefix, suffix) pair. */
  readonly filters: readonly NotificationFilter[];

  constructor(scope: Construct, id: string, props: DataPipelineProps) {
    super(scope, id);
    const component = props.component ?? "ingest";
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(component)) {
      fail(`component must be 1-31 lower-case letters, digits and "-", starting with a letter, got "${component}"`);
    }
    const prefixes = props.prefixes ?? [""];
    this.filters = notificationFilters(prefixes, props.suffixes);
    if (props.subnetIds.length === 0) {
      fail("subnetIds must list at least one private subnet for the Spark workers");
    }
    if (props.subnetZones) {
      if (props.subnetZones.length !== props.subnetIds.length) {
        fail(`subnetZones lists ${props.subnetZones.length} zones for ${props.subnetIds.length} subnetIds; give the zone of each subnet`);
      }
      const unsupported = props.subnetZones.filter((zone) => emrServerlessSupportsZone(props.region, zone) === false);
      if (unsupported.length > 0) {
        fail(`subnetZones: EMR Serverless does not run in ${unsupported.join(", ")} (${props.region}); leave those subnets out`);
      }
      const problem = emrServerlessZonesProblem(props.region, props.subnetZones);
      if (problem) fail(`subnetZones: ${problem}`);
    }
    const databasePort = props.databasePort ?? 5432;
    checkInteger("databasePort", databasePort, 1, 65535);
    const landingExpiryDays = props.landingExpiryDays ?? 30;
    checkInteger("landingExpiryDays", landingExpiryDays, 1, 36500);
    const logRetentionDays = props.logRetentionDays ?? 365;
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
      fail(`logRetentionDays must be one of CloudWatch's retention periods (${LOG_RETENTION_DAYS.join(", ")}), got ${logRetentionDays}`);
    }
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    checkInteger("maxReceiveCount", maxReceiveCount, 1, 1000);
    const lambdaTimeout = props.lambdaTimeoutSeconds ?? 60;
    checkInteger("lambdaTimeoutSeconds", lambdaTimeout, 1, 900);
    const lambdaMemory = props.lambdaMemoryMb ?? 256;
    checkInteger("lambdaMemoryMb", lambdaMemory, 128, 10240);
    const reservedConcurrency = props.reservedConcurrency ?? 5;
    checkInteger("reservedConcurrency", reservedConcurrency, 2, 1000);
    const batchSize = props.batchSize ?? 10;
    checkInteger("batchSize", batchSize, 1, 10000);
    const batchingWindow = props.maxBatchingWindowSeconds ?? 5;
    checkInteger("maxBatchingWindowSeconds", batchingWindow, 0, 300);
    if (batchSize > 10 && batchingWindow < 1) {
      fail(`batchSize ${batchSize} needs maxBatchingWindowSeconds of at least 1 (Lambda requires a batching window for SQS batches above 10)`);
    }
    const maxConcurrency = props.maxConcurrency ?? reservedConcurrency;
    checkInteger("maxConcurrency", maxConcurrency, 2, 1000);
    if (maxConcurrency > reservedConcurrency) {
      fail(`maxConcurrency ${maxConcurrency} is above reservedConcurrency ${reservedConcurrency}: the extra invocations would only be throttled`);
    }
    const minVisibility = 6 * lambdaTimeout + batchingWindow;
    const visibilityTimeout = props.visibilityTimeoutSeconds ?? minVisibility;
    checkInteger("visibilityTimeoutSeconds", visibilityTimeout, 0, MAX_VISIBILITY_TIMEOUT_SECONDS);
    if (visibilityTimeout < minVisibility) {
      fail(
        `visibilityTimeoutSeconds ${visibilityTimeout} is too short: at least 6 x lambdaTimeoutSeconds (${lambdaTimeout}) + maxBatchingWindowSeconds (${batchingWindow}) = ${minVisibility}, or messages are redelivered while still in flight`,
      );
    }
    const releaseLabel = props.releaseLabel ?? DEFAULT_EMR_RELEASE_LABEL;
    if (!/^emr-\d+\.\d+\.\d+$/.test(releaseLabel)) {
      fail(`releaseLabel must be a pinned EMR release such as "${DEFAULT_EMR_RELEASE_LABEL}", got "${releaseLabel}"`);
    }
    const autoStopIdleMinutes = props.autoStopIdleMinutes ?? 15;
    checkInteger("autoStopIdleMinutes", autoStopIdleMinutes, 1, 10080);
    const capacity = props.maxCapacity ?? { cpu: "16 vCPU", memory: "64 GB" };
    checkCapacity("cpu", capacity.cpu, "vCPU", "16 vCPU");
    checkCapacity("memory", capacity.memory, "GB", "64 GB");
    checkCapacity("disk", capacity.disk, "GB", "200 GB");
    for (const [name, value] of Object.entries({
      vpcId: props.vpcId,
      databaseSecurityGroupId: props.databaseSecurityGroupId,
      databaseHost: props.databaseHost,
      databaseName: props.databaseName,
      databaseSecretArn: props.databaseSecretArn,
    })) {
      if (!value || value.trim() === "") {
        fail(`${name} is required`);
      }
    }

    const { naming, region, accountId } = props;
    const name = (suffix: string, maxLength: number) => physicalName(naming, suffix ? `${component}-${suffix}` : component, { maxLength });

    // ---- buckets --------------------------------------------------------------------------------
    this.landingBucket = new SecureBucket(this, "landing", {
      bucketName: name(`landing-${accountId}`, NAME_LIMITS.s3Bucket),
      preventDestroy: props.preventDestroy ?? false,
      forceDestroy: props.forceDestroy ?? false,
      // Versioned so every upload has a version id (the Lambda's idempotency token); replaced
      // versions are only kept a week, the landing zone is not an archive.
      noncurrentVersionExpiryDays: 7,
      expiryRules: prefixes.map((prefix, i) => ({
        id: prefixes.length === 1 ? "expire-landed-objects" : `expire-landed-objects-${i + 1}`,
        prefix,
        expireAfterDays: landingExpiryDays,
      })),
    });
    this.landingBucketName = this.landingBucket.bucketName;
    this.landingBucketArn = this.landingBucket.bucketArn;

    this.artifactsBucket = new SecureBucket(this, "artifacts", {
      bucketName: name(`artifacts-${accountId}`, NAME_LIMITS.s3Bucket),
      preventDestroy: props.preventDestroy ?? false,
      forceDestroy: props.forceDestroy ?? false,
      expiryRules: [{ id: "expire-job-logs", prefix: JOB_LOGS_PREFIX, expireAfterDays: logRetentionDays }],
    });
    this.artifactsBucketName = this.artifactsBucket.bucketName;

    // ---- job script -----------------------------------------------------------------------------
    const scriptMd5 = createHash("md5").update(readFileSync(JOB_SCRIPT_PATH)).digest("hex");
    const scriptAsset = new TerraformAsset(this, "job-script-asset", {
      path: JOB_SCRIPT_PATH,
      type: AssetType.FILE,
      assetHash: scriptMd5,
    });
    this.jobScript = new S3Object(this, "job-script", {
      bucket: this.artifactsBucket.bucketName,
      key: JOB_SCRIPT_KEY,
      source: scriptAsset.path,
      // MD5 of the file at synth time: a changed script changes the etag, and Terraform uploads it again.
      etag: scriptMd5,
      contentType: "text/x-python",
    });
    this.jobScriptUri = `s3://${this.artifactsBucket.bucketName}/${this.jobScript.key}`;
    this.jobLogUri = `s3://${this.artifactsBucket.bucketName}/${JOB_LOGS_PREFIX}`;

    // ---- queues ---------------------------------------------------------------------------------
    this.deadLetterQueue = new SqsQueue(this, "dlq", {
      name: name("dlq", NAME_LIMITS.sqsQueue),
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: DLQ_RETENTION_SECONDS,
    });
    this.queue = new SqsQueue(this, "queue", {
      name: name("", NAME_LIMITS.sqsQueue),
      // SSE-SQS: S3 event notifications cannot use the AWS-managed aws/sqs KMS key.
      sqsManagedSseEnabled: true,
      visibilityTimeoutSeconds: visibilityTimeout,
      messageRetentionSeconds: QUEUE_RETENTION_SECONDS,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: this.deadLetterQueue.arn, maxReceiveCount }),
    });
    new SqsQueueRedriveAllowPolicy(this, "dlq-redrive-allow", {
      queueUrl: this.deadLetterQueue.url,
      redriveAllowPolicy: JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [this.queue.arn] }),
    });
    const queuePolicy = new SqsQueuePolicy(this, "queue-policy", {
      queueUrl: this.queue.url,
      policy: policyDocument([
        denyInsecureQueueTransport(this.queue.arn),
        {
          Sid: "AllowLandingBucketNotifications",
          Effect: "Allow",
          Principal: { Service: "s3.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: this.queue.arn,
          Condition: {
            ArnLike: { "aws:SourceArn": this.landingBucket.bucketArn },
            StringEquals: { "aws:SourceAccount": accountId },
          },
        },
      ]),
    });
    new SqsQueuePolicy(this, "dlq-policy", {
      queueUrl: this.deadLetterQueue.url,
      policy: policyDocument([denyInsecureQueueTransport(this.deadLetterQueue.arn)]),
    });
    this.ingestQueueUrl = this.queue.url;
    this.ingestQueueArn = this.queue.arn;
    this.ingestQueueName = this.queue.name;
    this.deadLetterQueueUrl = this.deadLetterQueue.url;
    this.deadLetterQueueArn = this.deadLetterQueue.arn;
    this.deadLetterQueueName = this.deadLetterQueue.name;

    const queueNotifications: S3BucketNotificationQueue[] = this.filters.map((filter, i) => ({
      id: `${component}-${i + 1}`,
      queueArn: this.queue.arn,
      events: ["s3:ObjectCreated:*"],
      ...(filter.prefix !== "" && { filterPrefix: filter.prefix }),
      filterSuffix: filter.suffix,
    }));
    new S3BucketNotification(this, "notification", {
      bucket: this.landingBucket.bucketName,
      queue: queueNotifications,
      // S3 sends a test event when the configuration is saved, so the queue must accept it by then.
      dependsOn: [queuePolicy],
    });

    // ---- EMR Serverless -------------------------------------------------------------------------
    const sgName = name("emr", NAME_LIMITS.securityGroup);
    this.securityGroup = new SecurityGroup(this, "security-group", {
      name: sgName,
      description: `Spark workers of ${name("", NAME_LIMITS.emrServerlessApplication)}: HTTPS out and PostgreSQL to the database only`,
      vpcId: props.vpcId,
      tags: { Name: sgName },
    });
    this.securityGroupId = this.securityGroup.id;
    new VpcSecurityGroupEgressRule(this, "egress-https", {
      securityGroupId: this.securityGroup.id,
      description: "HTTPS to S3, Secrets Manager and other AWS APIs",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrIpv4: "0.0.0.0/0",
    });
    new VpcSecurityGroupEgressRule(this, "egress-database", {
      securityGroupId: this.securityGroup.id,
      description: "PostgreSQL to the database",
      ipProtocol: "tcp",
      fromPort: databasePort,
      toPort: databasePort,
      referencedSecurityGroupId: props.databaseSecurityGroupId,
    });

    this.application = new EmrserverlessApplication(this, "application", {
      name: name("", NAME_LIMITS.emrServerlessApplication),
      type: "spark",
      releaseLabel,
      autoStartConfiguration: { enabled: true },
      autoStopConfiguration: { enabled: true, idleTimeoutMinutes: autoStopIdleMinutes },
      maximumCapacity: { cpu: capacity.cpu, memory: capacity.memory, ...(capacity.disk && { disk: capacity.disk }) },
      networkConfiguration: { subnetIds: [...props.subnetIds], securityGroupIds: [this.securityGroup.id] },
    });
    this.applicationId = this.application.id;
    this.applicationArn = this.application.arn;

    this.jobRole = new IamRole(this, "job-role", {
      name: name("job", NAME_LIMITS.iamRole),
      description: `Runtime role of the ${component} Spark jobs: read landed objects and artifacts, write job logs, read the database secret`,
      // EMR Serverless assumes the role for this application or one of its job runs
      // (`<application ARN>/jobruns/<id>`): the trailing wildcard admits both and no other application.
      assumeRolePolicy: serviceTrustPolicy("emr-serverless.amazonaws.com", accountId, `${this.application.arn}*`),
    });
    this.jobRoleArn = this.jobRole.arn;
    const landing = this.landingBucket.bucketArn;
    const artifacts = this.artifactsBucket.bucketArn;
    const wholeBucket = prefixes.includes("");
    const jobStatements: PolicyStatement[] = [
      {
        Sid: "ReadLandedObjects",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: wholeBucket ? `${landing}/*` : prefixes.map((p) => `${landing}/${p}*`),
      },
      {
        Sid: "ListLandedObjects",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: landing,
        ...(!wholeBucket && { Condition: { StringLike: { "s3:prefix": prefixes.map((p) => `${p}*`) } } }),
      },
      {
        Sid: "ReadJobArtifacts",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: [`${artifacts}/${JOB_SCRIPT_KEY}`, `${artifacts}/${JARS_PREFIX}*`],
      },
      { Sid: "WriteJobLogs", Effect: "Allow", Action: "s3:PutObject", Resource: `${artifacts}/${JOB_LOGS_PREFIX}*` },
      { Sid: "ReadDatabaseSecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: props.databaseSecretArn },
    ];
    if (props.databaseSecretKmsKeyArn) {
      jobStatements.push({
        Sid: "DecryptDatabaseSecret",
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: props.databaseSecretKmsKeyArn,
        Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${region}.amazonaws.com` } },
      });
    }
    new IamRolePolicy(this, "job-policy", {
      name: "ingest-job",
      role: this.jobRole.id,
      policy: policyDocument(jobStatements),
    });

    // ---- Lambda ---------------------------------------------------------------------------------
    const functionName = name("", NAME_LIMITS.lambdaFunction);
    this.logGroup = new CloudwatchLogGroup(this, "function-logs", {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: logRetentionDays,
    });
    this.functionRole = new IamRole(this, "function-role", {
      name: name("lambda", NAME_LIMITS.iamRole),
      description: `Role of the ${functionName} Lambda: consume the ingest queue, start EMR Serverless job runs`,
      // Account-scoped only: Lambda is not documented to send aws:SourceArn when it assumes an
      // execution role (the function does not exist yet when it first checks), so an ArnLike
      // condition could make the function impossible to create.
      assumeRolePolicy: serviceTrustPolicy("lambda.amazonaws.com", accountId),
    });
    const functionPolicy = new IamRolePolicy(this, "function-policy", {
      name: "ingest-lambda",
      role: this.functionRole.id,
      policy: policyDocument([
        {
          Sid: "WriteLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `${this.logGroup.arn}:*`,
        },
        {
          Sid: "ConsumeIngestQueue",
          Effect: "Allow",
          Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
          Resource: this.queue.arn,
        },
        { Sid: "StartJobRuns", Effect: "Allow", Action: "emr-serverless:StartJobRun", Resource: this.application.arn },
        {
          Sid: "PassJobRole",
          Effect: "Allow",
          Action: "iam:PassRole",
          Resource: this.jobRole.arn,
          Condition: { StringEquals: { "iam:PassedToService": "emr-serverless.amazonaws.com" } },
        },
        {
          Sid: "WriteTraces",
          Effect: "Allow",
          // X-Ray has no resource-level permissions for these actions.
          Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
          Resource: "*",
        },
      ]),
    });

    const bundle = handlerBundle();
    const code = new TerraformAsset(this, "function-code", {
      path: bundle.packagePath,
      type: AssetType.FILE,
      assetHash: bundle.sha256,
    });
    this.function = new LambdaFunction(this, "function", {
      functionName,
      description: "Starts one EMR Serverless job run per object uploaded to the landing bucket",
      role: this.functionRole.arn,
      filename: code.path,
      // Lambda reports the package's base64 SHA-256; any other value would show a diff on every plan.
      sourceCodeHash: bundle.packageSha256Base64,
      handler: "index.handler",
      runtime: LAMBDA_RUNTIME,
      architectures: ["arm64"],
      memorySize: lambdaMemory,
      timeout: lambdaTimeout,
      reservedConcurrentExecutions: reservedConcurrency,
      tracingConfig: { mode: "Active" },
      environment: {
        variables: {
          EMR_APPLICATION_ID: this.application.id,
          EMR_EXECUTION_ROLE_ARN: this.jobRole.arn,
          JOB_SCRIPT_URI: this.jobScriptUri,
          KEY_SUFFIXES: props.suffixes.join(","),
          DB_HOST: props.databaseHost,
          DB_PORT: String(databasePort),
          DB_NAME: props.databaseName,
          DB_SECRET_ARN: props.databaseSecretArn,
          EMR_LOG_URI: this.jobLogUri,
          SPARK_SUBMIT_PARAMETERS: props.sparkSubmitParameters ?? DEFAULT_SPARK_SUBMIT_PARAMETERS,
        },
      },
      // The log group exists first (with its retention), and the role can act before the first invocation.
      dependsOn: [this.logGroup, functionPolicy],
    });
    this.functionName = this.function.functionName;
    this.functionArn = this.function.arn;

    this.eventSourceMapping = new LambdaEventSourceMapping(this, "event-source", {
      eventSourceArn: this.queue.arn,
      functionName: this.function.arn,
      batchSize,
      maximumBatchingWindowInSeconds: batchingWindow,
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: maxConcurrency },
      // Lambda checks the role can read the queue when the mapping is created.
      dependsOn: [functionPolicy],
    });
  }
}

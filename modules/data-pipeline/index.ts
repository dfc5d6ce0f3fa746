import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
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
import { denyInsecureQueueTransport, policyDocument, type PolicyStatement, serviceTrustPolicy } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName } from "../../src/lib/naming";
import { SecureBucket } from "../s3-bucket";
import { handlerBundle, LAMBDA_RUNTIME } from "./bundle";

export { buildHandlerBundle, handlerBundle, LAMBDA_RUNTIME, ESBUILD_TARGET, type LambdaBundle } from "./bundle";
export * from "./zones";
import { JARS_PREFIX, JOB_LOGS_PREFIX, JOB_SCRIPT_KEY, JOB_SCRIPT_PATH, DEFAULT_SPARK_SUBMIT_PARAMETERS, type DataPipelineProps } from "./props";
import { pipelineSettings, type NotificationFilter } from "./settings";

export * from "./props";
export { notificationFilters, type NotificationFilter } from "./settings";

/** SQS keeps messages at most 14 days; the DLQ keeps them that long. */
const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;
/** The ingest queue keeps messages 4 days (shorter than the DLQ, which keeps the original enqueue time). */
const QUEUE_RETENTION_SECONDS = 4 * 24 * 3600;

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
    const {
      component,
      prefixes,
      filters,
      databasePort,
      landingExpiryDays,
      logRetentionDays,
      maxReceiveCount,
      lambdaTimeout,
      lambdaMemory,
      reservedConcurrency,
      batchSize,
      batchingWindow,
      maxConcurrency,
      visibilityTimeout,
      releaseLabel,
      autoStopIdleMinutes,
      capacity,
    } = pipelineSettings(props);
    this.filters = filters;
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

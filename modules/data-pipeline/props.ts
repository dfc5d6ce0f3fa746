/** What `DataPipeline` takes, and the constants of the job it ships. */
import { join } from "node:path";
import type { NameContext } from "../../src/lib/naming";
import { REPO_ROOT } from "../../src/lib/paths";


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

import { DataPipeline, emrServerlessSupportsZone, emrServerlessZonesProblem } from "../../modules/data-pipeline";
import { suppressPolicy } from "../aspects/policy";
import type { EnvironmentConfig } from "../config/schema";
import type { TierContext } from "./context";
import type { DatabaseTier } from "./database";
import type { NetworkTier } from "./network";

/** The config slice the pipeline tier reads, and the tiers it builds on. */
export interface PipelineTierProps {
  /** `dataPipeline`: filters, batching, concurrency and EMR capacity of the ingestion pipeline; only built when `enabled`. */
  readonly dataPipeline: NonNullable<EnvironmentConfig["dataPipeline"]>;
  /** `availabilityZones`: the Spark workers get the private subnets of the zones EMR Serverless runs in. */
  readonly availabilityZones: EnvironmentConfig["availabilityZones"];
  /** The VPC and its private subnets (in the order of `availabilityZones`). */
  readonly network: NetworkTier;
  /** The database: its connection settings and `connect()`. */
  readonly database: DatabaseTier;
}

const OWNER = "PipelineTier";

/**
 * Pipeline: the ingestion pipeline (modules/data-pipeline): landing bucket -> SQS -> Lambda ->
 * EMR Serverless Spark job -> the database, with the job's security group admitted to PostgreSQL.
 * The Spark workers get only the private subnets of zones EMR Serverless runs in.
 * Registers the ingest queue, the function and the EMR application with the monitoring. Outputs:
 * `data_pipeline`.
 */
export class PipelineTier {
  readonly pipeline: DataPipeline;

  constructor(ctx: TierContext, props: PipelineTierProps) {
    const spec = props.dataPipeline;
    const { network } = props.network;
    const db = props.database.database;
    // The schema requires managed credentials for the pipeline; a config that reached here without them is a bug.
    if (!db.secretArn) {
      throw new Error(`${OWNER}: the Spark jobs read the database credentials from Secrets Manager; dataPipeline needs database.passwordSource "managed"`);
    }
    // The schema refuses zones EMR Serverless cannot use; a config that reached here with them is a bug.
    const zonesProblem = emrServerlessZonesProblem(ctx.region, props.availabilityZones);
    if (zonesProblem) throw new Error(`${OWNER}: ${zonesProblem}`);
    const emrSubnets = props.availabilityZones.flatMap((zone, i) =>
      emrServerlessSupportsZone(ctx.region, zone) ? [{ zone, subnetId: network.privateSubnetIds[i] }] : [],
    );
    const pipeline = new DataPipeline(ctx.scope, "pipeline", {
      naming: ctx.naming,
      region: ctx.region,
      accountId: ctx.accountId,
      vpcId: network.vpcId,
      subnetIds: emrSubnets.map((s) => s.subnetId),
      subnetZones: emrSubnets.map((s) => s.zone),
      databaseSecurityGroupId: db.securityGroupId,
      databaseHost: db.writerEndpoint,
      databasePort: db.port,
      databaseName: db.databaseName,
      databaseSecretArn: db.secretArn,
      prefixes: spec.prefixes,
      suffixes: spec.suffixes,
      batchSize: spec.batchSize,
      maxBatchingWindowSeconds: spec.maxBatchingWindowSeconds,
      reservedConcurrency: spec.reservedConcurrency,
      maxReceiveCount: spec.maxReceiveCount,
      landingExpiryDays: spec.landingExpiryDays,
      releaseLabel: spec.releaseLabel,
      autoStopIdleMinutes: spec.autoStopIdleMinutes,
      maxCapacity: spec.maxCapacity,
      logRetentionDays: ctx.logRetentionDays,
      preventDestroy: ctx.stage === "production",
      // Development data is disposable: destroy may empty the buckets.
      forceDestroy: ctx.disposable,
    });
    this.pipeline = pipeline;
    props.database.admit("ingest", pipeline.securityGroupId, "PostgreSQL from the ingest Spark jobs");
    suppressPolicy(
      pipeline.function,
      "CKV_AWS_117",
      "the trigger only calls the EMR Serverless API; the Spark jobs that reach the database run in the VPC",
    );

    ctx.monitoring.addQueue(OWNER, { name: "ingest", queueName: pipeline.ingestQueueName, deadLetterQueueName: pipeline.deadLetterQueueName });
    ctx.monitoring.addFunction(OWNER, { name: "ingest", functionName: pipeline.functionName });
    ctx.monitoring.addEmrApplication(OWNER, { name: "ingest", applicationId: pipeline.applicationId, applicationName: pipeline.application.name });

    ctx.output(
      OWNER,
      "data_pipeline",
      {
        landing_bucket: pipeline.landingBucketName,
        ingest_queue_url: pipeline.ingestQueueUrl,
        dead_letter_queue_url: pipeline.deadLetterQueueUrl,
        function_name: pipeline.functionName,
        emr_application_id: pipeline.applicationId,
        artifacts_bucket: pipeline.artifactsBucketName,
      },
      "Ingestion pipeline: upload to s3://<landing_bucket>/incoming/",
    );
  }
}

import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { AuroraGlobalDatabase } from "../../modules/aurora-global";
import { BackupCopyVault, type BackupCopyTarget } from "../../modules/backup";
import { SecureBucket } from "../../modules/s3-bucket";
import { BucketReplication, type ReplicatedBucket } from "../../modules/s3-bucket/replication";
import type { EnvironmentConfig } from "../config/schema";
import { NAME_LIMITS, physicalName } from "../lib/naming";
import type { TierContext } from "./context";
import type { DatabaseTier } from "./database";
import type { PipelineTier } from "./pipeline";

/** The config slice the recovery tier reads, and what it builds on. */
export interface RecoveryTierProps {
  /** `disasterRecovery`: the second region, the mode, copy retention and the buckets to replicate. */
  readonly disasterRecovery: NonNullable<EnvironmentConfig["disasterRecovery"]>;
  /** The provider alias of the second region (same account guard and default tags as the default provider). */
  readonly provider: AwsProvider;
  /** The pipeline, whose landing and artifacts buckets are backed up and may be replicated. @default none */
  readonly pipeline?: PipelineTier;
  /** The database tier, whose cluster is the primary of the global database (`global-database` mode). */
  readonly database: DatabaseTier;
}

const OWNER = "RecoveryTier";

/**
 * Disaster recovery in a second region: in `backup-copy` mode the DR vault with its own key
 * (modules/backup `BackupCopyVault`) that the operations tier's plan copies every recovery point to,
 * and the pipeline buckets added to the plan's selection; in any mode, S3 replication of the buckets
 * `replicateBuckets` names to SecureBuckets in the second region (modules/s3-bucket `BucketReplication`).
 * In `global-database` mode, an Aurora global database from the workspace's cluster with a secondary
 * cluster in the second region (modules/aurora-global), registered with the monitoring for its
 * replication-lag alarm (the operations tier registers the vault it backs up into). Outputs:
 * `disaster_recovery`.
 */
export class RecoveryTier {
  readonly copyVault?: BackupCopyVault;
  /** Where the backup plan copies recovery points (`backup-copy` mode). */
  readonly copyTarget?: BackupCopyTarget;
  /** Versioned buckets the backup plan selects besides the database (`backup-copy` mode). */
  readonly backupBucketArns: readonly string[];
  readonly replication?: BucketReplication;
  /** The DR bucket of each replicated bucket, by short name. */
  readonly replicas: Readonly<Record<string, SecureBucket>>;
  /** The global cluster and its secondary (`global-database` mode). */
  readonly globalDatabase?: AuroraGlobalDatabase;

  constructor(ctx: TierContext, props: RecoveryTierProps) {
    const dr = props.disasterRecovery;
    if (dr.region === ctx.region) throw new Error(`${OWNER}: the disaster-recovery region is the workspace's own (${ctx.configFile})`);
    const { provider } = props;
    const pipeline = props.pipeline?.pipeline;
    const buckets: Record<string, SecureBucket | undefined> = { landing: pipeline?.landingBucket, artifacts: pipeline?.artifactsBucket };

    if (dr.mode === "backup-copy") {
      this.copyVault = new BackupCopyVault(ctx.scope, "backup-dr", { naming: ctx.naming, accountId: ctx.accountId, region: dr.region, provider });
      this.copyTarget = { vaultArn: this.copyVault.vaultArn, retentionDays: dr.copyRetentionDays };
      this.backupBucketArns = Object.values(buckets).flatMap((b) => (b ? [b.bucketArn] : []));
    } else {
      this.backupBucketArns = [];
      // The config requires both for global-database (src/config/disaster-recovery.ts).
      if (!dr.secondaryCidr || !dr.secondaryAvailabilityZones) {
        throw new Error(`${OWNER}: "global-database" needs disasterRecovery.secondaryCidr and secondaryAvailabilityZones (${ctx.configFile})`);
      }
      this.globalDatabase = new AuroraGlobalDatabase(ctx.scope, "global-database", {
        naming: ctx.naming,
        accountId: ctx.accountId,
        primary: props.database.database,
        primaryRegion: ctx.region,
        region: dr.region,
        provider,
        cidr: dr.secondaryCidr,
        availabilityZones: dr.secondaryAvailabilityZones,
        readers: dr.secondaryReaders,
        deletionProtection: ctx.stage === "production",
        logRetentionDays: ctx.logRetentionDays,
      });
      ctx.monitoring.setGlobalDatabase(OWNER, {
        clusterIdentifier: this.globalDatabase.secondaryClusterIdentifier,
        region: dr.region,
        provider,
      });
    }

    const replicated: ReplicatedBucket[] = dr.replicateBuckets.map((name) => {
      const source = buckets[name];
      if (!source) throw new Error(`${OWNER}: disasterRecovery.replicateBuckets names "${name}", but the data pipeline is not built (${ctx.configFile})`);
      const destination = new SecureBucket(ctx.scope, `${name}-dr`, {
        provider,
        bucketName: physicalName(ctx.naming, `${name}-dr-${ctx.accountId}`, { maxLength: NAME_LIMITS.s3Bucket }),
        preventDestroy: ctx.stage === "production",
        forceDestroy: ctx.disposable,
      });
      return { name, source, destination };
    });
    this.replicas = Object.fromEntries(replicated.map((r) => [r.name, r.destination]));
    if (replicated.length > 0) {
      this.replication = new BucketReplication(ctx.scope, "bucket-replication", { naming: ctx.naming, buckets: replicated });
    }

    ctx.output(
      OWNER,
      "disaster_recovery",
      {
        region: dr.region,
        mode: dr.mode,
        copy_vault_arn: this.copyVault?.vaultArn ?? "",
        global_cluster_identifier: this.globalDatabase?.globalClusterIdentifier ?? "",
        secondary_cluster_identifier: this.globalDatabase?.secondaryClusterIdentifier ?? "",
        replica_buckets: Object.fromEntries(replicated.map((r) => [r.name, r.destination.bucketName])),
      },
      "Disaster-recovery region, mode, the vault copies go to, the global and secondary clusters, and the replica buckets",
    );
  }
}

import { z } from "zod";
import type { RefinementCtx } from "zod";

/**
 * The first Aurora PostgreSQL minor release of each major version that Aurora Global Database
 * supports, from "Supported Regions and DB engines for Aurora global databases" (Aurora User Guide,
 * Concepts.Aurora_Fea_Regions_DB-eng.Feature.GlobalDatabase, the Aurora PostgreSQL table; the highest
 * floor any commercial region lists).
 */
export const GLOBAL_DATABASE_FIRST_MINOR: Readonly<Record<number, number>> = { 13: 4, 14: 3, 15: 2, 16: 1, 17: 4 };

/** Why `engineVersion` cannot be part of an Aurora global database, or undefined when it can. */
export function globalDatabaseVersionProblem(engineVersion: string): string | undefined {
  const [major, minor] = engineVersion.split(".").map(Number);
  const first = GLOBAL_DATABASE_FIRST_MINOR[major];
  if (first === undefined) return `Aurora Global Database does not support Aurora PostgreSQL ${major}`;
  if (minor < first) return `Aurora Global Database needs Aurora PostgreSQL ${major}.${first} or later (engineVersion is ${engineVersion})`;
  return undefined;
}

/** Data buckets of the platform that can replicate to the disaster-recovery region. */
export const REPLICABLE_BUCKETS = ["landing", "artifacts"] as const;

/** `disasterRecovery`: a second region and how the workspace's data reaches it (README "Disaster recovery"). */
export function disasterRecoverySchema(regionName: z.ZodString) {
  return z
    .object({
      /** The second region (a provider alias `dr`); never the workspace's own. */
      region: regionName,
      /**
       * `backup-copy`: a vault in `region` with its own KMS key receives a copy of every recovery point.
       * `global-database`: Aurora Global Database with a secondary cluster in `region`.
       * @default "backup-copy"
       */
      mode: z.enum(["backup-copy", "global-database"]).default("backup-copy"),
      /** Days each copy is kept in the DR vault (`backup-copy`). @default 35 */
      copyRetentionDays: z.number().int().min(1).max(36500).default(35),
      /** Pipeline buckets replicated to a bucket in `region` (S3 replication). @default [] */
      replicateBuckets: z.array(z.enum(REPLICABLE_BUCKETS)).default([]),
      /** `global-database` only: reader instances of the secondary cluster (0: headless). @default 0 */
      secondaryReaders: z.number().int().min(0).max(15).default(0),
      /** `global-database` only: the secondary cluster's VPC range in `region` (isolated subnets only). */
      secondaryCidr: z.string().optional(),
      /** `global-database` only: zones of the secondary cluster's subnets in `region`, names or IDs (2 or 3). */
      secondaryAvailabilityZones: z.array(z.string()).min(2).max(3).optional(),
    })
    .strict();
}

export type DisasterRecoveryConfig = z.output<ReturnType<typeof disasterRecoverySchema>>;

/** The rules of `disasterRecovery` that depend on other fields. */
export function checkDisasterRecovery(
  dr: DisasterRecoveryConfig,
  env: {
    region: string;
    database: { engineVersion: string; passwordSource: string };
    operations: { backup: boolean; backupCopyToVaultArn?: string };
    dataPipeline?: { enabled: boolean };
  },
  ctx: RefinementCtx,
): void {
  const issue = (field: string, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["disasterRecovery", field], message });
  if (dr.region === env.region) {
    issue("region", `is the workspace's own region (${env.region}); disaster recovery needs a second region`);
  }
  if (dr.mode === "backup-copy" && !env.operations.backup) {
    issue("mode", '"backup-copy" copies the AWS Backup plan\'s recovery points; turn operations.backup on');
  }
  if (env.operations.backupCopyToVaultArn) {
    issue("region", "set either disasterRecovery (the platform creates the DR vault) or operations.backupCopyToVaultArn, not both");
  }
  if (dr.mode === "global-database") {
    const problem = globalDatabaseVersionProblem(env.database.engineVersion);
    if (problem) issue("mode", `"global-database": ${problem}`);
    // Aurora User Guide, "Limitations for Secrets Manager integration": not for clusters of a global database.
    if (env.database.passwordSource === "managed") {
      issue("mode", '"global-database": RDS-managed master passwords are not supported in a global database; set database.passwordSource "ssm"');
    }
    if (!dr.secondaryCidr || !dr.secondaryAvailabilityZones) {
      issue("secondaryCidr", '"global-database" needs secondaryCidr and secondaryAvailabilityZones for the secondary cluster\'s subnets');
    }
  } else if (dr.secondaryReaders > 0 || dr.secondaryCidr || dr.secondaryAvailabilityZones) {
    issue("mode", 'secondaryReaders, secondaryCidr and secondaryAvailabilityZones apply to "global-database" only');
  }
  if (dr.replicateBuckets.length > 0 && !env.dataPipeline?.enabled) {
    issue("replicateBuckets", "the landing and artifacts buckets belong to the data pipeline, which is not enabled");
  }
  if (new Set(dr.replicateBuckets).size !== dr.replicateBuckets.length) {
    issue("replicateBuckets", "lists a bucket twice");
  }
}

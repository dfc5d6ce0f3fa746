import { describe, expect, it } from "vitest";
import { buildApp } from "../src/app";
import { environments, logicalIdOf, onlyResource, ref, resourcesOf, synthStack, type SynthJson } from "./helpers";

const platform = buildApp(environments());
const json = (name: string) => synthStack(platform.workspaces.find((w) => w.config.name === name)!).json;
const prod = json("prod");
const dev = json("dev");
const drResources = (j: SynthJson) =>
  Object.entries(j.resource).flatMap(([type, items]) => Object.entries(items).filter(([, r]) => r.provider === "aws.dr").map(([id]) => `${type}.${id}`));

describe("disaster recovery (prod, backup-copy)", () => {
  it("adds a provider alias for the DR region with the same account guard and default tags", () => {
    const providers = prod.provider!.aws as Array<Record<string, unknown>>;
    const primary = providers.find((p) => p.alias === undefined);
    expect(providers.find((p) => p.alias === "dr")).toEqual({ ...primary, alias: "dr", region: "us-west-2" });
    // dev has no DR region: only the frontend's us-east-1 alias besides the default provider.
    expect((dev.provider!.aws as Array<Record<string, unknown>>).map((p) => p.alias)).toEqual([undefined, "edge"]);
  });

  it("creates the DR vault and its own key in the DR region, and copies every recovery point there with its retention", () => {
    const drVault = logicalIdOf(prod, "aws_backup_vault", (v) => v.name === "acme-prod-backup-dr");
    const vault = resourcesOf(prod, "aws_backup_vault")[drVault];
    expect(vault.provider).toBe("aws.dr");
    const key = logicalIdOf(prod, "aws_kms_key", (k) => k.description?.includes("acme-prod-backup-dr"));
    expect(resourcesOf(prod, "aws_kms_key")[key]).toMatchObject({ provider: "aws.dr", enable_key_rotation: true });
    expect(vault.kms_key_arn).toBe(ref("aws_kms_key", key, "arn"));
    const keyPolicy = JSON.parse(resourcesOf(prod, "aws_kms_key")[key].policy);
    expect(keyPolicy.Statement[1].Condition.StringEquals["kms:ViaService"]).toEqual(["backup.us-west-2.amazonaws.com", "rds.us-west-2.amazonaws.com"]);
    const [rule] = onlyResource(prod, "aws_backup_plan").rule;
    expect(rule.copy_action).toEqual([{ destination_vault_arn: ref("aws_backup_vault", drVault, "arn"), lifecycle: { delete_after: 35 } }]);
  });

  it("selects the database, the tables and the buckets (pipeline, data API documents), with AWS Backup's S3 policies on the role", () => {
    const selection = onlyResource(prod, "aws_backup_selection");
    const bucket = (name: string) => ref("aws_s3_bucket", logicalIdOf(prod, "aws_s3_bucket", (b) => b.bucket === name), "arn");
    const table = (name: string) => ref("aws_dynamodb_table", logicalIdOf(prod, "aws_dynamodb_table", (t) => t.name === name), "arn");
    expect(selection.resources).toEqual([
      ref("aws_rds_cluster", logicalIdOf(prod, "aws_rds_cluster", () => true), "arn"),
      table("acme-prod-sessions"),
      table("acme-prod-carts"),
      bucket("acme-prod-ingest-landing-444455556666"),
      bucket("acme-prod-ingest-artifacts-444455556666"),
      bucket("acme-prod-data-api-444455556666"),
    ]);
    const policies = Object.values(resourcesOf(prod, "aws_iam_role_policy_attachment")).map((a) => a.policy_arn);
    expect(policies).toEqual(expect.arrayContaining(["arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup", "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore"]));
  });

  it("replicates the landing bucket to a hardened bucket in the DR region through a role limited to those two buckets", () => {
    const replica = logicalIdOf(prod, "aws_s3_bucket", (b) => b.bucket === "acme-prod-landing-dr-444455556666");
    expect(resourcesOf(prod, "aws_s3_bucket")[replica].provider).toBe("aws.dr");
    const config = onlyResource(prod, "aws_s3_bucket_replication_configuration");
    expect(config.rule[0]).toMatchObject({ status: "Enabled", delete_marker_replication: { status: "Enabled" }, destination: { bucket: ref("aws_s3_bucket", replica, "arn") } });
    const policy = JSON.parse(Object.values(resourcesOf(prod, "aws_iam_role_policy")).find((p) => p.name === "replicate")!.policy);
    expect(policy.Statement.flatMap((s: any) => [s.Resource].flat())).not.toContain("*");
    // The replica keeps the platform's bucket baseline in its region.
    expect(drResources(prod)).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_s3_bucket_public_access_block\.landing-dr/), expect.stringMatching(/^aws_s3_bucket_policy\.landing-dr/)]));
  });

  it("alarms on failed backup and copy jobs of the vault it backs up into (metrics AWS Backup publishes)", () => {
    const alarms = Object.values(resourcesOf(prod, "aws_cloudwatch_metric_alarm")).filter((a) => a.namespace === "AWS/Backup");
    const vault = { BackupVaultName: ref("aws_backup_vault", logicalIdOf(prod, "aws_backup_vault", (v) => v.name === "acme-prod-backup"), "name") };
    expect(alarms.map((a) => [a.alarm_name, a.metric_name, a.dimensions]).sort()).toEqual([
      ["acme-prod-backup-plan-backup-failed", "NumberOfBackupJobsFailed", vault],
      ["acme-prod-backup-plan-copy-failed", "NumberOfCopyJobsFailed", vault],
    ]);
  });

  it("covers every stateful resource of production by the backup selection or replication (logs excepted, by name)", () => {
    // Buckets that hold logs only: rebuilt by the services that write them, not restored.
    const LOG_BUCKETS = [/-alb-logs-/, /-cloudtrail-/, /-sessions-/, /-frontend-logs-/];
    // The frontend's bucket holds a build: the deploy tool writes it again from the repository.
    const REBUILT_BUCKETS = [/-frontend-\d{12}$/];
    const selection = onlyResource(prod, "aws_backup_selection").resources as string[];
    const replicated = Object.values(resourcesOf(prod, "aws_s3_bucket_replication_configuration")).map((c) => c.bucket);
    const stateful = ["aws_rds_cluster", "aws_dynamodb_table", "aws_s3_bucket", "aws_efs_file_system"].flatMap((type) =>
      Object.entries(resourcesOf(prod, type))
        .filter(([, r]) => r.provider !== "aws.dr")
        .map(([id, r]) => ({ type, id, name: String(r.bucket ?? r.name ?? r.cluster_identifier) })),
    );
    expect(stateful.length).toBeGreaterThan(3);
    const uncovered = stateful.filter(({ type, id, name }) => {
      if (type === "aws_s3_bucket" && [...LOG_BUCKETS, ...REBUILT_BUCKETS].some((p) => p.test(name))) return false;
      return !selection.includes(ref(type, id, "arn")) && !replicated.includes(ref(type, id, "id"));
    });
    expect(uncovered).toEqual([]);
  });
});

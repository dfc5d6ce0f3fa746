import { BackupPlan as BackupPlanResource } from "@cdktf/provider-aws/lib/backup-plan";
import { BackupVault } from "@cdktf/provider-aws/lib/backup-vault";
import { BackupVaultLockConfiguration } from "@cdktf/provider-aws/lib/backup-vault-lock-configuration";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { TerraformOutput } from "cdktf";
import { describe, expect, it } from "vitest";
import { KEY_ADMINISTRATION_ACTIONS } from "../src/lib/iam";
import { AuroraPostgres } from "../modules/aurora";
import { BackupPlan, backupScheduleProblem, type BackupPlanProps } from "../modules/backup";
import { TEST_ACCOUNT, onlyResource, ref, resourcesOf, synthConstruct, testNaming, type SynthJson } from "./helpers";

const CLUSTER_ARN = `arn:aws:rds:eu-west-1:${TEST_ACCOUNT}:cluster:acme-test-db`;
const TABLE_ARN = `arn:aws:dynamodb:eu-west-1:${TEST_ACCOUNT}:table/acme-test-jobs`;
const DR_VAULT = `arn:aws:backup:eu-central-1:${TEST_ACCOUNT}:backup-vault:acme-test-backup-dr`;
const KEY_ARN = `arn:aws:kms:eu-west-1:${TEST_ACCOUNT}:key/0b7c5a3e-1111-2222-3333-444455556666`;

function backup(props: Partial<BackupPlanProps> = {}) {
  return synthConstruct((stack) => {
    const plan = new BackupPlan(stack, "backup", {
      naming: testNaming,
      accountId: TEST_ACCOUNT,
      region: "eu-west-1",
      resourceArns: [CLUSTER_ARN],
      retentionDays: 35,
      ...props,
    });
    new TerraformOutput(stack, "vault_name", { value: plan.vaultName });
    new TerraformOutput(stack, "vault_arn", { value: plan.vaultArn });
    new TerraformOutput(stack, "plan_id", { value: plan.planId });
    new TerraformOutput(stack, "plan_arn", { value: plan.planArn });
    new TerraformOutput(stack, "role_arn", { value: plan.roleArn });
  });
}

const idOf = (json: SynthJson, type: string) => {
  const ids = Object.keys(resourcesOf(json, type));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0];
};

const rule = (json: SynthJson) => (onlyResource(json, "aws_backup_plan").rule as Array<Record<string, any>>)[0];

describe("BackupPlan", () => {
  const { synth, json } = backup();
  const vaultId = idOf(json, "aws_backup_vault");
  const keyId = idOf(json, "aws_kms_key");
  const roleId = idOf(json, "aws_iam_role");

  it("keeps recovery points in a vault encrypted with its own rotating customer-managed key", () => {
    expect(synth).toHaveResourceWithProperties(BackupVault, {
      name: "acme-test-backup",
      kms_key_arn: ref("aws_kms_key", keyId, "arn"),
    });
    expect(synth).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true, deletion_window_in_days: 30 });
    expect(synth).toHaveResourceWithProperties(KmsAlias, {
      name: "alias/acme-test-backup",
      target_key_id: ref("aws_kms_key", keyId, "key_id"),
    });
  });

  it("lets the account administer the key and use it only through AWS Backup", () => {
    const root = `arn:aws:iam::${TEST_ACCOUNT}:root`;
    expect(JSON.parse(onlyResource(json, "aws_kms_key").policy).Statement).toEqual([
      { Sid: "EnableAccountAdministration", Effect: "Allow", Principal: { AWS: root }, Action: [...KEY_ADMINISTRATION_ACTIONS], Resource: "*" },
      {
        Sid: "AllowUseThroughAwsBackup",
        Effect: "Allow",
        Principal: { AWS: root },
        Action: [
          "kms:Encrypt",
          "kms:Decrypt",
          "kms:ReEncryptFrom",
          "kms:ReEncryptTo",
          "kms:GenerateDataKey",
          "kms:GenerateDataKeyWithoutPlaintext",
          "kms:CreateGrant",
          "kms:RetireGrant",
        ],
        Resource: "*",
        Condition: { StringEquals: { "kms:CallerAccount": TEST_ACCOUNT, "kms:ViaService": "backup.eu-west-1.amazonaws.com" } },
      },
    ]);
  });

  it("uses a given key instead of creating one", () => {
    const given = backup({ kmsKeyArn: KEY_ARN }).json;
    expect(given.resource.aws_kms_key).toBeUndefined();
    expect(given.resource.aws_kms_alias).toBeUndefined();
    expect(onlyResource(given, "aws_backup_vault").kms_key_arn).toBe(KEY_ARN);
  });

  it("backs up daily at 05:00 UTC into the vault, within a 60-minute start and 180-minute completion window", () => {
    expect(synth).toHaveResourceWithProperties(BackupPlanResource, { name: "acme-test-backup-plan" });
    expect(rule(json)).toEqual({
      rule_name: "daily",
      target_vault_name: ref("aws_backup_vault", vaultId, "name"),
      schedule: "cron(0 5 * * ? *)",
      start_window: 60,
      completion_window: 180,
      lifecycle: { delete_after: 35 },
    });
  });

  it("takes the schedule and retention from props", () => {
    const custom = rule(backup({ schedule: "cron(30 2 ? * MON-FRI *)", retentionDays: 7 }).json);
    expect(custom.schedule).toBe("cron(30 2 ? * MON-FRI *)");
    expect(custom.lifecycle).toEqual({ delete_after: 7 });
  });

  it("copies every recovery point to a vault in another region when asked", () => {
    expect(rule(json).copy_action).toBeUndefined();
    const dr = rule(backup({ copyTo: { vaultArn: DR_VAULT, retentionDays: 90 } }).json);
    expect(dr.copy_action).toEqual([{ destination_vault_arn: DR_VAULT, lifecycle: { delete_after: 90 } }]);
    expect(dr.lifecycle).toEqual({ delete_after: 35 });
  });

  it("has no vault lock unless asked; then governance mode, or compliance mode with changeableForDays", () => {
    expect(json.resource.aws_backup_vault_lock_configuration).toBeUndefined();
    const governance = backup({ vaultLock: { minRetentionDays: 7, maxRetentionDays: 365 } });
    expect(governance.synth).toHaveResourceWithProperties(BackupVaultLockConfiguration, {
      backup_vault_name: ref("aws_backup_vault", idOf(governance.json, "aws_backup_vault"), "name"),
      min_retention_days: 7,
      max_retention_days: 365,
    });
    expect(onlyResource(governance.json, "aws_backup_vault_lock_configuration").changeable_for_days).toBeUndefined();
    const compliance = backup({ vaultLock: { minRetentionDays: 7, maxRetentionDays: 365, changeableForDays: 3 } }).json;
    expect(onlyResource(compliance, "aws_backup_vault_lock_configuration").changeable_for_days).toBe(3);
  });

  it("selects exactly the listed resources with its role, after the managed policies are attached", () => {
    const selection = onlyResource(json, "aws_backup_selection");
    expect(selection).toMatchObject({
      name: "acme-test-backup-selection",
      plan_id: ref("aws_backup_plan", idOf(json, "aws_backup_plan"), "id"),
      iam_role_arn: ref("aws_iam_role", roleId, "arn"),
      resources: [CLUSTER_ARN],
    });
    expect(selection.selection_tag).toBeUndefined();
    expect([...selection.depends_on].sort()).toEqual(
      Object.keys(resourcesOf(json, "aws_iam_role_policy_attachment"))
        .map((id) => `aws_iam_role_policy_attachment.${id}`)
        .sort(),
    );
    const two = onlyResource(backup({ resourceArns: [CLUSTER_ARN, TABLE_ARN] }).json, "aws_backup_selection");
    expect(two.resources).toEqual([CLUSTER_ARN, TABLE_ARN]);
  });

  it("selects an Aurora cluster by its ARN reference", () => {
    const { json: withDb } = synthConstruct((stack) => {
      const db = new AuroraPostgres(stack, "db", {
        naming: testNaming,
        vpcId: "vpc-123",
        dbSubnetGroupName: "acme-test-db",
        availabilityZones: ["eu-west-1a", "eu-west-1b"],
      });
      new BackupPlan(stack, "backup", {
        naming: testNaming,
        accountId: TEST_ACCOUNT,
        region: "eu-west-1",
        resourceArns: [db.clusterArn],
        retentionDays: 14,
      });
    });
    expect(onlyResource(withDb, "aws_backup_selection").resources).toEqual([ref("aws_rds_cluster", idOf(withDb, "aws_rds_cluster"), "arn")]);
  });

  it("runs with a role only AWS Backup may assume, carrying the AWS managed backup and restore policies", () => {
    const role = onlyResource(json, "aws_iam_role");
    expect(role.name).toBe("acme-test-backup");
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      { Effect: "Allow", Principal: { Service: "backup.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    expect(role.managed_policy_arns).toBeUndefined();
    for (const policy of ["AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"]) {
      expect(synth).toHaveResourceWithProperties(IamRolePolicyAttachment, {
        role: ref("aws_iam_role", roleId, "name"),
        policy_arn: `arn:aws:iam::aws:policy/service-role/${policy}`,
      });
    }
    expect(Object.keys(resourcesOf(json, "aws_iam_role_policy_attachment"))).toHaveLength(2);
  });

  it("builds the managed policy ARNs in the region's partition", () => {
    const gov = backup({ region: "us-gov-west-1", resourceArns: [`arn:aws-us-gov:rds:us-gov-west-1:${TEST_ACCOUNT}:cluster:acme-test-db`] }).json;
    expect(Object.values(resourcesOf(gov, "aws_iam_role_policy_attachment")).map((a) => a.policy_arn).sort()).toEqual([
      "arn:aws-us-gov:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
      "arn:aws-us-gov:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    ]);
    expect(JSON.parse(onlyResource(gov, "aws_kms_key").policy).Statement[0].Principal).toEqual({
      AWS: `arn:aws-us-gov:iam::${TEST_ACCOUNT}:root`,
    });
  });

  it("exposes the vault, plan and role", () => {
    expect(json.output).toEqual({
      vault_name: { value: ref("aws_backup_vault", vaultId, "name") },
      vault_arn: { value: ref("aws_backup_vault", vaultId, "arn") },
      plan_id: { value: ref("aws_backup_plan", idOf(json, "aws_backup_plan"), "id") },
      plan_arn: { value: ref("aws_backup_plan", idOf(json, "aws_backup_plan"), "arn") },
      role_arn: { value: ref("aws_iam_role", roleId, "arn") },
    });
  });

  it("accepts AWS cron schedules only", () => {
    expect(backupScheduleProblem("cron(0 5 * * ? *)")).toBeUndefined();
    expect(backupScheduleProblem("rate(1 day)")).toMatch(/must be an AWS cron expression/);
    expect(backupScheduleProblem("cron(0 5 * * *)")).toBeDefined();
  });

  it.each([
    [{ resourceArns: [] }, /BackupPlan: resourceArns must list at least one resource ARN/],
    [{ resourceArns: ["acme-test-db"] }, /BackupPlan: resourceArns: "acme-test-db" is not an ARN/],
    [{ resourceArns: [`arn:aws:dynamodb:eu-west-1:${TEST_ACCOUNT}:table/*`] }, /BackupPlan: resourceArns: .* has a wildcard/],
    [{ resourceArns: [CLUSTER_ARN, CLUSTER_ARN] }, /BackupPlan: resourceArns has duplicates/],
    [{ retentionDays: 0 }, /BackupPlan: retentionDays must be a whole number of days, at least 1, got 0/],
    [{ retentionDays: 7.5 }, /BackupPlan: retentionDays must be a whole number/],
    [{ schedule: "rate(1 day)" }, /BackupPlan: schedule must be an AWS cron expression/],
    [{ schedule: "cron(0 25 * * ? *)" }, /BackupPlan: schedule .*hour/],
    [{ kmsKeyArn: "alias/backup" }, /BackupPlan: kmsKeyArn must be a KMS key ARN/],
    [{ vaultLock: { minRetentionDays: 30, maxRetentionDays: 7 } }, /BackupPlan: vaultLock.minRetentionDays \(30\) is greater than vaultLock.maxRetentionDays \(7\)/],
    [{ vaultLock: { minRetentionDays: 0, maxRetentionDays: 7 } }, /BackupPlan: vaultLock.minRetentionDays must be a whole number from 1 to 36500/],
    [{ vaultLock: { minRetentionDays: 1, maxRetentionDays: 40000 } }, /BackupPlan: vaultLock.maxRetentionDays must be a whole number from 1 to 36500/],
    [{ vaultLock: { minRetentionDays: 1, maxRetentionDays: 30 } }, /BackupPlan: retentionDays \(35\) is outside the vault lock's 1-30 days/],
    [{ vaultLock: { minRetentionDays: 1, maxRetentionDays: 365, changeableForDays: 2 } }, /BackupPlan: vaultLock.changeableForDays must be a whole number of days, at least 3/],
    [{ copyTo: { vaultArn: `arn:aws:backup:eu-west-1:${TEST_ACCOUNT}:backup-vault:other`, retentionDays: 35 } }, /BackupPlan: copyTo.vaultArn is in eu-west-1, the vault's own region/],
    [{ copyTo: { vaultArn: "acme-test-backup-dr", retentionDays: 35 } }, /BackupPlan: copyTo.vaultArn must be a backup vault ARN/],
    [{ copyTo: { vaultArn: DR_VAULT, retentionDays: 0 } }, /BackupPlan: copyTo.retentionDays must be a whole number of days, at least 1/],
    [{ accountId: "1234" }, /BackupPlan: accountId must be 12 digits/],
    [{ region: "EU-WEST-1" }, /BackupPlan: region must be an AWS region name/],
  ] as Array<[Partial<BackupPlanProps>, RegExp]>)("refuses %o", (props, message) => {
    expect(() => backup(props)).toThrow(message);
  });
});

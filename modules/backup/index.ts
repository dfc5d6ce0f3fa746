import { BackupPlan as BackupPlanResource } from "@cdktf/provider-aws/lib/backup-plan";
import { BackupSelection } from "@cdktf/provider-aws/lib/backup-selection";
import { BackupVault } from "@cdktf/provider-aws/lib/backup-vault";
import { BackupVaultLockConfiguration } from "@cdktf/provider-aws/lib/backup-vault-lock-configuration";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Token, type TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { KEY_USE_ACTIONS, keyAdministrationStatement, partitionOf, policyDocument, regionalServicePrincipal } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";
import { scheduleProblem } from "../../src/lib/schedule";

/**
 * Longest AWS Backup vault, plan and selection name (vaults 2-50 of `[A-Za-z0-9_-]`, plans and
 * selections 1-50 of `[A-Za-z0-9_.-]`). Candidate for `NAME_LIMITS.backup`.
 */

/** Minutes after the scheduled time a backup must start, and must finish, or it is cancelled. */
export const BACKUP_START_WINDOW_MINUTES = 60;
export const BACKUP_COMPLETION_WINDOW_MINUTES = 180;

/** Daily at 05:00 UTC, after the Aurora automated-backup window (03:00-04:00). */
export const DEFAULT_BACKUP_SCHEDULE = "cron(0 5 * * ? *)";

/** The AWS managed policies the selection role carries (AWS Backup's default service role). */
export const BACKUP_MANAGED_POLICIES = ["AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"] as const;

/** The AWS managed policies AWS Backup needs for S3 buckets (not under `service-role/`). */
export const BACKUP_S3_MANAGED_POLICIES = ["AWSBackupServiceRolePolicyForS3Backup", "AWSBackupServiceRolePolicyForS3Restore"] as const;

/** Longest retention Backup Vault Lock accepts, in days. */
const MAX_LOCK_DAYS = 36500;

/** Backup Vault Lock: recovery points in the vault cannot be deleted early or kept too long. */
export interface BackupVaultLock {
  /** Shortest retention a recovery point in the vault may have, in days (1 or more). */
  readonly minRetentionDays: number;
  /** Longest retention a recovery point in the vault may have, in days (up to 36500). */
  readonly maxRetentionDays: number;
  /**
   * Days until the lock becomes immutable (compliance mode, 3 or more). After that nobody, not even
   * the root user, can remove the lock or shorten retention. Leave unset for governance mode, which
   * sufficiently privileged IAM principals can still change.
   * @default none (governance mode)
   */
  readonly changeableForDays?: number;
}

/** A copy of every recovery point to a vault in another region (disaster recovery). */
export interface BackupCopyTarget {
  /** ARN of the destination vault (`arn:<partition>:backup:<region>:<account>:backup-vault:<name>`). */
  readonly vaultArn: string;
  /** Days the copy is kept in the destination vault. */
  readonly retentionDays: number;
}

export interface BackupPlanProps {
  readonly naming: NameContext;
  /** Account of the vault key's policy. */
  readonly accountId: string;
  /** Region of the vault; a copy target must be in another one. */
  readonly region: string;
  /**
   * ARNs of the resources backed up, listed explicitly (for example the Aurora cluster ARN, DynamoDB
   * table ARNs); wildcards are refused.
   */
  readonly resourceArns: readonly string[];
  /** Days each daily recovery point is kept. */
  readonly retentionDays: number;
  /** AWS cron expression of the daily rule, in UTC. @default "cron(0 5 * * ? *)" */
  readonly schedule?: string;
  /**
   * Customer-managed KMS key for the vault.
   * @default a key created here (rotation on; the account administers it and may use it only through AWS Backup)
   */
  readonly kmsKeyArn?: string;
  /** Backup Vault Lock on the vault. @default none */
  readonly vaultLock?: BackupVaultLock;
  /** Copy every recovery point to a vault in another region. @default none */
  readonly copyTo?: BackupCopyTarget;
  /**
   * S3 buckets in the selection (versioned buckets, by ARN): the role then also carries AWS Backup's
   * S3 backup and restore policies. @default []
   */
  readonly s3BucketArns?: readonly string[];
}

function fail(message: string): never {
  throw new Error(`BackupPlan: ${message}`);
}

function isWholeDays(value: number, min: number, max = Number.MAX_SAFE_INTEGER): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/** Returns why `schedule` is not an AWS Backup schedule (an AWS `cron(...)` expression), or undefined. */
export function backupScheduleProblem(schedule: string): string | undefined {
  if (!/^cron\(.*\)$/s.test(schedule)) {
    return `must be an AWS cron expression "cron(min hour day-of-month month day-of-week year)", got ${JSON.stringify(schedule)}`;
  }
  return scheduleProblem(schedule);
}

/**
 * AWS Backup for explicitly listed resources: a vault encrypted with a customer-managed KMS key
 * (created here with rotation, or given), optional Backup Vault Lock, a plan with one daily rule
 * (start within 60 minutes, finish within 180, delete after `retentionDays`) and an optional copy of
 * every recovery point to a vault in another region, and a selection of the resource ARNs run by a
 * role that only AWS Backup may assume, carrying the AWS managed backup and restore policies.
 */
export class BackupPlan extends Construct {
  readonly vault: BackupVault;
  readonly vaultName: string;
  readonly vaultArn: string;
  readonly plan: BackupPlanResource;
  readonly planId: string;
  readonly planArn: string;
  readonly role: IamRole;
  readonly roleArn: string;
  readonly selection: BackupSelection;
  /** The vault's key: the one created here, or `kmsKeyArn`. */
  readonly kmsKeyArn: string;
  readonly kmsKey?: KmsKey;

  constructor(scope: Construct, id: string, props: BackupPlanProps) {
    super(scope, id);
    const { naming, accountId, region } = props;
    const schedule = props.schedule ?? DEFAULT_BACKUP_SCHEDULE;

    if (!/^\d{12}$/.test(accountId)) {
      fail(`accountId must be 12 digits, got "${accountId}"`);
    }
    if (!/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/.test(region)) {
      fail(`region must be an AWS region name such as us-east-1, got "${region}"`);
    }
    if (props.resourceArns.length === 0) {
      fail("resourceArns must list at least one resource ARN");
    }
    for (const arn of props.resourceArns) {
      if (Token.isUnresolved(arn)) continue;
      if (!/^arn:[\w-]+:[a-z0-9-]+:/.test(arn)) {
        fail(`resourceArns: "${arn}" is not an ARN`);
      }
      if (arn.includes("*")) {
        fail(`resourceArns: "${arn}" has a wildcard; list each resource's ARN`);
      }
    }
    const literalArns = props.resourceArns.filter((arn) => !Token.isUnresolved(arn));
    if (new Set(literalArns).size !== literalArns.length) {
      fail(`resourceArns has duplicates: ${literalArns.join(", ")}`);
    }
    if (!isWholeDays(props.retentionDays, 1)) {
      fail(`retentionDays must be a whole number of days, at least 1, got ${props.retentionDays}`);
    }
    if (!Token.isUnresolved(schedule)) {
      const problem = backupScheduleProblem(schedule);
      if (problem) fail(`schedule ${problem}`);
    }
    if (
      props.kmsKeyArn !== undefined &&
      !Token.isUnresolved(props.kmsKeyArn) &&
      !/^arn:[\w-]+:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/.test(props.kmsKeyArn)
    ) {
      fail(`kmsKeyArn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), got "${props.kmsKeyArn}"`);
    }
    const lock = props.vaultLock;
    if (lock) {
      if (!isWholeDays(lock.minRetentionDays, 1, MAX_LOCK_DAYS)) {
        fail(`vaultLock.minRetentionDays must be a whole number from 1 to ${MAX_LOCK_DAYS}, got ${lock.minRetentionDays}`);
      }
      if (!isWholeDays(lock.maxRetentionDays, 1, MAX_LOCK_DAYS)) {
        fail(`vaultLock.maxRetentionDays must be a whole number from 1 to ${MAX_LOCK_DAYS}, got ${lock.maxRetentionDays}`);
      }
      if (lock.minRetentionDays > lock.maxRetentionDays) {
        fail(`vaultLock.minRetentionDays (${lock.minRetentionDays}) is greater than vaultLock.maxRetentionDays (${lock.maxRetentionDays})`);
      }
      if (props.retentionDays < lock.minRetentionDays || props.retentionDays > lock.maxRetentionDays) {
        fail(
          `retentionDays (${props.retentionDays}) is outside the vault lock's ${lock.minRetentionDays}-${lock.maxRetentionDays} days; backup jobs would fail`,
        );
      }
      if (lock.changeableForDays !== undefined && !isWholeDays(lock.changeableForDays, 3)) {
        fail(`vaultLock.changeableForDays must be a whole number of days, at least 3, got ${lock.changeableForDays}`);
      }
    }
    const copy = props.copyTo;
    if (copy) {
      if (!Token.isUnresolved(copy.vaultArn)) {
        const match = /^arn:[\w-]+:backup:([a-z0-9-]+):\d{12}:backup-vault:[A-Za-z0-9_-]{2,50}$/.exec(copy.vaultArn);
        if (!match) {
          fail(`copyTo.vaultArn must be a backup vault ARN (arn:<partition>:backup:<region>:<account>:backup-vault:<name>), got "${copy.vaultArn}"`);
        }
        if (match![1] === region) {
          fail(`copyTo.vaultArn is in ${region}, the vault's own region; a disaster-recovery copy goes to another region`);
        }
      }
      if (!isWholeDays(copy.retentionDays, 1)) {
        fail(`copyTo.retentionDays must be a whole number of days, at least 1, got ${copy.retentionDays}`);
      }
    }

    const partition = partitionOf(region);
    const name = (component: string) => physicalName(naming, component, { maxLength: NAME_LIMITS.backupVaultOrPlan });
    const vaultName = name("backup");

    if (props.kmsKeyArn) {
      this.kmsKeyArn = props.kmsKeyArn;
    } else {
      this.kmsKey = vaultKey(this, { partition, accountId, region, vaultName });
      this.kmsKeyArn = this.kmsKey.arn;
    }

    this.vault = new BackupVault(this, "vault", { name: vaultName, kmsKeyArn: this.kmsKeyArn });
    this.vaultName = this.vault.name;
    this.vaultArn = this.vault.arn;

    if (lock) {
      new BackupVaultLockConfiguration(this, "vault-lock", {
        backupVaultName: this.vault.name,
        minRetentionDays: lock.minRetentionDays,
        maxRetentionDays: lock.maxRetentionDays,
        ...(lock.changeableForDays !== undefined ? { changeableForDays: lock.changeableForDays } : {}),
      });
    }

    this.plan = new BackupPlanResource(this, "plan", {
      name: name("backup-plan"),
      rule: [
        {
          ruleName: "daily",
          targetVaultName: this.vault.name,
          schedule,
          startWindow: BACKUP_START_WINDOW_MINUTES,
          completionWindow: BACKUP_COMPLETION_WINDOW_MINUTES,
          lifecycle: { deleteAfter: props.retentionDays },
          ...(copy
            ? { copyAction: [{ destinationVaultArn: copy.vaultArn, lifecycle: { deleteAfter: copy.retentionDays } }] }
            : {}),
        },
      ],
    });
    this.planId = this.plan.id;
    this.planArn = this.plan.arn;

    // AWS Backup's documented service-role trust names only the service principal; AWS Backup does not
    // document aws:SourceAccount / aws:SourceArn for assuming a selection role, so none is required here.
    this.role = new IamRole(this, "role", {
      name: physicalName(naming, "backup", { maxLength: NAME_LIMITS.iamRole }),
      description: `Lets AWS Backup back up and restore the resources of plan ${name("backup-plan")}`,
      assumeRolePolicy: policyDocument([
        { Effect: "Allow", Principal: { Service: "backup.amazonaws.com" }, Action: "sts:AssumeRole" },
      ]),
    });
    this.roleArn = this.role.arn;
    const s3Buckets = props.s3BucketArns ?? [];
    const policyArns = [
      ...BACKUP_MANAGED_POLICIES.map((policy) => [policy, `arn:${partition}:iam::aws:policy/service-role/${policy}`]),
      ...(s3Buckets.length > 0 ? BACKUP_S3_MANAGED_POLICIES.map((policy) => [policy, `arn:${partition}:iam::aws:policy/${policy}`]) : []),
    ];
    const attachments = policyArns.map(
      ([policy, policyArn]) => new IamRolePolicyAttachment(this, `role-${policy}`, { role: this.role.name, policyArn }),
    );

    this.selection = new BackupSelection(this, "selection", {
      name: name("backup-selection"),
      planId: this.plan.id,
      iamRoleArn: this.role.arn,
      resources: [...props.resourceArns, ...s3Buckets],
      // AWS Backup validates the role's permissions when the selection is created.
      dependsOn: attachments,
    });
  }
}

/**
 * The customer-managed key of a backup vault (rotation on): the account administers it through IAM and
 * may use it only through AWS Backup (and RDS, which copies Aurora snapshots into a vault of another
 * region with it) in the key's region. Created in `scope` with ids `key` and `key-alias`.
 */
function vaultKey(
  scope: Construct,
  props: { partition: string; accountId: string; region: string; vaultName: string; viaServices?: readonly string[]; provider?: TerraformProvider },
): KmsKey {
  const { partition, accountId, region, vaultName } = props;
  const provider = props.provider ? { provider: props.provider } : {};
  const via = (props.viaServices ?? ["backup"]).map((service) => regionalServicePrincipal(service, region));
  const key = new KmsKey(scope, "key", {
    ...provider,
    description: `Encrypts the recovery points in backup vault ${vaultName}`,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: policyDocument([
      keyAdministrationStatement(partition, accountId),
      {
        Sid: "AllowUseThroughAwsBackup",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: [...KEY_USE_ACTIONS, "kms:CreateGrant", "kms:RetireGrant"],
        Resource: "*",
        Condition: { StringEquals: { "kms:CallerAccount": accountId, "kms:ViaService": via.length === 1 ? via[0] : via } },
      },
    ]),
  });
  new KmsAlias(scope, "key-alias", { ...provider, name: `alias/${vaultName}`, targetKeyId: key.keyId });
  return key;
}

export interface BackupCopyVaultProps {
  readonly naming: NameContext;
  readonly accountId: string;
  /** Region of the vault (the disaster-recovery region); the provider must point there. */
  readonly region: string;
  /** The provider of `region` (an alias of the stack's provider). */
  readonly provider: TerraformProvider;
  /** Backup Vault Lock on the vault. @default none */
  readonly vaultLock?: BackupVaultLock;
}

/**
 * The destination of cross-region copies: a vault `<project>-<env>-backup-dr` in another region with
 * a key of its own in that region (rotation on; usable only through AWS Backup and RDS there), so a
 * copy stays readable when the primary region, or its key, is lost.
 */
export class BackupCopyVault extends Construct {
  readonly vault: BackupVault;
  readonly vaultName: string;
  readonly vaultArn: string;
  readonly kmsKey: KmsKey;
  readonly kmsKeyArn: string;

  constructor(scope: Construct, id: string, props: BackupCopyVaultProps) {
    super(scope, id);
    if (!/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/.test(props.region)) {
      throw new Error(`BackupCopyVault: region must be an AWS region name such as us-west-2, got "${props.region}"`);
    }
    const vaultName = physicalName(props.naming, "backup-dr", { maxLength: NAME_LIMITS.backupVaultOrPlan });
    this.kmsKey = vaultKey(this, {
      partition: partitionOf(props.region),
      accountId: props.accountId,
      region: props.region,
      vaultName,
      viaServices: ["backup", "rds"],
      provider: props.provider,
    });
    this.kmsKeyArn = this.kmsKey.arn;
    this.vault = new BackupVault(this, "vault", { provider: props.provider, name: vaultName, kmsKeyArn: this.kmsKey.arn });
    this.vaultName = this.vault.name;
    this.vaultArn = this.vault.arn;
    const lock = props.vaultLock;
    if (lock) {
      new BackupVaultLockConfiguration(this, "vault-lock", {
        provider: props.provider,
        backupVaultName: this.vault.name,
        minRetentionDays: lock.minRetentionDays,
        maxRetentionDays: lock.maxRetentionDays,
        ...(lock.changeableForDays !== undefined ? { changeableForDays: lock.changeableForDays } : {}),
      });
    }
  }
}

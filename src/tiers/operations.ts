import { AuditTrail } from "../../modules/audit";
import { BackupPlan } from "../../modules/backup";
import { WorkspaceBudget } from "../../modules/budget";
import type { PlatformMonitoring } from "../../modules/monitoring";
import type { EnvironmentConfig } from "../config/schema";
import type { TierContext } from "./context";
import type { DataApiTier } from "./data-api";
import type { DatabaseTier } from "./database";
import type { TablesTier } from "./tables";
import type { RecoveryTier } from "./recovery";

/** The config slice the operations tier reads, and the tier it builds on. */
export interface OperationsTierProps {
  /** `operations`: alert e-mails, alarm thresholds, CloudTrail and AWS Backup switches and retention. */
  readonly operations: EnvironmentConfig["operations"];
  /** The database AWS Backup protects. */
  readonly database: DatabaseTier;
  /** `budgets`: the monthly cost budget notifying the alerts topic. @default none */
  readonly budgets?: EnvironmentConfig["budgets"];
  /** Other workspaces in the same account (`sharesAccountWith`): the budget then counts this one's tag only. @default [] */
  readonly sharesAccountWith?: readonly string[];
  /** Disaster recovery: the DR vault every recovery point is copied to and the buckets also backed up. @default none */
  readonly recovery?: RecoveryTier;
  /** DynamoDB tables AWS Backup also protects. @default none */
  readonly tables?: TablesTier;
  /** The data API, whose documents bucket AWS Backup also protects. @default none */
  readonly dataApi?: DataApiTier;
}

const OWNER = "OperationsTier";

/**
 * Operations, built after every other tier: the monitoring (modules/monitoring: encrypted alerts
 * topic, e-mail subscriptions, the alarms and dashboard over everything the tiers registered), the
 * CloudTrail trail (modules/audit) when `operations.cloudTrail` is on, and the AWS Backup plan for
 * the database and the DynamoDB tables (modules/backup) when `operations.backup` is on, with the
 * data API's documents bucket, the pipeline buckets and a copy
 * to the DR vault when the recovery tier asks (registering that vault's job alarms), and the monthly
 * cost budget (modules/budget, notifying the alerts topic) when `budgets` is set. Outputs: `alerts_topic_arn`,
 * `dashboard_name`.
 */
export class OperationsTier {
  readonly monitoring: PlatformMonitoring;
  readonly audit?: AuditTrail;
  readonly backup?: BackupPlan;
  readonly budget?: WorkspaceBudget;

  constructor(ctx: TierContext, props: OperationsTierProps) {
    const ops = props.operations;
    const common = { naming: ctx.naming, accountId: ctx.accountId, region: ctx.region };
    if (ops.backup) {
      const copyTo =
        props.recovery?.copyTarget ??
        (ops.backupCopyToVaultArn ? { vaultArn: ops.backupCopyToVaultArn, retentionDays: ops.backupRetentionDays } : undefined);
      this.backup = new BackupPlan(ctx.scope, "backup", {
        ...common,
        resourceArns: [props.database.database.clusterArn, ...(props.tables?.tableArns ?? [])],
        s3BucketArns: [...(props.recovery?.backupBucketArns ?? []), ...(props.dataApi?.backupBucketArns ?? [])],
        retentionDays: ops.backupRetentionDays,
        copyTo,
      });
      // A table with a customer-managed key: its policy names AWS Backup's role too (backups are encrypted with the table's key).
      for (const table of props.tables?.tables.values() ?? []) table.allowKeyUse(this.backup.roleArn);
      // Registered before the monitoring is built from the registry.
      ctx.monitoring.addBackupVault(OWNER, { name: "plan", vaultName: this.backup.vaultName, copiesToOtherRegion: copyTo !== undefined });
    }
    this.monitoring = ctx.monitoring.build(ctx.scope, "monitoring", {
      ...common,
      alertEmails: ops.alertEmails,
      thresholds: ops.thresholds,
      budgetNotifications: props.budgets !== undefined,
    });
    if (ops.cloudTrail) {
      this.audit = new AuditTrail(ctx.scope, "audit", { ...common, retentionDays: ops.cloudTrailRetentionDays, logRetentionDays: ctx.logRetentionDays });
    }

    if (props.budgets) {
      this.budget = new WorkspaceBudget(ctx.scope, "budget", {
        naming: ctx.naming,
        accountId: ctx.accountId,
        monthlyUsd: props.budgets.monthlyUsd,
        topicArn: this.monitoring.topicArn,
        actualAlertPercent: props.budgets.actualAlertPercent,
        forecastAlertPercent: props.budgets.forecastAlertPercent,
        filterByEnvironmentTag: (props.sharesAccountWith ?? []).length > 0,
      });
    }

    ctx.output(OWNER, "alerts_topic_arn", this.monitoring.topicArn, "SNS topic every alarm notifies");
    ctx.output(OWNER, "dashboard_name", this.monitoring.dashboardName, "CloudWatch dashboard of this workspace");
  }
}

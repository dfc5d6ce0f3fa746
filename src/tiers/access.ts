import { ACCESS_HOST_TAG, AccessHost, DeveloperRole } from "../../modules/access-host";
import type { EnvironmentConfig } from "../config/schema";
import type { ComputeTier } from "./compute";
import type { TierContext } from "./context";
import type { DatabaseTier } from "./database";
import type { NetworkTier } from "./network";

/** The config slice the access tier reads, and the tiers it builds on. */
export interface AccessTierProps {
  /** `access`: host size, session logging and timeout, who may assume the developer role; only built when `enabled`. */
  readonly access: EnvironmentConfig["access"];
  /** The VPC and its private subnets (the host starts in one of them). */
  readonly network: NetworkTier;
  /** The database: `connect()` opens PostgreSQL to the host; the cluster's ARN and resource id scope the role. */
  readonly database: DatabaseTier;
  /** The migrate task: it gets `DB_READONLY_USER`, the PostgreSQL role the migration creates for developers. */
  readonly compute: ComputeTier;
}

const OWNER = "AccessTier";

/** The environment variable that names the read-only role to the migration (README "Developer access"). */
export const READONLY_USER_VARIABLE = "DB_READONLY_USER";

/**
 * Access: the developer access host (modules/access-host: Auto Scaling group of 0..1 built from
 * modules/ec2-launch-template, session logs and preferences) admitted to PostgreSQL, and the
 * developer role (port forwarding through the host only, read-only IAM database login). Tells the
 * migrate task the read-only role to create. Registers no alarms. Outputs: `access_host_group`,
 * `developer_role_arn`, `access_session_log_group`, `database_read_only_user`.
 */
export class AccessTier {
  readonly host: AccessHost;
  readonly developerRole: DeveloperRole;

  constructor(ctx: TierContext, props: AccessTierProps) {
    const spec = props.access;
    if (!spec.enabled) throw new Error(`${OWNER}: built only when access.enabled is true (${ctx.configFile})`);
    const { network } = props.network;
    const cluster = props.database.database;

    this.host = new AccessHost(ctx.scope, "access-host", {
      naming: ctx.naming,
      region: ctx.region,
      accountId: ctx.accountId,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      instanceType: spec.instanceType,
      idleSessionTimeoutMinutes: spec.idleSessionTimeoutMinutes,
      logRetentionDays: spec.sessionLogRetentionDays ?? ctx.logRetentionDays,
      sessionLogsToS3: spec.sessionLogsToS3,
      forceDestroyLogBucket: ctx.disposable,
      manageSessionPreferences: spec.manageSessionPreferences,
      stopSchedule: spec.stopSchedule,
    });
    props.database.connect("access-host", this.host.securityGroup);

    this.developerRole = new DeveloperRole(ctx.scope, "developer-role", {
      naming: ctx.naming,
      region: ctx.region,
      accountId: ctx.accountId,
      principalArns: spec.allowedPrincipalArns,
      maxSessionHours: spec.maxSessionHours,
      autoScalingGroupName: this.host.autoScalingGroupName,
      hostTag: { key: ACCESS_HOST_TAG, value: this.host.hostTagValue },
      sessionKeyArn: this.host.kmsKeyArn,
      clusterArn: cluster.clusterArn,
      clusterResourceId: cluster.cluster.clusterResourceId,
      databaseUser: spec.readOnlyDatabaseUser,
    });
    props.compute.migrateTask.addEnvironment({ [READONLY_USER_VARIABLE]: spec.readOnlyDatabaseUser });

    ctx.output(OWNER, "access_host_group", this.host.autoScalingGroupName, "Auto Scaling group of the access host (desired capacity 0 = stopped)");
    ctx.output(OWNER, "developer_role_arn", this.developerRole.roleArn, "Role developers assume (MFA) for `npm run db:tunnel`");
    ctx.output(OWNER, "access_session_log_group", this.host.logGroupName, "Encrypted log group of Session Manager sessions");
    ctx.output(OWNER, "database_read_only_user", spec.readOnlyDatabaseUser, "PostgreSQL role developers log in as with an IAM token");
  }
}

import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { AutoscalingSchedule } from "@cdktf/provider-aws/lib/autoscaling-schedule";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SsmDocument } from "@cdktf/provider-aws/lib/ssm-document";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { Ec2LaunchTemplate } from "../ec2-launch-template";
import { TaskSecurityGroup } from "../ecs-task";
import { SecureBucket } from "../s3-bucket";
import { LOG_RETENTION_DAYS } from "../../src/lib/logs";
import { keyAdministrationStatement, logGroupKeyStatement, partitionOf, policyDocument, type PolicyStatement } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";

export { DeveloperRole, PORT_FORWARDING_DOCUMENT, type DeveloperRoleProps } from "./developer-role";

/** The account-region Session Manager preferences document (one per account and region). */
export const SESSION_PREFERENCES_DOCUMENT = "SSM-SessionManagerRunShell";
/** Tag key every access host instance carries; the developer role may start sessions only on instances with its value. */
export const ACCESS_HOST_TAG = "PlatformAccessHost";

export interface AccessHostProps {
  readonly naming: NameContext;
  readonly region: string;
  readonly accountId: string;
  readonly vpcId: string;
  /** Private subnets the host may start in (an Auto Scaling group of 0..1 picks one). */
  readonly subnetIds: readonly string[];
  /** Graviton instance type. @default "t4g.nano" */
  readonly instanceType?: string;
  /** Session Manager idle timeout, minutes (1-60). @default 20 */
  readonly idleSessionTimeoutMinutes?: number;
  /** Retention of the session log group, days. @default 365 */
  readonly logRetentionDays?: number;
  /** Also keep session logs in an SSE-KMS bucket. @default false */
  readonly sessionLogsToS3?: boolean;
  /** Let `terraform destroy` empty the session log bucket. @default false */
  readonly forceDestroyLogBucket?: boolean;
  /**
   * Write the account-region Session Manager preferences (`SSM-SessionManagerRunShell`): log group,
   * bucket, KMS encryption, idle timeout. Turn off where the account's preferences are managed elsewhere.
   * @default true
   */
  readonly manageSessionPreferences?: boolean;
  /** Daily stop (desired capacity 0), 5-field cron in UTC. @default "0 20 * * *" */
  readonly stopSchedule?: string;
  /** Days after which a running host is replaced (with a freshly resolved AMI). @default 7 */
  readonly maxInstanceLifetimeDays?: number;
}

function fail(message: string): never {
  throw new Error(`AccessHost: ${message}`);
}

/**
 * A developer access host reached only through Session Manager: an Auto Scaling group of 0 to 1
 * Graviton instances in private subnets (desired capacity 0, started on demand with
 * `aws autoscaling set-desired-capacity`, stopped daily by a scheduled action; Terraform ignores the
 * desired capacity after creation), launched from an {@link Ec2LaunchTemplate} (latest Amazon Linux
 * 2023 resolved at launch, IMDSv2, encrypted root, no key pair), a security group with no ingress
 * (egress HTTPS, more with `securityGroup.allowEgressTo`), a KMS key that encrypts the session log
 * group, the optional log bucket and session data, and the account's Session Manager preferences.
 */
export class AccessHost extends Construct {
  readonly securityGroup: TaskSecurityGroup;
  readonly launchTemplate: Ec2LaunchTemplate;
  readonly autoScalingGroup: AutoscalingGroup;
  readonly autoScalingGroupName: string;
  readonly autoScalingGroupArn: string;
  readonly kmsKey: KmsKey;
  readonly kmsKeyArn: string;
  readonly logGroup: CloudwatchLogGroup;
  readonly logGroupName: string;
  readonly logBucket?: SecureBucket;
  readonly preferences?: SsmDocument;
  /** The instances' {@link ACCESS_HOST_TAG} value (`<project>-<env>-access-host`). */
  readonly hostTagValue: string;

  constructor(scope: Construct, id: string, props: AccessHostProps) {
    super(scope, id);
    const { naming, region, accountId } = props;
    const idle = props.idleSessionTimeoutMinutes ?? 20;
    const retention = props.logRetentionDays ?? 365;
    const lifetimeDays = props.maxInstanceLifetimeDays ?? 7;
    const stopSchedule = props.stopSchedule ?? "0 20 * * *";
    if (props.subnetIds.length === 0) fail("subnetIds needs at least one private subnet");
    if (!Number.isInteger(idle) || idle < 1 || idle > 60) fail(`idleSessionTimeoutMinutes must be 1 to 60, got ${idle}`);
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention)) fail(`logRetentionDays must be a CloudWatch retention period, got ${retention}`);
    // Auto Scaling accepts 0 (no limit) or 1 to 365 days.
    if (!Number.isInteger(lifetimeDays) || lifetimeDays < 1 || lifetimeDays > 365) fail(`maxInstanceLifetimeDays must be 1 to 365, got ${lifetimeDays}`);
    if (!/^(\S+\s+){4}\S+$/.test(stopSchedule)) fail(`stopSchedule must be a 5-field cron expression, got "${stopSchedule}"`);

    const partition = partitionOf(region);
    const name = physicalName(naming, "access-host");
    this.hostTagValue = name;
    const logGroupName = `/aws/ssm/${physicalName(naming, "sessions")}`;
    const logGroupArn = `arn:${partition}:logs:${region}:${accountId}:log-group:${logGroupName}`;

    this.kmsKey = new KmsKey(this, "key", {
      description: `Encrypts Session Manager data and logs of ${name}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument([
        keyAdministrationStatement(partition, accountId),
        {
          // Session encryption: IAM policies grant the developer role GenerateDataKey and the host Decrypt.
          Sid: "AllowAccountPrincipalsThroughIam",
          Effect: "Allow",
          Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
          Action: ["kms:Decrypt", "kms:GenerateDataKey"],
          Resource: "*",
          Condition: { StringEquals: { "kms:CallerAccount": accountId } },
        },
        logGroupKeyStatement("AllowCloudWatchLogsForTheSessionGroup", region, logGroupArn),
      ]),
    });
    this.kmsKeyArn = this.kmsKey.arn;
    new KmsAlias(this, "key-alias", { name: `alias/${name}`, targetKeyId: this.kmsKey.keyId });

    this.logGroup = new CloudwatchLogGroup(this, "sessions", { name: logGroupName, retentionInDays: retention, kmsKeyId: this.kmsKey.arn });
    this.logGroupName = this.logGroup.name;

    if (props.sessionLogsToS3) {
      this.logBucket = new SecureBucket(this, "session-logs", {
        bucketName: physicalName(naming, `sessions-${accountId}`, { maxLength: NAME_LIMITS.s3Bucket }),
        encryption: "aws:kms",
        kmsKeyArn: this.kmsKey.arn,
        expiryRules: [{ id: "expire-session-logs", expireAfterDays: retention }],
        forceDestroy: props.forceDestroyLogBucket ?? false,
      });
    }

    this.securityGroup = new TaskSecurityGroup(this, "security-group", {
      naming,
      component: "access-host",
      vpcId: props.vpcId,
      description: "Developer access host: no ingress (Session Manager only), HTTPS to AWS APIs",
    });

    const logStatements: PolicyStatement[] = [
      {
        Sid: "WriteSessionLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
        Resource: [logGroupArn, `${logGroupArn}:*`],
      },
      // The agent checks the group's encryption before it streams; DescribeLogGroups has no resource-level permissions.
      { Sid: "FindSessionLogGroup", Effect: "Allow", Action: "logs:DescribeLogGroups", Resource: "*" },
      { Sid: "DecryptSessionData", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: this.kmsKey.arn },
    ];
    if (this.logBucket) {
      logStatements.push(
        { Sid: "WriteSessionLogObjects", Effect: "Allow", Action: "s3:PutObject", Resource: `${this.logBucket.bucketArn}/*` },
        { Sid: "CheckSessionLogBucket", Effect: "Allow", Action: "s3:GetEncryptionConfiguration", Resource: this.logBucket.bucketArn },
      );
    }
    this.launchTemplate = new Ec2LaunchTemplate(this, "template", {
      naming,
      component: "access-host",
      region,
      accountId,
      architecture: "arm64",
      instanceType: props.instanceType ?? "t4g.nano",
      securityGroupIds: [this.securityGroup.securityGroupId],
      metadataHopLimit: 1,
      rolePolicyStatements: logStatements,
      instanceTags: { [ACCESS_HOST_TAG]: name },
    });

    this.autoScalingGroup = new AutoscalingGroup(this, "group", {
      name,
      minSize: 0,
      maxSize: 1,
      desiredCapacity: 0,
      vpcZoneIdentifier: [...props.subnetIds],
      launchTemplate: { id: this.launchTemplate.launchTemplateId, version: Token.asString(this.launchTemplate.latestVersion) },
      healthCheckType: "EC2",
      maxInstanceLifetime: lifetimeDays * 86400,
      instanceRefresh: { strategy: "Rolling", preferences: { minHealthyPercentage: 0 } },
      // Developers start the host on demand; a later apply must not stop it.
      lifecycle: { ignoreChanges: ["desired_capacity"] },
    });
    this.autoScalingGroupName = this.autoScalingGroup.name;
    this.autoScalingGroupArn = this.autoScalingGroup.arn;
    new AutoscalingSchedule(this, "daily-stop", {
      scheduledActionName: "daily-stop",
      autoscalingGroupName: this.autoScalingGroup.name,
      recurrence: stopSchedule,
      timeZone: "Etc/UTC",
      minSize: 0,
      maxSize: 1,
      desiredCapacity: 0,
    });

    if (props.manageSessionPreferences ?? true) {
      this.preferences = new SsmDocument(this, "preferences", {
        name: SESSION_PREFERENCES_DOCUMENT,
        documentType: "Session",
        documentFormat: "JSON",
        content: JSON.stringify(
          {
            schemaVersion: "1.0",
            description: `Session Manager preferences of the account and region (managed by ${physicalName(naming, "")})`,
            sessionType: "Standard_Stream",
            inputs: {
              s3BucketName: this.logBucket?.bucketName ?? "",
              s3KeyPrefix: this.logBucket ? "sessions/" : "",
              s3EncryptionEnabled: this.logBucket !== undefined,
              cloudWatchLogGroupName: this.logGroup.name,
              cloudWatchEncryptionEnabled: true,
              cloudWatchStreamingEnabled: true,
              kmsKeyId: this.kmsKey.arn,
              runAsEnabled: false,
              runAsDefaultUser: "",
              idleSessionTimeout: String(idle),
              maxSessionDuration: "",
              shellProfile: { linux: "", windows: "" },
            },
          },
          null,
          2,
        ),
      });
    }
  }
}

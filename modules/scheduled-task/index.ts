import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { Fn, TerraformLocal, Token } from "cdktf";
import { Construct } from "constructs";
import { denyInsecureQueueTransport, partitionOf, policyDocument, type PolicyStatement, serviceTrustPolicy } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName } from "../../src/lib/naming";
import { capacityProviderStrategy, type CapacityStrategy } from "../ecs-alb/cluster";
import { FargateTask, TaskSecurityGroup, taskImageProps, type TaskImageProps } from "../ecs-task";
import { DEFAULT_SCHEDULE_GROUP_NAME, SCHEDULE_GROUP_NAME } from "./group";
import { scheduleProblem, timeZoneProblem } from "../../src/lib/schedule";

export { DEFAULT_SCHEDULE_GROUP_NAME, ScheduleGroup, type ScheduleGroupProps } from "./group";

/**
 * Longest EventBridge Scheduler schedule name (1-64 of `[0-9a-zA-Z-_.]`).
 * Candidate for `NAME_LIMITS.schedulerSchedule` in src/lib/naming.ts.
 */

/** Range of `message_retention_seconds` SQS accepts. */
const SQS_RETENTION_SECONDS = { min: 60, max: 1_209_600 } as const;

/** How EventBridge Scheduler retries a failed RunTask before it gives up and writes to the dead-letter queue. */
export interface ScheduledTaskRetry {
  /** Retries after the first attempt, 0-185. @default 3 */
  readonly maximumAttempts?: number;
  /** Seconds an invocation may keep being retried, 60-86400. @default 3600 */
  readonly maximumEventAgeSeconds?: number;
}

export interface ScheduledTaskProps extends TaskImageProps {
  /** Short name of the task, e.g. `nightly-report`: component `task-<name>`, family `<project>-<env>-task-<name>`. */
  readonly name: string;
  /** ECS cluster the task runs in (it must have the FARGATE / FARGATE_SPOT capacity providers `capacity` uses). */
  readonly clusterArn: string;
  /** Private subnets the task runs in (no public IP), 1 to 16. */
  readonly subnetIds: readonly string[];
  /** VPC of the task's security group. */
  readonly vpcId: string;
  /** Command the container runs on every invocation (overrides the image's CMD). */
  readonly command: readonly string[];
  /** CPU units. @default 256 */
  readonly cpu?: number;
  /** Memory in MiB; must fit `cpu`. @default 512 */
  readonly memory?: number;
  /** EventBridge Scheduler expression: `cron(min hour dom month dow year)` or `rate(N minutes|hours|days)`. */
  readonly schedule: string;
  /** IANA time zone `schedule` is evaluated in. @default "UTC" */
  readonly timeZone?: string;
  /** Whether the schedule fires (`ENABLED`) or is kept but paused (`DISABLED`). @default true */
  readonly enabled?: boolean;
  /** Retry policy of the RunTask invocation. @default { maximumAttempts: 3, maximumEventAgeSeconds: 3600 } */
  readonly retry?: ScheduledTaskRetry;
  /** On-demand / Spot split of each run. @default Spot only (`FARGATE_SPOT` weight 1) */
  readonly capacity?: CapacityStrategy;
  /** How long failed invocations stay in the dead-letter queue, in seconds (60-1209600). @default 1209600 (14 days) */
  readonly dlqRetentionSeconds?: number;
  /** ARN of a customer-managed KMS key for the dead-letter queue. @default SQS-managed SSE (`sqs_managed_sse_enabled`) */
  readonly kmsMasterKeyId?: string;
  /**
   * Schedule group the schedule is created in, usually {@link ScheduleGroup.groupName} of the
   * workspace's group: Scheduler publishes metrics per group only, so schedules of different
   * environments in one account must not share a group. Moving a schedule to another group replaces it.
   * @default "default" (the account's default group)
   */
  readonly scheduleGroupName?: string;
}

/**
 * A Fargate task run on a schedule by EventBridge Scheduler, like `ScheduledFargateTask` in AWS CDK:
 * the task definition, roles and log group from {@link FargateTask}; a security group with HTTPS egress
 * only and no ingress; a schedule (`cron` or `rate`, time zone, no flexible window) that runs one task
 * in private subnets with no public IP; a retry policy; an encrypted, TLS-only dead-letter queue for
 * invocations that still fail; and a scheduler role that may only run this task family on this
 * cluster, pass this task's two roles and write to this dead-letter queue.
 */
export class ScheduledTask extends Construct {
  readonly task: FargateTask;
  readonly taskDefinitionArn: string;
  readonly securityGroup: SecurityGroup;
  readonly tasksSecurityGroup: TaskSecurityGroup;
  readonly securityGroupId: string;
  readonly deadLetterQueue: SqsQueue;
  readonly deadLetterQueueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly role: IamRole;
  readonly roleArn: string;
  readonly schedule: SchedulerSchedule;
  readonly scheduleName: string;
  readonly scheduleArn: string;

  constructor(scope: Construct, id: string, props: ScheduledTaskProps) {
    super(scope, id);
    const fail = (reason: string): never => {
      throw new Error(`ScheduledTask ${props.name}: ${reason}`);
    };
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(props.name)) {
      fail("name must be lower-case letters, digits and inner hyphens");
    }
    if (!Token.isUnresolved(props.schedule)) {
      const problem = scheduleProblem(props.schedule);
      if (problem) fail(`schedule: ${problem}`);
    }
    const timeZone = props.timeZone ?? "UTC";
    if (!Token.isUnresolved(timeZone)) {
      const problem = timeZoneProblem(timeZone);
      if (problem) fail(`timeZone: ${problem}`);
    }
    if (props.command.length === 0) {
      fail("command must name at least the executable");
    }
    if (props.subnetIds.length < 1 || props.subnetIds.length > 16) {
      fail(`subnetIds must list 1 to 16 subnets, got ${props.subnetIds.length}`);
    }
    const maximumAttempts = props.retry?.maximumAttempts ?? 3;
    if (!Number.isInteger(maximumAttempts) || maximumAttempts < 0 || maximumAttempts > 185) {
      fail(`retry.maximumAttempts must be a whole number from 0 to 185, got ${maximumAttempts}`);
    }
    const maximumEventAgeSeconds = props.retry?.maximumEventAgeSeconds ?? 3600;
    if (!Number.isInteger(maximumEventAgeSeconds) || maximumEventAgeSeconds < 60 || maximumEventAgeSeconds > 86400) {
      fail(`retry.maximumEventAgeSeconds must be a whole number from 60 to 86400, got ${maximumEventAgeSeconds}`);
    }
    const dlqRetentionSeconds = props.dlqRetentionSeconds ?? SQS_RETENTION_SECONDS.max;
    if (
      !Number.isInteger(dlqRetentionSeconds) ||
      dlqRetentionSeconds < SQS_RETENTION_SECONDS.min ||
      dlqRetentionSeconds > SQS_RETENTION_SECONDS.max
    ) {
      fail(`dlqRetentionSeconds must be a whole number from 60 to 1209600, got ${dlqRetentionSeconds}`);
    }
    const kmsKeyArn = props.kmsMasterKeyId;
    if (kmsKeyArn !== undefined && !Token.isUnresolved(kmsKeyArn) && !/^arn:[\w-]+:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/.test(kmsKeyArn)) {
      // A key ARN, not an alias or bare id: the scheduler role's KMS grant needs the key's ARN.
      fail(`kmsMasterKeyId must be a KMS key ARN (arn:...:kms:<region>:<account>:key/<id>), got "${kmsKeyArn}"`);
    }
    const scheduleGroupName = props.scheduleGroupName ?? DEFAULT_SCHEDULE_GROUP_NAME;
    if (!Token.isUnresolved(scheduleGroupName) && !SCHEDULE_GROUP_NAME.test(scheduleGroupName)) {
      fail(`scheduleGroupName must be 1 to 64 letters, digits, hyphens, underscores and dots, got "${scheduleGroupName}"`);
    }
    let clusterName: string;
    if (Token.isUnresolved(props.clusterArn)) {
      // A local keeps the quoted "/" of split() out of the policy JSON, which then stays parseable.
      clusterName = new TerraformLocal(this, "cluster-name", Fn.element(Fn.split("/", props.clusterArn), 1)).asString;
    } else {
      const match = /^arn:[\w-]+:ecs:[a-z0-9-]+:\d{12}:cluster\/([A-Za-z0-9_-]+)$/.exec(props.clusterArn);
      if (!match) {
        fail(`clusterArn must be an ECS cluster ARN (arn:...:ecs:<region>:<account>:cluster/<name>), got "${props.clusterArn}"`);
      }
      clusterName = match![1];
    }
    let capacity: ReturnType<typeof capacityProviderStrategy> = [];
    try {
      capacity = capacityProviderStrategy(props.capacity);
    } catch (error) {
      fail((error as Error).message);
    }

    const component = `task-${props.name}`;
    const partition = partitionOf(props.region);
    const name = (suffix: string, maxLength: number) =>
      physicalName(props.naming, suffix ? `${component}-${suffix}` : component, { maxLength });

    this.task = new FargateTask(this, "task", {
      ...taskImageProps(props),
      component,
      cpu: props.cpu,
      memory: props.memory,
      command: props.command,
    });
    this.taskDefinitionArn = this.task.taskDefinitionArn;

    this.tasksSecurityGroup = new TaskSecurityGroup(this, "tasks", {
      naming: props.naming,
      component,
      vpcId: props.vpcId,
      description: `Scheduled task ${this.task.family}: no ingress, HTTPS egress only`,
    });
    this.securityGroup = this.tasksSecurityGroup.securityGroup;
    this.securityGroupId = this.securityGroup.id;

    this.deadLetterQueue = new SqsQueue(this, "dlq", {
      name: name("dlq", NAME_LIMITS.sqsQueue),
      messageRetentionSeconds: dlqRetentionSeconds,
      ...(kmsKeyArn ? { kmsMasterKeyId: kmsKeyArn } : { sqsManagedSseEnabled: true }),
    });
    this.deadLetterQueueArn = this.deadLetterQueue.arn;
    this.deadLetterQueueUrl = this.deadLetterQueue.url;
    new SqsQueuePolicy(this, "dlq-policy", {
      queueUrl: this.deadLetterQueue.url,
      policy: policyDocument([
        denyInsecureQueueTransport(this.deadLetterQueue.arn),
      ]),
    });

    this.role = new IamRole(this, "scheduler-role", {
      name: name("scheduler", NAME_LIMITS.iamRole),
      description: `EventBridge Scheduler role of ${this.task.family}: run the task, pass its roles, dead-letter failures`,
      assumeRolePolicy: serviceTrustPolicy("scheduler.amazonaws.com", props.accountId),
    });
    this.roleArn = this.role.arn;
    const ecsArn = `arn:${partition}:ecs:${props.region}:${props.accountId}`;
    const statements: PolicyStatement[] = [
      {
        Sid: "RunTask",
        Effect: "Allow",
        Action: "ecs:RunTask",
        Resource: `${ecsArn}:task-definition/${this.task.family}:*`,
        Condition: { ArnEquals: { "ecs:cluster": props.clusterArn } },
      },
      {
        // RunTask with enable_ecs_managed_tags / propagate_tags tags the new task, which ECS
        // authorizes as ecs:TagResource (tagResourceAuthorization); allowed only while creating it.
        Sid: "TagNewTask",
        Effect: "Allow",
        Action: "ecs:TagResource",
        Resource: `${ecsArn}:task/${clusterName}/*`,
        Condition: { StringEquals: { "ecs:CreateAction": "RunTask" } },
      },
      {
        Sid: "PassTaskRoles",
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: [this.task.executionRole.arn, this.task.taskRole.arn],
        Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      },
      {
        // Scheduler delivers dead-letter events with the schedule's execution role (no queue-policy grant).
        Sid: "SendDeadLetters",
        Effect: "Allow",
        Action: "sqs:SendMessage",
        Resource: this.deadLetterQueue.arn,
      },
    ];
    if (kmsKeyArn) {
      statements.push({
        Sid: "EncryptDeadLetters",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: kmsKeyArn,
        Condition: { StringEquals: { "kms:ViaService": `sqs.${props.region}.amazonaws.com` } },
      });
    }
    new IamRolePolicy(this, "scheduler-policy", {
      name: "run-scheduled-task",
      role: this.role.id,
      policy: policyDocument(statements),
    });

    this.schedule = new SchedulerSchedule(this, "schedule", {
      name: name("", NAME_LIMITS.schedulerSchedule),
      groupName: scheduleGroupName,
      description: `Runs ${this.task.family} on ${props.schedule} (${timeZone})`,
      scheduleExpression: props.schedule,
      scheduleExpressionTimezone: timeZone,
      state: props.enabled === false ? "DISABLED" : "ENABLED",
      flexibleTimeWindow: { mode: "OFF" },
      target: {
        arn: props.clusterArn,
        roleArn: this.role.arn,
        ecsParameters: {
          taskDefinitionArn: this.task.taskDefinitionArn,
          taskCount: 1,
          capacityProviderStrategy: capacity,
          networkConfiguration: {
            subnets: [...props.subnetIds],
            securityGroups: [this.securityGroup.id],
            assignPublicIp: false,
          },
          enableEcsManagedTags: true,
          propagateTags: "TASK_DEFINITION",
        },
        retryPolicy: {
          maximumRetryAttempts: maximumAttempts,
          maximumEventAgeInSeconds: maximumEventAgeSeconds,
        },
        deadLetterConfig: { arn: this.deadLetterQueue.arn },
      },
    });
    this.scheduleName = this.schedule.name;
    this.scheduleArn = this.schedule.arn;
  }

  /** Opens egress from the task to another security group (for example the database) on one port. */
  allowEgressTo(id: string, destinationSecurityGroupId: string, port: number, description: string): void {
    this.tasksSecurityGroup.allowEgressTo(id, destinationSecurityGroupId, port, description);
  }
}

import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import type { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { SqsQueueRedriveAllowPolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy";
import { Token, type ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { LOG_RETENTION_DAYS } from "../../src/lib/logs";
import { denyInsecureQueueTransport, policyDocument, type PolicyStatement } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";
import { capacityProviderStrategy, serviceScalableTarget, type CapacityStrategy } from "../ecs-alb";
import { FargateTask, TaskSecurityGroup, fargateSizeProblem, taskImageProps, type TaskImageProps } from "../ecs-task";
import { CELERY_ENVIRONMENT_VARIABLES, celeryEnvironment } from "./celery";
import {
  CDK_QUEUE_SCALING_STEPS,
  SCALE_FROM_ZERO_STEPS,
  stepScalingPlan,
  type ScalingAlarmPlan,
  type ScalingStep,
} from "./scaling";

export * from "./celery";
export * from "./scaling";

/** SQS limits (seconds unless named otherwise). */
const MAX_VISIBILITY_TIMEOUT = 43_200;
const MIN_RETENTION = 60;
const MAX_RETENTION = 1_209_600;
/** Dead-letter queues keep messages for the SQS maximum, 14 days. */
export const DEAD_LETTER_RETENTION_SECONDS = MAX_RETENTION;
/** Period of the queue-depth alarms: SQS publishes its metrics once a minute. */
export const QUEUE_METRIC_PERIOD_SECONDS = 60;
/**
 * Metric-math expression of the scale-in alarm: messages waiting (`visible`, ApproximateNumberOfMessagesVisible)
 * plus messages a worker has received and not yet deleted (`inflight`, ApproximateNumberOfMessagesNotVisible).
 * With `task_acks_late` a running Celery task's message stays in flight until the task ends, so a queue
 * with nothing visible may still have tasks running; scale-in waits until both are empty.
 */
export const SCALE_IN_BACKLOG_EXPRESSION = "visible + inflight";

/** What {@link workerQueues} builds a worker's queue pair from. */
export interface WorkerQueuesProps {
  readonly naming: NameContext;
  /** Worker short name: queue `<project>-<env>-<name>`, dead-letter queue `<project>-<env>-<name>-dlq`. */
  readonly name: string;
  readonly visibilityTimeoutSeconds: number;
  readonly messageRetentionSeconds: number;
  /** Receives before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** KMS key ARN of both queues. @default SQS-managed encryption */
  readonly kmsMasterKeyId?: string;
}

/**
 * A worker's queue and dead-letter queue in `scope` (encrypted, long polling, redrive after
 * `maxReceiveCount` receives, the DLQ accepting only this queue's redrive, TLS-only policies): the
 * one way both the ECS worker and an EKS workspace's queues are built.
 */
export function workerQueues(scope: Construct, props: WorkerQueuesProps): { queue: SqsQueue; deadLetterQueue: SqsQueue } {
  const encryption = props.kmsMasterKeyId ? { kmsMasterKeyId: props.kmsMasterKeyId } : { sqsManagedSseEnabled: true };
  const deadLetterQueue = new SqsQueue(scope, "dead-letter-queue", {
    name: physicalName(props.naming, `${props.name}-dlq`, { maxLength: NAME_LIMITS.sqsQueue }),
    messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS,
    ...encryption,
  });
  const queue = new SqsQueue(scope, "queue", {
    name: workerQueueName(props.naming, props.name),
    visibilityTimeoutSeconds: props.visibilityTimeoutSeconds,
    messageRetentionSeconds: props.messageRetentionSeconds,
    receiveWaitTimeSeconds: 20,
    redrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetterQueue.arn, maxReceiveCount: props.maxReceiveCount }),
    ...encryption,
  });
  new SqsQueueRedriveAllowPolicy(scope, "dead-letter-redrive-allow", {
    queueUrl: deadLetterQueue.url,
    redriveAllowPolicy: JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [queue.arn] }),
  });
  for (const [key, q] of [
    ["queue-policy", queue],
    ["dead-letter-queue-policy", deadLetterQueue],
  ] as const) {
    new SqsQueuePolicy(scope, key, { queueUrl: q.url, policy: policyDocument([denyInsecureQueueTransport(q.arn)]) });
  }
  return { queue, deadLetterQueue };
}

/**
 * The queues of a worker that runs outside ECS (an EKS Deployment): {@link workerQueues} only, with
 * the statements a consumer and a producer get on them.
 */
export class WorkerQueuePair extends Construct {
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly queueName: string;
  readonly deadLetterQueueName: string;

  constructor(scope: Construct, id: string, props: WorkerQueuesProps) {
    super(scope, id);
    if (props.visibilityTimeoutSeconds < 0 || props.visibilityTimeoutSeconds > MAX_VISIBILITY_TIMEOUT) {
      throw new Error(`WorkerQueuePair ${props.name}: visibilityTimeoutSeconds must be 0 to ${MAX_VISIBILITY_TIMEOUT}`);
    }
    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = workerQueues(this, props));
    this.queueUrl = this.queue.url;
    this.queueArn = this.queue.arn;
    this.queueName = this.queue.name;
    this.deadLetterQueueName = this.deadLetterQueue.name;
  }

  /** What the worker itself may do: consume (and re-send retries to) its queue. */
  consumeStatements(): PolicyStatement[] {
    return [{ Sid: "ConsumeQueue", Effect: "Allow", Action: [...CONSUMER_ACTIONS], Resource: this.queue.arn }];
  }

  /** What a producer may do: send to the queue. */
  sendStatements(): PolicyStatement[] {
    return [{ Sid: "SendToQueue", Effect: "Allow", Action: [...PRODUCER_ACTIONS], Resource: this.queue.arn }];
  }
}

/** Actions the worker's task role has on its queue, and nothing else. */
export const CONSUMER_ACTIONS = [
  "sqs:ReceiveMessage",
  "sqs:DeleteMessage",
  "sqs:ChangeMessageVisibility",
  "sqs:GetQueueAttributes",
  "sqs:GetQueueUrl",
  // Celery retries (`self.retry()`) publish a new message to the same queue.
  "sqs:SendMessage",
] as const;

/** Actions {@link CeleryWorker.grantSend} gives a producer role on the queue. */
export const PRODUCER_ACTIONS = ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"] as const;

/** KMS actions needed to send to and receive from an SSE-KMS queue. */
const QUEUE_KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"];

/** A Celery worker: the shared image props (its `environment` may not set the `CELERY_*` variables the worker provides) plus queue and scaling settings. */
export interface CeleryWorkerProps extends TaskImageProps {
  /**
   * Worker short name, e.g. `default`: queue `<project>-<env>-<name>`, dead-letter queue
   * `<project>-<env>-<name>-dlq`, service and task family `<project>-<env>-worker-<name>`.
   */
  readonly name: string;
  readonly vpcId: string;
  /** Private subnets the tasks run in (no public IPs). */
  readonly subnetIds: readonly string[];
  readonly clusterName: string;
  readonly clusterArn: string;
  /**
   * Container command, e.g. `["celery", "-A", "app", "worker", "--loglevel", "INFO"]`. If it names
   * queues with `-Q`/`--queues`, they must be exactly this worker's queue (see {@link workerQueueName}).
   */
  readonly command: readonly string[];
  /**
   * Celery's hard task time limit (`task_time_limit`), in seconds. The queue's visibility timeout must
   * be above it, or SQS hands a still-running task to another worker.
   */
  readonly taskTimeLimitSeconds: number;
  /** CPU units. @default 512 */
  readonly cpu?: number;
  /** Memory in MiB; must fit `cpu`. @default 1024 */
  readonly memory?: number;
  /** CPU architecture of the image. @default "X86_64" */
  readonly cpuArchitecture?: "X86_64" | "ARM64";
  /** Allow `aws ecs execute-command` into the tasks. @default false */
  readonly enableExecuteCommand?: boolean;
  /** Queue visibility timeout, in seconds (at most 43200); must be above `taskTimeLimitSeconds`. @default 1800 */
  readonly visibilityTimeoutSeconds?: number;
  /** Receives before a message moves to the dead-letter queue, 1-1000. @default 5 */
  readonly maxReceiveCount?: number;
  /** How long the queue keeps a message, 60-1209600 seconds. The dead-letter queue keeps them 14 days. @default 345600 (4 days) */
  readonly messageRetentionSeconds?: number;
  /**
   * ARN of a customer-managed KMS key for both queues (an ARN so grants can name it; the task role and
   * producers get `kms:Decrypt` and `kms:GenerateDataKey` on it). @default SQS-managed SSE
   */
  readonly kmsMasterKeyId?: string;
  /** Seconds between SIGTERM and SIGKILL, for Celery's warm shutdown (Fargate maximum 120). @default 120 */
  readonly stopTimeoutSeconds?: number;
  /** On-demand / Spot split. @default Spot only (SQS redelivers interrupted work when `task_acks_late` is on) */
  readonly capacity?: CapacityStrategy;
  /** Fewest tasks; 0 lets the service scale to zero when the queue is empty. @default 0 */
  readonly minCount?: number;
  /** Most tasks. @default 4 */
  readonly maxCount?: number;
  /**
   * Step scaling on absolute message counts. Scale-out steps (positive `change`) are measured on the
   * queue's `ApproximateNumberOfMessagesVisible`; scale-in steps (negative `change`) on the total backlog,
   * visible plus in flight (`ApproximateNumberOfMessagesNotVisible`), so tasks are not removed while
   * they are still running Celery tasks. With `minCount` 0 the first scale-out step must start at 1 message or less.
   * @default CDK's `[{upper:0,change:-1},{lower:100,change:+1},{lower:500,change:+5}]` when `minCount` >= 1;
   * with `minCount` 0 the same but scaling out from 1 message: `[{upper:0,change:-1},{lower:1,change:+1},{lower:500,change:+5}]`
   */
  readonly scalingSteps?: readonly ScalingStep[];
  /** Cooldown of the step policies, in seconds. @default 300 */
  readonly scalingCooldownSeconds?: number;
  /**
   * Consecutive one-minute periods the queue must be empty (no visible and no in-flight messages)
   * before a task is removed. @default 5
   */
  readonly scaleInEvaluationPeriods?: number;
  /**
   * Target average CPU, percent; adds a target-tracking policy that only scales out (the queue decides
   * scale-in, so busy workers on an I/O-bound queue are not removed). @default off
   */
  readonly cpuTargetPercent?: number;
  /** Resources the service must be created after, e.g. the cluster's capacity providers. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/** The SQS queue name of worker `name`: `<project>-<env>-<name>` (for the command's `-Q`). */
export function workerQueueName(naming: NameContext, name: string): string {
  return physicalName(naming, name, { maxLength: NAME_LIMITS.sqsQueue });
}

/** The queues a Celery command consumes (`-Q a,b`, `-Qa`, `--queues a`, `--queues=a`), or undefined if it names none. */
export function commandQueues(command: readonly string[]): string[] | undefined {
  let found: string[] | undefined;
  command.forEach((arg, i) => {
    let value: string | undefined;
    if (arg === "-Q" || arg === "--queues") value = command[i + 1];
    else if (arg.startsWith("--queues=")) value = arg.slice("--queues=".length);
    else if (arg.startsWith("-Q") && arg.length > 2) value = arg.slice(2);
    if (value !== undefined) {
      found = [...(found ?? []), ...value.split(",").map((q) => q.trim()).filter((q) => q.length > 0)];
    }
  });
  return found;
}

function isLiteral(value: string): boolean {
  return !Token.isUnresolved(value);
}

function checkRange(fail: (m: string) => never, label: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(`${label} must be a whole number from ${min} to ${max}, got ${value}`);
  }
}

/**
 * A Celery worker on SQS: a queue with a dead-letter queue (redrive after `maxReceiveCount` receives,
 * redrive-allow limited to this queue, SSE, TLS-only queue policies), and an ECS Fargate service with no
 * load balancer that consumes it: private subnets, no public IP, its own security group with HTTPS
 * egress only and no ingress, Spot by default, circuit breaker with rollback, `desired_count` owned by
 * autoscaling. The task role may consume and re-send on this queue only. Step scaling (CDK's
 * QueueProcessingFargateService steps) lets the service scale to zero: it scales out on visible
 * messages and scales in only when the queue has neither visible nor in-flight messages (metric math
 * `visible + inflight`), so a task still running a Celery task is not stopped mid-run.
 */
export class CeleryWorker extends Construct {
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly queueName: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
  readonly deadLetterQueueName: string;
  readonly task: FargateTask;
  readonly service: EcsService;
  readonly serviceName: string;
  readonly securityGroup: SecurityGroup;
  readonly tasksSecurityGroup: TaskSecurityGroup;
  readonly securityGroupId: string;
  readonly scalingTarget: AppautoscalingTarget;
  /** Step policy that removes tasks (absent if the steps define no scale-in). */
  readonly scaleInPolicy?: AppautoscalingPolicy;
  /** Step policy that adds tasks. */
  readonly scaleOutPolicy?: AppautoscalingPolicy;
  readonly scalingAlarms: CloudwatchMetricAlarm[] = [];
  /** The customer-managed key of both queues, if any. */
  readonly kmsKeyArn?: string;

  private readonly workerName: string;
  private readonly physicalQueueName: string;
  private readonly grantedRoles = new Set<string>();

  constructor(scope: Construct, id: string, props: CeleryWorkerProps) {
    super(scope, id);
    function fail(message: string): never {
      throw new Error(`CeleryWorker ${props.name}: ${message}`);
    }
    this.workerName = props.name;

    if (!/^[a-z][a-z0-9-]*[a-z0-9]$|^[a-z]$/.test(props.name) || props.name.endsWith("-dlq")) {
      fail('name must be lower-case letters, digits and hyphens, start with a letter, and not end with "-" or "-dlq"');
    }
    const cpu = props.cpu ?? 512;
    const memory = props.memory ?? 1024;
    const sizeProblem = fargateSizeProblem(cpu, memory);
    if (sizeProblem) fail(sizeProblem);

    const visibilityTimeout = props.visibilityTimeoutSeconds ?? 1800;
    checkRange(fail, "visibilityTimeoutSeconds", visibilityTimeout, 0, MAX_VISIBILITY_TIMEOUT);
    checkRange(fail, "taskTimeLimitSeconds", props.taskTimeLimitSeconds, 1, MAX_VISIBILITY_TIMEOUT);
    if (visibilityTimeout <= props.taskTimeLimitSeconds) {
      fail(
        `visibilityTimeoutSeconds (${visibilityTimeout}) must be above taskTimeLimitSeconds (${props.taskTimeLimitSeconds}), ` +
          "or SQS redelivers a task that is still running",
      );
    }
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    checkRange(fail, "maxReceiveCount", maxReceiveCount, 1, 1000);
    const retention = props.messageRetentionSeconds ?? 345_600;
    checkRange(fail, "messageRetentionSeconds", retention, MIN_RETENTION, MAX_RETENTION);
    const stopTimeout = props.stopTimeoutSeconds ?? 120;
    checkRange(fail, "stopTimeoutSeconds", stopTimeout, 2, 120);
    const logRetentionDays = props.logRetentionDays ?? 365;
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
      fail(`logRetentionDays ${logRetentionDays} is not a CloudWatch retention period`);
    }

    const minCount = props.minCount ?? 0;
    const maxCount = props.maxCount ?? 4;
    checkRange(fail, "minCount", minCount, 0, 1000);
    checkRange(fail, "maxCount", maxCount, 1, 1000);
    if (minCount > maxCount) fail(`minCount ${minCount} is above maxCount ${maxCount}`);
    const cooldown = props.scalingCooldownSeconds ?? 300;
    checkRange(fail, "scalingCooldownSeconds", cooldown, 0, 3600);
    const scaleInPeriods = props.scaleInEvaluationPeriods ?? 5;
    checkRange(fail, "scaleInEvaluationPeriods", scaleInPeriods, 1, 60);
    if (props.cpuTargetPercent !== undefined && !(props.cpuTargetPercent >= 1 && props.cpuTargetPercent <= 100)) {
      fail(`cpuTargetPercent must be 1-100, got ${props.cpuTargetPercent}`);
    }
    const steps = props.scalingSteps ?? (minCount === 0 ? SCALE_FROM_ZERO_STEPS : CDK_QUEUE_SCALING_STEPS);
    let plan: ReturnType<typeof stepScalingPlan>;
    try {
      plan = stepScalingPlan(steps);
    } catch (e) {
      fail((e as Error).message);
    }
    if (!plan.scaleOut) fail("scalingSteps must include a step that adds tasks");
    if (minCount === 0 && plan.scaleOut!.threshold > 1) {
      fail(
        `with minCount 0 the first scale-out step must start at 1 visible message or less, not ${plan.scaleOut!.threshold}: ` +
          "with no task running, fewer messages would never be processed",
      );
    }

    if (props.subnetIds.length === 0) fail("subnetIds must name at least one private subnet");
    if (props.command.length === 0) fail("command must not be empty");
    const queueName = workerQueueName(props.naming, props.name);
    this.physicalQueueName = queueName;
    const consumed = commandQueues(props.command);
    if (consumed && consumed.every(isLiteral) && (consumed.length !== 1 || consumed[0] !== queueName)) {
      fail(`command consumes ${consumed.join(",")} but this worker's only queue is ${queueName}`);
    }
    const reserved = new Set<string>(CELERY_ENVIRONMENT_VARIABLES);
    const clashes = [...Object.keys(props.environment ?? {}), ...(props.secrets ?? []).map((s) => s.name)].filter((k) => reserved.has(k));
    if (clashes.length > 0) {
      fail(`environment/secrets may not set ${[...new Set(clashes)].sort().join(", ")}: the worker sets them from its queue`);
    }
    const kmsKey = props.kmsMasterKeyId;
    if (kmsKey !== undefined && isLiteral(kmsKey) && !/^arn:[a-z-]+:kms:[a-z0-9-]+:\d{12}:key\/.+$/.test(kmsKey)) {
      fail(`kmsMasterKeyId must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>) so grants can name it, got "${kmsKey}"`);
    }
    this.kmsKeyArn = kmsKey;
    let strategy: ReturnType<typeof capacityProviderStrategy>;
    try {
      strategy = capacityProviderStrategy(props.capacity);
    } catch (e) {
      fail((e as Error).message);
    }

    // Queues.
    ({ queue: this.queue, deadLetterQueue: this.deadLetterQueue } = workerQueues(this, {
      naming: props.naming,
      name: props.name,
      visibilityTimeoutSeconds: visibilityTimeout,
      messageRetentionSeconds: retention,
      maxReceiveCount,
      kmsMasterKeyId: kmsKey,
    }));
    this.queueUrl = this.queue.url;
    this.queueArn = this.queue.arn;
    this.queueName = this.queue.name;
    this.deadLetterQueueUrl = this.deadLetterQueue.url;
    this.deadLetterQueueArn = this.deadLetterQueue.arn;
    this.deadLetterQueueName = this.deadLetterQueue.name;

    // Task: definition, roles and log group from the shared FargateTask.
    const component = `worker-${props.name}`;
    this.task = new FargateTask(this, "task", {
      ...taskImageProps(props),
      component,
      cpu,
      memory,
      command: props.command,
      environment: {
        ...props.environment,
        ...celeryEnvironment({
          queueName: this.queue.name,
          queueUrl: this.queue.url,
          region: props.region,
          visibilityTimeoutSeconds: visibilityTimeout,
          taskTimeLimitSeconds: props.taskTimeLimitSeconds,
        }),
      },
      logRetentionDays,
      stopTimeoutSeconds: stopTimeout,
      cpuArchitecture: props.cpuArchitecture,
      enableExecuteCommand: props.enableExecuteCommand,
    });
    const consume: PolicyStatement[] = [{ Sid: "ConsumeQueue", Effect: "Allow", Action: [...CONSUMER_ACTIONS], Resource: this.queue.arn }];
    if (kmsKey) consume.push({ Sid: "UseQueueKey", Effect: "Allow", Action: [...QUEUE_KEY_ACTIONS], Resource: kmsKey });
    const consumePolicy = this.task.grant("sqs-consume", consume);

    // Service.
    const name = physicalName(props.naming, component);
    this.tasksSecurityGroup = new TaskSecurityGroup(this, "tasks", {
      naming: props.naming,
      component,
      vpcId: props.vpcId,
      description: `Tasks of ${name}: no ingress, HTTPS egress only`,
    });
    this.securityGroup = this.tasksSecurityGroup.securityGroup;
    this.securityGroupId = this.securityGroup.id;

    this.service = new EcsService(this, "service", {
      name,
      cluster: props.clusterArn,
      taskDefinition: this.task.taskDefinitionArn,
      desiredCount: minCount,
      capacityProviderStrategy: strategy,
      networkConfiguration: {
        subnets: [...props.subnetIds],
        securityGroups: [this.securityGroup.id],
        assignPublicIp: false,
      },
      deploymentCircuitBreaker: { enable: true, rollback: true },
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      enableExecuteCommand: props.enableExecuteCommand ?? false,
      enableEcsManagedTags: true,
      propagateTags: "SERVICE",
      waitForSteadyState: false,
      // Autoscaling owns the task count once the service exists.
      lifecycle: { ignoreChanges: ["desired_count"] },
      // Tasks poll the queue as soon as they start: the role must already allow it.
      dependsOn: [consumePolicy, ...(props.dependsOn ?? [])],
    });
    this.serviceName = this.service.name;

    // Autoscaling: step scaling on the queue and, optionally, CPU (scale-out only). Scale-out alarms on
    // visible messages. Scale-in alarms on visible + in-flight messages: with task_acks_late a running
    // task's message is in flight, not visible, so "nothing visible" alone would stop tasks mid-run
    // (the stop timeout, at most 120 s, is far below task time limits) and SQS would redeliver them.
    this.scalingTarget = serviceScalableTarget(this, props.clusterName, this.service.name, minCount, maxCount);
    const stepPolicy = (direction: "in" | "out", alarm: ScalingAlarmPlan) => {
      const policy = new AppautoscalingPolicy(this, `scale-${direction}-policy`, {
        name: physicalName(props.naming, `${component}-queue-scale-${direction}`),
        policyType: "StepScaling",
        serviceNamespace: this.scalingTarget.serviceNamespace,
        resourceId: this.scalingTarget.resourceId,
        scalableDimension: this.scalingTarget.scalableDimension,
        stepScalingPolicyConfiguration: {
          adjustmentType: "ChangeInCapacity",
          cooldown,
          metricAggregationType: "Maximum",
          stepAdjustment: alarm.adjustments.map((a) => ({
            ...(a.lowerBound !== undefined ? { metricIntervalLowerBound: String(a.lowerBound) } : {}),
            ...(a.upperBound !== undefined ? { metricIntervalUpperBound: String(a.upperBound) } : {}),
            scalingAdjustment: a.change,
          })),
        },
      });
      const periods = direction === "in" ? scaleInPeriods : 1;
      const queueMetric = (metricName: string) => ({
        namespace: "AWS/SQS",
        metricName,
        dimensions: { QueueName: this.queue.name },
        stat: "Maximum",
        period: QUEUE_METRIC_PERIOD_SECONDS,
      });
      const metric =
        direction === "out"
          ? {
              namespace: "AWS/SQS",
              metricName: "ApproximateNumberOfMessagesVisible",
              dimensions: { QueueName: this.queue.name },
              statistic: "Maximum",
              period: QUEUE_METRIC_PERIOD_SECONDS,
            }
          : {
              metricQuery: [
                { id: "visible", returnData: false, metric: queueMetric("ApproximateNumberOfMessagesVisible") },
                { id: "inflight", returnData: false, metric: queueMetric("ApproximateNumberOfMessagesNotVisible") },
                { id: "backlog", expression: SCALE_IN_BACKLOG_EXPRESSION, returnData: true },
              ],
            };
      this.scalingAlarms.push(
        new CloudwatchMetricAlarm(this, `scale-${direction}-alarm`, {
          alarmName: physicalName(props.naming, `${component}-queue-scale-${direction}`),
          alarmDescription:
            direction === "out"
              ? `Scale ${name} out: ${alarm.threshold} or more visible messages in ${queueName}`
              : `Scale ${name} in: ${alarm.threshold} or fewer messages visible or in flight in ${queueName} for ${periods} minute(s)`,
          ...metric,
          evaluationPeriods: periods,
          datapointsToAlarm: periods,
          threshold: alarm.threshold,
          comparisonOperator: alarm.comparisonOperator,
          // No data (an idle queue SQS stopped reporting) never scales anything.
          treatMissingData: "notBreaching",
          alarmActions: [policy.arn],
        }),
      );
      return policy;
    };
    if (plan.scaleIn) this.scaleInPolicy = stepPolicy("in", plan.scaleIn);
    this.scaleOutPolicy = stepPolicy("out", plan.scaleOut!);
    if (props.cpuTargetPercent !== undefined) {
      new AppautoscalingPolicy(this, "scale-on-cpu", {
        name: physicalName(props.naming, `${component}-cpu-tracking`),
        policyType: "TargetTrackingScaling",
        serviceNamespace: this.scalingTarget.serviceNamespace,
        resourceId: this.scalingTarget.resourceId,
        scalableDimension: this.scalingTarget.scalableDimension,
        targetTrackingScalingPolicyConfiguration: {
          targetValue: props.cpuTargetPercent,
          disableScaleIn: true,
          scaleOutCooldown: 60,
          scaleInCooldown: 300,
          predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
        },
      });
    }
  }

  /**
   * Lets another role (for example the web service's task role) send tasks to this queue: an inline
   * policy on that role allowing `sqs:SendMessage`, `sqs:GetQueueUrl` and `sqs:GetQueueAttributes` on
   * this queue only (plus `kms:GenerateDataKey`/`kms:Decrypt` on the queue's key when it has one).
   *
   * @param id construct id of the policy, unique within this worker
   * @param roleName the role's name (an `aws_iam_role`'s `name` or `id`)
   */
  grantSend(id: string, roleName: string): IamRolePolicy {
    if (isLiteral(roleName)) {
      if (this.grantedRoles.has(roleName)) {
        throw new Error(`CeleryWorker ${this.workerName}: role ${roleName} may already send to this queue`);
      }
      this.grantedRoles.add(roleName);
    }
    const statements: PolicyStatement[] = [{ Sid: "SendToQueue", Effect: "Allow", Action: [...PRODUCER_ACTIONS], Resource: this.queue.arn }];
    if (this.kmsKeyArn) {
      statements.push({ Sid: "UseQueueKey", Effect: "Allow", Action: [...QUEUE_KEY_ACTIONS], Resource: this.kmsKeyArn });
    }
    return new IamRolePolicy(this, `send-${id}`, {
      // Inline policy names are per role: the queue name keeps two workers' grants apart.
      name: `sqs-send-${this.physicalQueueName}`,
      role: roleName,
      policy: policyDocument(statements),
    });
  }

  /** Opens egress from the tasks to another security group (for example the database) on one port. */
  allowEgressTo(id: string, destinationSecurityGroupId: string, port: number, description: string): void {
    this.tasksSecurityGroup.allowEgressTo(id, destinationSecurityGroupId, port, description);
  }
}

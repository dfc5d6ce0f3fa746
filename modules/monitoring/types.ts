import type { TerraformProvider } from "cdktf";

/**
 * What `PlatformMonitoring` watches and how: the plain identifiers of each monitored resource,
 * the thresholds and the evaluation windows. Shared by the alarms (`index.ts`), the dashboard
 * (`dashboard.ts`) and the registry (`registry.ts`); it imports none of them.
 */

/**
 * How many datapoints an alarm looks at, and how many must breach. Fields left out keep the
 * profile's default (see {@link MonitoringEvaluation}).
 */
export interface AlarmEvaluation {
  /** Seconds per datapoint; a multiple of 60 (AWS metrics are published once a minute). @default 60 (sustained), 300 (events) */
  readonly periodSeconds?: number;
  /** Datapoints looked at. @default 5 (sustained), 1 (events) */
  readonly evaluationPeriods?: number;
  /** Breaching datapoints among them that put the alarm in ALARM (M of N). @default 3 (sustained), 1 (events) */
  readonly datapointsToAlarm?: number;
}

/**
 * The two evaluation profiles. `sustained` is for levels (CPU, latency, error rate, queue age...):
 * a single bad minute is noise, a few bad minutes out of five is a problem. `events` is for counts of
 * discrete failures (Lambda errors, failed jobs, messages in a dead-letter queue...): one is enough.
 */
export interface MonitoringEvaluation {
  /** @default { periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 3 } */
  readonly sustained?: AlarmEvaluation;
  /** @default { periodSeconds: 300, evaluationPeriods: 1, datapointsToAlarm: 1 } */
  readonly events?: AlarmEvaluation;
}

/** Alarm thresholds. Every field is optional; see each default. */
export interface MonitoringThresholds {
  /** ALB-generated 5xx responses as a percentage of requests. @default 5 */
  readonly alb5xxRatePercent?: number;
  /** 5xx responses from the targets (the application) per `events` period. @default 10 */
  readonly target5xxCount?: number;
  /** Target response time at `responseTimePercentile`, in seconds. @default 1 */
  readonly targetResponseTimeSeconds?: number;
  /** Average CPU of an ECS service, percent of its reservation. @default 80 */
  readonly cpuPercent?: number;
  /** Average memory of an ECS service, percent of its reservation. @default 85 */
  readonly memoryPercent?: number;
  /** CPU of the busiest database instance, percent. @default 80 */
  readonly dbCpuPercent?: number;
  /** Freeable memory of the database instance with the least, bytes. @default 268435456 (256 MiB) */
  readonly dbFreeableMemoryBytes?: number;
  /** Connections on the busiest database instance. @default 500 */
  readonly dbConnections?: number;
  /** Lag of the furthest-behind Aurora replica, milliseconds. @default 1000 */
  readonly replicaLagMs?: number;
  /**
   * Replication lag of an Aurora global database's secondary cluster behind the primary region
   * (`AuroraGlobalDBReplicationLag`), milliseconds: the RPO a failover would have now. @default 5000
   */
  readonly globalReplicationLagMs?: number;
  /** Serverless v2 capacity used, percent of the cluster's maximum ACUs. @default 90 */
  readonly acuUtilizationPercent?: number;
  /** Age of the oldest message in a work queue, seconds. @default 900 */
  readonly queueAgeSeconds?: number;
  /** Visible messages in a dead-letter queue that raise the alarm (1 = any). @default 1 */
  readonly deadLetterMessages?: number;
  /** 5xx responses of an HTTP API per `events` period. @default 5 */
  readonly api5xxCount?: number;
  /** p99 latency of an HTTP API, milliseconds. @default 2000 */
  readonly apiLatencyMs?: number;
  /** Failed backend calls of a function with `backendMetrics`, percent of its calls. @default 5 */
  readonly functionErrorRatePercent?: number;
  /** p99 backend latency of a function with `backendMetrics`, milliseconds. @default 3000 */
  readonly functionDurationMs?: number;
  /** CloudFront responses with a 5xx status, percent of all requests (`5xxErrorRate`). @default 5 */
  readonly cloudFront5xxRatePercent?: number;
  /** Average time CloudFront waits for the origin's first byte (`OriginLatency`), milliseconds. @default 3000 */
  readonly cloudFrontOriginLatencyMs?: number;
}

/**
 * A CloudFront distribution: CloudFront publishes its metrics in us-east-1 only (dimensions
 * `DistributionId` and `Region=Global`), so its alarms are created there.
 */
export interface MonitoredDistribution {
  /** The distribution id (`E...`). */
  readonly distributionId: string;
  /** Provider of us-east-1. */
  readonly provider: TerraformProvider;
}

/** The load balancer to watch (plain identifiers, e.g. `PublicLoadBalancer.arnSuffix`). */
export interface MonitoredLoadBalancer {
  /** `app/<name>/<id>`: the `LoadBalancer` dimension (`aws_lb.arn_suffix`). */
  readonly arnSuffix: string;
  /** `targetgroup/<name>/<id>`: the `TargetGroup` dimension (`aws_lb_target_group.arn_suffix`). */
  readonly targetGroupArnSuffix: string;
  /** The service behind the target group, named in the alarms' descriptions. @default "web" */
  readonly serviceName?: string;
}

/** An ECS service. */
export interface MonitoredService {
  /** Short name used in alarm names (`ecs-<name>-...`), e.g. `web` or `worker-default`. */
  readonly name: string;
  readonly clusterName: string;
  readonly serviceName: string;
  /**
   * Fewest tasks that must be running; below it the running-task alarm fires. 0 (a worker that
   * scales to zero) creates no running-task alarm.
   */
  readonly minRunning: number;
  /**
   * The service's ECS Service Connect discovery name, when other services call it: its callers'
   * proxies publish the responses they get from it under `TargetDiscoveryName`.
   * @default none (no Service Connect alarms)
   */
  readonly discoveryName?: string;
}

/** A target group of the public load balancer other than the one {@link MonitoredLoadBalancer} names. */
export interface MonitoredTargetGroup {
  /** Short name used in alarm names (`alb-<name>-...`): the service behind it. */
  readonly name: string;
  /** `app/<name>/<id>` of the load balancer. */
  readonly loadBalancerArnSuffix: string;
  /** `targetgroup/<name>/<id>`. */
  readonly targetGroupArnSuffix: string;
}

/** The Aurora cluster. */
export interface MonitoredDatabase {
  /** `DBClusterIdentifier` dimension (`AuroraPostgres.clusterIdentifier`). */
  readonly clusterIdentifier: string;
  /** Serverless v2 instances: adds the ACU-utilisation alarm. */
  readonly serverless: boolean;
  /** The cluster has Aurora replicas: adds the replica-lag alarm. */
  readonly hasReaders: boolean;
}

/**
 * The secondary cluster of an Aurora global database. Its replication metrics are published in the
 * secondary's region only, and an alarm watches metrics of its own region, so its alarm (and an alerts
 * topic it notifies) are created there through `provider`.
 */
export interface MonitoredGlobalDatabase {
  /** `DBClusterIdentifier` dimension: the secondary cluster's identifier. */
  readonly clusterIdentifier: string;
  /** Region of the secondary cluster. */
  readonly region: string;
  /** Provider of `region` (the stack's `aws.dr` alias). */
  readonly provider: TerraformProvider;
}

/** A work queue and its dead-letter queue. */
export interface MonitoredQueue {
  /** Short name used in alarm names (`queue-<name>-...`). */
  readonly name: string;
  /** Name (not URL) of the work queue. */
  readonly queueName: string;
  /** Name (not URL) of its dead-letter queue. */
  readonly deadLetterQueueName: string;
}

/** A Lambda function. */
export interface MonitoredFunction {
  /** Short name used in alarm names (`lambda-<name>-...`). */
  readonly name: string;
  /** Function name (not ARN). */
  readonly functionName: string;
  /**
   * Metrics the function's code publishes about the backend it calls (a data-API store calling an
   * external service): alarms on that backend's error rate (the Average of a 0-or-1 errors metric)
   * and p99 latency, besides the function's own errors and throttles. Handled failures answer the
   * caller (a 503) without failing the invocation, so Lambda's own Errors metric never shows them.
   * @default none
   */
  readonly backendMetrics?: MonitoredBackendMetrics;
}

/** Custom metrics a function publishes about the backend it calls (embedded metric format). */
export interface MonitoredBackendMetrics {
  readonly namespace: string;
  /** Every dimension the function publishes the metrics with (CloudWatch matches all of them). */
  readonly dimensions: Readonly<Record<string, string>>;
  /** 1 for a failed backend call, 0 for a successful one. */
  readonly errorsMetric: string;
  /** Milliseconds spent in the backend per request. */
  readonly latencyMetric: string;
}

/** A DynamoDB table. */
export interface MonitoredTable {
  /** Short name used in alarm names (`dynamodb-<name>-...`). */
  readonly name: string;
  /** `TableName` dimension. */
  readonly tableName: string;
}

/** An API Gateway HTTP API (metrics in AWS/ApiGateway by `ApiId`). */
export interface MonitoredHttpApi {
  /** Short name used in alarm names (`api-<name>-...`). */
  readonly name: string;
  /** `ApiId` dimension. */
  readonly apiId: string;
}

/** An EventBridge Scheduler schedule. */
export interface MonitoredSchedule {
  /** Schedule name, shown in the alarm description and dashboard. */
  readonly name: string;
  /**
   * Schedule group. EventBridge Scheduler publishes metrics per group only, so schedules of one
   * group share one set of alarms.
   * @default "default"
   */
  readonly scheduleGroup?: string;
}

/**
 * A Step Functions state machine started by an EventBridge rule (for example the redeploy after a
 * credential rotation).
 */
export interface MonitoredStateMachine {
  /** Short name used in alarm names (`sfn-<name>-...`). */
  readonly name: string;
  /** `StateMachineArn` dimension of the AWS/States execution metrics. */
  readonly stateMachineArn: string;
  /** `RuleName` dimension of the rule that starts it (AWS/Events `FailedInvocations`). */
  readonly ruleName: string;
}

/** An EMR Serverless application. */
export interface MonitoredEmrApplication {
  /** Short name used in alarm names (`emr-<name>-...`). */
  readonly name: string;
  /** `ApplicationId` dimension (`aws_emrserverless_application.id`). */
  readonly applicationId: string;
  /**
   * `ApplicationName` dimension. EMR Serverless publishes its job metrics with both ApplicationId
   * and ApplicationName (release 7.10 and later publish only that form), and CloudWatch matches
   * dimensions exactly, so the name is required.
   */
  readonly applicationName: string;
}

/** An AWS Backup vault whose jobs are watched (metrics in AWS/Backup, published in the vault's region). */
/** An EKS cluster: its control-plane metrics (namespace `AWS/EKS`, published by EKS 1.28 and later without Container Insights). */
export interface MonitoredKubernetesCluster {
  /** Short name used in alarm names (`eks-<name>-...`). */
  readonly name: string;
  /** `ClusterName` dimension. */
  readonly clusterName: string;
}

export interface MonitoredBackupVault {
  /** Short name used in alarm names (`backup-<name>-...`). */
  readonly name: string;
  /** `BackupVaultName` dimension: the vault the plan backs up into (source of any copy jobs). */
  readonly vaultName: string;
  /** The plan copies every recovery point to another region: also alarm on failed copy jobs. */
  readonly copiesToOtherRegion: boolean;
}

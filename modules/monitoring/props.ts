/** What `PlatformMonitoring` takes: its props, their defaults, and the alarm record it reports. */
import type { NameContext } from "../../src/lib/naming";
import type {
  AlarmEvaluation,
  MonitoredBackupVault,
  MonitoredDatabase,
  MonitoredDistribution,
  MonitoredEmrApplication,
  MonitoredFunction,
  MonitoredGlobalDatabase,
  MonitoredHttpApi,
  MonitoredKubernetesCluster,
  MonitoredLoadBalancer,
  MonitoredQueue,
  MonitoredSchedule,
  MonitoredService,
  MonitoredStateMachine,
  MonitoredTable,
  MonitoredTargetGroup,
  MonitoringEvaluation,
  MonitoringThresholds,
} from "./types";

export const CLOUDWATCH_KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey*"] as const;

export interface PlatformMonitoringProps {
  readonly naming: NameContext;
  readonly region: string;
  readonly accountId: string;
  /** E-mail addresses subscribed to the alerts topic (each must confirm the subscription). @default [] */
  readonly alertEmails?: readonly string[];
  /** The public load balancer and its web target group. @default none (no load-balancer alarms) */
  readonly loadBalancer?: MonitoredLoadBalancer;
  /** Target groups of further public services on the same load balancer. @default [] */
  readonly targetGroups?: readonly MonitoredTargetGroup[];
  /** ECS services. @default [] */
  readonly services?: readonly MonitoredService[];
  /** The Aurora cluster. @default none (no database alarms) */
  readonly database?: MonitoredDatabase;
  /**
   * The secondary cluster of an Aurora global database: its replication-lag alarm, and an alerts
   * topic (own key, same subscriptions) in its region for it. @default none
   */
  readonly globalDatabase?: MonitoredGlobalDatabase;
  /**
   * A CloudFront distribution: 5xx-rate and origin-latency alarms in us-east-1, notifying an alerts
   * topic there (own key, same subscriptions) unless the monitoring is in us-east-1 itself. @default none
   */
  readonly distribution?: MonitoredDistribution;
  /** Work queues with dead-letter queues. @default [] */
  readonly queues?: readonly MonitoredQueue[];
  /** Lambda functions. @default [] */
  readonly functions?: readonly MonitoredFunction[];
  /** EventBridge Scheduler schedules. @default [] */
  readonly schedules?: readonly MonitoredSchedule[];
  /** EMR Serverless applications. @default [] */
  readonly emrApplications?: readonly MonitoredEmrApplication[];
  /** Step Functions state machines started by EventBridge rules. @default [] */
  readonly stateMachines?: readonly MonitoredStateMachine[];
  /** DynamoDB tables. @default [] */
  readonly tables?: readonly MonitoredTable[];
  /** API Gateway HTTP APIs. @default [] */
  readonly httpApis?: readonly MonitoredHttpApi[];
  /**
   * AWS Budgets of this account may publish to the alerts topic (topic policy scoped by
   * `aws:SourceAccount` and `aws:SourceArn`, and use of the topic's key). @default false
   */
  readonly budgetNotifications?: boolean;
  /** EKS clusters (control-plane alarms). @default [] */
  readonly clusters?: readonly MonitoredKubernetesCluster[];
  /** AWS Backup vaults. @default [] */
  readonly backupVaults?: readonly MonitoredBackupVault[];
  /** Alarm thresholds. @default see {@link MonitoringThresholds} */
  readonly thresholds?: MonitoringThresholds;
  /** Percentile of the target-response-time alarm, `p50` to `p99.9`. @default "p99" */
  readonly responseTimePercentile?: string;
  /** Evaluation windows. @default see {@link MonitoringEvaluation} */
  readonly evaluation?: MonitoringEvaluation;
  /** Days KMS waits before deleting the alerts key once scheduled (7 to 30). @default 30 */
  readonly keyDeletionWindowDays?: number;
}

/** Defaults of {@link MonitoringThresholds}. */
export const DEFAULT_MONITORING_THRESHOLDS: Required<MonitoringThresholds> = {
  alb5xxRatePercent: 5,
  target5xxCount: 10,
  targetResponseTimeSeconds: 1,
  cpuPercent: 80,
  memoryPercent: 85,
  dbCpuPercent: 80,
  dbFreeableMemoryBytes: 256 * 1024 * 1024,
  dbConnections: 500,
  replicaLagMs: 1000,
  globalReplicationLagMs: 5000,
  acuUtilizationPercent: 90,
  queueAgeSeconds: 900,
  deadLetterMessages: 1,
  api5xxCount: 5,
  apiLatencyMs: 2000,
  functionErrorRatePercent: 5,
  functionDurationMs: 3000,
  cloudFront5xxRatePercent: 5,
  cloudFrontOriginLatencyMs: 3000,
};

export const DEFAULT_SUSTAINED_EVALUATION: Required<AlarmEvaluation> = { periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 3 };
export const DEFAULT_EVENTS_EVALUATION: Required<AlarmEvaluation> = { periodSeconds: 300, evaluationPeriods: 1, datapointsToAlarm: 1 };
export const DEFAULT_RESPONSE_TIME_PERCENTILE = "p99";
export const DEFAULT_SCHEDULE_GROUP = "default";

export type MonitoringTier = "frontend" | "load-balancer" | "services" | "database" | "tables" | "apis" | "queues" | "functions" | "schedules" | "emr" | "workflows" | "backups" | "clusters";

/** One alarm the module created, for runbooks and the README. */
export interface PlatformAlarm {
  readonly name: string;
  readonly tier: MonitoringTier;
  /** The watched resource's short name (`alb`, a service name, `database`, a queue name...). */
  readonly resource: string;
  /** `<namespace> <metric>` (or `metric math` for expressions). */
  readonly metric: string;
  /** What it means when it fires. */
  readonly meaning: string;
  /** What to do. */
  readonly action: string;
}


import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import {
  CloudwatchMetricAlarm,
  type CloudwatchMetricAlarmMetricQuery,
} from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import type { TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { createHash } from "node:crypto";
import { partitionOf, policyDocument } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";
import { ALB_5XX_RATE_EXPRESSION, dashboardBody, type DashboardTier } from "./dashboard";
import type {
  AlarmEvaluation,
  MonitoredBackupVault,
  MonitoredDatabase,
  MonitoredDistribution,
  MonitoredEmrApplication,
  MonitoredFunction,
  MonitoredGlobalDatabase,
  MonitoredHttpApi,
  MonitoredLoadBalancer,
  MonitoredQueue,
  MonitoredSchedule,
  MonitoredKubernetesCluster,
  MonitoredService,
  MonitoredStateMachine,
  MonitoredTable,
  MonitoringThresholds,
} from "./types";

export * from "./dashboard";
export * from "./types";

import { alertsKeyPolicy, alertsTopicPolicy } from "./policies";
import {
  DEFAULT_EVENTS_EVALUATION,
  DEFAULT_RESPONSE_TIME_PERCENTILE,
  DEFAULT_SCHEDULE_GROUP,
  DEFAULT_SUSTAINED_EVALUATION,
  type MonitoringTier,
  type PlatformAlarm,
  type PlatformMonitoringProps,
} from "./props";
import { fail, resolveEvaluation, resolveThresholds, validate } from "./validate";

export * from "./props";
export * from "./policies";
export { emailProblem, percentileProblem } from "./validate";

const ALARM_DESCRIPTION_LIMIT = 1024;

/** The DynamoDB operations whose per-operation metrics the table alarms sum (an alarm takes at most 10 metrics). */
export const TABLE_OPERATIONS = ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems"] as const;

type Comparison = "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold" | "LessThanThreshold";
type MissingData = "notBreaching" | "breaching";

interface SingleMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly statistic?: string;
  readonly extendedStatistic?: string;
}

interface AlarmSpec {
  readonly component: string;
  readonly tier: MonitoringTier;
  readonly resource: string;
  readonly meaning: string;
  readonly action: string;
  readonly profile: "sustained" | "events";
  readonly threshold: number;
  readonly comparison: Comparison;
  readonly treatMissingData: MissingData;
  readonly metric?: SingleMetric;
  /** Metric math: builds the queries for a period. */
  readonly metricQuery?: (period: number) => CloudwatchMetricAlarmMetricQuery[];
  /** The alarm lives in another region: its provider and the alerts topic of that region. @default the monitoring's region and topic */
  readonly elsewhere?: { readonly provider: TerraformProvider; readonly topicArn: string };
}

/**
 * Alerting and a dashboard for one environment: an SNS topic encrypted with its own KMS key that only
 * CloudWatch alarms of this environment may publish to, e-mail subscriptions, CloudWatch alarms per
 * tier (load balancer, ECS services, Aurora, queues, Lambda, schedules, EMR Serverless, Step Functions), each
 * notifying the topic on ALARM and on OK, and one dashboard with the same metrics. It takes plain
 * identifiers, not constructs, so it depends on no other module.
 */
export class PlatformMonitoring extends Construct {
  readonly topic: SnsTopic;
  readonly topicArn: string;
  readonly topicName: string;
  readonly kmsKey: KmsKey;
  readonly kmsKeyArn: string;
  /** The alerts topic in the global database's secondary region (`globalDatabase` only), `<project>-<env>-alerts-dr`. */
  readonly drTopic?: SnsTopic;
  /** The alerts topic in us-east-1 for CloudFront's alarms (`distribution` outside us-east-1 only), `<project>-<env>-alerts-edge`. */
  readonly edgeTopic?: SnsTopic;
  readonly dashboard: CloudwatchDashboard;
  readonly dashboardName: string;
  /** Every alarm name, sorted. */
  readonly alarmNames: string[];
  /** Every alarm with its meaning and runbook action, sorted by name. */
  readonly alarms: readonly PlatformAlarm[];
  /** Alarm name -> what it means and what to do. */
  readonly alarmDescriptions: Readonly<Record<string, string>>;

  private readonly naming: NameContext;
  private readonly sustained: Required<AlarmEvaluation>;
  private readonly events: Required<AlarmEvaluation>;
  private readonly created: PlatformAlarm[] = [];

  constructor(scope: Construct, id: string, props: PlatformMonitoringProps) {
    super(scope, id);
    validate(props);
    this.naming = props.naming;
    const thresholds = resolveThresholds(props.thresholds);
    this.sustained = resolveEvaluation("sustained", props.evaluation?.sustained, DEFAULT_SUSTAINED_EVALUATION);
    this.events = resolveEvaluation("events", props.evaluation?.events, DEFAULT_EVENTS_EVALUATION);
    const percentile = props.responseTimePercentile ?? DEFAULT_RESPONSE_TIME_PERCENTILE;
    const partition = partitionOf(props.region);

    // --- Alerts topic and its key -------------------------------------------------------------
    this.topicName = physicalName(props.naming, "alerts", { maxLength: NAME_LIMITS.snsTopic });
    // Built from parts (not `topic.arn`) so the key policy does not depend on the topic that uses the key.
    const topicArn = `arn:${partition}:sns:${props.region}:${props.accountId}:${this.topicName}`;
    // Alarms of this environment only: every alarm name starts with `<project>-<env>-`.
    const alarmArnPattern = `arn:${partition}:cloudwatch:${props.region}:${props.accountId}:alarm:${physicalName(props.naming, "")}-*`;

    this.kmsKey = new KmsKey(this, "key", {
      description: `Encrypts the ${this.topicName} SNS topic (CloudWatch alarm notifications)`,
      enableKeyRotation: true,
      deletionWindowInDays: props.keyDeletionWindowDays ?? 30,
      policy: policyDocument(alertsKeyPolicy(partition, props.accountId, topicArn, props.budgetNotifications)),
    });
    this.kmsKeyArn = this.kmsKey.arn;
    new KmsAlias(this, "key-alias", { name: `alias/${this.topicName}`, targetKeyId: this.kmsKey.keyId });

    // A customer-managed key: CloudWatch cannot publish to a topic encrypted with the AWS-managed aws/sns key.
    this.topic = new SnsTopic(this, "topic", { name: this.topicName, kmsMasterKeyId: this.kmsKey.arn });
    this.topicArn = this.topic.arn;
    new SnsTopicPolicy(this, "topic-policy", {
      arn: this.topic.arn,
      policy: policyDocument(alertsTopicPolicy(this.topic.arn, props.accountId, alarmArnPattern, props.budgetNotifications ? partition : undefined)),
    });
    for (const email of props.alertEmails ?? []) {
      new SnsTopicSubscription(this, `email-${subscriptionId(email)}`, { topicArn: this.topic.arn, protocol: "email", endpoint: email });
    }

    // --- Alarms, tier by tier -----------------------------------------------------------------
    const tiers: DashboardTier[] = [];
    if (props.loadBalancer) {
      this.loadBalancerAlarms(props.loadBalancer, thresholds, percentile);
      tiers.push({ tier: "load-balancer", loadBalancer: props.loadBalancer, percentile });
    }
    for (const g of props.targetGroups ?? []) {
      this.targetGroupAlarms(`alb-${g.name}`, g.name, g.name, { TargetGroup: g.targetGroupArnSuffix, LoadBalancer: g.loadBalancerArnSuffix }, thresholds, percentile);
    }
    if (props.services?.length) {
      for (const service of props.services) this.serviceAlarms(service, thresholds);
      tiers.push({ tier: "services", services: props.services });
    }
    if (props.database) {
      this.databaseAlarms(props.database, thresholds);
      tiers.push({ tier: "database", database: props.database });
    }
    if (props.globalDatabase) {
      this.drTopic = this.globalDatabaseAlarm(props, props.globalDatabase, thresholds);
    }
    if (props.tables?.length) {
      for (const table of props.tables) this.tableAlarms(table);
      tiers.push({ tier: "tables", tables: props.tables });
    }
    if (props.httpApis?.length) {
      for (const api of props.httpApis) this.httpApiAlarms(api, thresholds);
      tiers.push({ tier: "apis", apis: props.httpApis });
    }
    if (props.distribution) {
      this.edgeTopic = this.distributionAlarms(props, props.distribution, thresholds);
    }
    if (props.queues?.length) {
      for (const queue of props.queues) this.queueAlarms(queue, thresholds);
      tiers.push({ tier: "queues", queues: props.queues });
    }
    if (props.functions?.length) {
      for (const fn of props.functions) this.functionAlarms(fn, thresholds);
      tiers.push({ tier: "functions", functions: props.functions });
    }
    if (props.schedules?.length) {
      const groups = scheduleGroups(props.schedules);
      for (const [group, names] of groups) this.scheduleAlarms(group, names);
      tiers.push({ tier: "schedules", groups });
    }
    if (props.emrApplications?.length) {
      for (const app of props.emrApplications) this.emrAlarms(app);
      tiers.push({ tier: "emr", applications: props.emrApplications });
    }
    if (props.stateMachines?.length) {
      for (const machine of props.stateMachines) this.stateMachineAlarms(machine);
      tiers.push({ tier: "workflows", stateMachines: props.stateMachines });
    }
    if (props.backupVaults?.length) {
      for (const vault of props.backupVaults) this.backupAlarms(vault);
      tiers.push({ tier: "backups", vaults: props.backupVaults });
    }
    if (props.clusters?.length) {
      for (const cluster of props.clusters) this.clusterAlarms(cluster);
      tiers.push({ tier: "clusters", clusters: props.clusters });
    }

    this.alarms = [...this.created].sort((a, b) => a.name.localeCompare(b.name));
    this.alarmNames = this.alarms.map((a) => a.name);
    this.alarmDescriptions = Object.fromEntries(this.alarms.map((a) => [a.name, `${a.meaning} ${a.action}`]));

    // --- Dashboard ----------------------------------------------------------------------------
    this.dashboardName = physicalName(props.naming, "platform", { maxLength: NAME_LIMITS.cloudWatchDashboard });
    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      dashboardName: this.dashboardName,
      dashboardBody: dashboardBody({
        title: physicalName(props.naming, ""),
        region: props.region,
        topicName: this.topicName,
        alarmCount: this.alarms.length,
        thresholds,
        tiers,
      }),
    });
  }

  // ALB: ELB 5xx rate, target 5xx count, response time percentile, unhealthy hosts.
  private loadBalancerAlarms(lb: MonitoredLoadBalancer, t: Required<MonitoringThresholds>, percentile: string): void {
    const alb = (metricName: string, period: number) => ({
      namespace: "AWS/ApplicationELB",
      metricName,
      dimensions: { LoadBalancer: lb.arnSuffix },
      period,
      stat: "Sum",
    });
    this.alarm({
      component: "alb-5xx-rate",
      tier: "load-balancer",
      resource: "alb",
      meaning: `More than ${t.alb5xxRatePercent}% of requests got a 5xx generated by the load balancer itself (502/503/504: no healthy target, target reset or timed out).`,
      action: "Check the public services' running tasks and target health, recent deployments and the ALB access logs.",
      profile: "sustained",
      threshold: t.alb5xxRatePercent,
      comparison: "GreaterThanThreshold",
      // No requests and no errors produce no data: an idle site is not failing. ELB 5xx are only
      // published when non-zero, hence FILL(..., 0) inside the expression.
      treatMissingData: "notBreaching",
      metricQuery: (period) => [
        { id: "elb5xx", metric: alb("HTTPCode_ELB_5XX_Count", period), returnData: false },
        { id: "requests", metric: alb("RequestCount", period), returnData: false },
        { id: "rate", expression: ALB_5XX_RATE_EXPRESSION, label: "ELB 5xx % of requests", returnData: true },
      ],
    });
    this.targetGroupAlarms("alb", lb.serviceName ?? "web", "alb", { TargetGroup: lb.targetGroupArnSuffix, LoadBalancer: lb.arnSuffix }, t, percentile);
  }

  /**
   * A target group's alarms: target 5xx count, response-time percentile, unhealthy hosts. `prefix`
   * starts the alarm names (`alb` for the first public service's, `alb-<name>` for the others).
   */
  private targetGroupAlarms(
    prefix: string,
    service: string,
    resource: string,
    tg: Record<string, string>,
    t: Required<MonitoringThresholds>,
    percentile: string,
  ): void {
    this.alarm({
      component: `${prefix}-target-5xx`,
      tier: "load-balancer",
      resource,
      meaning: `The ${service} service returned more than ${t.target5xxCount} 5xx responses in ${this.events.periodSeconds / 60} minute(s).`,
      action: `Read the ${service} service's logs for exceptions around the alarm time; roll back a bad deployment.`,
      profile: "events",
      threshold: t.target5xxCount,
      comparison: "GreaterThanThreshold",
      // Published only when a target answered 5xx: no data means no errors.
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/ApplicationELB", metricName: "HTTPCode_Target_5XX_Count", dimensions: tg, statistic: "Sum" },
    });
    this.alarm({
      component: `${prefix}-response-time`,
      tier: "load-balancer",
      resource,
      meaning: `${percentile} target response time of the ${service} service is above ${t.targetResponseTimeSeconds} s.`,
      action: "Look for slow queries (database CPU, Performance Insights), saturated tasks (CPU/memory) or a slow dependency.",
      profile: "sustained",
      threshold: t.targetResponseTimeSeconds,
      comparison: "GreaterThanThreshold",
      // No requests, no latency to judge.
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/ApplicationELB", metricName: "TargetResponseTime", dimensions: tg, extendedStatistic: percentile },
    });
    this.alarm({
      component: `${prefix}-unhealthy-hosts`,
      tier: "load-balancer",
      resource,
      meaning: `At least one ${service} target has been failing the load balancer health check.`,
      action: "Check the health-check path and the stopped tasks' reasons (`aws ecs describe-tasks`); a crash loop shows in the service events.",
      profile: "sustained",
      threshold: 0,
      comparison: "GreaterThanThreshold",
      // Missing only when the target group reports nothing (no targets registered); a service with no
      // tasks is caught by the running-task alarm, which treats silence as breaching.
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/ApplicationELB", metricName: "UnHealthyHostCount", dimensions: tg, statistic: "Maximum" },
    });
  }

  // ECS: CPU and memory of the service, running tasks below the minimum.
  private serviceAlarms(s: MonitoredService, t: Required<MonitoringThresholds>): void {
    const dimensions = { ClusterName: s.clusterName, ServiceName: s.serviceName };
    for (const [kind, metricName, threshold] of [
      ["cpu", "CPUUtilization", t.cpuPercent],
      ["memory", "MemoryUtilization", t.memoryPercent],
    ] as const) {
      this.alarm({
        component: `ecs-${s.name}-${kind}`,
        tier: "services",
        resource: s.name,
        meaning: `Average ${kind === "cpu" ? "CPU" : "memory"} of the ${s.name} service's tasks is above ${threshold}% of what they reserve.`,
        action:
          kind === "cpu"
            ? "Check autoscaling reached its maximum (raise maxCount or the task size) or find the hot code path."
            : "Look for a memory leak (steady climb) or raise the task memory; tasks are killed at 100%.",
        profile: "sustained",
        threshold,
        comparison: "GreaterThanThreshold",
        // No running tasks publish no utilisation: that case belongs to the running-task alarm.
        treatMissingData: "notBreaching",
        metric: { namespace: "AWS/ECS", metricName, dimensions, statistic: "Average" },
      });
    }
    if (s.minRunning > 0) {
      this.alarm({
        component: `ecs-${s.name}-running-tasks`,
        tier: "services",
        resource: s.name,
        meaning: `Fewer than ${s.minRunning} task(s) of the ${s.name} service are running.`,
        action: "Read the service events and stopped-task reasons: failing health checks, image pull errors, missing secrets, or no Spot capacity.",
        profile: "sustained",
        threshold: s.minRunning,
        comparison: "LessThanThreshold",
        // Container Insights publishes RunningTaskCount every minute for every service; silence means
        // the service (or Container Insights) is gone, which is exactly what this alarm must report.
        treatMissingData: "breaching",
        metric: { namespace: "ECS/ContainerInsights", metricName: "RunningTaskCount", dimensions, statistic: "Minimum" },
      });
    }
    if (s.discoveryName) {
      this.alarm({
        component: `ecs-${s.name}-connect-5xx`,
        tier: "services",
        resource: s.name,
        meaning: `The ${s.name} service answered its Service Connect callers more than ${t.target5xxCount} 5xx responses in ${this.events.periodSeconds / 60} minute(s).`,
        action: `Read the ${s.name} service's logs (and its service-connect log stream) for errors; check the callers' recent deployments.`,
        profile: "events",
        threshold: t.target5xxCount,
        comparison: "GreaterThanThreshold",
        // The callers' proxies publish per target; with no calls there is nothing to judge.
        treatMissingData: "notBreaching",
        // Reported by the calling tasks' Service Connect proxies, across all callers, by the callee's discovery name.
        metric: { namespace: "AWS/ECS", metricName: "HTTPCode_Target_5XX_Count", dimensions: { TargetDiscoveryName: s.discoveryName }, statistic: "Sum" },
      });
    }
  }

  // Aurora: cluster-wide metrics; the statistic picks the worst instance (Maximum, or Minimum for memory).
  private databaseAlarms(db: MonitoredDatabase, t: Required<MonitoringThresholds>): void {
    const dimensions = { DBClusterIdentifier: db.clusterIdentifier };
    const rds = (metricName: string, statistic: string): SingleMetric => ({ namespace: "AWS/RDS", metricName, dimensions, statistic });
    // RDS publishes every minute while an instance runs; no data means stopped or auto-paused
    // (Serverless v2 at 0 ACU), which is not a CPU, memory or connection problem.
    const base = { tier: "database" as const, resource: "database", profile: "sustained" as const, treatMissingData: "notBreaching" as const };
    this.alarm({
      ...base,
      component: "db-cpu",
      meaning: `CPU of the busiest database instance is above ${t.dbCpuPercent}%.`,
      action: "Find the expensive queries in Performance Insights; add an index, a reader, or capacity.",
      threshold: t.dbCpuPercent,
      comparison: "GreaterThanThreshold",
      metric: rds("CPUUtilization", "Maximum"),
    });
    this.alarm({
      ...base,
      component: "db-freeable-memory",
      meaning: `A database instance has less than ${formatBytes(t.dbFreeableMemoryBytes)} of freeable memory.`,
      action: db.serverless
        ? "Raise the Serverless v2 maximum capacity, or reduce work_mem and connection count."
        : "Move to a larger instance class, or reduce work_mem and connection count.",
      threshold: t.dbFreeableMemoryBytes,
      comparison: "LessThanThreshold",
      metric: rds("FreeableMemory", "Minimum"),
    });
    this.alarm({
      ...base,
      component: "db-connections",
      meaning: `A database instance holds more than ${t.dbConnections} connections.`,
      action: "Look for a connection leak or too many tasks x pool size; consider RDS Proxy.",
      threshold: t.dbConnections,
      comparison: "GreaterThanThreshold",
      metric: rds("DatabaseConnections", "Maximum"),
    });
    if (db.hasReaders) {
      this.alarm({
        ...base,
        component: "db-replica-lag",
        meaning: `The furthest-behind Aurora replica lags the writer by more than ${t.replicaLagMs} ms; reads from the reader endpoint are stale.`,
        action: "Check the readers' CPU and long-running queries on them; heavy write bursts on the writer also cause lag.",
        threshold: t.replicaLagMs,
        comparison: "GreaterThanThreshold",
        metric: rds("AuroraReplicaLag", "Maximum"),
      });
    }
    if (db.serverless) {
      this.alarm({
        ...base,
        component: "db-acu-utilization",
        meaning: `Serverless v2 capacity is above ${t.acuUtilizationPercent}% of the cluster's maximum ACUs: it cannot scale much further.`,
        action: "Raise database.maxCapacity, or find what drives the load.",
        threshold: t.acuUtilizationPercent,
        comparison: "GreaterThanThreshold",
        metric: rds("ACUUtilization", "Maximum"),
      });
    }
  }

  /**
   * Aurora global database: the secondary's `AuroraGlobalDBReplicationLag` (AWS/RDS, cluster-level,
   * published in the secondary's region only; Aurora User Guide, "Cluster-level metrics for Amazon
   * Aurora"). A metric alarm watches metrics of its own region, so the alarm is created in the
   * secondary's region, notifying an alerts topic there with its own key and the same subscriptions
   * (the primary region's topic is exactly what a region failure takes away). Returns that topic.
   */
  private globalDatabaseAlarm(props: PlatformMonitoringProps, g: MonitoredGlobalDatabase, t: Required<MonitoringThresholds>): SnsTopic {
    const topic = this.regionalTopic(props, "dr", g.region, g.provider);
    this.alarm({
      component: "db-global-replication-lag",
      tier: "database",
      resource: "global-database",
      meaning: `The secondary cluster in ${g.region} lags the primary region by more than ${t.globalReplicationLagMs} ms: a failover now would lose that much of the latest writes.`,
      action: "Check write bursts and long transactions on the primary, and the secondary's health (aws rds describe-global-clusters); Aurora keeps replicating, the lag is the current RPO.",
      profile: "sustained",
      threshold: t.globalReplicationLagMs,
      comparison: "GreaterThanThreshold",
      // Whether a headless secondary (no instances) publishes the metric is not documented; silence
      // is not treated as lag so a headless secondary does not alarm forever.
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/RDS", metricName: "AuroraGlobalDBReplicationLag", dimensions: { DBClusterIdentifier: g.clusterIdentifier }, statistic: "Maximum" },
      elsewhere: { provider: g.provider, topicArn: topic.arn },
    });
    return topic;
  }

  /**
   * An alerts topic in another region (`<project>-<env>-alerts-<suffix>`) with its own key and the
   * same e-mail subscriptions, for alarms that must live where their metrics are published.
   */
  private regionalTopic(props: PlatformMonitoringProps, suffix: string, region: string, provider: TerraformProvider): SnsTopic {
    const on = { provider };
    const partition = partitionOf(region);
    const topicName = physicalName(props.naming, `alerts-${suffix}`, { maxLength: NAME_LIMITS.snsTopic });
    const topicArn = `arn:${partition}:sns:${region}:${props.accountId}:${topicName}`;
    const alarmArnPattern = `arn:${partition}:cloudwatch:${region}:${props.accountId}:alarm:${physicalName(props.naming, "")}-*`;
    const key = new KmsKey(this, `${suffix}-key`, {
      ...on,
      description: `Encrypts the ${topicName} SNS topic (CloudWatch alarm notifications in ${region})`,
      enableKeyRotation: true,
      deletionWindowInDays: props.keyDeletionWindowDays ?? 30,
      policy: policyDocument(alertsKeyPolicy(partition, props.accountId, topicArn)),
    });
    new KmsAlias(this, `${suffix}-key-alias`, { ...on, name: `alias/${topicName}`, targetKeyId: key.keyId });
    const topic = new SnsTopic(this, `${suffix}-topic`, { ...on, name: topicName, kmsMasterKeyId: key.arn });
    new SnsTopicPolicy(this, `${suffix}-topic-policy`, { ...on, arn: topic.arn, policy: policyDocument(alertsTopicPolicy(topic.arn, props.accountId, alarmArnPattern)) });
    for (const email of props.alertEmails ?? []) {
      new SnsTopicSubscription(this, `${suffix}-email-${subscriptionId(email)}`, { ...on, topicArn: topic.arn, protocol: "email", endpoint: email });
    }
    return topic;
  }

  /**
   * CloudFront: `5xxErrorRate` and `OriginLatency` (AWS/CloudFront, dimensions `DistributionId` and
   * `Region=Global`, published in us-east-1 only; origin latency is one of the additional metrics
   * the distribution's monitoring subscription turns on). The alarms are created in us-east-1 and
   * notify the alerts topic there: the monitoring's own when it is in us-east-1, else a topic of
   * their own. Returns that extra topic, if any.
   */
  private distributionAlarms(props: PlatformMonitoringProps, d: MonitoredDistribution, t: Required<MonitoringThresholds>): SnsTopic | undefined {
    const topic = props.region === "us-east-1" ? undefined : this.regionalTopic(props, "edge", "us-east-1", d.provider);
    const elsewhere = { provider: d.provider, topicArn: topic?.arn ?? this.topic.arn };
    const dimensions = { DistributionId: d.distributionId, Region: "Global" };
    this.alarm({
      component: "cloudfront-5xx-rate",
      tier: "frontend",
      resource: "cloudfront",
      meaning: `More than ${t.cloudFront5xxRatePercent}% of the frontend's responses are 5xx: the API behind /api/* fails, or CloudFront cannot reach an origin.`,
      action: "Check the load balancer and service alarms first; in the distribution's access logs, find which path and origin fail (502/504: origin unreachable or timing out).",
      profile: "sustained",
      threshold: t.cloudFront5xxRatePercent,
      comparison: "GreaterThanThreshold",
      // No requests, no rate.
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/CloudFront", metricName: "5xxErrorRate", dimensions, statistic: "Average" },
      elsewhere,
    });
    this.alarm({
      component: "cloudfront-origin-latency",
      tier: "frontend",
      resource: "cloudfront",
      meaning: `CloudFront waits more than ${t.cloudFrontOriginLatencyMs} ms on average for the first byte from its origins: the API is slow.`,
      action: "Compare with the load balancer's target response time; scale the API service or find the slow requests in its logs.",
      profile: "sustained",
      threshold: t.cloudFrontOriginLatencyMs,
      comparison: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/CloudFront", metricName: "OriginLatency", dimensions, statistic: "Average" },
      elsewhere,
    });
    return topic;
  }

  // SQS: age of the oldest message in the work queue; anything in the dead-letter queue.
  private queueAlarms(q: MonitoredQueue, t: Required<MonitoringThresholds>): void {
    this.alarm({
      component: `queue-${q.name}-oldest-message`,
      tier: "queues",
      resource: q.name,
      meaning: `The oldest message in the ${q.name} queue has waited more than ${t.queueAgeSeconds} s: consumers are stuck or too few.`,
      action: "Check the consumers are running and not failing; scale them out; look for a poison message being retried.",
      profile: "sustained",
      threshold: t.queueAgeSeconds,
      comparison: "GreaterThanThreshold",
      // SQS stops publishing for a queue idle for six hours: an idle queue has no old messages.
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/SQS", metricName: "ApproximateAgeOfOldestMessage", dimensions: { QueueName: q.queueName }, statistic: "Maximum" },
    });
    this.alarm({
      component: `queue-${q.name}-dlq-messages`,
      tier: "queues",
      resource: q.name,
      meaning: `${t.deadLetterMessages === 1 ? "A message" : `${t.deadLetterMessages} or more messages`} failed processing repeatedly and moved to the ${q.name} dead-letter queue.`,
      action: "Inspect the messages and the consumer's error logs, fix the cause, then redrive (`aws sqs start-message-move-task`) or purge the dead-letter queue; the alarm stays on until it is empty.",
      profile: "events",
      threshold: t.deadLetterMessages,
      comparison: "GreaterThanOrEqualToThreshold",
      // A queue holding messages is active and always reports; silence means empty and idle.
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: q.deadLetterQueueName }, statistic: "Maximum" },
    });
  }

  // DynamoDB: ThrottledRequests and SystemErrors are published per operation (TableName and Operation
  // dimensions, no table-wide total), so each alarm sums the operations the platform's callers use.
  private tableAlarms(table: MonitoredTable): void {
    for (const [kind, metricName, meaning, action] of [
      [
        "throttled",
        "ThrottledRequests",
        `Requests to the ${table.name} table were throttled (capacity or a hot partition key exceeded).`,
        "Check consumed against provisioned capacity (or the on-demand maximums) and the key distribution; raise the autoscaling maximum or spread the keys.",
      ],
      [
        "system-errors",
        "SystemErrors",
        `Requests to the ${table.name} table failed with a DynamoDB internal error (HTTP 500).`,
        "Callers retry with backoff; if it persists, check the AWS Health Dashboard for DynamoDB in this region.",
      ],
    ] as const) {
      this.alarm({
        component: `dynamodb-${table.name}-${kind}`,
        tier: "tables",
        resource: table.name,
        meaning,
        action,
        profile: "events",
        threshold: 0,
        comparison: "GreaterThanThreshold",
        // Published only when requests are throttled or fail.
        treatMissingData: "notBreaching",
        metricQuery: (period) => [
          ...TABLE_OPERATIONS.map((operation, i) => ({
            id: `m${i}`,
            metric: { namespace: "AWS/DynamoDB", metricName, dimensions: { TableName: table.tableName, Operation: operation }, period, stat: "Sum" },
            returnData: false,
          })),
          { id: "total", expression: TABLE_OPERATIONS.map((_, i) => `FILL(m${i}, 0)`).join(" + "), label: `${metricName}, all operations`, returnData: true },
        ],
      });
    }
  }

  // API Gateway HTTP API: 5xx responses, p99 latency.
  private httpApiAlarms(api: MonitoredHttpApi, t: Required<MonitoringThresholds>): void {
    const dimensions = { ApiId: api.apiId };
    this.alarm({
      component: `api-${api.name}-5xx`,
      tier: "apis",
      resource: api.name,
      meaning: `The ${api.name} API answered more than ${t.api5xxCount} requests with 5xx (a function failed, timed out or was throttled).`,
      action: "Read the API's access log (integrationError) and the failing store's function log; a 503/504 burst is throttling or a timeout.",
      profile: "events",
      threshold: t.api5xxCount,
      comparison: "GreaterThanThreshold",
      // HTTP APIs publish only while they get requests.
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/ApiGateway", metricName: "5xx", dimensions, statistic: "Sum" },
    });
    this.alarm({
      component: `api-${api.name}-latency`,
      tier: "apis",
      resource: api.name,
      meaning: `The ${api.name} API's p99 latency is above ${t.apiLatencyMs} ms.`,
      action: "Compare IntegrationLatency with Latency: a slow store (its function's duration) or cold starts; raise memory or reserved concurrency of that store.",
      profile: "sustained",
      threshold: t.apiLatencyMs,
      comparison: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/ApiGateway", metricName: "Latency", dimensions, extendedStatistic: "p99" },
    });
  }

  // Lambda: any error, any throttle; for functions in a request path also the error rate and p99 duration.
  private functionAlarms(f: MonitoredFunction, t: Required<MonitoringThresholds>): void {
    const dimensions = { FunctionName: f.functionName };
    this.alarm({
      component: `lambda-${f.name}-errors`,
      tier: "functions",
      resource: f.name,
      meaning: `The ${f.name} Lambda function failed at least once (exception, timeout or out of memory).`,
      action: "Read the function's log group for the error; failed batches are retried and end in its dead-letter queue.",
      profile: "events",
      threshold: 0,
      comparison: "GreaterThanThreshold",
      // Lambda publishes only for invocations: no invocations, no errors.
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/Lambda", metricName: "Errors", dimensions, statistic: "Sum" },
    });
    this.alarm({
      component: `lambda-${f.name}-throttles`,
      tier: "functions",
      resource: f.name,
      meaning: `Invocations of the ${f.name} Lambda function were throttled (reserved or account concurrency exhausted).`,
      action: "Raise the function's reserved concurrency or the event source's maximum concurrency, or ask for a higher account limit.",
      profile: "events",
      threshold: 0,
      comparison: "GreaterThanThreshold",
      // As for errors: only invocations produce data.
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/Lambda", metricName: "Throttles", dimensions, statistic: "Sum" },
    });
    const backend = f.backendMetrics;
    if (!backend) return;
    const backendDimensions = { ...backend.dimensions };
    this.alarm({
      component: `lambda-${f.name}-error-rate`,
      tier: "functions",
      resource: f.name,
      meaning: `More than ${t.functionErrorRatePercent}% of the ${f.name} function's calls to its backend failed (error status, timeout or open circuit breaker).`,
      action: "Read the function's log for the backend's status codes and timeouts; check the external service's status page.",
      profile: "sustained",
      threshold: t.functionErrorRatePercent,
      comparison: "GreaterThanThreshold",
      // Published only for requests that reached the backend.
      treatMissingData: "notBreaching",
      metricQuery: (period) => [
        { id: "errors", metric: { namespace: backend.namespace, metricName: backend.errorsMetric, dimensions: backendDimensions, period, stat: "Average" }, returnData: false },
        { id: "rate", expression: "100 * errors", label: "Backend error rate (%)", returnData: true },
      ],
    });
    this.alarm({
      component: `lambda-${f.name}-latency`,
      tier: "functions",
      resource: f.name,
      meaning: `The ${f.name} function's backend answers slower than ${t.functionDurationMs} ms at p99 (retries included).`,
      action: "Check the backend (X-Ray traces, the external service's status); the store's timeout bounds each call.",
      profile: "sustained",
      threshold: t.functionDurationMs,
      comparison: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      metric: { namespace: backend.namespace, metricName: backend.latencyMetric, dimensions: backendDimensions, extendedStatistic: "p99" },
    });
  }

  // EventBridge Scheduler: per schedule group (the only dimension it publishes).
  private scheduleAlarms(group: string, names: readonly string[]): void {
    const dimensions = { ScheduleGroup: group };
    // A group named after this workspace (<project>-<env>-x) appears as x in the alarm names.
    const prefix = `${physicalName(this.naming, "")}-`;
    const label = group.startsWith(prefix) ? group.slice(prefix.length) : group;
    // "<project>-<env>-schedules" gives "<project>-<env>-schedules-<failure>", not "...-schedules-schedules-...".
    const base = label === "schedules" ? "schedules" : `schedules-${label}`;
    const which = `schedule group "${group}" (${names.join(", ")})`;
    this.alarm({
      component: `${base}-target-errors`,
      tier: "schedules",
      resource: group,
      meaning: `EventBridge Scheduler's call to a target failed in ${which}, e.g. ECS RunTask refused (no capacity, bad task definition, missing permission).`,
      action: "Check CloudTrail for the failed RunTask call and the schedule's role; the attempt is retried per the retry policy.",
      profile: "events",
      threshold: 0,
      comparison: "GreaterThanThreshold",
      // Published only when schedules fire and fail.
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/Scheduler", metricName: "TargetErrorCount", dimensions, statistic: "Sum" },
    });
    this.alarm({
      component: `${base}-dropped`,
      tier: "schedules",
      resource: group,
      meaning: `A scheduled run in ${which} was given up after its retries: the job did not run.`,
      action: "Read the schedule's dead-letter queue for the error, fix it, and run the task by hand if the run matters.",
      profile: "events",
      threshold: 0,
      comparison: "GreaterThanThreshold",
      // Published only when an invocation is dropped.
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/Scheduler", metricName: "InvocationDroppedCount", dimensions, statistic: "Sum" },
    });
  }

  // EMR Serverless: failed job runs of the application.
  private emrAlarms(a: MonitoredEmrApplication): void {
    this.alarm({
      component: `emr-${a.name}-failed-jobs`,
      tier: "emr",
      resource: a.name,
      meaning: `A job run on the ${a.name} EMR Serverless application failed.`,
      action: "Find the run (`aws emr-serverless list-job-runs --states FAILED`), read its stateDetails and driver logs, fix and resubmit.",
      profile: "events",
      threshold: 0,
      comparison: "GreaterThanThreshold",
      // The application publishes only while started (it auto-stops when idle): no data, no failures.
      treatMissingData: "notBreaching",
      metric: {
        namespace: "AWS/EMRServerless",
        metricName: "FailedJobs",
        dimensions: { ApplicationId: a.applicationId, ApplicationName: a.applicationName },
        statistic: "Sum",
      },
    });
  }

  // Step Functions started by a rule: the rule could not start it, or an execution failed.
  private stateMachineAlarms(m: MonitoredStateMachine): void {
    this.alarm({
      component: `sfn-${m.name}-failed`,
      tier: "workflows",
      resource: m.name,
      meaning: `An execution of the ${m.name} state machine failed, timed out or was aborted.`,
      action: "Open the failed execution in the Step Functions console (its log group has the error) and repeat what it does by hand if needed.",
      profile: "events",
      threshold: 0,
      comparison: "GreaterThanThreshold",
      // Published only when executions run.
      treatMissingData: "notBreaching",
      // ExecutionsFailed, ExecutionsTimedOut and ExecutionsAborted are published only when non-zero.
      metricQuery: (period) => [
        ...(["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"] as const).map((metricName, i) => ({
          id: `m${i}`,
          metric: { namespace: "AWS/States", metricName, dimensions: { StateMachineArn: m.stateMachineArn }, period, stat: "Sum" },
          returnData: false,
        })),
        { id: "unsuccessful", expression: "FILL(m0, 0) + FILL(m1, 0) + FILL(m2, 0)", label: "Unsuccessful executions", returnData: true },
      ],
    });
    this.alarm({
      component: `sfn-${m.name}-not-started`,
      tier: "workflows",
      resource: m.name,
      meaning: `The EventBridge rule ${m.ruleName} matched an event but could not start the ${m.name} state machine.`,
      action: "Check the rule target's role (states:StartExecution) and the state machine; the event is lost, so run the state machine by hand.",
      profile: "events",
      threshold: 0,
      comparison: "GreaterThanThreshold",
      // Published only when the rule matches.
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/Events", metricName: "FailedInvocations", dimensions: { RuleName: m.ruleName }, statistic: "Sum" },
    });
  }

  // EKS control plane (AWS/EKS, no Container Insights needed): API server errors, unschedulable pods, etcd size.
  private clusterAlarms(c: MonitoredKubernetesCluster): void {
    const dimensions = { ClusterName: c.clusterName };
    this.alarm({
      component: `eks-${c.name}-apiserver-5xx`,
      tier: "clusters",
      resource: c.name,
      meaning: `The Kubernetes API server of ${c.clusterName} keeps answering with server errors (5xx).`,
      action: "Check the cluster's health in the EKS console and the api/audit control-plane logs for failing admission webhooks or overloaded requests.",
      profile: "sustained",
      threshold: 10,
      comparison: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/EKS", metricName: "apiserver_request_total_5XX", dimensions, statistic: "Sum" },
    });
    this.alarm({
      component: `eks-${c.name}-unschedulable-pods`,
      tier: "clusters",
      resource: c.name,
      meaning: `Pods of ${c.clusterName} stay unschedulable: Auto Mode cannot launch nodes that fit them.`,
      action: "kubectl get events -A --field-selector reason=FailedScheduling; check the node pools' limits, requests too large for any instance type, and EC2 quotas.",
      profile: "sustained",
      threshold: 0,
      comparison: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/EKS", metricName: "scheduler_pending_pods_UNSCHEDULABLE", dimensions, statistic: "Maximum" },
    });
    this.alarm({
      component: `eks-${c.name}-etcd-size`,
      tier: "clusters",
      resource: c.name,
      meaning: `The etcd database of ${c.clusterName} is above 6 GiB; at 8 GiB the cluster turns read-only.`,
      action: "Find what fills it (many Events, Secrets or ConfigMaps; kubectl get --raw /metrics | grep apiserver_storage_objects) and delete what is not needed.",
      profile: "sustained",
      threshold: 6 * 1024 ** 3,
      comparison: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/EKS", metricName: "apiserver_storage_size_bytes", dimensions, statistic: "Maximum" },
    });
  }

  // AWS Backup: failed backup jobs and, for a plan that copies to another region, failed copy jobs.
  private backupAlarms(v: MonitoredBackupVault): void {
    const jobs = [
      { kind: "backup", metricName: "NumberOfBackupJobsFailed", what: "A backup job" },
      ...(v.copiesToOtherRegion ? [{ kind: "copy", metricName: "NumberOfCopyJobsFailed", what: "A copy job to the disaster-recovery vault" }] : []),
    ];
    for (const job of jobs) {
      this.alarm({
        component: `backup-${v.name}-${job.kind}-failed`,
        tier: "backups",
        resource: v.name,
        meaning: `${job.what} of vault ${v.vaultName} failed: the newest recovery point is missing there.`,
        action: `List the failed jobs (\`aws backup list-${job.kind}-jobs --by-state FAILED\`), read their StatusMessage, fix the cause and start the job again by hand.`,
        profile: "events",
        threshold: 0,
        comparison: "GreaterThanThreshold",
        // Published only while jobs run.
        treatMissingData: "notBreaching",
        metric: { namespace: "AWS/Backup", metricName: job.metricName, dimensions: { BackupVaultName: v.vaultName }, statistic: "Sum" },
      });
    }
  }

  private alarm(spec: AlarmSpec): void {
    const name = physicalName(this.naming, spec.component, { maxLength: NAME_LIMITS.cloudWatchAlarm });
    if (this.created.some((a) => a.name === name)) fail(`two alarms would be named "${name}" (rename one of the resources)`);
    const evaluation = spec.profile === "sustained" ? this.sustained : this.events;
    const description = `${spec.meaning} ${spec.action}`.slice(0, ALARM_DESCRIPTION_LIMIT);
    const common = {
      alarmName: name,
      alarmDescription: description,
      comparisonOperator: spec.comparison,
      threshold: spec.threshold,
      evaluationPeriods: evaluation.evaluationPeriods,
      datapointsToAlarm: evaluation.datapointsToAlarm,
      treatMissingData: spec.treatMissingData,
      alarmActions: [spec.elsewhere?.topicArn ?? this.topic.arn],
      okActions: [spec.elsewhere?.topicArn ?? this.topic.arn],
      ...(spec.elsewhere ? { provider: spec.elsewhere.provider } : {}),
    };
    if (spec.metric) {
      const m = spec.metric;
      new CloudwatchMetricAlarm(this, `alarm-${spec.component}`, {
        ...common,
        namespace: m.namespace,
        metricName: m.metricName,
        dimensions: { ...m.dimensions },
        period: evaluation.periodSeconds,
        statistic: m.statistic,
        extendedStatistic: m.extendedStatistic,
        // Percentiles over a handful of requests are noise: keep the alarm's state in quiet minutes.
        evaluateLowSampleCountPercentiles: m.extendedStatistic ? "ignore" : undefined,
      });
    } else {
      new CloudwatchMetricAlarm(this, `alarm-${spec.component}`, { ...common, metricQuery: spec.metricQuery!(evaluation.periodSeconds) });
    }
    this.created.push({
      name,
      tier: spec.tier,
      resource: spec.resource,
      metric: spec.metric ? `${spec.metric.namespace} ${spec.metric.metricName}` : "metric math",
      meaning: spec.meaning,
      action: spec.action,
    });
  }
}
/** Schedules grouped by schedule group, groups and names sorted (metrics exist per group only). */
export function scheduleGroups(schedules: readonly MonitoredSchedule[]): Array<[string, string[]]> {
  const groups = new Map<string, string[]>();
  for (const s of schedules) {
    const group = s.scheduleGroup ?? DEFAULT_SCHEDULE_GROUP;
    groups.set(group, [...(groups.get(group) ?? []), s.name]);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([g, names]) => [g, [...names].sort()]);
}

/** A stable construct id for an e-mail subscription: readable, and unique by a hash of the address. */
function subscriptionId(email: string): string {
  const readable = email.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 40);
  return `${readable}-${createHash("sha256").update(email.toLowerCase()).digest("hex").slice(0, 6)}`;
}

function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes} bytes`;
}

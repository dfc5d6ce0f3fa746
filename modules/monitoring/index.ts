import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
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
import type { AlarmContext, AlarmSpec } from "./alarm-spec";
import { backupAlarms, databaseAlarms, queueAlarms, tableAlarms } from "./alarms-data";
import { clusterAlarms, emrAlarms, scheduleAlarms, stateMachineAlarms } from "./alarms-jobs";
import { functionAlarms, httpApiAlarms, loadBalancerAlarms, serviceAlarms, targetGroupAlarms } from "./alarms-requests";
import { dashboardBody, type DashboardTier } from "./dashboard";
import type {
  AlarmEvaluation,
  MonitoredDistribution,
  MonitoredGlobalDatabase,
  MonitoredSchedule,
  MonitoringThresholds,
} from "./types";

export * from "./dashboard";
export { TABLE_OPERATIONS } from "./alarms-data";
export * from "./types";

import { alertsKeyPolicy, alertsTopicPolicy } from "./policies";
import {
  DEFAULT_EVENTS_EVALUATION,
  DEFAULT_RESPONSE_TIME_PERCENTILE,
  DEFAULT_SCHEDULE_GROUP,
  DEFAULT_SUSTAINED_EVALUATION,
  type PlatformAlarm,
  type PlatformMonitoringProps,
} from "./props";
import { fail, resolveEvaluation, resolveThresholds, validate } from "./validate";

export * from "./props";
export * from "./policies";
export { emailProblem, percentileProblem } from "./validate";

const ALARM_DESCRIPTION_LIMIT = 1024;


/**
 * Alerting and a dashboard for one environment: an SNS topic encrypted with its own KMS key that only
 * CloudWatch alarms of this environment may publish to, e-mail subscriptions, CloudWatch alarms per
 * tier (built by alarms-requests.ts, alarms-data.ts and alarms-jobs.ts; CloudFront's and the global
 * database's here, with their topic in another region), each notifying the topic on ALARM and on OK,
 * and one dashboard with the same metrics. It takes plain identifiers, not constructs, so it depends
 * on no other module.
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
  /** What the alarm builders of the tiers (alarms-*.ts) create their alarms through. */
  private readonly alarmContext: AlarmContext;

  constructor(scope: Construct, id: string, props: PlatformMonitoringProps) {
    super(scope, id);
    validate(props);
    this.naming = props.naming;
    const thresholds = resolveThresholds(props.thresholds);
    this.sustained = resolveEvaluation("sustained", props.evaluation?.sustained, DEFAULT_SUSTAINED_EVALUATION);
    this.events = resolveEvaluation("events", props.evaluation?.events, DEFAULT_EVENTS_EVALUATION);
    this.alarmContext = { add: (spec) => this.alarm(spec), naming: this.naming, events: this.events };
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
      loadBalancerAlarms(this.alarmContext, props.loadBalancer, thresholds, percentile);
      tiers.push({ tier: "load-balancer", loadBalancer: props.loadBalancer, percentile });
    }
    for (const g of props.targetGroups ?? []) {
      targetGroupAlarms(this.alarmContext, `alb-${g.name}`, g.name, g.name, { TargetGroup: g.targetGroupArnSuffix, LoadBalancer: g.loadBalancerArnSuffix }, thresholds, percentile);
    }
    if (props.services?.length) {
      for (const service of props.services) serviceAlarms(this.alarmContext, service, thresholds);
      tiers.push({ tier: "services", services: props.services });
    }
    if (props.database) {
      databaseAlarms(this.alarmContext, props.database, thresholds);
      tiers.push({ tier: "database", database: props.database });
    }
    if (props.globalDatabase) {
      this.drTopic = this.globalDatabaseAlarm(props, props.globalDatabase, thresholds);
    }
    if (props.tables?.length) {
      for (const table of props.tables) tableAlarms(this.alarmContext, table);
      tiers.push({ tier: "tables", tables: props.tables });
    }
    if (props.httpApis?.length) {
      for (const api of props.httpApis) httpApiAlarms(this.alarmContext, api, thresholds);
      tiers.push({ tier: "apis", apis: props.httpApis });
    }
    if (props.distribution) {
      this.edgeTopic = this.distributionAlarms(props, props.distribution, thresholds);
    }
    if (props.queues?.length) {
      for (const queue of props.queues) queueAlarms(this.alarmContext, queue, thresholds);
      tiers.push({ tier: "queues", queues: props.queues });
    }
    if (props.functions?.length) {
      for (const fn of props.functions) functionAlarms(this.alarmContext, fn, thresholds);
      tiers.push({ tier: "functions", functions: props.functions });
    }
    if (props.schedules?.length) {
      const groups = scheduleGroups(props.schedules);
      for (const [group, names] of groups) scheduleAlarms(this.alarmContext, group, names);
      tiers.push({ tier: "schedules", groups });
    }
    if (props.emrApplications?.length) {
      for (const app of props.emrApplications) emrAlarms(this.alarmContext, app);
      tiers.push({ tier: "emr", applications: props.emrApplications });
    }
    if (props.stateMachines?.length) {
      for (const machine of props.stateMachines) stateMachineAlarms(this.alarmContext, machine);
      tiers.push({ tier: "workflows", stateMachines: props.stateMachines });
    }
    if (props.backupVaults?.length) {
      for (const vault of props.backupVaults) backupAlarms(this.alarmContext, vault);
      tiers.push({ tier: "backups", vaults: props.backupVaults });
    }
    if (props.clusters?.length) {
      for (const cluster of props.clusters) clusterAlarms(this.alarmContext, cluster);
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

  /**
   * A target group's alarms: target 5xx count, response-time percentile, unhealthy hosts. `prefix`
   * starts the alarm names (`alb` for the first public service's, `alb-<name>` for the others).
   */
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

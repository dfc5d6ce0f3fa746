/**
 * The CloudWatch dashboard body of {@link PlatformMonitoring}: plain JSON built in TypeScript, in a
 * fixed order, so two synths give the same string. One text header per tier present, then metric
 * widgets per resource, three to a row.
 */
import type {
  MonitoredBackupVault,
  MonitoredDatabase,
  MonitoredEmrApplication,
  MonitoredFunction,
  MonitoredHttpApi,
  MonitoredKubernetesCluster,
  MonitoredLoadBalancer,
  MonitoredQueue,
  MonitoredService,
  MonitoredStateMachine,
  MonitoredTable,
  MonitoringThresholds,
} from "./types";

/**
 * The ELB 5xx rate in percent: `100 * elb5xx / requests`, both sums over the period. ELB 5xx is
 * published only when non-zero, so gaps are filled with 0. RequestCount leaves out requests rejected
 * before a target was chosen (a 503 with no registered target), so a period with ELB 5xx and no
 * counted request is 100%, and a period with neither is 0% (an idle site is not failing).
 */
export const ALB_5XX_RATE_EXPRESSION =
  "IF(FILL(requests, 0) > 0, 100 * FILL(elb5xx, 0) / FILL(requests, 0), IF(FILL(elb5xx, 0) > 0, 100, 0))";

export type DashboardTier =
  | { readonly tier: "load-balancer"; readonly loadBalancer: MonitoredLoadBalancer; readonly percentile: string }
  | { readonly tier: "services"; readonly services: readonly MonitoredService[] }
  | { readonly tier: "database"; readonly database: MonitoredDatabase }
  | { readonly tier: "tables"; readonly tables: readonly MonitoredTable[] }
  | { readonly tier: "apis"; readonly apis: readonly MonitoredHttpApi[] }
  | { readonly tier: "queues"; readonly queues: readonly MonitoredQueue[] }
  | { readonly tier: "functions"; readonly functions: readonly MonitoredFunction[] }
  | { readonly tier: "schedules"; readonly groups: ReadonlyArray<readonly [string, readonly string[]]> }
  | { readonly tier: "emr"; readonly applications: readonly MonitoredEmrApplication[] }
  | { readonly tier: "workflows"; readonly stateMachines: readonly MonitoredStateMachine[] }
  | { readonly tier: "backups"; readonly vaults: readonly MonitoredBackupVault[] }
  | { readonly tier: "clusters"; readonly clusters: readonly MonitoredKubernetesCluster[] };

export interface DashboardInput {
  /** `<project>-<env>`. */
  readonly title: string;
  readonly region: string;
  readonly topicName: string;
  readonly alarmCount: number;
  readonly thresholds: Required<MonitoringThresholds>;
  readonly tiers: readonly DashboardTier[];
}

/** One row of a metric widget's `metrics`: namespace, name, dimension pairs, then rendering options. */
type MetricRow = Array<string | Record<string, unknown>>;

interface MetricWidgetSpec {
  readonly title: string;
  readonly metrics: MetricRow[];
  readonly stat?: string;
  /** Horizontal threshold lines. */
  readonly thresholds?: Array<{ label: string; value: number }>;
}

export interface DashboardWidget {
  readonly type: "text" | "metric";
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, unknown>;
}

const GRID_WIDTH = 24;
const WIDGET_WIDTH = 8;
const WIDGET_HEIGHT = 6;
const HEADER_HEIGHT = 2;
/** Dashboard graphs use one-minute points, the resolution of every metric shown. */
const PERIOD = 60;

const TIER_TITLES: Record<DashboardTier["tier"], string> = {
  "load-balancer": "Load balancer",
  services: "ECS services",
  database: "Database (Aurora PostgreSQL)",
  tables: "DynamoDB tables",
  apis: "HTTP APIs (API Gateway)",
  queues: "Queues",
  functions: "Lambda functions",
  schedules: "Schedules (EventBridge Scheduler)",
  emr: "EMR Serverless",
  workflows: "Workflows (Step Functions)",
  backups: "Backups (AWS Backup)",
  clusters: "Kubernetes (EKS control plane)",
};

function metric(namespace: string, name: string, dimensions: Record<string, string>, options: Record<string, unknown> = {}): MetricRow {
  const row: MetricRow = [namespace, name];
  for (const [key, value] of Object.entries(dimensions)) row.push(key, value);
  if (Object.keys(options).length > 0) row.push(options);
  return row;
}

function tierHeader(tier: DashboardTier): string {
  switch (tier.tier) {
    case "load-balancer":
      return `Load balancer \`${tier.loadBalancer.arnSuffix}\`, target group \`${tier.loadBalancer.targetGroupArnSuffix}\``;
    case "services":
      return tier.services.map((s) => `\`${s.serviceName}\` in \`${s.clusterName}\``).join(", ");
    case "database":
      return `Cluster \`${tier.database.clusterIdentifier}\`${tier.database.serverless ? ", Serverless v2" : ""}${tier.database.hasReaders ? ", with readers" : ""}`;
    case "queues":
      return tier.queues.map((q) => `\`${q.queueName}\` (dead letters: \`${q.deadLetterQueueName}\`)`).join(", ");
    case "functions":
      return tier.functions.map((f) => `\`${f.functionName}\``).join(", ");
    case "tables":
      return tier.tables.map((t) => `\`${t.tableName}\``).join(", ");
    case "apis":
      return tier.apis.map((a) => `\`${a.apiId}\``).join(", ");
    case "schedules":
      return `Metrics are per schedule group: ${tier.groups.map(([group, names]) => `\`${group}\` (${names.join(", ")})`).join(", ")}`;
    case "emr":
      return tier.applications.map((a) => `\`${a.applicationName}\` (\`${a.applicationId}\`)`).join(", ");
    case "workflows":
      return tier.stateMachines.map((m) => `\`${m.stateMachineArn}\`, started by rule \`${m.ruleName}\``).join(", ");
    case "backups":
      return tier.vaults.map((v) => `Vault \`${v.vaultName}\`${v.copiesToOtherRegion ? ", copies to the disaster-recovery region" : ""}`).join(", ");
    case "clusters":
      return tier.clusters.map((c) => `EKS cluster \`${c.clusterName}\` (control-plane metrics)`).join(", ");
  }
}

function tierWidgets(tier: DashboardTier, t: Required<MonitoringThresholds>): MetricWidgetSpec[] {
  switch (tier.tier) {
    case "load-balancer": {
      const lb = { LoadBalancer: tier.loadBalancer.arnSuffix };
      const tg = { TargetGroup: tier.loadBalancer.targetGroupArnSuffix, LoadBalancer: tier.loadBalancer.arnSuffix };
      const percentiles = [...new Set(["p50", "p90", tier.percentile])];
      return [
        {
          title: "ALB: requests and 5xx",
          stat: "Sum",
          metrics: [
            metric("AWS/ApplicationELB", "RequestCount", lb, { label: "Requests" }),
            metric("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", lb, { label: "ELB 5xx" }),
            metric("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", tg, { label: "Target 5xx" }),
          ],
        },
        {
          title: "ALB: ELB 5xx rate %",
          stat: "Sum",
          metrics: [
            [{ expression: ALB_5XX_RATE_EXPRESSION, label: "ELB 5xx %", id: "rate" }],
            metric("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", lb, { id: "elb5xx", visible: false }),
            metric("AWS/ApplicationELB", "RequestCount", lb, { id: "requests", visible: false }),
          ],
          thresholds: [{ label: "alarm", value: t.alb5xxRatePercent }],
        },
        {
          title: "ALB: target response time (s)",
          metrics: percentiles.map((p) => metric("AWS/ApplicationELB", "TargetResponseTime", tg, { stat: p, label: p })),
          thresholds: [{ label: `alarm (${tier.percentile})`, value: t.targetResponseTimeSeconds }],
        },
        {
          title: "ALB: target health",
          stat: "Maximum",
          metrics: [
            metric("AWS/ApplicationELB", "HealthyHostCount", tg, { stat: "Minimum", label: "Healthy (min)" }),
            metric("AWS/ApplicationELB", "UnHealthyHostCount", tg, { label: "Unhealthy (max)" }),
          ],
        },
      ];
    }
    case "services":
      return tier.services.flatMap((s) => {
        const dims = { ClusterName: s.clusterName, ServiceName: s.serviceName };
        return [
          {
            title: `${s.name}: CPU and memory %`,
            stat: "Average",
            metrics: [metric("AWS/ECS", "CPUUtilization", dims, { label: "CPU" }), metric("AWS/ECS", "MemoryUtilization", dims, { label: "Memory" })],
            thresholds: [
              { label: "CPU alarm", value: t.cpuPercent },
              { label: "memory alarm", value: t.memoryPercent },
            ],
          },
          {
            title: `${s.name}: tasks`,
            stat: "Average",
            metrics: [
              metric("ECS/ContainerInsights", "RunningTaskCount", dims, { label: "Running" }),
              metric("ECS/ContainerInsights", "DesiredTaskCount", dims, { label: "Desired" }),
              metric("ECS/ContainerInsights", "PendingTaskCount", dims, { label: "Pending" }),
            ],
            thresholds: s.minRunning > 0 ? [{ label: "minimum running", value: s.minRunning }] : undefined,
          },
        ];
      });
    case "database": {
      const dims = { DBClusterIdentifier: tier.database.clusterIdentifier };
      const widgets: MetricWidgetSpec[] = [
        { title: "Database: CPU % (busiest instance)", stat: "Maximum", metrics: [metric("AWS/RDS", "CPUUtilization", dims)], thresholds: [{ label: "alarm", value: t.dbCpuPercent }] },
        {
          title: "Database: freeable memory (bytes, lowest instance)",
          stat: "Minimum",
          metrics: [metric("AWS/RDS", "FreeableMemory", dims)],
          thresholds: [{ label: "alarm", value: t.dbFreeableMemoryBytes }],
        },
        { title: "Database: connections (busiest instance)", stat: "Maximum", metrics: [metric("AWS/RDS", "DatabaseConnections", dims)], thresholds: [{ label: "alarm", value: t.dbConnections }] },
      ];
      if (tier.database.hasReaders) {
        widgets.push({ title: "Database: replica lag (ms)", stat: "Maximum", metrics: [metric("AWS/RDS", "AuroraReplicaLag", dims)], thresholds: [{ label: "alarm", value: t.replicaLagMs }] });
      }
      if (tier.database.serverless) {
        widgets.push({
          title: "Database: Serverless v2 capacity",
          stat: "Maximum",
          metrics: [metric("AWS/RDS", "ACUUtilization", dims, { label: "ACU % of maximum" }), metric("AWS/RDS", "ServerlessDatabaseCapacity", dims, { label: "ACUs", yAxis: "right" })],
          thresholds: [{ label: "alarm", value: t.acuUtilizationPercent }],
        });
      }
      return widgets;
    }
    case "queues":
      return tier.queues.flatMap((q) => [
        {
          title: `${q.name}: backlog`,
          stat: "Maximum",
          metrics: [
            metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: q.queueName }, { label: "Visible messages" }),
            metric("AWS/SQS", "ApproximateAgeOfOldestMessage", { QueueName: q.queueName }, { label: "Oldest message (s)", yAxis: "right" }),
          ],
        },
        {
          title: `${q.name}: dead-letter queue`,
          stat: "Maximum",
          metrics: [metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: q.deadLetterQueueName }, { label: "Dead letters" })],
          thresholds: [{ label: "alarm", value: t.deadLetterMessages }],
        },
      ]);
    case "tables":
      return tier.tables.flatMap((table) => {
        const dims = { TableName: table.tableName };
        return [
          {
            title: `${table.name}: consumed capacity`,
            stat: "Sum",
            metrics: [metric("AWS/DynamoDB", "ConsumedReadCapacityUnits", dims), metric("AWS/DynamoDB", "ConsumedWriteCapacityUnits", dims)],
          },
          {
            title: `${table.name}: throttle events`,
            stat: "Sum",
            metrics: [metric("AWS/DynamoDB", "ReadThrottleEvents", dims), metric("AWS/DynamoDB", "WriteThrottleEvents", dims)],
          },
        ];
      });
    case "apis":
      return tier.apis.flatMap((api) => {
        const dims = { ApiId: api.apiId };
        return [
          { title: `${api.name}: requests`, stat: "Sum", metrics: [metric("AWS/ApiGateway", "Count", dims), metric("AWS/ApiGateway", "4xx", dims), metric("AWS/ApiGateway", "5xx", dims)] },
          {
            title: `${api.name}: latency (ms)`,
            metrics: [metric("AWS/ApiGateway", "Latency", dims, { stat: "p50", label: "p50" }), metric("AWS/ApiGateway", "Latency", dims, { stat: "p99", label: "p99" })],
            thresholds: [{ label: "alarm (p99)", value: t.apiLatencyMs }],
          },
        ];
      });
    case "functions":
      return tier.functions.flatMap((f) => {
        const dims = { FunctionName: f.functionName };
        return [
          {
            title: `${f.name}: invocations`,
            stat: "Sum",
            metrics: [metric("AWS/Lambda", "Invocations", dims), metric("AWS/Lambda", "Errors", dims), metric("AWS/Lambda", "Throttles", dims)],
          },
          {
            title: `${f.name}: duration (ms)`,
            metrics: [metric("AWS/Lambda", "Duration", dims, { stat: "p50", label: "p50" }), metric("AWS/Lambda", "Duration", dims, { stat: "Maximum", label: "max" })],
          },
        ];
      });
    case "schedules":
      return tier.groups.map(([group]) => {
        const dims = { ScheduleGroup: group };
        return {
          title: `Schedule group ${group}: invocations`,
          stat: "Sum",
          metrics: [
            metric("AWS/Scheduler", "InvocationAttemptCount", dims, { label: "Attempts" }),
            metric("AWS/Scheduler", "TargetErrorCount", dims, { label: "Target errors" }),
            metric("AWS/Scheduler", "InvocationDroppedCount", dims, { label: "Dropped" }),
          ],
        };
      });
    case "emr":
      return tier.applications.map((a) => {
        const dims = { ApplicationId: a.applicationId, ApplicationName: a.applicationName };
        return {
          title: `${a.name}: job runs`,
          stat: "Sum",
          metrics: ["SubmittedJobs", "RunningJobs", "SuccessJobs", "FailedJobs"].map((m) => metric("AWS/EMRServerless", m, dims)),
        };
      });
    case "workflows":
      return tier.stateMachines.map((m) => {
        const dims = { StateMachineArn: m.stateMachineArn };
        return {
          title: `${m.name}: executions`,
          stat: "Sum",
          metrics: [
            ...["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut"].map((name) => metric("AWS/States", name, dims)),
            metric("AWS/Events", "FailedInvocations", { RuleName: m.ruleName }, { label: "Rule could not start it" }),
          ],
        };
      });
    case "backups":
      return tier.vaults.map((v) => {
        const dims = { BackupVaultName: v.vaultName };
        const kinds = v.copiesToOtherRegion ? ["Backup", "Copy"] : ["Backup"];
        return {
          title: `${v.name}: jobs`,
          stat: "Sum",
          metrics: kinds.flatMap((kind) => [metric("AWS/Backup", `NumberOf${kind}JobsCompleted`, dims), metric("AWS/Backup", `NumberOf${kind}JobsFailed`, dims)]),
        };
      });
    case "clusters":
      return tier.clusters.flatMap((c) => {
        const dims = { ClusterName: c.clusterName };
        return [
          {
            title: `${c.name}: API server requests`,
            stat: "Sum",
            metrics: ["apiserver_request_total", "apiserver_request_total_4XX", "apiserver_request_total_5XX", "apiserver_request_total_429"].map((m) => metric("AWS/EKS", m, dims)),
          },
          {
            title: `${c.name}: pending pods`,
            stat: "Maximum",
            metrics: ["scheduler_pending_pods", "scheduler_pending_pods_UNSCHEDULABLE"].map((m) => metric("AWS/EKS", m, dims)),
          },
        ];
      });
  }
}

/** The widgets, laid out: a title, then per tier a header and its metric widgets. */
export function dashboardWidgets(input: DashboardInput): DashboardWidget[] {
  const widgets: DashboardWidget[] = [];
  let y = 0;
  const text = (markdown: string) => {
    widgets.push({ type: "text", x: 0, y, width: GRID_WIDTH, height: HEADER_HEIGHT, properties: { markdown } });
    y += HEADER_HEIGHT;
  };
  text(
    `# ${input.title} platform\n${input.alarmCount} alarm(s) notify the SNS topic \`${input.topicName}\` on ALARM and OK. ` +
      "Horizontal lines are alarm thresholds.",
  );
  for (const tier of input.tiers) {
    text(`## ${TIER_TITLES[tier.tier]}\n${tierHeader(tier)}`);
    const specs = tierWidgets(tier, input.thresholds);
    specs.forEach((spec, i) => {
      const properties: Record<string, unknown> = {
        title: spec.title,
        region: input.region,
        view: "timeSeries",
        stacked: false,
        period: PERIOD,
        ...(spec.stat ? { stat: spec.stat } : {}),
        metrics: spec.metrics,
      };
      if (spec.thresholds?.length) {
        properties.annotations = { horizontal: spec.thresholds.map((a) => ({ label: a.label, value: a.value })) };
      }
      widgets.push({
        type: "metric",
        x: (i % (GRID_WIDTH / WIDGET_WIDTH)) * WIDGET_WIDTH,
        y: y + Math.floor(i / (GRID_WIDTH / WIDGET_WIDTH)) * WIDGET_HEIGHT,
        width: WIDGET_WIDTH,
        height: WIDGET_HEIGHT,
        properties,
      });
    });
    y += Math.ceil(specs.length / (GRID_WIDTH / WIDGET_WIDTH)) * WIDGET_HEIGHT;
  }
  return widgets;
}

/** The `dashboard_body` JSON. */
export function dashboardBody(input: DashboardInput): string {
  return JSON.stringify({ widgets: dashboardWidgets(input) });
}

import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { TerraformOutput, TerraformVariable } from "cdktf";
import { describe, expect, it } from "vitest";
import {
  ALB_5XX_RATE_EXPRESSION,
  PlatformMonitoring,
  percentileProblem,
  type DashboardWidget,
  type PlatformMonitoringProps,
} from "../modules/monitoring";
import { KEY_ADMINISTRATION_ACTIONS } from "../src/lib/iam";
import { TEST_ACCOUNT, onlyResource, ref, resourcesOf, synthConstruct, testNaming, type SynthJson } from "./helpers";

const ALB = "app/acme-test-alb/50dc6c495c0c9188";
const TG = "targetgroup/acme-test-web/73e2d6bc24d8a067";

const minimal: PlatformMonitoringProps = { naming: testNaming, region: "eu-west-1", accountId: TEST_ACCOUNT };

/** Every tier, with made-up identifiers. */
const full: PlatformMonitoringProps = {
  ...minimal,
  alertEmails: ["ops@example.com", "Oncall+acme@example.org"],
  loadBalancer: { arnSuffix: ALB, targetGroupArnSuffix: TG },
  services: [
    { name: "web", clusterName: "acme-test-cluster", serviceName: "acme-test-web", minRunning: 2 },
    { name: "worker-default", clusterName: "acme-test-cluster", serviceName: "acme-test-worker-default", minRunning: 0 },
  ],
  database: { clusterIdentifier: "acme-test-db", serverless: true, hasReaders: true },
  queues: [{ name: "default", queueName: "acme-test-default", deadLetterQueueName: "acme-test-default-dlq" }],
  functions: [{ name: "ingest", functionName: "acme-test-ingest" }],
  schedules: [
    { name: "acme-test-task-nightly-report" },
    { name: "acme-test-task-cleanup", scheduleGroup: "maintenance" },
    { name: "acme-test-task-vacuum", scheduleGroup: "maintenance" },
  ],
  emrApplications: [{ name: "ingest", applicationId: "00fabc123def4567", applicationName: "acme-test-ingest" }],
  stateMachines: [{ name: "redeploy", stateMachineArn: `arn:aws:states:eu-west-1:${TEST_ACCOUNT}:stateMachine:acme-test-redeploy`, ruleName: "acme-test-db-secret-rotated" }],
};

function monitoring(props: Partial<PlatformMonitoringProps> = {}, base: PlatformMonitoringProps = full) {
  let construct!: PlatformMonitoring;
  const result = synthConstruct((stack) => {
    construct = new PlatformMonitoring(stack, "monitoring", { ...base, ...props });
  });
  return { ...result, construct };
}

const idOf = (json: SynthJson, type: string): string => {
  const ids = Object.keys(resourcesOf(json, type));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0];
};
const topicRef = (json: SynthJson) => ref("aws_sns_topic", idOf(json, "aws_sns_topic"), "arn");
const alarms = (json: SynthJson) => Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm"));
const alarmNamed = (json: SynthJson, name: string): Record<string, any> => {
  const found = alarms(json).filter((a) => a.alarm_name === name);
  if (found.length !== 1) throw new Error(`expected one alarm named ${name}, found ${found.length}`);
  return found[0];
};
const alarmNamesOf = (json: SynthJson) => alarms(json).map((a) => a.alarm_name as string).sort();
const dashboardOf = (json: SynthJson): { widgets: DashboardWidget[] } => JSON.parse(onlyResource(json, "aws_cloudwatch_dashboard").dashboard_body);

/** The single-metric fields of an alarm, for compact exact comparisons. */
const metricOf = (a: Record<string, any>) => ({
  namespace: a.namespace,
  metric_name: a.metric_name,
  dimensions: a.dimensions,
  statistic: a.statistic,
  extended_statistic: a.extended_statistic,
  threshold: a.threshold,
  comparison_operator: a.comparison_operator,
  treat_missing_data: a.treat_missing_data,
});

describe("PlatformMonitoring alerts topic", () => {
  const { synth, json, construct } = monitoring();
  const keyId = idOf(json, "aws_kms_key");

  it("encrypts the topic with its own rotating customer-managed key", () => {
    expect(synth).toHaveResourceWithProperties(SnsTopic, { name: "acme-test-alerts", kms_master_key_id: ref("aws_kms_key", keyId, "arn") });
    expect(synth).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true, deletion_window_in_days: 30 });
    expect(onlyResource(json, "aws_kms_alias")).toMatchObject({ name: "alias/acme-test-alerts", target_key_id: ref("aws_kms_key", keyId, "key_id") });
  });

  it("exposes the topic ARN, key ARN and dashboard name as fields", () => {
    const { json: withOutputs } = synthConstruct((stack) => {
      const m = new PlatformMonitoring(stack, "monitoring", full);
      new TerraformOutput(stack, "topic_arn", { value: m.topicArn });
      new TerraformOutput(stack, "key_arn", { value: m.kmsKeyArn });
      new TerraformOutput(stack, "dashboard", { value: m.dashboardName });
    });
    expect(withOutputs.output!.topic_arn.value).toBe(topicRef(withOutputs));
    expect(withOutputs.output!.key_arn.value).toBe(ref("aws_kms_key", idOf(withOutputs, "aws_kms_key"), "arn"));
    expect(withOutputs.output!.dashboard.value).toBe("acme-test-platform");
    expect(construct.topicName).toBe("acme-test-alerts");
  });

  it("key policy: the account administers the key without using it; CloudWatch may use it for this topic only", () => {
    const policy = JSON.parse(onlyResource(json, "aws_kms_key").policy);
    expect(policy.Statement).toEqual([
      {
        Sid: "EnableAccountAdministration",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${TEST_ACCOUNT}:root` },
        Action: [...KEY_ADMINISTRATION_ACTIONS],
        Resource: "*",
      },
      {
        Sid: "CloudWatchAlarmsEncryptNotifications",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: {
          StringEquals: {
            "aws:SourceAccount": TEST_ACCOUNT,
            "kms:EncryptionContext:aws:sns:topicArn": `arn:aws:sns:eu-west-1:${TEST_ACCOUNT}:acme-test-alerts`,
          },
        },
      },
    ]);
    const adminActions = policy.Statement[0].Action as string[];
    expect(adminActions.filter((a) => a.includes("*"))).toEqual([]);
    expect(adminActions).not.toContain("kms:Decrypt");
    expect(adminActions).not.toContain("kms:Encrypt");
    expect(adminActions).toContain("kms:PutKeyPolicy");
  });

  it("topic policy: CloudWatch alarms of this environment publish, non-TLS publishes are denied", () => {
    const policy = onlyResource(json, "aws_sns_topic_policy");
    expect(policy.arn).toBe(topicRef(json));
    expect(JSON.parse(policy.policy).Statement).toEqual([
      {
        Sid: "CloudWatchAlarmsPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topicRef(json),
        Condition: {
          StringEquals: { "aws:SourceAccount": TEST_ACCOUNT },
          ArnLike: { "aws:SourceArn": `arn:aws:cloudwatch:eu-west-1:${TEST_ACCOUNT}:alarm:acme-test-*` },
        },
      },
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "sns:Publish",
        Resource: topicRef(json),
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });

  it("every alarm's name is covered by the topic policy's alarm pattern", () => {
    for (const name of construct.alarmNames) expect(name.startsWith("acme-test-")).toBe(true);
  });

  it("subscribes each e-mail address", () => {
    expect(synth).toHaveResourceWithProperties(SnsTopicSubscription, { protocol: "email", endpoint: "ops@example.com", topic_arn: topicRef(json) });
    expect(synth).toHaveResourceWithProperties(SnsTopicSubscription, { protocol: "email", endpoint: "Oncall+acme@example.org", topic_arn: topicRef(json) });
    expect(Object.keys(resourcesOf(json, "aws_sns_topic_subscription"))).toHaveLength(2);
  });

  it("keeps a subscription's logical id when another address is removed (no re-confirmation)", () => {
    const idFor = (j: SynthJson, email: string) => Object.entries(resourcesOf(j, "aws_sns_topic_subscription")).find(([, s]) => s.endpoint === email)![0];
    const fewer = monitoring({ alertEmails: ["Oncall+acme@example.org"] }).json;
    expect(idFor(fewer, "Oncall+acme@example.org")).toBe(idFor(json, "Oncall+acme@example.org"));
  });

  it("has no subscriptions by default", () => {
    const { json: bare } = monitoring({}, minimal);
    expect(resourcesOf(bare, "aws_sns_topic_subscription")).toEqual({});
  });

  it("uses the partition of the region in ARNs", () => {
    const { json: cn } = monitoring({ region: "cn-north-1" }, minimal);
    const statements = JSON.parse(onlyResource(cn, "aws_kms_key").policy).Statement;
    expect(statements[0].Principal).toEqual({ AWS: `arn:aws-cn:iam::${TEST_ACCOUNT}:root` });
    expect(statements[1].Condition.StringEquals["kms:EncryptionContext:aws:sns:topicArn"]).toBe(`arn:aws-cn:sns:cn-north-1:${TEST_ACCOUNT}:acme-test-alerts`);
  });
});

describe("PlatformMonitoring alarms (all)", () => {
  const { json, construct } = monitoring();

  it("creates exactly the expected alarms, and reports their names sorted", () => {
    const expected = [
      "acme-test-alb-5xx-rate",
      "acme-test-alb-response-time",
      "acme-test-alb-target-5xx",
      "acme-test-alb-unhealthy-hosts",
      "acme-test-db-acu-utilization",
      "acme-test-db-connections",
      "acme-test-db-cpu",
      "acme-test-db-freeable-memory",
      "acme-test-db-replica-lag",
      "acme-test-ecs-web-cpu",
      "acme-test-ecs-web-memory",
      "acme-test-ecs-web-running-tasks",
      "acme-test-ecs-worker-default-cpu",
      "acme-test-ecs-worker-default-memory",
      "acme-test-emr-ingest-failed-jobs",
      "acme-test-lambda-ingest-errors",
      "acme-test-lambda-ingest-throttles",
      "acme-test-queue-default-dlq-messages",
      "acme-test-queue-default-oldest-message",
      "acme-test-schedules-default-dropped",
      "acme-test-schedules-default-target-errors",
      "acme-test-schedules-maintenance-dropped",
      "acme-test-schedules-maintenance-target-errors",
      "acme-test-sfn-redeploy-failed",
      "acme-test-sfn-redeploy-not-started",
    ];
    expect(alarmNamesOf(json)).toEqual(expected);
    expect(construct.alarmNames).toEqual(expected);
    expect(Object.keys(construct.alarmDescriptions).sort()).toEqual(expected);
    expect(construct.alarms.map((a) => a.name)).toEqual(expected);
  });

  it("every alarm notifies the topic on ALARM and OK, sets treat_missing_data and describes itself", () => {
    for (const a of alarms(json)) {
      expect(a.alarm_actions).toEqual([topicRef(json)]);
      expect(a.ok_actions).toEqual([topicRef(json)]);
      expect(["notBreaching", "breaching"]).toContain(a.treat_missing_data);
      expect(a.alarm_description).toBe(construct.alarmDescriptions[a.alarm_name]);
      expect(a.alarm_description.length).toBeGreaterThan(40);
    }
  });

  it("uses the sustained window (3 of 5 one-minute points) for levels and one 5-minute point for failure counts", () => {
    const events = new Set([
      "acme-test-alb-target-5xx",
      "acme-test-queue-default-dlq-messages",
      "acme-test-lambda-ingest-errors",
      "acme-test-lambda-ingest-throttles",
      "acme-test-schedules-default-target-errors",
      "acme-test-schedules-default-dropped",
      "acme-test-schedules-maintenance-target-errors",
      "acme-test-schedules-maintenance-dropped",
      "acme-test-emr-ingest-failed-jobs",
      "acme-test-sfn-redeploy-failed",
      "acme-test-sfn-redeploy-not-started",
    ]);
    for (const a of alarms(json)) {
      const expected = events.has(a.alarm_name)
        ? { evaluation_periods: 1, datapoints_to_alarm: 1, period: a.metric_query ? undefined : 300 }
        : { evaluation_periods: 5, datapoints_to_alarm: 3, period: a.metric_query ? undefined : 60 };
      expect({ evaluation_periods: a.evaluation_periods, datapoints_to_alarm: a.datapoints_to_alarm, period: a.period }).toEqual(expected);
    }
  });

  it("describes every alarm with its tier, resource, metric and runbook action", () => {
    const running = construct.alarms.find((a) => a.name === "acme-test-ecs-web-running-tasks")!;
    expect(running).toMatchObject({ tier: "services", resource: "web", metric: "ECS/ContainerInsights RunningTaskCount" });
    expect(running.meaning).toContain("Fewer than 2 task(s)");
    expect(construct.alarms.find((a) => a.name === "acme-test-alb-5xx-rate")!.metric).toBe("metric math");
    for (const a of construct.alarms) expect(a.action.length).toBeGreaterThan(20);
  });
});

describe("PlatformMonitoring load-balancer alarms", () => {
  const { json } = monitoring();
  const tg = { TargetGroup: TG, LoadBalancer: ALB };

  it("ELB 5xx rate is metric math: 100 * ELB 5xx / requests, data returned by the expression only", () => {
    const a = alarmNamed(json, "acme-test-alb-5xx-rate");
    expect(a).toMatchObject({ threshold: 5, comparison_operator: "GreaterThanThreshold", treat_missing_data: "notBreaching" });
    expect(a.metric_name).toBeUndefined();
    expect(a.namespace).toBeUndefined();
    expect(a.period).toBeUndefined();
    expect(a.metric_query).toEqual([
      {
        id: "elb5xx",
        return_data: false,
        metric: { namespace: "AWS/ApplicationELB", metric_name: "HTTPCode_ELB_5XX_Count", dimensions: { LoadBalancer: ALB }, period: 60, stat: "Sum" },
      },
      {
        id: "requests",
        return_data: false,
        metric: { namespace: "AWS/ApplicationELB", metric_name: "RequestCount", dimensions: { LoadBalancer: ALB }, period: 60, stat: "Sum" },
      },
      { id: "rate", expression: ALB_5XX_RATE_EXPRESSION, label: "ELB 5xx % of requests", return_data: true },
    ]);
    expect(ALB_5XX_RATE_EXPRESSION).toBe("IF(FILL(requests, 0) > 0, 100 * FILL(elb5xx, 0) / FILL(requests, 0), IF(FILL(elb5xx, 0) > 0, 100, 0))");
  });

  it("target 5xx count, p99 response time and unhealthy hosts on the target group", () => {
    expect(metricOf(alarmNamed(json, "acme-test-alb-target-5xx"))).toEqual({
      namespace: "AWS/ApplicationELB",
      metric_name: "HTTPCode_Target_5XX_Count",
      dimensions: tg,
      statistic: "Sum",
      extended_statistic: undefined,
      threshold: 10,
      comparison_operator: "GreaterThanThreshold",
      treat_missing_data: "notBreaching",
    });
    const latency = alarmNamed(json, "acme-test-alb-response-time");
    expect(metricOf(latency)).toEqual({
      namespace: "AWS/ApplicationELB",
      metric_name: "TargetResponseTime",
      dimensions: tg,
      statistic: undefined,
      extended_statistic: "p99",
      threshold: 1,
      comparison_operator: "GreaterThanThreshold",
      treat_missing_data: "notBreaching",
    });
    expect(latency.evaluate_low_sample_count_percentiles).toBe("ignore");
    expect(metricOf(alarmNamed(json, "acme-test-alb-unhealthy-hosts"))).toEqual({
      namespace: "AWS/ApplicationELB",
      metric_name: "UnHealthyHostCount",
      dimensions: tg,
      statistic: "Maximum",
      extended_statistic: undefined,
      threshold: 0,
      comparison_operator: "GreaterThanThreshold",
      treat_missing_data: "notBreaching",
    });
  });

  it("takes the percentile and thresholds from props", () => {
    const { json: custom } = monitoring({ responseTimePercentile: "p99.9", thresholds: { targetResponseTimeSeconds: 0.5, alb5xxRatePercent: 2, target5xxCount: 0 } });
    expect(alarmNamed(custom, "acme-test-alb-response-time")).toMatchObject({ extended_statistic: "p99.9", threshold: 0.5 });
    expect(alarmNamed(custom, "acme-test-alb-5xx-rate").threshold).toBe(2);
    expect(alarmNamed(custom, "acme-test-alb-target-5xx").threshold).toBe(0);
  });

  it("creates no load-balancer alarm without a load balancer", () => {
    const { json: none } = monitoring({ loadBalancer: undefined });
    expect(alarmNamesOf(none).filter((n) => n.includes("-alb-"))).toEqual([]);
  });
});

describe("PlatformMonitoring ECS service alarms", () => {
  const { json } = monitoring();
  const web = { ClusterName: "acme-test-cluster", ServiceName: "acme-test-web" };

  it("CPU and memory of each service from AWS/ECS", () => {
    expect(metricOf(alarmNamed(json, "acme-test-ecs-web-cpu"))).toMatchObject({
      namespace: "AWS/ECS",
      metric_name: "CPUUtilization",
      dimensions: web,
      statistic: "Average",
      threshold: 80,
      comparison_operator: "GreaterThanThreshold",
      treat_missing_data: "notBreaching",
    });
    expect(metricOf(alarmNamed(json, "acme-test-ecs-worker-default-memory"))).toMatchObject({
      namespace: "AWS/ECS",
      metric_name: "MemoryUtilization",
      dimensions: { ClusterName: "acme-test-cluster", ServiceName: "acme-test-worker-default" },
      statistic: "Average",
      threshold: 85,
    });
  });

  it("running tasks below minRunning from Container Insights, silence counted as breaching", () => {
    expect(metricOf(alarmNamed(json, "acme-test-ecs-web-running-tasks"))).toEqual({
      namespace: "ECS/ContainerInsights",
      metric_name: "RunningTaskCount",
      dimensions: web,
      statistic: "Minimum",
      extended_statistic: undefined,
      threshold: 2,
      comparison_operator: "LessThanThreshold",
      treat_missing_data: "breaching",
    });
  });

  it("no running-task alarm for a service that may scale to zero", () => {
    expect(alarmNamesOf(json)).not.toContain("acme-test-ecs-worker-default-running-tasks");
    expect(alarms(json).filter((a) => a.metric_name === "RunningTaskCount")).toHaveLength(1);
  });

  it("takes CPU and memory thresholds from props", () => {
    const { json: custom } = monitoring({ thresholds: { cpuPercent: 70, memoryPercent: 90 } });
    expect(alarmNamed(custom, "acme-test-ecs-web-cpu").threshold).toBe(70);
    expect(alarmNamed(custom, "acme-test-ecs-web-memory").threshold).toBe(90);
  });
});

describe("PlatformMonitoring database alarms", () => {
  const dims = { DBClusterIdentifier: "acme-test-db" };

  it("CPU, freeable memory, connections, replica lag and ACU utilisation of the cluster, worst instance", () => {
    const { json } = monitoring();
    const expected: Array<[string, string, string, number, string]> = [
      ["acme-test-db-cpu", "CPUUtilization", "Maximum", 80, "GreaterThanThreshold"],
      ["acme-test-db-freeable-memory", "FreeableMemory", "Minimum", 268435456, "LessThanThreshold"],
      ["acme-test-db-connections", "DatabaseConnections", "Maximum", 500, "GreaterThanThreshold"],
      ["acme-test-db-replica-lag", "AuroraReplicaLag", "Maximum", 1000, "GreaterThanThreshold"],
      ["acme-test-db-acu-utilization", "ACUUtilization", "Maximum", 90, "GreaterThanThreshold"],
    ];
    for (const [name, metricName, statistic, threshold, comparison] of expected) {
      expect(metricOf(alarmNamed(json, name))).toEqual({
        namespace: "AWS/RDS",
        metric_name: metricName,
        dimensions: dims,
        statistic,
        extended_statistic: undefined,
        threshold,
        comparison_operator: comparison,
        treat_missing_data: "notBreaching",
      });
    }
  });

  it("no replica-lag alarm without readers, no ACU alarm on provisioned instances", () => {
    const { json } = monitoring({ database: { clusterIdentifier: "acme-test-db", serverless: false, hasReaders: false } });
    expect(alarmNamesOf(json).filter((n) => n.includes("-db-"))).toEqual(["acme-test-db-connections", "acme-test-db-cpu", "acme-test-db-freeable-memory"]);
    const serverlessOnly = monitoring({ database: { clusterIdentifier: "acme-test-db", serverless: true, hasReaders: false } }).json;
    expect(alarmNamesOf(serverlessOnly)).toContain("acme-test-db-acu-utilization");
    expect(alarmNamesOf(serverlessOnly)).not.toContain("acme-test-db-replica-lag");
    const readersOnly = monitoring({ database: { clusterIdentifier: "acme-test-db", serverless: false, hasReaders: true } }).json;
    expect(alarmNamesOf(readersOnly)).toContain("acme-test-db-replica-lag");
    expect(alarmNamesOf(readersOnly)).not.toContain("acme-test-db-acu-utilization");
  });

  it("takes database thresholds from props", () => {
    const { json } = monitoring({ thresholds: { dbFreeableMemoryBytes: 512 * 1024 * 1024, dbConnections: 100, replicaLagMs: 250, acuUtilizationPercent: 75, dbCpuPercent: 60 } });
    expect(alarmNamed(json, "acme-test-db-freeable-memory").threshold).toBe(536870912);
    expect(alarmNamed(json, "acme-test-db-connections").threshold).toBe(100);
    expect(alarmNamed(json, "acme-test-db-replica-lag").threshold).toBe(250);
    expect(alarmNamed(json, "acme-test-db-acu-utilization").threshold).toBe(75);
    expect(alarmNamed(json, "acme-test-db-cpu").threshold).toBe(60);
  });
});

describe("PlatformMonitoring queue, Lambda, schedule and EMR alarms", () => {
  const { json } = monitoring();

  it("queue: age of the oldest message on the work queue, any message in the dead-letter queue", () => {
    expect(metricOf(alarmNamed(json, "acme-test-queue-default-oldest-message"))).toEqual({
      namespace: "AWS/SQS",
      metric_name: "ApproximateAgeOfOldestMessage",
      dimensions: { QueueName: "acme-test-default" },
      statistic: "Maximum",
      extended_statistic: undefined,
      threshold: 900,
      comparison_operator: "GreaterThanThreshold",
      treat_missing_data: "notBreaching",
    });
    expect(metricOf(alarmNamed(json, "acme-test-queue-default-dlq-messages"))).toEqual({
      namespace: "AWS/SQS",
      metric_name: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: "acme-test-default-dlq" },
      statistic: "Maximum",
      extended_statistic: undefined,
      threshold: 1,
      comparison_operator: "GreaterThanOrEqualToThreshold",
      treat_missing_data: "notBreaching",
    });
  });

  it("Lambda: any error, any throttle", () => {
    for (const [name, metricName] of [
      ["acme-test-lambda-ingest-errors", "Errors"],
      ["acme-test-lambda-ingest-throttles", "Throttles"],
    ]) {
      expect(metricOf(alarmNamed(json, name))).toEqual({
        namespace: "AWS/Lambda",
        metric_name: metricName,
        dimensions: { FunctionName: "acme-test-ingest" },
        statistic: "Sum",
        extended_statistic: undefined,
        threshold: 0,
        comparison_operator: "GreaterThanThreshold",
        treat_missing_data: "notBreaching",
      });
    }
  });

  it("schedules: target errors and dropped invocations per schedule group, the default group when none is given", () => {
    for (const group of ["default", "maintenance"]) {
      for (const [suffix, metricName] of [
        ["target-errors", "TargetErrorCount"],
        ["dropped", "InvocationDroppedCount"],
      ]) {
        expect(metricOf(alarmNamed(json, `acme-test-schedules-${group}-${suffix}`))).toEqual({
          namespace: "AWS/Scheduler",
          metric_name: metricName,
          dimensions: { ScheduleGroup: group },
          statistic: "Sum",
          extended_statistic: undefined,
          threshold: 0,
          comparison_operator: "GreaterThanThreshold",
          treat_missing_data: "notBreaching",
        });
      }
    }
    // Two schedules share the maintenance group: one pair of alarms, naming both.
    expect(alarms(json).filter((a) => a.namespace === "AWS/Scheduler")).toHaveLength(4);
    expect(alarmNamed(json, "acme-test-schedules-maintenance-dropped").alarm_description).toContain("acme-test-task-cleanup, acme-test-task-vacuum");
  });

  it("EMR Serverless: failed job runs, with both dimensions EMR Serverless publishes", () => {
    expect(metricOf(alarmNamed(json, "acme-test-emr-ingest-failed-jobs"))).toEqual({
      namespace: "AWS/EMRServerless",
      metric_name: "FailedJobs",
      dimensions: { ApplicationId: "00fabc123def4567", ApplicationName: "acme-test-ingest" },
      statistic: "Sum",
      extended_statistic: undefined,
      threshold: 0,
      comparison_operator: "GreaterThanThreshold",
      treat_missing_data: "notBreaching",
    });
  });

  it("Step Functions: any failed, timed-out or aborted execution, and a rule that could not start the machine", () => {
    const failed = alarmNamed(json, "acme-test-sfn-redeploy-failed");
    const arn = `arn:aws:states:eu-west-1:${TEST_ACCOUNT}:stateMachine:acme-test-redeploy`;
    expect(failed).toMatchObject({ threshold: 0, comparison_operator: "GreaterThanThreshold", treat_missing_data: "notBreaching" });
    const queries = failed.metric_query as Array<Record<string, any>>;
    expect(queries.filter((q) => q.metric).map((q) => [q.metric.namespace, q.metric.metric_name, q.metric.dimensions, q.metric.stat, q.return_data])).toEqual(
      ["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"].map((m) => ["AWS/States", m, { StateMachineArn: arn }, "Sum", false]),
    );
    expect(queries.find((q) => q.return_data)).toMatchObject({ expression: "FILL(m0, 0) + FILL(m1, 0) + FILL(m2, 0)" });
    expect(metricOf(alarmNamed(json, "acme-test-sfn-redeploy-not-started"))).toEqual({
      namespace: "AWS/Events",
      metric_name: "FailedInvocations",
      dimensions: { RuleName: "acme-test-db-secret-rotated" },
      statistic: "Sum",
      extended_statistic: undefined,
      threshold: 0,
      comparison_operator: "GreaterThanThreshold",
      treat_missing_data: "notBreaching",
    });
  });

  it("watches further public services' target groups and Service Connect responses of called services", () => {
    const { json: more } = monitoring({
      targetGroups: [{ name: "api", loadBalancerArnSuffix: ALB, targetGroupArnSuffix: "targetgroup/acme-test-api/0123456789abcdef" }],
      services: [{ name: "api", clusterName: "acme-test-cluster", serviceName: "acme-test-api", minRunning: 2, discoveryName: "api" }],
    });
    const tg = { TargetGroup: "targetgroup/acme-test-api/0123456789abcdef", LoadBalancer: ALB };
    expect(metricOf(alarmNamed(more, "acme-test-alb-api-target-5xx"))).toMatchObject({ metric_name: "HTTPCode_Target_5XX_Count", dimensions: tg, statistic: "Sum" });
    expect(metricOf(alarmNamed(more, "acme-test-alb-api-response-time"))).toMatchObject({ metric_name: "TargetResponseTime", dimensions: tg, extended_statistic: "p99" });
    expect(metricOf(alarmNamed(more, "acme-test-alb-api-unhealthy-hosts"))).toMatchObject({ metric_name: "UnHealthyHostCount", dimensions: tg });
    expect(alarmNamed(more, "acme-test-alb-api-target-5xx").alarm_description).toContain("The api service returned more than 10 5xx responses");
    expect(metricOf(alarmNamed(more, "acme-test-ecs-api-connect-5xx"))).toEqual({
      namespace: "AWS/ECS",
      metric_name: "HTTPCode_Target_5XX_Count",
      // The callers' proxies publish it by the callee's discovery name.
      dimensions: { TargetDiscoveryName: "api" },
      statistic: "Sum",
      extended_statistic: undefined,
      threshold: 10,
      comparison_operator: "GreaterThanThreshold",
      treat_missing_data: "notBreaching",
    });
    // The first public service keeps its alb-* alarms; no Service Connect alarm without a discovery name.
    expect(alarmNamesOf(json).filter((n) => n.includes("connect-5xx"))).toEqual([]);
    expect(() => monitoring({ targetGroups: [{ name: "api", loadBalancerArnSuffix: ALB, targetGroupArnSuffix: "arn:aws:elasticloadbalancing:x" }] })).toThrow(
      /targetGroups\[api\]\.targetGroupArnSuffix must be a target group ARN suffix/,
    );
  });

  it("refuses a state machine given by name or a rule given by ARN", () => {
    expect(() => monitoring({ stateMachines: [{ name: "x", stateMachineArn: "acme-test-redeploy", ruleName: "r" }] })).toThrow(
      /stateMachines\[x\]\.stateMachineArn must be a state machine ARN/,
    );
    expect(() =>
      monitoring({ stateMachines: [{ name: "x", stateMachineArn: `arn:aws:states:eu-west-1:${TEST_ACCOUNT}:stateMachine:m`, ruleName: "arn:aws:events:eu-west-1:1:rule/r" }] }),
    ).toThrow(/stateMachines\[x\]\.ruleName must be an EventBridge rule name/);
  });

  it("takes queue thresholds from props", () => {
    const { json: custom } = monitoring({ thresholds: { queueAgeSeconds: 300, deadLetterMessages: 5 } });
    expect(alarmNamed(custom, "acme-test-queue-default-oldest-message").threshold).toBe(300);
    expect(alarmNamed(custom, "acme-test-queue-default-dlq-messages").threshold).toBe(5);
  });

  it("takes the evaluation windows from props", () => {
    const { json: custom } = monitoring({
      evaluation: { sustained: { periodSeconds: 120, evaluationPeriods: 10, datapointsToAlarm: 8 }, events: { periodSeconds: 60 } },
    });
    expect(alarmNamed(custom, "acme-test-db-cpu")).toMatchObject({ period: 120, evaluation_periods: 10, datapoints_to_alarm: 8 });
    expect(alarmNamed(custom, "acme-test-alb-5xx-rate").metric_query[0].metric.period).toBe(120);
    expect(alarmNamed(custom, "acme-test-lambda-ingest-errors")).toMatchObject({ period: 60, evaluation_periods: 1, datapoints_to_alarm: 1 });
  });
});

describe("PlatformMonitoring with only some tiers", () => {
  it("creates a topic and a dashboard with no alarms when nothing is watched", () => {
    const { synth, json, construct } = monitoring({}, minimal);
    expect(resourcesOf(json, "aws_cloudwatch_metric_alarm")).toEqual({});
    expect(construct.alarmNames).toEqual([]);
    expect(synth).toHaveResource(SnsTopic);
    expect(dashboardOf(json).widgets).toHaveLength(1);
  });

  it("passes Terraform references through as dimensions (identifiers need not be literals)", () => {
    const { json } = synthConstruct((stack) => {
      const suffix = new TerraformVariable(stack, "alb_suffix", { type: "string" });
      const service = new TerraformVariable(stack, "service", { type: "string" });
      new PlatformMonitoring(stack, "monitoring", {
        ...minimal,
        loadBalancer: { arnSuffix: suffix.stringValue, targetGroupArnSuffix: TG },
        services: [{ name: "web", clusterName: "acme-test-cluster", serviceName: service.stringValue, minRunning: 1 }],
      });
    });
    expect(alarmNamed(json, "acme-test-alb-unhealthy-hosts").dimensions.LoadBalancer).toBe("${var.alb_suffix}");
    expect(alarmNamed(json, "acme-test-ecs-web-running-tasks").dimensions.ServiceName).toBe("${var.service}");
    expect(onlyResource(json, "aws_cloudwatch_dashboard").dashboard_body).toContain('"LoadBalancer","${var.alb_suffix}"');
  });
});

describe("PlatformMonitoring dashboard", () => {
  const { synth, json, construct } = monitoring();
  const body = dashboardOf(json);
  const headers = body.widgets.filter((w) => w.type === "text").map((w) => String(w.properties.markdown).split("\n")[0]);
  const metricWidgets = body.widgets.filter((w) => w.type === "metric");
  /** Metric widgets whose metrics mention `value` as a dimension value. */
  const widgetsFor = (value: string) => metricWidgets.filter((w) => (w.properties.metrics as unknown[][]).some((row) => row.includes(value)));

  it("is named per environment and parses", () => {
    expect(synth).toHaveResourceWithProperties(CloudwatchDashboard, { dashboard_name: "acme-test-platform" });
    expect(construct.dashboardName).toBe("acme-test-platform");
  });

  it("has a title and a text header per tier present, in tier order", () => {
    expect(headers).toEqual([
      "# acme-test platform",
      "## Load balancer",
      "## ECS services",
      "## Database (Aurora PostgreSQL)",
      "## Queues",
      "## Lambda functions",
      "## Schedules (EventBridge Scheduler)",
      "## EMR Serverless",
      "## Workflows (Step Functions)",
    ]);
  });

  it("shows only the tiers present", () => {
    const { json: servicesOnly } = monitoring({ services: full.services }, minimal);
    const titles = dashboardOf(servicesOnly).widgets.filter((w) => w.type === "text").map((w) => String(w.properties.markdown).split("\n")[0]);
    expect(titles).toEqual(["# acme-test platform", "## ECS services"]);
  });

  it("has widgets for every watched resource, in the stack's region", () => {
    expect(widgetsFor(ALB).length).toBeGreaterThanOrEqual(3);
    expect(widgetsFor(TG).length).toBeGreaterThanOrEqual(2);
    expect(widgetsFor("acme-test-web")).toHaveLength(2);
    expect(widgetsFor("acme-test-worker-default")).toHaveLength(2);
    expect(widgetsFor("acme-test-db").length).toBe(5);
    expect(widgetsFor("acme-test-default")).toHaveLength(1);
    expect(widgetsFor("acme-test-default-dlq")).toHaveLength(1);
    expect(widgetsFor("acme-test-ingest").length).toBe(3); // Lambda invocations + duration, EMR job runs (application name)
    expect(widgetsFor("00fabc123def4567")).toHaveLength(1);
    expect(widgetsFor("default")).toHaveLength(1);
    expect(widgetsFor("maintenance")).toHaveLength(1);
    expect(widgetsFor(`arn:aws:states:eu-west-1:${TEST_ACCOUNT}:stateMachine:acme-test-redeploy`)).toHaveLength(1);
    for (const w of metricWidgets) expect(w.properties.region).toBe("eu-west-1");
  });

  it("graphs the ELB 5xx rate with the alarm's expression and draws thresholds", () => {
    const rate = metricWidgets.find((w) => w.properties.title === "ALB: ELB 5xx rate %")!;
    expect((rate.properties.metrics as unknown[][])[0]).toEqual([{ expression: ALB_5XX_RATE_EXPRESSION, label: "ELB 5xx %", id: "rate" }]);
    expect(rate.properties.annotations).toEqual({ horizontal: [{ label: "alarm", value: 5 }] });
    const tasks = metricWidgets.find((w) => w.properties.title === "web: tasks")!;
    expect(tasks.properties.annotations).toEqual({ horizontal: [{ label: "minimum running", value: 2 }] });
    expect(metricWidgets.find((w) => w.properties.title === "worker-default: tasks")!.properties.annotations).toBeUndefined();
  });

  it("lays widgets out on the 24-column grid without overlaps", () => {
    const cells = new Set<string>();
    for (const w of body.widgets) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++) {
        for (let y = w.y; y < w.y + w.height; y++) {
          const cell = `${x},${y}`;
          expect(cells.has(cell)).toBe(false);
          cells.add(cell);
        }
      }
    }
  });

  it("is deterministic", () => {
    expect(onlyResource(monitoring().json, "aws_cloudwatch_dashboard").dashboard_body).toBe(onlyResource(json, "aws_cloudwatch_dashboard").dashboard_body);
  });

  it("shows the alarm count and topic in the title", () => {
    expect(body.widgets[0].properties.markdown).toContain(`${construct.alarmNames.length} alarm(s) notify the SNS topic \`acme-test-alerts\``);
  });

  it("uses the CloudWatch metric alarm type for every alarm", () => {
    expect(synth).toHaveResource(CloudwatchMetricAlarm);
  });
});

describe("PlatformMonitoring refuses bad props", () => {
  const refuse = (props: Partial<PlatformMonitoringProps>, message: RegExp) =>
    expect(() => monitoring(props)).toThrow(message);

  it("refuses invalid and duplicate e-mail addresses", () => {
    refuse({ alertEmails: ["not-an-email"] }, /PlatformMonitoring: alertEmails: "not-an-email" is not an e-mail address/);
    refuse({ alertEmails: ["ops@example"] }, /is not an e-mail address/);
    refuse({ alertEmails: ["ops@example.com", "OPS@example.com"] }, /"OPS@example.com" is listed twice/);
  });

  it("refuses percentiles outside p50 to p99.9", () => {
    for (const p of ["p49", "p100", "p99.99", "99", "P99", "avg"]) {
      refuse({ responseTimePercentile: p }, /PlatformMonitoring: responseTimePercentile must be a percentile from p50 to p99\.9/);
    }
    expect(percentileProblem("p50")).toBeUndefined();
    expect(percentileProblem("p99.9")).toBeUndefined();
    expect(percentileProblem("p95")).toBeUndefined();
  });

  it("refuses negative, out-of-range and unknown thresholds", () => {
    refuse({ thresholds: { queueAgeSeconds: -1 } }, /PlatformMonitoring: thresholds.queueAgeSeconds must not be negative, got -1/);
    refuse({ thresholds: { target5xxCount: -5 } }, /thresholds.target5xxCount must not be negative/);
    refuse({ thresholds: { cpuPercent: 120 } }, /thresholds.cpuPercent is a percentage above 0 and at most 100, got 120/);
    refuse({ thresholds: { alb5xxRatePercent: 0 } }, /thresholds.alb5xxRatePercent is a percentage/);
    refuse({ thresholds: { deadLetterMessages: 0 } }, /thresholds.deadLetterMessages must be a whole number of at least 1/);
    refuse({ thresholds: { targetResponseTimeSeconds: 0 } }, /thresholds.targetResponseTimeSeconds must be above 0/);
    refuse({ thresholds: { queueAgeSeconds: 2_000_000 } }, /SQS keeps messages 14 days at most/);
    refuse({ thresholds: { cpuPercent: Number.NaN } }, /thresholds.cpuPercent must be a number/);
    refuse({ thresholds: { cpu: 80 } as never }, /thresholds.cpu is not a known threshold/);
  });

  it("refuses full ARNs where ARN suffixes or names are expected", () => {
    refuse(
      { loadBalancer: { arnSuffix: `arn:aws:elasticloadbalancing:eu-west-1:${TEST_ACCOUNT}:loadbalancer/${ALB}`, targetGroupArnSuffix: TG } },
      /loadBalancer.arnSuffix must be the ALB ARN suffix "app\/<name>\/<id>"/,
    );
    refuse({ loadBalancer: { arnSuffix: ALB, targetGroupArnSuffix: "acme-test-web" } }, /loadBalancer.targetGroupArnSuffix must be the target group ARN suffix/);
    refuse({ functions: [{ name: "ingest", functionName: `arn:aws:lambda:eu-west-1:${TEST_ACCOUNT}:function:x` }] }, /functions\[ingest\].functionName must be a Lambda function name/);
    refuse({ queues: [{ name: "q", queueName: "https://sqs.eu-west-1.amazonaws.com/123456789012/q", deadLetterQueueName: "q-dlq" }] }, /queues\[q\].queueName must be an SQS queue name/);
    refuse({ database: { clusterIdentifier: `arn:aws:rds:eu-west-1:${TEST_ACCOUNT}:cluster:db`, serverless: true, hasReaders: false } }, /database.clusterIdentifier must be an Aurora cluster identifier/);
    refuse({ emrApplications: [{ name: "x", applicationId: "APP-1", applicationName: "x" }] }, /emrApplications\[x\].applicationId must be an EMR Serverless application id/);
  });

  it("refuses bad or duplicate short names, minRunning and queue pairs", () => {
    refuse({ services: [{ name: "Web", clusterName: "c", serviceName: "s", minRunning: 1 }] }, /services: name "Web" must be 1 to 40 lower-case letters/);
    refuse(
      { services: [{ name: "web", clusterName: "c", serviceName: "s", minRunning: 1 }, { name: "web", clusterName: "c", serviceName: "t", minRunning: 1 }] },
      /services: name "web" is used twice/,
    );
    refuse({ services: [{ name: "web", clusterName: "c", serviceName: "s", minRunning: -1 }] }, /services\[web\].minRunning must be a whole number of at least 0, got -1/);
    refuse({ services: [{ name: "web", clusterName: "c", serviceName: "s", minRunning: 1.5 }] }, /minRunning must be a whole number/);
    refuse({ queues: [{ name: "q", queueName: "q", deadLetterQueueName: "q" }] }, /queues\[q\]: queueName and deadLetterQueueName are the same queue/);
    refuse({ schedules: [{ name: "a" }, { name: "a" }] }, /schedules: "a" is listed twice in group "default"/);
  });

  it("refuses schedule groups whose alarm names would collide", () => {
    refuse({ schedules: [{ name: "a", scheduleGroup: "ops.jobs" }, { name: "b", scheduleGroup: "ops-jobs" }] }, /two alarms would be named "acme-test-schedules-ops-jobs-target-errors"/);
  });

  it("refuses evaluation windows CloudWatch cannot use", () => {
    refuse({ evaluation: { sustained: { periodSeconds: 30 } } }, /evaluation.sustained.periodSeconds must be a positive multiple of 60/);
    refuse({ evaluation: { events: { evaluationPeriods: 2, datapointsToAlarm: 3 } } }, /evaluation.events.datapointsToAlarm must be a whole number from 1 to evaluationPeriods \(2\), got 3/);
    refuse({ evaluation: { sustained: { periodSeconds: 3600, evaluationPeriods: 25, datapointsToAlarm: 1 } } }, /at most one day/);
    refuse({ evaluation: { sustained: { evaluationPeriods: 0 } } }, /evaluationPeriods must be a whole number of at least 1/);
  });

  it("refuses a bad account, region or key deletion window", () => {
    refuse({ accountId: "12345" }, /PlatformMonitoring: accountId must be 12 digits/);
    refuse({ region: "Ireland" }, /region must be an AWS region/);
    refuse({ keyDeletionWindowDays: 5 }, /keyDeletionWindowDays must be a whole number from 7 to 30, got 5/);
    refuse({ database: { clusterIdentifier: "db", serverless: "yes" as never, hasReaders: false } }, /database.serverless and database.hasReaders are required booleans/);
  });
});

describe("PlatformMonitoring CloudFront alarms", () => {
  function withDistribution(region: string) {
    return synthConstruct((stack) => {
      const edge = new AwsProvider(stack, "aws-edge", { alias: "edge", region: "us-east-1" });
      new PlatformMonitoring(stack, "monitoring", { ...minimal, region, alertEmails: ["ops@example.com"], distribution: { distributionId: "E2EXAMPLE", provider: edge } });
    }).json;
  }

  it("watches the 5xx rate and origin latency in us-east-1 (dimensions DistributionId and Region=Global)", () => {
    const json = withDistribution("us-east-1");
    const dimensions = { DistributionId: "E2EXAMPLE", Region: "Global" };
    expect(metricOf(alarmNamed(json, "acme-test-cloudfront-5xx-rate"))).toEqual({
      namespace: "AWS/CloudFront", metric_name: "5xxErrorRate", dimensions, statistic: "Average", extended_statistic: undefined,
      threshold: 5, comparison_operator: "GreaterThanThreshold", treat_missing_data: "notBreaching",
    });
    expect(metricOf(alarmNamed(json, "acme-test-cloudfront-origin-latency"))).toMatchObject({ metric_name: "OriginLatency", dimensions, threshold: 3000 });
    for (const name of ["acme-test-cloudfront-5xx-rate", "acme-test-cloudfront-origin-latency"]) {
      const alarm = alarmNamed(json, name);
      expect(alarm.provider).toBe("aws.edge");
      // In us-east-1 the monitoring's own topic is there: no second topic.
      expect(alarm.alarm_actions).toEqual([topicRef(json)]);
    }
  });

  it("outside us-east-1, notifies an alerts topic of its own there, encrypted and subscribed like the main one", () => {
    const json = withDistribution("eu-west-1");
    const topics = resourcesOf(json, "aws_sns_topic");
    const edgeTopic = Object.entries(topics).find(([, t]) => t.name === "acme-test-alerts-edge")!;
    expect(edgeTopic[1].provider).toBe("aws.edge");
    expect(alarmNamed(json, "acme-test-cloudfront-5xx-rate").alarm_actions).toEqual([ref("aws_sns_topic", edgeTopic[0], "arn")]);
    expect(Object.values(resourcesOf(json, "aws_sns_topic_subscription")).filter((s) => s.provider === "aws.edge").map((s) => s.endpoint)).toEqual(["ops@example.com"]);
    expect(Object.values(resourcesOf(json, "aws_kms_key")).filter((k) => k.provider === "aws.edge")).toHaveLength(1);
  });

  it("takes its thresholds from the config and refuses a rate above 100%", () => {
    const json = synthConstruct((stack) => {
      const edge = new AwsProvider(stack, "aws-edge", { alias: "edge", region: "us-east-1" });
      new PlatformMonitoring(stack, "monitoring", { ...minimal, region: "us-east-1", thresholds: { cloudFront5xxRatePercent: 2, cloudFrontOriginLatencyMs: 800 }, distribution: { distributionId: "E2EXAMPLE", provider: edge } });
    }).json;
    expect(alarmNamed(json, "acme-test-cloudfront-5xx-rate").threshold).toBe(2);
    expect(alarmNamed(json, "acme-test-cloudfront-origin-latency").threshold).toBe(800);
    expect(() => monitoring({ thresholds: { cloudFront5xxRatePercent: 120 } })).toThrow(/thresholds.cloudFront5xxRatePercent is a percentage above 0 and at most 100, got 120/);
  });
});

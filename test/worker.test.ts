import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { describe, expect, it } from "vitest";
import {
  CDK_QUEUE_SCALING_STEPS,
  CeleryWorker,
  SCALE_FROM_ZERO_STEPS,
  celeryBrokerTransportOptions,
  commandQueues,
  stepScalingPlan,
  workerQueueName,
  type CeleryWorkerProps,
} from "../modules/worker";
import { TEST_ACCOUNT, logicalIdOf, ref, resourcesOf, synthConstruct, testNaming, type SynthJson } from "./helpers";

const QUEUE = "acme-test-default";
const DLQ = "acme-test-default-dlq";
const KMS_KEY = `arn:aws:kms:eu-west-1:${TEST_ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;

const base: CeleryWorkerProps = {
  naming: testNaming,
  name: "default",
  region: "eu-west-1",
  accountId: TEST_ACCOUNT,
  vpcId: "vpc-123",
  subnetIds: ["subnet-private-a", "subnet-private-b"],
  clusterName: "acme-test-cluster",
  clusterArn: `arn:aws:ecs:eu-west-1:${TEST_ACCOUNT}:cluster/acme-test-cluster`,
  image: `${TEST_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/acme-test-web:abc123`,
  repositoryArn: `arn:aws:ecr:eu-west-1:${TEST_ACCOUNT}:repository/acme-test-web`,
  command: ["celery", "-A", "app", "worker", "-Q", QUEUE, "--loglevel", "INFO"],
  taskTimeLimitSeconds: 900,
};

function worker(overrides: Partial<CeleryWorkerProps> = {}, extra?: (w: CeleryWorker) => void) {
  return synthConstruct((stack) => {
    const w = new CeleryWorker(stack, "worker", { ...base, ...overrides });
    extra?.(w);
  });
}

const queueId = (json: SynthJson, name = QUEUE) => logicalIdOf(json, "aws_sqs_queue", (q) => q.name === name);
const taskRoleId = (json: SynthJson) => logicalIdOf(json, "aws_iam_role", (r) => r.name === "acme-test-worker-default-task");
const policyNamed = (json: SynthJson, name: string) => logicalIdOf(json, "aws_appautoscaling_policy", (p) => p.name === name);

function containerDefinition(json: SynthJson): Record<string, any> {
  const definitions = JSON.parse(Object.values(resourcesOf(json, "aws_ecs_task_definition"))[0].container_definitions);
  expect(definitions).toHaveLength(1);
  return definitions[0];
}

function alarm(json: SynthJson, direction: "in" | "out"): Record<string, any> {
  const found = Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm")).find(
    (a) => a.alarm_name === `acme-test-worker-default-queue-scale-${direction}`,
  );
  if (!found) throw new Error(`no scale-${direction} alarm`);
  return found;
}

describe("step-scaling math (CDK StepScalingPolicy algorithm)", () => {
  it("CDK's queue steps: scale in at <= 0; scale out at >= 100 with bounds relative to 100", () => {
    expect(stepScalingPlan(CDK_QUEUE_SCALING_STEPS)).toEqual({
      scaleIn: {
        threshold: 0,
        comparisonOperator: "LessThanOrEqualToThreshold",
        adjustments: [{ lowerBound: undefined, upperBound: 0, change: -1 }],
      },
      scaleOut: {
        threshold: 100,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        adjustments: [
          // 100-499 messages: +1; 500 and more: +5.
          { lowerBound: 0, upperBound: 400, change: 1 },
          { lowerBound: 400, upperBound: undefined, change: 5 },
        ],
      },
    });
  });

  it("scale-from-zero steps move the scale-out threshold to 1 message and shift the bounds with it", () => {
    const plan = stepScalingPlan(SCALE_FROM_ZERO_STEPS);
    expect(plan.scaleOut).toEqual({
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      adjustments: [
        { lowerBound: 0, upperBound: 499, change: 1 },
        { lowerBound: 499, upperBound: undefined, change: 5 },
      ],
    });
    expect(plan.scaleIn?.threshold).toBe(0);
  });

  it("derives missing bounds from neighbours and makes scale-in bounds negative relative offsets", () => {
    const plan = stepScalingPlan([
      { lower: 50, change: +2 },
      { upper: 2, change: -2 },
      { lower: 2, upper: 10, change: -1 },
      { lower: 20, upper: 50, change: +1 },
    ]);
    expect(plan.scaleIn).toEqual({
      threshold: 10,
      comparisonOperator: "LessThanOrEqualToThreshold",
      adjustments: [
        { lowerBound: undefined, upperBound: -8, change: -2 },
        { lowerBound: -8, upperBound: 0, change: -1 },
      ],
    });
    expect(plan.scaleOut).toEqual({
      threshold: 20,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      adjustments: [
        { lowerBound: 0, upperBound: 30, change: 1 },
        { lowerBound: 30, upperBound: undefined, change: 2 },
      ],
    });
  });

  it("treats everything above the last bounded step as no change (scale-in only steps)", () => {
    const plan = stepScalingPlan([{ upper: 0, change: -1 }, { upper: 10, change: -2 }]);
    expect(plan.scaleOut).toBeUndefined();
    expect(plan.scaleIn).toEqual({
      threshold: 10,
      comparisonOperator: "LessThanOrEqualToThreshold",
      adjustments: [
        { lowerBound: undefined, upperBound: -10, change: -1 },
        { lowerBound: -10, upperBound: 0, change: -2 },
      ],
    });
  });

  it("allows scale-out only steps", () => {
    const plan = stepScalingPlan([{ lower: 5, upper: 50, change: 1 }, { lower: 50, change: 3 }]);
    expect(plan.scaleIn).toBeUndefined();
    expect(plan.scaleOut?.threshold).toBe(5);
    expect(plan.scaleOut?.adjustments).toEqual([
      { lowerBound: 0, upperBound: 45, change: 1 },
      { lowerBound: 45, upperBound: undefined, change: 3 },
    ]);
  });

  it("refuses steps AWS or common sense would reject", () => {
    expect(() => stepScalingPlan([{ lower: 1, change: 1 }])).toThrow(/2 to 40 steps/);
    expect(() => stepScalingPlan([{ change: 1 }, { lower: 1, change: 1 }])).toThrow(/at least one of lower and upper/);
    expect(() => stepScalingPlan([{ lower: 0, upper: 10, change: -1 }, { lower: 5, change: 1 }])).toThrow(/overlap/);
    expect(() =>
      stepScalingPlan([{ upper: 0, change: -1 }, { lower: 10, upper: 20, change: 1 }, { lower: 50, change: 2 }]),
    ).toThrow(/at most one range without a change/);
    expect(() => stepScalingPlan([{ upper: 5, change: -1 }, { lower: 5, change: 1 }])).toThrow(/leave a no-change range/);
    expect(() => stepScalingPlan([{ upper: 0, change: 1 }, { lower: 10, change: 1 }])).toThrow(/does not remove tasks/);
    expect(() => stepScalingPlan([{ upper: 0, change: -1 }, { lower: 10, change: -1 }])).toThrow(/does not add tasks/);
    expect(() => stepScalingPlan([{ upper: 0, change: -1 }, { lower: 10, change: 1.5 }])).toThrow(/whole number/);
  });
});

describe("Celery helpers", () => {
  it("renders broker_transport_options with the queue under predefined_queues", () => {
    expect(celeryBrokerTransportOptions(QUEUE, "https://sqs.eu-west-1.amazonaws.com/1/q", "eu-west-1", 1800)).toEqual({
      region: "eu-west-1",
      visibility_timeout: 1800,
      predefined_queues: { [QUEUE]: { url: "https://sqs.eu-west-1.amazonaws.com/1/q" } },
    });
  });

  it("reads the queues of every -Q / --queues spelling", () => {
    expect(commandQueues(["celery", "worker"])).toBeUndefined();
    expect(commandQueues(["celery", "worker", "-Q", "a,b"])).toEqual(["a", "b"]);
    expect(commandQueues(["celery", "worker", "-Qa"])).toEqual(["a"]);
    expect(commandQueues(["celery", "worker", "--queues=a"])).toEqual(["a"]);
    expect(commandQueues(["celery", "worker", "--queues", "a"])).toEqual(["a"]);
    expect(workerQueueName(testNaming, "default")).toBe(QUEUE);
  });
});

describe("CeleryWorker queues", () => {
  const { synth, json } = worker();

  it("creates the queue and its dead-letter queue with the documented defaults", () => {
    expect(synth).toHaveResourceWithProperties(SqsQueue, {
      name: QUEUE,
      visibility_timeout_seconds: 1800,
      message_retention_seconds: 345600,
      receive_wait_time_seconds: 20,
      sqs_managed_sse_enabled: true,
    });
    expect(synth).toHaveResourceWithProperties(SqsQueue, {
      name: DLQ,
      message_retention_seconds: 1209600,
      sqs_managed_sse_enabled: true,
    });
    expect(Object.keys(resourcesOf(json, "aws_sqs_queue"))).toHaveLength(2);
    for (const queue of Object.values(resourcesOf(json, "aws_sqs_queue"))) {
      expect(queue.kms_master_key_id).toBeUndefined();
    }
  });

  it("redrives to the dead-letter queue after maxReceiveCount receives", () => {
    const main = resourcesOf(json, "aws_sqs_queue")[queueId(json)];
    expect(JSON.parse(main.redrive_policy)).toEqual({
      deadLetterTargetArn: ref("aws_sqs_queue", queueId(json, DLQ), "arn"),
      maxReceiveCount: 5,
    });
    const custom = worker({ maxReceiveCount: 9 }).json;
    expect(JSON.parse(resourcesOf(custom, "aws_sqs_queue")[queueId(custom)].redrive_policy).maxReceiveCount).toBe(9);
    expect(resourcesOf(json, "aws_sqs_queue")[queueId(json, DLQ)].redrive_policy).toBeUndefined();
  });

  it("lets only the main queue redrive into the dead-letter queue", () => {
    const allows = Object.values(resourcesOf(json, "aws_sqs_queue_redrive_allow_policy"));
    expect(allows).toHaveLength(1);
    expect(allows[0].queue_url).toBe(ref("aws_sqs_queue", queueId(json, DLQ), "url"));
    expect(JSON.parse(allows[0].redrive_allow_policy)).toEqual({
      redrivePermission: "byQueue",
      sourceQueueArns: [ref("aws_sqs_queue", queueId(json), "arn")],
    });
  });

  it("denies every request without TLS on both queues", () => {
    const policies = Object.values(resourcesOf(json, "aws_sqs_queue_policy"));
    expect(policies.map((p) => p.queue_url).sort()).toEqual(
      [ref("aws_sqs_queue", queueId(json), "url"), ref("aws_sqs_queue", queueId(json, DLQ), "url")].sort(),
    );
    for (const policy of policies) {
      const id = policy.queue_url === ref("aws_sqs_queue", queueId(json), "url") ? queueId(json) : queueId(json, DLQ);
      expect(JSON.parse(policy.policy).Statement).toEqual([
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "sqs:*",
          Resource: ref("aws_sqs_queue", id, "arn"),
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ]);
    }
  });

  it("encrypts both queues with a customer-managed key when given one, and grants its use", () => {
    const { json: kms } = worker({ kmsMasterKeyId: KMS_KEY });
    for (const queue of Object.values(resourcesOf(kms, "aws_sqs_queue"))) {
      expect(queue.kms_master_key_id).toBe(KMS_KEY);
      expect(queue.sqs_managed_sse_enabled).toBeUndefined();
    }
    const consume = Object.values(resourcesOf(kms, "aws_iam_role_policy")).find((p) => p.name === "sqs-consume")!;
    expect(JSON.parse(consume.policy).Statement[1]).toEqual({
      Sid: "UseQueueKey",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: KMS_KEY,
    });
  });

  it("applies retention and visibility settings", () => {
    const { synth: custom } = worker({ messageRetentionSeconds: 86400, visibilityTimeoutSeconds: 3600, taskTimeLimitSeconds: 3000 });
    expect(custom).toHaveResourceWithProperties(SqsQueue, { name: QUEUE, message_retention_seconds: 86400, visibility_timeout_seconds: 3600 });
  });
});

describe("CeleryWorker IAM", () => {
  const CONSUME = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:SendMessage",
  ];

  it("gives the task role exactly the consumer actions on the main queue ARN", () => {
    const { json } = worker();
    const taskPolicies = Object.values(resourcesOf(json, "aws_iam_role_policy")).filter(
      (p) => p.role === ref("aws_iam_role", taskRoleId(json), "id"),
    );
    expect(taskPolicies).toHaveLength(1);
    expect(taskPolicies[0].name).toBe("sqs-consume");
    expect(JSON.parse(taskPolicies[0].policy).Statement).toEqual([
      { Sid: "ConsumeQueue", Effect: "Allow", Action: CONSUME, Resource: ref("aws_sqs_queue", queueId(json), "arn") },
    ]);
  });

  it("uses no wildcard action or resource in any policy it writes (the execution role's ECR login aside)", () => {
    const { json } = worker({}, (w) => w.grantSend("web", "acme-test-web-task"));
    for (const policy of Object.values(resourcesOf(json, "aws_iam_role_policy"))) {
      for (const statement of JSON.parse(policy.policy).Statement) {
        if (statement.Action === "ecr:GetAuthorizationToken") continue;
        expect([statement.Action].flat().some((a: string) => a.includes("*"))).toBe(false);
        expect([statement.Resource].flat()).not.toContain("*");
      }
    }
  });

  it("grantSend adds an inline policy to the named role for this queue only", () => {
    const { json } = worker({}, (w) => w.grantSend("web", "acme-test-web-task"));
    const send = Object.values(resourcesOf(json, "aws_iam_role_policy")).filter((p) => p.role === "acme-test-web-task");
    expect(send).toHaveLength(1);
    expect(send[0].name).toBe(`sqs-send-${QUEUE}`);
    expect(JSON.parse(send[0].policy)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "SendToQueue",
          Effect: "Allow",
          Action: ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"],
          Resource: ref("aws_sqs_queue", queueId(json), "arn"),
        },
      ],
    });
  });

  it("grantSend adds KMS use when the queue has a key, once per producer role", () => {
    const { json } = worker({ kmsMasterKeyId: KMS_KEY }, (w) => {
      w.grantSend("web", "acme-test-web-task");
      w.grantSend("api", "acme-test-api-task");
    });
    for (const role of ["acme-test-web-task", "acme-test-api-task"]) {
      const send = Object.values(resourcesOf(json, "aws_iam_role_policy")).filter((p) => p.role === role);
      expect(send).toHaveLength(1);
      const statements = JSON.parse(send[0].policy).Statement;
      expect(statements[0].Resource).toBe(ref("aws_sqs_queue", queueId(json), "arn"));
      expect(statements[1]).toEqual({ Sid: "UseQueueKey", Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: KMS_KEY });
    }
  });

  it("refuses to grant the same role twice", () => {
    expect(() =>
      worker({}, (w) => {
        w.grantSend("web", "acme-test-web-task");
        w.grantSend("again", "acme-test-web-task");
      }),
    ).toThrow(
      /CeleryWorker default: role acme-test-web-task may already send/,
    );
  });
});

describe("CeleryWorker service", () => {
  const { synth, json } = worker();

  it("runs a load-balancer-free Fargate Spot service in private subnets without public IPs", () => {
    expect(synth).toHaveResourceWithProperties(EcsService, {
      name: "acme-test-worker-default",
      cluster: base.clusterArn,
      desired_count: 0,
      capacity_provider_strategy: [{ capacity_provider: "FARGATE_SPOT", weight: 1 }],
      network_configuration: {
        subnets: ["subnet-private-a", "subnet-private-b"],
        security_groups: [ref("aws_security_group", Object.keys(resourcesOf(json, "aws_security_group"))[0], "id")],
        assign_public_ip: false,
      },
      deployment_circuit_breaker: { enable: true, rollback: true },
      propagate_tags: "SERVICE",
      lifecycle: { ignore_changes: ["desired_count"] },
    });
    const service = Object.values(resourcesOf(json, "aws_ecs_service"))[0];
    expect(service.load_balancer).toBeUndefined();
    expect(service.health_check_grace_period_seconds).toBeUndefined();
    expect(service.task_definition).toBe(ref("aws_ecs_task_definition", Object.keys(resourcesOf(json, "aws_ecs_task_definition"))[0], "arn"));
    expect(resourcesOf(json, "aws_lb_target_group")).toEqual({});
  });

  it("honours an on-demand base in the capacity strategy", () => {
    const { json: mixed } = worker({ capacity: { onDemandBase: 1, onDemandWeight: 0, spotWeight: 2 } });
    expect(Object.values(resourcesOf(mixed, "aws_ecs_service"))[0].capacity_provider_strategy).toEqual([
      { capacity_provider: "FARGATE", base: 1, weight: 0 },
      { capacity_provider: "FARGATE_SPOT", weight: 2 },
    ]);
  });

  it("gives the tasks a security group with HTTPS egress only and no ingress", () => {
    const [sgId, sg] = Object.entries(resourcesOf(json, "aws_security_group"))[0];
    expect(sg.ingress).toBeUndefined();
    expect(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).toEqual({});
    const egress = Object.values(resourcesOf(json, "aws_vpc_security_group_egress_rule"));
    expect(egress).toEqual([
      expect.objectContaining({
        security_group_id: ref("aws_security_group", sgId, "id"),
        ip_protocol: "tcp",
        from_port: 443,
        to_port: 443,
        cidr_ipv4: "0.0.0.0/0",
      }),
    ]);
  });

  it("allowEgressTo opens one port to another security group", () => {
    const { json: db } = worker({}, (w) => w.allowEgressTo("db", "sg-db", 5432, "PostgreSQL"));
    expect(Object.values(resourcesOf(db, "aws_vpc_security_group_egress_rule"))).toContainEqual(
      expect.objectContaining({ from_port: 5432, to_port: 5432, referenced_security_group_id: "sg-db" }),
    );
  });

  it("runs the Celery command with a 120 s stop timeout for warm shutdown", () => {
    const container = containerDefinition(json);
    expect(container.command).toEqual(base.command);
    expect(container.stopTimeout).toBe(120);
    expect(containerDefinition(worker({ stopTimeoutSeconds: 60 }).json).stopTimeout).toBe(60);
    const task = Object.values(resourcesOf(json, "aws_ecs_task_definition"))[0];
    expect(task).toMatchObject({ cpu: "512", memory: "1024", family: "acme-test-worker-default" });
  });

  it("tells Celery its broker through the environment, merged with the caller's", () => {
    const container = containerDefinition(worker({ environment: { DJANGO_SETTINGS_MODULE: "app.settings" } }).json);
    const env = Object.fromEntries(container.environment.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toEqual({
      DJANGO_SETTINGS_MODULE: "app.settings",
      CELERY_BROKER_URL: "sqs://",
      CELERY_BROKER_REGION: "eu-west-1",
      CELERY_QUEUE_NAME: ref("aws_sqs_queue", queueId(json), "name"),
      CELERY_QUEUE_URL: ref("aws_sqs_queue", queueId(json), "url"),
      CELERY_VISIBILITY_TIMEOUT: "1800",
      CELERY_TASK_TIME_LIMIT: "900",
    });
  });
});

describe("CeleryWorker autoscaling", () => {
  const { synth, json } = worker();

  it("registers the service with a scalable target that may reach zero", () => {
    const serviceId = Object.keys(resourcesOf(json, "aws_ecs_service"))[0];
    expect(synth).toHaveResourceWithProperties(AppautoscalingTarget, {
      service_namespace: "ecs",
      scalable_dimension: "ecs:service:DesiredCount",
      resource_id: `service/${base.clusterName}/${ref("aws_ecs_service", serviceId, "name")}`,
      min_capacity: 0,
      max_capacity: 4,
    });
  });

  it("scales out from one visible message when minCount is 0", () => {
    const out = resourcesOf(json, "aws_appautoscaling_policy")[policyNamed(json, "acme-test-worker-default-queue-scale-out")];
    expect(out.policy_type).toBe("StepScaling");
    expect(out.step_scaling_policy_configuration).toEqual({
      adjustment_type: "ChangeInCapacity",
      cooldown: 300,
      metric_aggregation_type: "Maximum",
      step_adjustment: [
        { metric_interval_lower_bound: "0", metric_interval_upper_bound: "499", scaling_adjustment: 1 },
        { metric_interval_lower_bound: "499", scaling_adjustment: 5 },
      ],
    });
    expect(alarm(json, "out")).toMatchObject({ threshold: 1, comparison_operator: "GreaterThanOrEqualToThreshold", evaluation_periods: 1 });
  });

  it("removes one task after five empty minutes", () => {
    const inId = policyNamed(json, "acme-test-worker-default-queue-scale-in");
    expect(resourcesOf(json, "aws_appautoscaling_policy")[inId].step_scaling_policy_configuration.step_adjustment).toEqual([
      { metric_interval_upper_bound: "0", scaling_adjustment: -1 },
    ]);
    expect(alarm(json, "in")).toMatchObject({
      threshold: 0,
      comparison_operator: "LessThanOrEqualToThreshold",
      evaluation_periods: 5,
      datapoints_to_alarm: 5,
      alarm_actions: [ref("aws_appautoscaling_policy", inId, "arn")],
    });
  });

  it("scales out on the queue's plain visible-message metric", () => {
    const out = alarm(json, "out");
    expect(out).toMatchObject({
      namespace: "AWS/SQS",
      metric_name: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: ref("aws_sqs_queue", queueId(json), "name") },
      statistic: "Maximum",
      period: 60,
    });
    expect(out.metric_query).toBeUndefined();
    expect(out.alarm_description).toBe("Scale acme-test-worker-default out: 1 or more visible messages in acme-test-default");
  });

  it("scales in only when nothing is visible AND nothing is in flight (metric math visible + inflight)", () => {
    const scaleIn = alarm(json, "in");
    const queueName = ref("aws_sqs_queue", queueId(json), "name");
    const queueMetric = (metric_name: string) => ({
      namespace: "AWS/SQS",
      metric_name,
      dimensions: { QueueName: queueName },
      stat: "Maximum",
      period: 60,
    });
    expect(scaleIn.metric_query).toEqual([
      { id: "visible", return_data: false, metric: queueMetric("ApproximateNumberOfMessagesVisible") },
      { id: "inflight", return_data: false, metric: queueMetric("ApproximateNumberOfMessagesNotVisible") },
      { id: "backlog", expression: "visible + inflight", return_data: true },
    ]);
    // metric_query excludes the single-metric arguments (Terraform refuses both).
    for (const key of ["metric_name", "namespace", "dimensions", "statistic", "period", "extended_statistic"]) {
      expect(scaleIn[key]).toBeUndefined();
    }
    expect(scaleIn.alarm_description).toBe(
      "Scale acme-test-worker-default in: 0 or fewer messages visible or in flight in acme-test-default for 5 minute(s)",
    );
  });

  it("measures custom scale-in steps and evaluation periods on the same backlog", () => {
    const { json: custom } = worker({
      minCount: 1,
      scalingSteps: [{ upper: 2, change: -1 }, { lower: 50, change: 1 }],
      scaleInEvaluationPeriods: 10,
    });
    const scaleIn = alarm(custom, "in");
    expect(scaleIn).toMatchObject({ threshold: 2, evaluation_periods: 10, datapoints_to_alarm: 10 });
    expect(scaleIn.metric_query.map((q: Record<string, unknown>) => [q.id, q.return_data])).toEqual([
      ["visible", false],
      ["inflight", false],
      ["backlog", true],
    ]);
    expect(scaleIn.metric_query[2].expression).toBe("visible + inflight");
    expect(alarm(custom, "out")).toMatchObject({ metric_name: "ApproximateNumberOfMessagesVisible", threshold: 50 });
  });

  it("both alarms treat missing data as not breaching and trigger their own policy", () => {
    for (const direction of ["in", "out"] as const) {
      expect(alarm(json, direction)).toMatchObject({
        treat_missing_data: "notBreaching",
        alarm_actions: [ref("aws_appautoscaling_policy", policyNamed(json, `acme-test-worker-default-queue-scale-${direction}`), "arn")],
      });
    }
    expect(Object.keys(resourcesOf(json, "aws_cloudwatch_metric_alarm"))).toHaveLength(2);
  });

  it("uses CDK's steps (scale out at 100, +5 from 500) once a task always runs", () => {
    const { json: one } = worker({ minCount: 1, maxCount: 8 });
    const out = resourcesOf(one, "aws_appautoscaling_policy")[policyNamed(one, "acme-test-worker-default-queue-scale-out")];
    expect(out.step_scaling_policy_configuration.step_adjustment).toEqual([
      { metric_interval_lower_bound: "0", metric_interval_upper_bound: "400", scaling_adjustment: 1 },
      { metric_interval_lower_bound: "400", scaling_adjustment: 5 },
    ]);
    expect(alarm(one, "out").threshold).toBe(100);
    expect(Object.values(resourcesOf(one, "aws_ecs_service"))[0].desired_count).toBe(1);
    expect(Object.values(resourcesOf(one, "aws_appautoscaling_target"))[0]).toMatchObject({ min_capacity: 1, max_capacity: 8 });
  });

  it("turns custom steps into relative bounds", () => {
    const { json: custom } = worker({
      scalingSteps: [{ upper: 0, change: -1 }, { lower: 1, upper: 50, change: 1 }, { lower: 50, upper: 200, change: 3 }, { lower: 200, change: 6 }],
      scalingCooldownSeconds: 120,
    });
    const out = resourcesOf(custom, "aws_appautoscaling_policy")[policyNamed(custom, "acme-test-worker-default-queue-scale-out")];
    expect(out.step_scaling_policy_configuration.cooldown).toBe(120);
    expect(out.step_scaling_policy_configuration.step_adjustment).toEqual([
      { metric_interval_lower_bound: "0", metric_interval_upper_bound: "49", scaling_adjustment: 1 },
      { metric_interval_lower_bound: "49", metric_interval_upper_bound: "199", scaling_adjustment: 3 },
      { metric_interval_lower_bound: "199", scaling_adjustment: 6 },
    ]);
  });

  it("adds CPU target tracking (scale-out only) only when cpuTargetPercent is set", () => {
    const tracking = (j: SynthJson) => Object.values(resourcesOf(j, "aws_appautoscaling_policy")).filter((p) => p.policy_type === "TargetTrackingScaling");
    expect(tracking(json)).toEqual([]);
    const cpu = tracking(worker({ cpuTargetPercent: 60 }).json);
    expect(cpu).toHaveLength(1);
    expect(cpu[0].target_tracking_scaling_policy_configuration).toMatchObject({
      target_value: 60,
      disable_scale_in: true,
      predefined_metric_specification: { predefined_metric_type: "ECSServiceAverageCPUUtilization" },
    });
  });
});

describe("CeleryWorker refusals", () => {
  it("refuses a visibility timeout that is not above the task time limit", () => {
    expect(() => worker({ visibilityTimeoutSeconds: 900, taskTimeLimitSeconds: 900 })).toThrow(
      /CeleryWorker default: visibilityTimeoutSeconds \(900\) must be above taskTimeLimitSeconds \(900\)/,
    );
    expect(() => worker({ taskTimeLimitSeconds: 3600 })).toThrow(/visibilityTimeoutSeconds \(1800\) must be above/);
    expect(() => worker({ visibilityTimeoutSeconds: 50_000, taskTimeLimitSeconds: 900 })).toThrow(/visibilityTimeoutSeconds must be a whole number from 0 to 43200/);
  });

  it("refuses minCount above maxCount", () => {
    expect(() => worker({ minCount: 5, maxCount: 2 })).toThrow(/CeleryWorker default: minCount 5 is above maxCount 2/);
  });

  it("refuses a caller variable or secret that would override the Celery settings", () => {
    expect(() => worker({ environment: { CELERY_QUEUE_URL: "https://elsewhere" } })).toThrow(
      /CeleryWorker default: environment\/secrets may not set CELERY_QUEUE_URL/,
    );
    expect(() =>
      worker({
        secrets: [{ name: "CELERY_BROKER_URL", valueFrom: "arn:aws:ssm:eu-west-1:123456789012:parameter/x" }],
        secretReadGrants: { ssmParameterArns: ["arn:aws:ssm:eu-west-1:123456789012:parameter/x"] },
      }),
    ).toThrow(/may not set CELERY_BROKER_URL/);
  });

  it("refuses scale-to-zero steps that would strand messages below the scale-out threshold", () => {
    expect(() => worker({ minCount: 0, scalingSteps: CDK_QUEUE_SCALING_STEPS })).toThrow(
      /with minCount 0 the first scale-out step must start at 1 visible message or less, not 100/,
    );
    expect(() => worker({ scalingSteps: [{ upper: 0, change: -1 }, { lower: 5, change: 1 }, { lower: 3, upper: 6, change: 2 }] })).toThrow(
      /CeleryWorker default: scaling steps overlap/,
    );
    expect(() => worker({ minCount: 1, scalingSteps: [{ upper: 0, change: -1 }, { upper: 10, change: -2 }] })).toThrow(
      /CeleryWorker default: scalingSteps must include a step that adds tasks/,
    );
  });

  it("refuses a command that consumes another queue", () => {
    expect(() => worker({ command: ["celery", "-A", "app", "worker", "-Q", "celery"] })).toThrow(
      /command consumes celery but this worker's only queue is acme-test-default/,
    );
    expect(() => worker({ command: ["celery", "-A", "app", "worker"] })).not.toThrow();
  });

  it("refuses other invalid settings with a named error", () => {
    expect(() => worker({ maxReceiveCount: 0 })).toThrow(/maxReceiveCount must be a whole number from 1 to 1000, got 0/);
    expect(() => worker({ messageRetentionSeconds: 2_000_000 })).toThrow(/messageRetentionSeconds/);
    expect(() => worker({ stopTimeoutSeconds: 300 })).toThrow(/CeleryWorker default: stopTimeoutSeconds must be a whole number from 2 to 120/);
    expect(() => worker({ kmsMasterKeyId: "alias/aws/sqs" })).toThrow(/kmsMasterKeyId must be a KMS key ARN/);
    expect(() => worker({ cpu: 512, memory: 512 })).toThrow(/CeleryWorker default: memory 512 MiB does not fit cpu 512/);
    expect(() => worker({ name: "Bad_Name" })).toThrow(/CeleryWorker Bad_Name: name must be/);
    expect(() => worker({ cpuTargetPercent: 0 })).toThrow(/cpuTargetPercent must be 1-100/);
  });
});

import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { SchedulerScheduleGroup } from "@cdktf/provider-aws/lib/scheduler-schedule-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { TerraformOutput, type TerraformStack } from "cdktf";
import { describe, expect, it } from "vitest";
import { ScheduleGroup, ScheduledTask, type ScheduledTaskProps } from "../modules/scheduled-task";
import { TEST_ACCOUNT, onlyResource, ref, resourcesOf, synthConstruct, testNaming, type SynthJson } from "./helpers";

const CLUSTER_ARN = `arn:aws:ecs:eu-west-1:${TEST_ACCOUNT}:cluster/acme-test-cluster`;
const KMS_KEY = `arn:aws:kms:eu-west-1:${TEST_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

const base: ScheduledTaskProps = {
  naming: testNaming,
  name: "nightly-report",
  region: "eu-west-1",
  accountId: TEST_ACCOUNT,
  clusterArn: CLUSTER_ARN,
  subnetIds: ["subnet-private-a", "subnet-private-b"],
  vpcId: "vpc-123",
  image: `${TEST_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/acme-test-web:1.2.3`,
  repositoryArn: `arn:aws:ecr:eu-west-1:${TEST_ACCOUNT}:repository/acme-test-web`,
  command: ["python", "-m", "reports.nightly"],
  schedule: "cron(0 3 * * ? *)",
};

function scheduled(overrides: Partial<ScheduledTaskProps> = {}) {
  let construct!: ScheduledTask;
  const result = synthConstruct((stack) => {
    construct = new ScheduledTask(stack, "nightly", { ...base, ...overrides });
  });
  return { ...result, construct };
}

function idOf(json: SynthJson, type: string): string {
  const ids = Object.keys(resourcesOf(json, type));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0];
}

function roleIdByName(json: SynthJson, name: string): string {
  const entry = Object.entries(resourcesOf(json, "aws_iam_role")).find(([, r]) => r.name === name);
  if (!entry) throw new Error(`no role named ${name}`);
  return entry[0];
}

function schedulerPolicy(json: SynthJson): { Statement: Array<Record<string, any>> } {
  const policy = Object.values(resourcesOf(json, "aws_iam_role_policy")).find((p) => p.name === "run-scheduled-task");
  if (!policy) throw new Error("no scheduler policy");
  return JSON.parse(policy.policy);
}

describe("ScheduledTask schedule", () => {
  it("fires the cron expression in UTC with no flexible window, enabled, against the cluster", () => {
    const { synth, json } = scheduled();
    expect(synth).toHaveResourceWithProperties(SchedulerSchedule, {
      name: "acme-test-task-nightly-report",
      schedule_expression: "cron(0 3 * * ? *)",
      schedule_expression_timezone: "UTC",
      state: "ENABLED",
      flexible_time_window: { mode: "OFF" },
    });
    const schedule = onlyResource(json, "aws_scheduler_schedule");
    expect(schedule.target.arn).toBe(CLUSTER_ARN);
    expect(schedule.target.role_arn).toBe(ref("aws_iam_role", roleIdByName(json, "acme-test-task-nightly-report-scheduler"), "arn"));
  });

  it("uses the given time zone and keeps a disabled schedule as DISABLED", () => {
    const { synth } = scheduled({ schedule: "rate(15 minutes)", timeZone: "Europe/Berlin", enabled: false });
    expect(synth).toHaveResourceWithProperties(SchedulerSchedule, {
      schedule_expression: "rate(15 minutes)",
      schedule_expression_timezone: "Europe/Berlin",
      state: "DISABLED",
    });
    expect(synth).not.toHaveResourceWithProperties(SchedulerSchedule, { state: "ENABLED" });
  });

  it("runs one task of the task definition in the private subnets with the task's security group and no public IP", () => {
    const { json } = scheduled();
    const ecs = onlyResource(json, "aws_scheduler_schedule").target.ecs_parameters;
    expect(ecs.task_definition_arn).toBe(ref("aws_ecs_task_definition", idOf(json, "aws_ecs_task_definition"), "arn"));
    expect(ecs.task_count).toBe(1);
    expect(ecs.network_configuration).toEqual({
      subnets: ["subnet-private-a", "subnet-private-b"],
      security_groups: [ref("aws_security_group", idOf(json, "aws_security_group"), "id")],
      assign_public_ip: false,
    });
    expect(ecs.enable_ecs_managed_tags).toBe(true);
    expect(ecs.propagate_tags).toBe("TASK_DEFINITION");
  });

  it("launches through a capacity provider strategy (Spot by default), never also a launch type", () => {
    const spot = onlyResource(scheduled().json, "aws_scheduler_schedule").target.ecs_parameters;
    expect(spot.capacity_provider_strategy).toEqual([{ capacity_provider: "FARGATE_SPOT", weight: 1 }]);
    expect(spot.launch_type).toBeUndefined();
    const onDemand = onlyResource(
      scheduled({ capacity: { onDemandBase: 1, onDemandWeight: 1, spotWeight: 0 } }).json,
      "aws_scheduler_schedule",
    ).target.ecs_parameters;
    expect(onDemand.capacity_provider_strategy).toEqual([{ capacity_provider: "FARGATE", base: 1, weight: 1 }]);
    expect(onDemand.launch_type).toBeUndefined();
  });

  it("retries 3 times within an hour by default, then dead-letters to its own queue", () => {
    const { json } = scheduled();
    const target = onlyResource(json, "aws_scheduler_schedule").target;
    expect(target.retry_policy).toEqual({ maximum_retry_attempts: 3, maximum_event_age_in_seconds: 3600 });
    expect(target.dead_letter_config).toEqual({ arn: ref("aws_sqs_queue", idOf(json, "aws_sqs_queue"), "arn") });
  });

  it("takes a custom retry policy, including no retries", () => {
    const { json } = scheduled({ retry: { maximumAttempts: 0, maximumEventAgeSeconds: 60 } });
    expect(onlyResource(json, "aws_scheduler_schedule").target.retry_policy).toEqual({
      maximum_retry_attempts: 0,
      maximum_event_age_in_seconds: 60,
    });
  });
});

describe("ScheduleGroup", () => {
  it("creates one schedule group named <project>-<env>-schedules by default", () => {
    let group!: ScheduleGroup;
    const { synth, json } = synthConstruct((stack) => {
      group = new ScheduleGroup(stack, "schedules", { naming: testNaming });
    });
    expect(synth).toHaveResourceWithProperties(SchedulerScheduleGroup, { name: "acme-test-schedules" });
    expect(Object.keys(resourcesOf(json, "aws_scheduler_schedule_group"))).toHaveLength(1);
    expect(group.groupPhysicalName).toBe("acme-test-schedules");
  });

  it("names the group per environment, so dev and prod never share one", () => {
    const names = ["dev", "prod"].map((environment) => {
      const { json } = synthConstruct((stack) => {
        new ScheduleGroup(stack, "schedules", { naming: { project: "acme", environment } });
      });
      return onlyResource(json, "aws_scheduler_schedule_group").name;
    });
    expect(names).toEqual(["acme-dev-schedules", "acme-prod-schedules"]);
  });

  it("takes another name component and keeps long names within Scheduler's 64 characters", () => {
    const custom = synthConstruct((stack) => {
      new ScheduleGroup(stack, "jobs", { naming: testNaming, name: "batch-jobs" });
    });
    expect(onlyResource(custom.json, "aws_scheduler_schedule_group").name).toBe("acme-test-batch-jobs");
    const long = synthConstruct((stack) => {
      new ScheduleGroup(stack, "jobs", { naming: testNaming, name: "x".repeat(80) });
    });
    const name = onlyResource(long.json, "aws_scheduler_schedule_group").name as string;
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^acme-test-x+-[0-9a-f]{6}$/);
  });

  it("exposes its name and ARN as references to the group", () => {
    const { json } = synthConstruct((stack) => {
      const group = new ScheduleGroup(stack, "schedules", { naming: testNaming });
      new TerraformOutput(stack, "groupName", { value: group.groupName });
      new TerraformOutput(stack, "groupArn", { value: group.groupArn });
    });
    const id = idOf(json, "aws_scheduler_schedule_group");
    expect(json.output?.groupName?.value).toBe(ref("aws_scheduler_schedule_group", id, "name"));
    expect(json.output?.groupArn?.value).toBe(ref("aws_scheduler_schedule_group", id, "arn"));
  });

  it.each(["Schedules", "-jobs", "jobs_1", ""])("refuses the name component %j", (name) => {
    expect(() => synthConstruct((stack) => new ScheduleGroup(stack, "g", { naming: testNaming, name }))).toThrow(
      /name must be lower-case letters, digits and inner hyphens/,
    );
  });

  it("refuses to create a group named like the account's default group", () => {
    expect(() =>
      synthConstruct((stack) => new ScheduleGroup(stack, "g", { naming: { project: "", environment: "" }, name: "default" })),
    ).toThrow(/"default" is the account's own group/);
  });
});

describe("ScheduledTask schedule group", () => {
  it("stays in the account's default group when no group is given", () => {
    const schedule = onlyResource(scheduled().json, "aws_scheduler_schedule");
    expect(schedule.group_name).toBe("default");
  });

  it("is created in the given group, referencing the group's name", () => {
    const { json } = synthConstruct((stack) => {
      const group = new ScheduleGroup(stack, "schedules", { naming: testNaming });
      new ScheduledTask(stack, "nightly", { ...base, scheduleGroupName: group.groupName });
    });
    const groupId = idOf(json, "aws_scheduler_schedule_group");
    const schedule = onlyResource(json, "aws_scheduler_schedule");
    expect(schedule.group_name).toBe(ref("aws_scheduler_schedule_group", groupId, "name"));
    expect(schedule.name).toBe("acme-test-task-nightly-report");
  });

  it("takes a literal group name too", () => {
    const schedule = onlyResource(scheduled({ scheduleGroupName: "acme-test-schedules" }).json, "aws_scheduler_schedule");
    expect(schedule.group_name).toBe("acme-test-schedules");
  });

  it("puts the schedules of several tasks in the same group", () => {
    const { json } = synthConstruct((stack) => {
      const group = new ScheduleGroup(stack, "schedules", { naming: testNaming });
      new ScheduledTask(stack, "nightly", { ...base, scheduleGroupName: group.groupName });
      new ScheduledTask(stack, "hourly", { ...base, name: "hourly-sync", schedule: "rate(1 hour)", scheduleGroupName: group.groupName });
    });
    const groupName = ref("aws_scheduler_schedule_group", idOf(json, "aws_scheduler_schedule_group"), "name");
    const schedules = Object.values(resourcesOf(json, "aws_scheduler_schedule"));
    expect(schedules.map((s) => s.group_name)).toEqual([groupName, groupName]);
  });

  it("keeps the scheduler role's trust and permissions independent of the group (no schedule ARNs in them)", () => {
    const inDefault = scheduled().json;
    const inGroup = synthConstruct((stack) => {
      const group = new ScheduleGroup(stack, "schedules", { naming: testNaming });
      new ScheduledTask(stack, "nightly", { ...base, scheduleGroupName: group.groupName });
    }).json;
    const scheduler = (json: SynthJson) => resourcesOf(json, "aws_iam_role")[roleIdByName(json, "acme-test-task-nightly-report-scheduler")];
    expect(scheduler(inGroup).assume_role_policy).toBe(scheduler(inDefault).assume_role_policy);
    expect(schedulerPolicy(inGroup)).toEqual(schedulerPolicy(inDefault));
    expect(JSON.stringify(schedulerPolicy(inGroup))).not.toContain(":schedule/");
  });
});

describe("ScheduledTask dead-letter queue", () => {
  it("is encrypted with SQS-managed SSE and keeps messages 14 days by default", () => {
    const { synth, json } = scheduled();
    expect(synth).toHaveResourceWithProperties(SqsQueue, {
      name: "acme-test-task-nightly-report-dlq",
      sqs_managed_sse_enabled: true,
      message_retention_seconds: 1209600,
    });
    expect(onlyResource(json, "aws_sqs_queue").kms_master_key_id).toBeUndefined();
    expect(onlyResource(json, "aws_sqs_queue").fifo_queue).toBeUndefined();
  });

  it("uses a customer-managed key instead when one is given", () => {
    const { json } = scheduled({ kmsMasterKeyId: KMS_KEY, dlqRetentionSeconds: 345600 });
    const queue = onlyResource(json, "aws_sqs_queue");
    expect(queue.kms_master_key_id).toBe(KMS_KEY);
    expect(queue.sqs_managed_sse_enabled).toBeUndefined();
    expect(queue.message_retention_seconds).toBe(345600);
  });

  it("has a queue policy that only denies requests without TLS (the role, not the queue policy, grants sending)", () => {
    const { json } = scheduled();
    const queueId = idOf(json, "aws_sqs_queue");
    const queuePolicy = onlyResource(json, "aws_sqs_queue_policy");
    expect(queuePolicy.queue_url).toBe(ref("aws_sqs_queue", queueId, "url"));
    expect(JSON.parse(queuePolicy.policy).Statement).toEqual([
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "sqs:*",
        Resource: ref("aws_sqs_queue", queueId, "arn"),
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ]);
  });
});

describe("ScheduledTask scheduler role", () => {
  it("may be assumed only by EventBridge Scheduler on behalf of this account", () => {
    const { json } = scheduled();
    const role = resourcesOf(json, "aws_iam_role")[roleIdByName(json, "acme-test-task-nightly-report-scheduler")];
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "scheduler.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": TEST_ACCOUNT } },
      },
    ]);
  });

  it("may run only this task family on this cluster, pass only the task's two roles and send only to its queue", () => {
    const { json } = scheduled();
    const execRole = ref("aws_iam_role", roleIdByName(json, "acme-test-task-nightly-report-exec"), "arn");
    const taskRole = ref("aws_iam_role", roleIdByName(json, "acme-test-task-nightly-report-task"), "arn");
    expect(schedulerPolicy(json).Statement).toEqual([
      {
        Sid: "RunTask",
        Effect: "Allow",
        Action: "ecs:RunTask",
        Resource: `arn:aws:ecs:eu-west-1:${TEST_ACCOUNT}:task-definition/acme-test-task-nightly-report:*`,
        Condition: { ArnEquals: { "ecs:cluster": CLUSTER_ARN } },
      },
      {
        Sid: "TagNewTask",
        Effect: "Allow",
        Action: "ecs:TagResource",
        Resource: `arn:aws:ecs:eu-west-1:${TEST_ACCOUNT}:task/acme-test-cluster/*`,
        Condition: { StringEquals: { "ecs:CreateAction": "RunTask" } },
      },
      {
        Sid: "PassTaskRoles",
        Effect: "Allow",
        Action: "iam:PassRole",
        Resource: [execRole, taskRole],
        Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
      },
      {
        Sid: "SendDeadLetters",
        Effect: "Allow",
        Action: "sqs:SendMessage",
        Resource: ref("aws_sqs_queue", idOf(json, "aws_sqs_queue"), "arn"),
      },
    ]);
  });

  it("grants no wildcard action and no wildcard resource, even with a customer-managed key", () => {
    for (const { json } of [scheduled(), scheduled({ kmsMasterKeyId: KMS_KEY })]) {
      for (const statement of schedulerPolicy(json).Statement) {
        expect(statement.Effect).toBe("Allow");
        for (const action of [statement.Action].flat()) {
          expect(action).not.toContain("*");
        }
        for (const resource of [statement.Resource].flat()) {
          expect(resource).not.toBe("*");
          expect(resource).not.toMatch(/^arn:aws:[a-z]+:[^:]*:[^:]*:\*$/);
        }
      }
    }
  });

  it("may use a customer-managed queue key only through SQS", () => {
    const statements = schedulerPolicy(scheduled({ kmsMasterKeyId: KMS_KEY }).json).Statement;
    expect(statements).toContainEqual({
      Sid: "EncryptDeadLetters",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: KMS_KEY,
      Condition: { StringEquals: { "kms:ViaService": "sqs.eu-west-1.amazonaws.com" } },
    });
    expect(schedulerPolicy(scheduled().json).Statement.map((s) => s.Sid)).not.toContain("EncryptDeadLetters");
  });

  it("scopes RunTask and TagResource to a cluster created in the same stack through references", () => {
    const { json } = synthConstruct((stack) => {
      const cluster = new EcsCluster(stack, "cluster", { name: "acme-test-cluster" });
      new ScheduledTask(stack, "nightly", { ...base, clusterArn: cluster.arn });
    });
    const clusterArn = ref("aws_ecs_cluster", "cluster", "arn");
    const [runTask, tagTask] = schedulerPolicy(json).Statement;
    expect(runTask.Condition).toEqual({ ArnEquals: { "ecs:cluster": clusterArn } });
    // The cluster name is cut from the ARN in a local, so the policy stays valid JSON before apply.
    const locals = (json as unknown as { locals: Record<string, string> }).locals;
    const [localName, expression] = Object.entries(locals)[0];
    expect(expression).toBe('${element(split("/", aws_ecs_cluster.cluster.arn), 1)}');
    expect(tagTask.Resource).toBe(`arn:aws:ecs:eu-west-1:${TEST_ACCOUNT}:task/\${local.${localName}}/*`);
    expect(onlyResource(json, "aws_scheduler_schedule").target.arn).toBe(clusterArn);
  });
});

describe("ScheduledTask task and network", () => {
  it("reuses FargateTask: family, log group and the command override", () => {
    const { json } = scheduled({ cpu: 512, memory: 1024, environment: { REPORT_BUCKET: "acme-test-reports" } });
    const taskDefinition = onlyResource(json, "aws_ecs_task_definition");
    expect(taskDefinition).toMatchObject({ family: "acme-test-task-nightly-report", cpu: "512", memory: "1024" });
    const [container] = JSON.parse(taskDefinition.container_definitions);
    expect(container.command).toEqual(["python", "-m", "reports.nightly"]);
    expect(container.environment).toEqual([{ name: "REPORT_BUCKET", value: "acme-test-reports" }]);
    expect(container.portMappings).toBeUndefined();
    expect(onlyResource(json, "aws_cloudwatch_log_group").name).toBe("/ecs/acme-test-task-nightly-report");
  });

  it("gives the task a security group with a description, no ingress and HTTPS-only egress", () => {
    const { synth, json } = scheduled();
    expect(synth).toHaveResourceWithProperties(SecurityGroup, {
      name: "acme-test-task-nightly-report",
      vpc_id: "vpc-123",
    });
    const sg = onlyResource(json, "aws_security_group");
    expect(sg.description).toMatch(/no ingress/);
    expect(sg.ingress ?? []).toEqual([]);
    expect(sg.egress ?? []).toEqual([]);
    expect(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).toEqual({});
    expect(resourcesOf(json, "aws_security_group_rule")).toEqual({});
    const egress = Object.values(resourcesOf(json, "aws_vpc_security_group_egress_rule"));
    expect(egress).toEqual([
      expect.objectContaining({
        security_group_id: ref("aws_security_group", idOf(json, "aws_security_group"), "id"),
        ip_protocol: "tcp",
        from_port: 443,
        to_port: 443,
        cidr_ipv4: "0.0.0.0/0",
      }),
    ]);
  });

  it("opens egress to another security group on one port on request (for example the database)", () => {
    const { synth, json } = synthConstruct((stack) => {
      new ScheduledTask(stack, "nightly", base).allowEgressTo("db", "sg-db", 5432, "PostgreSQL");
    });
    expect(synth).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, {
      security_group_id: ref("aws_security_group", idOf(json, "aws_security_group"), "id"),
      referenced_security_group_id: "sg-db",
      from_port: 5432,
      to_port: 5432,
    });
  });

  it("exposes its outputs as references to the resources it created", () => {
    const outputs = (stack: TerraformStack, task: ScheduledTask) => {
      const values: Record<string, string> = {
        scheduleName: task.scheduleName,
        scheduleArn: task.scheduleArn,
        taskDefinitionArn: task.taskDefinitionArn,
        securityGroupId: task.securityGroupId,
        deadLetterQueueArn: task.deadLetterQueueArn,
        deadLetterQueueUrl: task.deadLetterQueueUrl,
        roleArn: task.roleArn,
      };
      for (const [key, value] of Object.entries(values)) new TerraformOutput(stack, key, { value });
    };
    const { json } = synthConstruct((stack) => outputs(stack, new ScheduledTask(stack, "nightly", base)));
    const value = (key: string) => json.output?.[key]?.value;
    expect(value("scheduleName")).toBe(ref("aws_scheduler_schedule", idOf(json, "aws_scheduler_schedule"), "name"));
    expect(value("scheduleArn")).toBe(ref("aws_scheduler_schedule", idOf(json, "aws_scheduler_schedule"), "arn"));
    expect(value("taskDefinitionArn")).toBe(ref("aws_ecs_task_definition", idOf(json, "aws_ecs_task_definition"), "arn"));
    expect(value("securityGroupId")).toBe(ref("aws_security_group", idOf(json, "aws_security_group"), "id"));
    expect(value("deadLetterQueueArn")).toBe(ref("aws_sqs_queue", idOf(json, "aws_sqs_queue"), "arn"));
    expect(value("deadLetterQueueUrl")).toBe(ref("aws_sqs_queue", idOf(json, "aws_sqs_queue"), "url"));
    expect(value("roleArn")).toBe(ref("aws_iam_role", roleIdByName(json, "acme-test-task-nightly-report-scheduler"), "arn"));
  });
});

describe("ScheduledTask refuses bad props", () => {
  it.each<[string, Partial<ScheduledTaskProps>, RegExp]>([
    ["a five-field cron", { schedule: "cron(0 3 * * ?)" }, /^ScheduledTask nightly-report: schedule: cron has 5 fields, expected 6/],
    ["an unknown time zone", { timeZone: "Mars/Olympus" }, /^ScheduledTask nightly-report: timeZone: time zone "Mars\/Olympus" is not an IANA/],
    ["too many retries", { retry: { maximumAttempts: 186 } }, /retry\.maximumAttempts must be a whole number from 0 to 185, got 186/],
    ["a too short event age", { retry: { maximumEventAgeSeconds: 59 } }, /retry\.maximumEventAgeSeconds must be a whole number from 60 to 86400, got 59/],
    ["a too long DLQ retention", { dlqRetentionSeconds: 1209601 }, /dlqRetentionSeconds must be a whole number from 60 to 1209600/],
    ["an upper-case name", { name: "Nightly" }, /^ScheduledTask Nightly: name must be lower-case/],
    ["no subnets", { subnetIds: [] }, /subnetIds must list 1 to 16 subnets, got 0/],
    ["an empty command", { command: [] }, /command must name at least the executable/],
    ["a KMS alias instead of a key ARN", { kmsMasterKeyId: "alias/aws/sqs" }, /kmsMasterKeyId must be a KMS key ARN/],
    ["a cluster name instead of its ARN", { clusterArn: "acme-test-cluster" }, /clusterArn must be an ECS cluster ARN/],
    ["a capacity with no weight", { capacity: { onDemandWeight: 0, spotWeight: 0 } }, /^ScheduledTask nightly-report: capacity strategy: at least one of onDemandWeight and spotWeight/],
    ["a non-Fargate size", { cpu: 256, memory: 4096 }, /FargateTask task-nightly-report: memory 4096 MiB does not fit cpu 256/],
    ["a schedule group name with a slash", { scheduleGroupName: "acme/test" }, /^ScheduledTask nightly-report: scheduleGroupName must be 1 to 64 letters, digits, hyphens, underscores and dots, got "acme\/test"/],
    ["an empty schedule group name", { scheduleGroupName: "" }, /scheduleGroupName must be 1 to 64/],
    ["a too long schedule group name", { scheduleGroupName: "g".repeat(65) }, /scheduleGroupName must be 1 to 64/],
  ])("%s", (_label, overrides, message) => {
    expect(() => scheduled(overrides)).toThrow(message);
  });
});

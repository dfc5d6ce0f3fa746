import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { FargateTask, fargateSizeProblem, type FargateTaskProps } from "../modules/ecs-task";
import { POLICY_RULES, evaluateJson } from "../src/aspects/policy";
import { TEST_ACCOUNT, onlyResource, ref, resourcesOf, synthConstruct, testNaming, type SynthJson } from "./helpers";

const REPO_ARN = "arn:aws:ecr:eu-west-1:123456789012:repository/acme-test-web";
const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf";
const EXEC_LOG_GROUP_ARN = "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/acme-test-cluster/exec";

const EXEC_CHANNELS = {
  Sid: "EcsExecChannels",
  Effect: "Allow",
  Action: [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
  ],
  Resource: "*",
};

const base: FargateTaskProps = {
  naming: testNaming,
  component: "web",
  region: "eu-west-1",
  accountId: TEST_ACCOUNT,
  image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme-test-web:abc123",
  repositoryArn: REPO_ARN,
  cpu: 512,
  memory: 1024,
  containerPort: 8000,
  environment: { B_VAR: "2", A_VAR: "1" },
  secrets: [{ name: "DB_PASSWORD", valueFrom: `${SECRET}:password::` }],
  secretReadGrants: { secretsManagerArns: [SECRET] },
  logRetentionDays: 30,
};

function task(overrides: Partial<FargateTaskProps> = {}) {
  return synthConstruct((stack) => new FargateTask(stack, "task", { ...base, ...overrides }));
}

function roleByName(json: SynthJson, suffix: string): string {
  return Object.entries(resourcesOf(json, "aws_iam_role")).find(([, r]) => r.name.endsWith(suffix))![0];
}

function policyOf(json: SynthJson, roleId: string) {
  return Object.values(resourcesOf(json, "aws_iam_role_policy"))
    .filter((p) => p.role === ref("aws_iam_role", roleId, "id"))
    .flatMap((p) => JSON.parse(p.policy).Statement);
}

describe("FargateTask", () => {
  const { synth, json } = task();
  const definition = onlyResource(json, "aws_ecs_task_definition");
  const [container] = JSON.parse(definition.container_definitions);

  it("defines a Fargate task with separate execution and task roles", () => {
    expect(synth).toHaveResourceWithProperties(EcsTaskDefinition, {
      family: "acme-test-web",
      requires_compatibilities: ["FARGATE"],
      network_mode: "awsvpc",
      cpu: "512",
      memory: "1024",
      execution_role_arn: ref("aws_iam_role", roleByName(json, "-web-exec"), "arn"),
      task_role_arn: ref("aws_iam_role", roleByName(json, "-web-task"), "arn"),
      volume: [{ name: "scratch" }],
    });
  });

  it("runs a non-privileged container with a read-only root and a writable scratch volume", () => {
    expect(container).toMatchObject({
      name: "app",
      image: base.image,
      essential: true,
      privileged: false,
      readonlyRootFilesystem: true,
      mountPoints: [{ sourceVolume: "scratch", containerPath: "/tmp", readOnly: false }],
      portMappings: [{ containerPort: 8000, protocol: "tcp" }],
    });
    const relaxed = JSON.parse(onlyResource(task({ readonlyRootFilesystem: false }).json, "aws_ecs_task_definition").container_definitions)[0];
    expect(relaxed.readonlyRootFilesystem).toBe(false);
  });

  it("passes plain environment sorted and credentials only as ECS secrets", () => {
    expect(container.environment).toEqual([
      { name: "A_VAR", value: "1" },
      { name: "B_VAR", value: "2" },
    ]);
    expect(container.secrets).toEqual([{ name: "DB_PASSWORD", valueFrom: `${SECRET}:password::` }]);
  });

  it("logs to its own retained log group through awslogs", () => {
    const groupId = Object.keys(resourcesOf(json, "aws_cloudwatch_log_group"))[0];
    expect(resourcesOf(json, "aws_cloudwatch_log_group")[groupId]).toMatchObject({ name: "/ecs/acme-test-web", retention_in_days: 30 });
    expect(container.logConfiguration).toEqual({
      logDriver: "awslogs",
      options: {
        "awslogs-group": ref("aws_cloudwatch_log_group", groupId, "name"),
        "awslogs-region": "eu-west-1",
        "awslogs-stream-prefix": "web",
      },
    });
  });

  it("lets the execution role pull from one repository, write one log group and read exactly its secrets", () => {
    const groupId = Object.keys(resourcesOf(json, "aws_cloudwatch_log_group"))[0];
    const statements = policyOf(json, roleByName(json, "-web-exec"));
    expect(statements).toEqual([
      { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      {
        Sid: "PullImage",
        Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
        Resource: REPO_ARN,
      },
      {
        Sid: "WriteLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${ref("aws_cloudwatch_log_group", groupId, "arn")}:*`,
      },
      { Sid: "ReadSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: [SECRET] },
    ]);
  });

  it("reads SSM parameters (and their KMS key) when the secrets come from SSM", () => {
    const param = "arn:aws:ssm:eu-west-1:123456789012:parameter/acme/test/database/master-password";
    const { json: ssm } = task({
      secrets: [{ name: "DB_PASSWORD", valueFrom: param }],
      secretReadGrants: { ssmParameterArns: [param], kmsKeyArns: ["arn:aws:kms:eu-west-1:123456789012:key/k"] },
    });
    const statements = policyOf(ssm, roleByName(ssm, "-web-exec"));
    expect(statements).toContainEqual({ Sid: "ReadParameters", Effect: "Allow", Action: "ssm:GetParameters", Resource: [param] });
    expect(statements).toContainEqual({ Sid: "DecryptSecrets", Effect: "Allow", Action: "kms:Decrypt", Resource: ["arn:aws:kms:eu-west-1:123456789012:key/k"] });
    expect(statements.map((s: { Sid: string }) => s.Sid)).not.toContain("ReadSecrets");
  });

  it("trusts only ECS tasks of this account", () => {
    const trust = JSON.parse(resourcesOf(json, "aws_iam_role")[roleByName(json, "-web-task")].assume_role_policy);
    expect(trust.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "ecs-tasks.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": TEST_ACCOUNT },
          ArnLike: { "aws:SourceArn": `arn:aws:ecs:eu-west-1:${TEST_ACCOUNT}:*` },
        },
      },
    ]);
  });

  it("leaves the task role empty unless granted, and grants the ECS Exec channels on request", () => {
    expect(policyOf(json, roleByName(json, "-web-task"))).toEqual([]);
    const exec = task({ enableExecuteCommand: true }).json;
    // The exec agent needs writable paths even though the root filesystem stays read-only.
    const definition = onlyResource(exec, "aws_ecs_task_definition");
    expect(definition.volume.map((v: { name: string }) => v.name)).toEqual(["scratch", "exec-managed-agents", "exec-ssm-state", "exec-ssm-logs"]);
    const [execContainer] = JSON.parse(definition.container_definitions);
    expect(execContainer.readonlyRootFilesystem).toBe(true);
    expect(execContainer.mountPoints.map((m: { containerPath: string }) => m.containerPath)).toEqual([
      "/tmp",
      "/managed-agents",
      "/var/lib/amazon/ssm",
      "/var/log/amazon/ssm",
    ]);
    // Without the cluster's exec log group only the SSM channels are granted.
    expect(policyOf(exec, roleByName(exec, "-web-task"))).toEqual([EXEC_CHANNELS]);
  });

  it("lets ECS Exec write session logs to the cluster's exec log group when given its ARN", () => {
    const { json: exec } = task({ enableExecuteCommand: true, execLogGroupArn: EXEC_LOG_GROUP_ARN });
    const taskPolicies = Object.values(resourcesOf(exec, "aws_iam_role_policy")).filter(
      (p) => p.role === ref("aws_iam_role", roleByName(exec, "-web-task"), "id"),
    );
    // One inline policy, the same one as the SSM channels.
    expect(taskPolicies.map((p) => p.name)).toEqual(["execute-command"]);
    expect(JSON.parse(taskPolicies[0].policy).Statement).toEqual([
      EXEC_CHANNELS,
      {
        Sid: "EcsExecSessionLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
        Resource: [EXEC_LOG_GROUP_ARN, `${EXEC_LOG_GROUP_ARN}:*`],
      },
      { Sid: "EcsExecFindLogGroup", Effect: "Allow", Action: "logs:DescribeLogGroups", Resource: "*" },
    ]);
    // The policy pack accepts Resource "*" only for the actions that cannot be scoped.
    const scoping = POLICY_RULES.filter((r) => r.id === "CKV_AWS_355");
    expect(scoping).toHaveLength(1);
    const results = evaluateJson(scoping, "test", exec, { production: true });
    expect(results.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.outcome === "fail").map((r) => r.detail)).toEqual([]);
  });

  it("ignores execLogGroupArn without enableExecuteCommand", () => {
    const { json: plain } = task({ execLogGroupArn: EXEC_LOG_GROUP_ARN });
    expect(policyOf(plain, roleByName(plain, "-web-task"))).toEqual([]);
  });

  it("refuses sizes Fargate does not offer, bad stop timeouts and ungranted secrets", () => {
    expect(() => task({ cpu: 256, memory: 4096 })).toThrow(/FargateTask web: memory 4096 MiB does not fit cpu 256/);
    expect(() => task({ cpu: 300 })).toThrow(/cpu 300 is not a Fargate size/);
    expect(() => task({ stopTimeoutSeconds: 121 })).toThrow(/stopTimeoutSeconds must be 2-120/);
    expect(() => task({ secretReadGrants: {} })).toThrow(/secrets need secretReadGrants/);
  });

  it("names the port for Service Connect (HTTP), and runs on EC2 capacity with sizes Fargate does not offer", () => {
    const named = JSON.parse(onlyResource(task({ containerPort: 9000, portName: "http" }).json, "aws_ecs_task_definition").container_definitions)[0];
    expect(named.portMappings).toEqual([{ name: "http", containerPort: 9000, protocol: "tcp", appProtocol: "http" }]);
    const plain = JSON.parse(onlyResource(task({ containerPort: 9000 }).json, "aws_ecs_task_definition").container_definitions)[0];
    expect(plain.portMappings).toEqual([{ containerPort: 9000, protocol: "tcp" }]);
    const ec2 = onlyResource(task({ compatibility: "EC2", cpu: 1000, memory: 1500 }).json, "aws_ecs_task_definition");
    expect(ec2).toMatchObject({ requires_compatibilities: ["EC2"], network_mode: "awsvpc", cpu: "1000", memory: "1500" });
    expect(() => task({ containerPort: undefined, portName: "http" })).toThrow('FargateTask web: portName "http" needs a containerPort and 1-64 lower-case letters');
    expect(() => task({ containerPort: 80, portName: "HTTP" })).toThrow('FargateTask web: portName "HTTP" needs a containerPort');
    expect(() => task({ compatibility: "EC2", cpu: 64 })).toThrow("FargateTask web: cpu and memory must be at least 128");
  });

  it("knows the Fargate size table", () => {
    expect(fargateSizeProblem(256, 512)).toBeUndefined();
    expect(fargateSizeProblem(4096, 30720)).toBeUndefined();
    expect(fargateSizeProblem(1024, 1024)).toMatch(/does not fit/);
  });
});

describe("FargateTask.addEnvironment", () => {
  const containerOf = (json: SynthJson) => JSON.parse(onlyResource(json, "aws_ecs_task_definition").container_definitions)[0];

  it("adds variables after construction, sorted in with the ones given as props", () => {
    const { json } = synthConstruct((stack) => {
      const t = new FargateTask(stack, "task", base);
      t.addEnvironment({ C_VAR: "3", AA_VAR: "0" });
    });
    expect(containerOf(json).environment).toEqual([
      { name: "A_VAR", value: "1" },
      { name: "AA_VAR", value: "0" },
      { name: "B_VAR", value: "2" },
      { name: "C_VAR", value: "3" },
    ]);
  });

  it("resolves references in added values", () => {
    const { json } = synthConstruct((stack) => {
      const t = new FargateTask(stack, "task", base);
      const other = new FargateTask(stack, "other", { ...base, component: "other" });
      t.addEnvironment({ OTHER_LOGS: JSON.stringify({ group: other.logGroup.name }) });
    });
    const definitions = Object.values(resourcesOf(json, "aws_ecs_task_definition"));
    const web = JSON.parse(definitions.find((d) => d.family === "acme-test-web")!.container_definitions)[0];
    const logsId = Object.entries(resourcesOf(json, "aws_cloudwatch_log_group")).find(([, g]) => g.name === "/ecs/acme-test-other")![0];
    const value = web.environment.find((e: { name: string }) => e.name === "OTHER_LOGS").value;
    expect(JSON.parse(value)).toEqual({ group: ref("aws_cloudwatch_log_group", logsId, "name") });
  });

  it("refuses a variable that is already set, so two callers never overwrite each other", () => {
    synthConstruct((stack) => {
      const t = new FargateTask(stack, "task", base);
      expect(() => t.addEnvironment({ A_VAR: "other" })).toThrow("FargateTask web: environment variable A_VAR is already set");
      // A plain variable may not shadow a secret of the same name.
      expect(() => t.addEnvironment({ DB_PASSWORD: "plain" })).toThrow("FargateTask web: environment variable DB_PASSWORD is already set");
    });
  });

  it("refuses variables once the task definition was rendered (what was checked is what is written)", () => {
    synthConstruct((stack) => {
      const t = new FargateTask(stack, "task", base);
      Testing.synth(stack);
      expect(() => t.addEnvironment({ LATE: "1" })).toThrow("FargateTask web: environment added after the task definition was rendered");
    });
  });
});

import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { SfnStateMachine } from "@cdktf/provider-aws/lib/sfn-state-machine";
import { describe, expect, it } from "vitest";
import { currentValueChangedPattern, RotationRedeploy, type RedeployedService } from "../modules/rotation-redeploy";
import { decide } from "./iam-model";
import { logicalIdOf, onlyResource, ref, resourcesOf, synthConstruct, TEST_ACCOUNT, testNaming } from "./helpers";

const SECRET = `arn:aws:secretsmanager:us-east-1:${TEST_ACCOUNT}:secret:rds!cluster-abc-123456`;
const service = (name: string): RedeployedService => ({
  name,
  clusterName: "acme-test",
  clusterArn: `arn:aws:ecs:us-east-1:${TEST_ACCOUNT}:cluster/acme-test`,
  serviceName: `acme-test-${name}`,
});

function build(services: RedeployedService[] = [service("web"), service("worker-default")], region = "us-east-1") {
  let construct!: RotationRedeploy;
  const out = synthConstruct((stack) => {
    construct = new RotationRedeploy(stack, "redeploy", { naming: testNaming, region, accountId: TEST_ACCOUNT, secretArn: SECRET, logRetentionDays: 30 });
    // Services registered after construction, as the tiers do, still land in the definition and policy.
    services.forEach((s) => construct.addService(s));
  });
  return { ...out, construct };
}

const inlinePolicy = (json: ReturnType<typeof build>["json"], name: string) =>
  JSON.parse(Object.values(resourcesOf(json, "aws_iam_role_policy")).find((p) => p.name === name)!.policy).Statement as Array<Record<string, any>>;

describe("RotationRedeploy", () => {
  const { synth, json } = build();

  it("matches the secret's new current value, natively (no CloudTrail trail needed)", () => {
    const rule = onlyResource(json, "aws_cloudwatch_event_rule");
    expect(JSON.parse(rule.event_pattern)).toEqual({
      source: ["aws.secretsmanager"],
      "detail-type": ["Secret Label Updated"],
      resources: [SECRET],
      detail: { labelUpdated: ["AWSCURRENT"] },
    });
    expect(JSON.parse(rule.event_pattern)).toEqual(currentValueChangedPattern(SECRET));
  });

  it("starts the state machine with a role that may start only it", () => {
    const machine = logicalIdOf(json, "aws_sfn_state_machine", () => true);
    const ruleId = logicalIdOf(json, "aws_cloudwatch_event_rule", () => true);
    expect(synth).toHaveResourceWithProperties(CloudwatchEventTarget, {
      rule: ref("aws_cloudwatch_event_rule", ruleId, "name"),
      arn: ref("aws_sfn_state_machine", machine, "arn"),
    });
    const statements = inlinePolicy(json, "start-redeploy");
    expect(statements).toEqual([{ Sid: "StartRedeploy", Effect: "Allow", Action: "states:StartExecution", Resource: ref("aws_sfn_state_machine", machine, "arn") }]);
    const role = Object.values(resourcesOf(json, "aws_iam_role")).find((r) => r.name === "acme-test-rotation-redeploy-events")!;
    expect(JSON.parse(role.assume_role_policy).Statement[0]).toMatchObject({
      Principal: { Service: "events.amazonaws.com" },
      Condition: { StringEquals: { "aws:SourceAccount": TEST_ACCOUNT }, ArnLike: { "aws:SourceArn": ref("aws_cloudwatch_event_rule", ruleId, "arn") } },
    });
  });

  it("forces a new deployment of every registered service in parallel, with retries", () => {
    const machine = onlyResource(json, "aws_sfn_state_machine");
    expect(machine.type).toBe("STANDARD");
    const definition = JSON.parse(machine.definition);
    const branches = definition.States[definition.StartAt].Branches as Array<Record<string, any>>;
    expect(definition.States[definition.StartAt].Type).toBe("Parallel");
    expect(branches.map((b) => b.StartAt)).toEqual(["web", "worker-default"]);
    for (const branch of branches) {
      const task = branch.States[branch.StartAt];
      expect(task).toMatchObject({
        Type: "Task",
        Resource: "arn:aws:states:::aws-sdk:ecs:updateService",
        Parameters: { Cluster: service("web").clusterArn, Service: `acme-test-${branch.StartAt}`, ForceNewDeployment: true },
        End: true,
      });
      expect(task.Retry[0]).toMatchObject({ ErrorEquals: ["States.ALL"], MaxAttempts: 5 });
    }
  });

  it("lets the state machine update exactly the registered services", () => {
    const statements = inlinePolicy(json, "redeploy-services");
    const arn = (name: string) => `arn:aws:ecs:us-east-1:${TEST_ACCOUNT}:service/acme-test/acme-test-${name}`;
    expect(statements[0]).toEqual({ Sid: "RedeployServices", Effect: "Allow", Action: "ecs:UpdateService", Resource: [arn("web"), arn("worker-default")] });
    expect(decide(statements, "ecs:UpdateService", arn("web"))).toBe("allow");
    expect(decide(statements, "ecs:UpdateService", arn("api"))).toBe("implicit-deny");
    expect(decide(statements, "ecs:UpdateService", `arn:aws:ecs:us-east-1:${TEST_ACCOUNT}:service/other/acme-test-web`)).toBe("implicit-deny");
    expect(decide(statements, "ecs:DeleteService", arn("web"))).toBe("implicit-deny");
    // Log delivery is the only "*" grant, and only the actions CloudWatch Logs cannot scope.
    expect(statements[1].Resource).toBe("*");
    expect(statements[1].Action.every((a: string) => a.startsWith("logs:") && /Deliver|ResourcePolic|DescribeLogGroups/.test(a))).toBe(true);
  });

  it("logs errors of executions, without their data, to a log group with retention", () => {
    const group = logicalIdOf(json, "aws_cloudwatch_log_group", () => true);
    expect(onlyResource(json, "aws_cloudwatch_log_group")).toMatchObject({ name: "/aws/vendedlogs/states/acme-test-rotation-redeploy", retention_in_days: 30 });
    expect(synth).toHaveResourceWithProperties(SfnStateMachine, {
      logging_configuration: { include_execution_data: false, level: "ERROR", log_destination: `${ref("aws_cloudwatch_log_group", group, "arn")}:*` },
    });
  });

  it("follows the region's partition", () => {
    const { json: gov } = build([service("web")], "us-gov-west-1");
    const definition = JSON.parse(onlyResource(gov, "aws_sfn_state_machine").definition);
    expect(definition.States.RedeployServices.Branches[0].States.web.Resource).toBe("arn:aws-us-gov:states:::aws-sdk:ecs:updateService");
    expect(inlinePolicy(gov, "redeploy-services")[0].Resource).toEqual([`arn:aws-us-gov:ecs:us-gov-west-1:${TEST_ACCOUNT}:service/acme-test/acme-test-web`]);
  });

  it("refuses a service registered twice, a name a state cannot take, and no service at all", () => {
    expect(() => build([service("web"), service("web")])).toThrow('RotationRedeploy: service "web" is registered twice');
    expect(() => build([service("web api")])).toThrow('RotationRedeploy: service name "web api" must be 1-80 letters, digits or hyphens');
    expect(() => build([])).toThrow("RotationRedeploy: no service registered; nothing would be redeployed");
  });
});

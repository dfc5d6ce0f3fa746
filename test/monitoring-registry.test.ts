import { describe, expect, it } from "vitest";
import { MonitoringRegistry } from "../modules/monitoring/registry";
import { TEST_ACCOUNT, resourcesOf, synthConstruct, testNaming } from "./helpers";

const settings = { naming: testNaming, region: "eu-west-1", accountId: TEST_ACCOUNT };
const service = (name: string, minRunning = 1) => ({ name, clusterName: "acme-test-cluster", serviceName: `acme-test-${name}`, minRunning });

describe("MonitoringRegistry", () => {
  it("keeps each kind in registration order", () => {
    const registry = new MonitoringRegistry();
    registry.addService("WebTier", service("web"));
    registry.addQueue("WorkersTier", { name: "mail", queueName: "acme-test-mail", deadLetterQueueName: "acme-test-mail-dlq" });
    registry.addService("WorkersTier", service("worker-mail", 0));
    registry.addQueue("PipelineTier", { name: "ingest", queueName: "acme-test-ingest", deadLetterQueueName: "acme-test-ingest-dlq" });
    const registered = registry.registered();
    expect(registered.services.map((s) => s.name)).toEqual(["web", "worker-mail"]);
    expect(registered.queues.map((q) => q.name)).toEqual(["mail", "ingest"]);
    expect(registered.loadBalancer).toBeUndefined();
  });

  it("builds one monitoring whose alarms cover exactly what was registered", () => {
    const { json } = synthConstruct((stack) => {
      const registry = new MonitoringRegistry();
      registry.addService("WebTier", service("web", 2));
      registry.addFunction("PipelineTier", { name: "ingest", functionName: "acme-test-ingest" });
      registry.build(stack, "monitoring", settings);
    });
    expect(Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm")).map((a) => a.alarm_name).sort()).toEqual([
      "acme-test-ecs-web-cpu",
      "acme-test-ecs-web-memory",
      "acme-test-ecs-web-running-tasks",
      "acme-test-lambda-ingest-errors",
      "acme-test-lambda-ingest-throttles",
    ]);
  });

  it.each([
    ["a service", (r: MonitoringRegistry, owner: string) => r.addService(owner, service("web")), 'service "web"'],
    ["a queue", (r: MonitoringRegistry, owner: string) => r.addQueue(owner, { name: "q", queueName: "a", deadLetterQueueName: "b" }), 'queue "q"'],
    ["a function", (r: MonitoringRegistry, owner: string) => r.addFunction(owner, { name: "f", functionName: "f" }), 'function "f"'],
    ["a schedule in one group", (r: MonitoringRegistry, owner: string) => r.addSchedule(owner, { name: "s", scheduleGroup: "g" }), 'schedule "g/s"'],
    ["an EMR application", (r: MonitoringRegistry, owner: string) => r.addEmrApplication(owner, { name: "e", applicationId: "00abc", applicationName: "e" }), 'EMR application "e"'],
    ["a target group", (r: MonitoringRegistry, owner: string) => r.addTargetGroup(owner, { name: "api", loadBalancerArnSuffix: "app/a/1", targetGroupArnSuffix: "targetgroup/a/1" }), 'target group "api"'],
    ["a state machine", (r: MonitoringRegistry, owner: string) => r.addStateMachine(owner, { name: "m", stateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:m", ruleName: "r" }), 'state machine "m"'],
    ["the load balancer", (r: MonitoringRegistry, owner: string) => r.setLoadBalancer(owner, { arnSuffix: "app/a/1", targetGroupArnSuffix: "targetgroup/a/1" }), "the load balancer"],
    ["the database", (r: MonitoringRegistry, owner: string) => r.setDatabase(owner, { clusterIdentifier: "db", serverless: true, hasReaders: false }), "the database"],
  ])("refuses %s registered twice, naming both owners", (_, register, what) => {
    const registry = new MonitoringRegistry();
    register(registry, "FirstTier");
    expect(() => register(registry, "SecondTier")).toThrow(`MonitoringRegistry: SecondTier registers ${what}, which FirstTier already registered`);
  });

  it("accepts one schedule name in two groups (metrics are per group)", () => {
    const registry = new MonitoringRegistry();
    registry.addSchedule("SchedulesTier", { name: "report", scheduleGroup: "a" });
    registry.addSchedule("SchedulesTier", { name: "report", scheduleGroup: "b" });
    expect(registry.registered().schedules).toHaveLength(2);
  });

  it("builds once, and refuses registrations after that", () => {
    synthConstruct((stack) => {
      const registry = new MonitoringRegistry();
      registry.build(stack, "monitoring", settings);
      expect(() => registry.build(stack, "again", settings)).toThrow("MonitoringRegistry: the monitoring is already built; build it once, after everything is registered");
      expect(() => registry.addService("WebTier", service("web"))).toThrow('MonitoringRegistry: WebTier registers service "web" after the monitoring was built');
    });
  });
});

import { describe, expect, it } from "vitest";
import { OperationsTier } from "../../src/tiers/operations";
import { ServicesTier } from "../../src/tiers/services";
import { WorkersTier } from "../../src/tiers/workers";
import { dataStoreTiers, foundationTiers, onlyResource, ref, resourcesOf, testContext } from "../helpers";

function operations(options: Parameters<typeof testContext>[0] = {}) {
  const t = testContext(options);
  const foundation = foundationTiers(t.ctx, t.config);
  const web = new ServicesTier(t.ctx, { services: t.config.services, ...foundation, ...dataStoreTiers(t.ctx, t.config, foundation.database) });
  new WorkersTier(t.ctx, { workers: t.config.workers, producers: web.producers, ...foundation });
  const tier = new OperationsTier(t.ctx, { operations: t.config.operations, database: foundation.database });
  return { ...t, tier, web, json: t.synth() };
}

const alarmNames = (json: ReturnType<typeof operations>["json"]) => Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm")).map((a) => a.alarm_name).sort();

describe("OperationsTier", () => {
  it("builds the alarms from what the other tiers registered, and only that", () => {
    const { json, tier } = operations();
    const names = alarmNames(json);
    // Database (DatabaseTier), load balancer and web service (ServicesTier), worker service and queue (WorkersTier).
    expect(names).toEqual(expect.arrayContaining(["acme-dev-db-cpu", "acme-dev-alb-5xx-rate", "acme-dev-ecs-web-running-tasks", "acme-dev-queue-worker-default-dlq-messages"]));
    // No pipeline and no schedules were built here, so none of their alarms exist (the data API's functions are its own).
    expect(names.filter((n) => /lambda|emr|schedules/.test(n) && !n.includes("lambda-data-api-"))).toEqual([]);
    // dev's worker scales to zero: no running-task alarm for it.
    expect(names).not.toContain("acme-dev-ecs-worker-default-running-tasks");
    // The workers' scaling alarms are the worker module's own; everything else is the monitoring's.
    expect(names.filter((n) => !tier.monitoring.alarmNames.includes(n))).toEqual([
      "acme-dev-worker-default-queue-scale-in",
      "acme-dev-worker-default-queue-scale-out",
    ]);
  });

  it("lists the registered services on the dashboard in registration order", () => {
    const { json } = operations();
    const body = JSON.parse(onlyResource(json, "aws_cloudwatch_dashboard").dashboard_body);
    const headers = body.widgets.filter((w: any) => w.type === "text").map((w: any) => w.properties.markdown as string);
    const serviceRef = (name: string) => ref("aws_ecs_service", Object.entries(resourcesOf(json, "aws_ecs_service")).find(([, s]) => s.name === name)![0], "name");
    const services = headers.find((h: string) => h.includes(serviceRef("acme-dev-web")))!;
    expect(services.indexOf(serviceRef("acme-dev-web"))).toBeLessThan(services.indexOf(serviceRef("acme-dev-worker-default")));
  });

  it("refuses a registration after the monitoring is built, naming who registered", () => {
    const { ctx } = operations();
    expect(() => ctx.monitoring.addFunction("LateTier", { name: "late", functionName: "acme-dev-late" })).toThrow(
      /^MonitoringRegistry: LateTier registers function "late" after the monitoring was built; every registration must come before build\(\)$/,
    );
  });

  it("dev: a trail, no backups; prod: a trail and the database in the backup plan", () => {
    const { json: dev } = operations();
    expect(onlyResource(dev, "aws_cloudtrail").name).toBe("acme-dev-trail");
    expect(dev.resource.aws_backup_plan).toBeUndefined();
    const { json: prod } = operations({ environment: "prod" });
    expect(onlyResource(prod, "aws_cloudtrail").name).toBe("acme-prod-trail");
    const cluster = Object.keys(resourcesOf(prod, "aws_rds_cluster"))[0];
    expect(onlyResource(prod, "aws_backup_selection").resources).toEqual([ref("aws_rds_cluster", cluster, "arn")]);
  });

  it("declares the alerting outputs", () => {
    const { json } = operations();
    const topic = Object.keys(resourcesOf(json, "aws_sns_topic"))[0];
    expect(json.output?.alerts_topic_arn.value).toBe(ref("aws_sns_topic", topic, "arn"));
    expect(json.output?.dashboard_name.value).toBe("acme-dev-platform");
  });
});

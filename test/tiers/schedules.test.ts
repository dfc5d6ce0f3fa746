import { describe, expect, it } from "vitest";
import { SchedulesTier } from "../../src/tiers/schedules";
import { foundationTiers, ref, resolved, resourcesOf, securityGroupRef, testContext } from "../helpers";

function schedules(options: Parameters<typeof testContext>[0] = {}) {
  const t = testContext(options);
  const foundation = foundationTiers(t.ctx, t.config);
  const tier = new SchedulesTier(t.ctx, { scheduledTasks: t.config.scheduledTasks, ...foundation });
  return { ...t, tier, json: t.synth() };
}

describe("SchedulesTier", () => {
  it("puts every schedule in the workspace's own group and registers each under that group", () => {
    const { json, ctx, stack } = schedules({ environment: "prod" });
    const group = Object.keys(resourcesOf(json, "aws_scheduler_schedule_group"))[0];
    expect(resourcesOf(json, "aws_scheduler_schedule_group")[group].name).toBe("acme-prod-schedules");
    const all = Object.values(resourcesOf(json, "aws_scheduler_schedule"));
    expect(all.map((s) => s.group_name)).toEqual([ref("aws_scheduler_schedule_group", group, "name"), ref("aws_scheduler_schedule_group", group, "name")]);
    expect(resolved(stack, ctx.monitoring.registered().schedules)).toEqual([
      { name: "nightly-report", scheduleGroup: "acme-prod-schedules" },
      { name: "cleanup-sessions", scheduleGroup: "acme-prod-schedules" },
    ]);
  });

  it("connects each scheduled task to the database", () => {
    const { json } = schedules();
    const db = securityGroupRef(json, "acme-dev-db");
    const intoDb = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).filter((r) => r.security_group_id === db);
    expect(intoDb.map((r) => r.referenced_security_group_id)).toContain(securityGroupRef(json, "acme-dev-task-nightly-report"));
  });

  it("creates no group and registers nothing without scheduled tasks; the output is then empty", () => {
    const { json, ctx, tier } = schedules({ mutate: (c) => (c.scheduledTasks = []) });
    expect(json.resource.aws_scheduler_schedule_group).toBeUndefined();
    expect(tier.group).toBeUndefined();
    expect(ctx.monitoring.registered().schedules).toEqual([]);
    expect(json.output?.scheduled_tasks.value).toEqual({});
  });

  it("outputs each task's schedule, task definition and dead-letter queue by name", () => {
    const { json } = schedules();
    const out = json.output?.scheduled_tasks.value as Record<string, Record<string, string>>;
    const schedule = Object.keys(resourcesOf(json, "aws_scheduler_schedule"))[0];
    expect(Object.keys(out)).toEqual(["nightly-report"]);
    expect(out["nightly-report"].schedule_arn).toBe(ref("aws_scheduler_schedule", schedule, "arn"));
  });
});

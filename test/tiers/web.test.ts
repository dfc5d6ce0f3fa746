import { describe, expect, it } from "vitest";
import { POLICY_RULES, evaluateStack } from "../../src/aspects/policy";
import { WebTier } from "../../src/tiers/web";
import { foundationTiers, onlyResource, ref, resolved, resourcesOf, securityGroupRef, testContext } from "../helpers";

function web(options: Parameters<typeof testContext>[0] = {}) {
  const t = testContext(options);
  const foundation = foundationTiers(t.ctx, t.config);
  const tier = new WebTier(t.ctx, { service: t.config.service, ...foundation });
  return { ...t, tier, json: t.synth() };
}

describe("WebTier", () => {
  const { json, ctx, stack } = web();

  it("runs the web service in the private subnets behind the edge tier's load balancer, on the container port", () => {
    const service = onlyResource(json, "aws_ecs_service");
    const privateSubnets = Object.entries(resourcesOf(json, "aws_subnet")).filter(([, s]) => s.tags.Tier === "private").map(([id]) => ref("aws_subnet", id, "id"));
    expect(service.network_configuration.subnets).toEqual(privateSubnets);
    expect(service.network_configuration.assign_public_ip).toBe(false);
    const targetGroup = Object.keys(resourcesOf(json, "aws_lb_target_group"))[0];
    expect(service.load_balancer).toEqual([expect.objectContaining({ target_group_arn: ref("aws_lb_target_group", targetGroup, "arn"), container_port: 8000 })]);
    const webSg = securityGroupRef(json, "acme-dev-web");
    const albSg = securityGroupRef(json, "acme-dev-alb");
    const intoWeb = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).filter((r) => r.security_group_id === webSg);
    expect(intoWeb).toEqual([expect.objectContaining({ referenced_security_group_id: albSg, from_port: 8000 })]);
  });

  it("connects the web tasks to the database", () => {
    const db = securityGroupRef(json, "acme-dev-db");
    const webSg = securityGroupRef(json, "acme-dev-web");
    const intoDb = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).filter((r) => r.security_group_id === db);
    expect(intoDb.map((r) => r.referenced_security_group_id)).toContain(webSg);
  });

  it("registers the load balancer with the web target group, and the web service with its minimum", () => {
    const lb = Object.keys(resourcesOf(json, "aws_lb"))[0];
    const tg = Object.keys(resourcesOf(json, "aws_lb_target_group"))[0];
    const service = Object.keys(resourcesOf(json, "aws_ecs_service"))[0];
    const registered = resolved(stack, ctx.monitoring.registered());
    expect(registered.loadBalancer).toEqual({ arnSuffix: ref("aws_lb", lb, "arn_suffix"), targetGroupArnSuffix: ref("aws_lb_target_group", tg, "arn_suffix") });
    expect(registered.services).toEqual([
      { name: "web", clusterName: expect.stringContaining("aws_ecs_cluster."), serviceName: ref("aws_ecs_service", service, "name"), minRunning: 1 },
    ]);
  });

  it("a writable root filesystem is exempted from the read-only rule with the config file named; read-only is not", () => {
    const rule = (s: typeof stack) => evaluateStack(POLICY_RULES, s, false).filter((r) => r.rule.id === "CKV_AWS_336" && r.resource.config.family === "acme-dev-web");
    expect(rule(stack).map((r) => r.outcome)).toEqual(["pass"]);
    const writable = web({ mutate: (c) => (c.service.readonlyRootFilesystem = false) });
    expect(rule(writable.stack).map((r) => [r.outcome, r.detail])).toEqual([["suppressed", "environments/dev.ts sets service.readonlyRootFilesystem = false"]]);
  });

  it("declares the web outputs", () => {
    const service = Object.keys(resourcesOf(json, "aws_ecs_service"))[0];
    expect(json.output?.web_service_name.value).toBe(ref("aws_ecs_service", service, "name"));
    expect(json.output?.web_security_group_id.value).toBe(securityGroupRef(json, "acme-dev-web"));
  });
});

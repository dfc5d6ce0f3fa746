import { describe, expect, it } from "vitest";
import { POLICY_RULES, evaluateStack } from "../../src/aspects/policy";

import { EdgeTier } from "../../src/tiers/edge";
import { NetworkTier } from "../../src/tiers/network";
import { onlyResource, ref, resourcesOf, testContext } from "../helpers";

function edge(options: Parameters<typeof testContext>[0] = {}) {
  const t = testContext(options);
  const network = new NetworkTier(t.ctx, { availabilityZones: t.config.availabilityZones, network: t.config.network, ecr: t.config.ecr });
  const tier = new EdgeTier(t.ctx, { loadBalancer: t.config.loadBalancer, domain: t.config.domain, firewall: t.config.operations, network });
  return { ...t, tier, json: t.synth() };
}

describe("EdgeTier", () => {
  it("dev: an HTTP-only load balancer in the public subnets, its listener exempt from the HTTPS rule with the config named", () => {
    const { json, stack } = edge();
    const alb = onlyResource(json, "aws_lb");
    const publicSubnets = Object.entries(resourcesOf(json, "aws_subnet")).filter(([, s]) => s.tags.Tier === "public").map(([id]) => ref("aws_subnet", id, "id"));
    expect(alb.subnets).toEqual(publicSubnets);
    expect(alb.internal).toBe(false);
    expect(Object.values(resourcesOf(json, "aws_lb_listener")).map((l) => l.protocol)).toEqual(["HTTP"]);
    const suppressed = evaluateStack(POLICY_RULES, stack, false).filter((r) => r.outcome === "suppressed" && r.rule.id === "CKV_AWS_2");
    expect(suppressed.map((r) => r.detail)).toEqual(["HTTP only: environments/dev.ts sets neither domain nor loadBalancer.certificateArn"]);
    expect(json.output?.service_url.value).toBe(`http://${ref("aws_lb", Object.keys(resourcesOf(json, "aws_lb"))[0], "dns_name")}`);
    expect(json.resource.aws_wafv2_web_acl).toBeUndefined();
  });

  it("prod: the issued certificate on the HTTPS listener, the domain aliased to the load balancer, and the WAF in front", () => {
    const { json } = edge({ environment: "prod" });
    const albId = Object.keys(resourcesOf(json, "aws_lb"))[0];
    const validation = Object.keys(resourcesOf(json, "aws_acm_certificate_validation"))[0];
    const https = Object.values(resourcesOf(json, "aws_lb_listener")).find((l) => l.protocol === "HTTPS")!;
    expect(https.certificate_arn).toBe(ref("aws_acm_certificate_validation", validation, "certificate_arn"));
    const alias = Object.values(resourcesOf(json, "aws_route53_record")).find((r) => r.type === "A")!;
    expect(alias.name).toBe("app.example.com");
    expect(alias.alias).toEqual(expect.objectContaining({ name: ref("aws_lb", albId, "dns_name"), zone_id: ref("aws_lb", albId, "zone_id") }));
    expect(json.output?.service_url.value).toBe("https://app.example.com");
    const association = onlyResource(json, "aws_wafv2_web_acl_association");
    expect(association.resource_arn).toBe(ref("aws_lb", albId, "arn"));
  });

  it("operations.wafOversizeBodies: bodies over 8 KB are blocked by default and only counted with \"count\" (prod)", () => {
    const overrides = (mutate?: (c: any) => void) => {
      const { json } = edge({ environment: "prod", mutate });
      const rules = onlyResource(json, "aws_wafv2_web_acl").rule as Array<{ name: string; statement: any }>;
      const common = rules.find((r) => r.name === "AWSManagedRulesCommonRuleSet")!;
      return common.statement.managed_rule_group_statement.rule_action_override;
    };
    expect(overrides()).toEqual([{ name: "SizeRestrictions_BODY", action_to_use: { count: {} } }]);
    expect(overrides((c) => (c.operations.wafOversizeBodies = "block"))).toBeUndefined();
    // Dev runs no WAF; turned on, it keeps the default and blocks.
    const dev = edge({ mutate: (c) => (c.operations.waf = true) });
    expect(dev.config.operations.wafOversizeBodies).toBe("block");
    const devCommon = (onlyResource(dev.json, "aws_wafv2_web_acl").rule as Array<{ name: string; statement: any }>).find((r) => r.name === "AWSManagedRulesCommonRuleSet")!;
    expect(devCommon.statement.managed_rule_group_statement).toEqual({ name: "AWSManagedRulesCommonRuleSet", vendor_name: "AWS" });
  });

  it("uses a given certificate without a domain", () => {
    const cert = "arn:aws:acm:us-east-1:123456789012:certificate/0b8fd2a4-5f7d-4f3c-9a1e-1c2d3e4f5a6b";
    const { json } = edge({ mutate: (c) => (c.loadBalancer.certificateArn = cert) });
    expect(Object.values(resourcesOf(json, "aws_lb_listener")).find((l) => l.protocol === "HTTPS")!.certificate_arn).toBe(cert);
    expect(json.resource.aws_acm_certificate).toBeUndefined();
  });

  it("declares the load balancer outputs and registers nothing itself", () => {
    const { json, ctx } = edge();
    expect(Object.keys(json.output ?? {})).toEqual(expect.arrayContaining(["alb_dns_name", "alb_security_group_id", "service_url"]));
    expect(ctx.monitoring.registered().loadBalancer).toBeUndefined();
  });
});

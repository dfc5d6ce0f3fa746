import { describe, expect, it } from "vitest";
import { POLICY_RULES, evaluateStack } from "../../src/aspects/policy";
import { platformProvider } from "../../src/lib/provider";
import { CLOUDFRONT_PREFIX_LIST_WEIGHT, SECURITY_GROUP_RULE_QUOTA } from "../../modules/frontend";
import { ComputeTier } from "../../src/tiers/compute";
import { DatabaseTier } from "../../src/tiers/database";
import { EdgeTier, ORIGIN_HEADER_NAME, ORIGIN_SECRET_VARIABLE } from "../../src/tiers/edge";
import { FrontendTier } from "../../src/tiers/frontend";
import { NetworkTier } from "../../src/tiers/network";
import { DataApiTier } from "../../src/tiers/data-api";
import { ExternalServicesTier } from "../../src/tiers/external-services";
import { ServicesTier } from "../../src/tiers/services";
import { TablesTier } from "../../src/tiers/tables";
import { onlyResource, ref, resolved, resourcesOf, testContext, type SynthJson } from "../helpers";

/** The workspace's tiers up to the frontend, the load balancer behind CloudFront. */
function frontend(options: Parameters<typeof testContext>[0] = {}) {
  const t = testContext(options);
  const { config, ctx } = t;
  const network = new NetworkTier(ctx, { availabilityZones: config.availabilityZones, network: config.network, ecr: config.ecr });
  const database = new DatabaseTier(ctx, { database: config.database, network });
  const compute = new ComputeTier(ctx, { services: config.services, migrateCommand: config.database.migrateCommand, network, database });
  const edge = new EdgeTier(ctx, { loadBalancer: config.loadBalancer, domain: config.domain, firewall: config.operations, network, behindCloudFront: true });
  const tables = new TablesTier(ctx, { tables: config.tables });
  const externalServices = new ExternalServicesTier(ctx, { externalServices: config.externalServices });
  const dataApi = config.dataApi ? new DataApiTier(ctx, { dataApi: config.dataApi, database, tables, externalServices }) : undefined;
  new ServicesTier(ctx, { services: config.services, network, database, compute, edge, tables, externalServices, dataApi });
  const edgeProvider = platformProvider(t.stack, { project: config.project, environment: config.name, region: "us-east-1", accountId: config.accountId, alias: "edge" });
  const tier = new FrontendTier(ctx, { frontend: config.frontend, domain: config.domain!, firewall: config.operations, edgeProvider, edge });
  return { ...t, edge, tier, json: t.synth() };
}

/** Inbound rules of a security group as its quota counts them: a prefix list reference as its maximum entries. */
function inboundWeight(json: SynthJson, sgRef: string): number {
  return Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule"))
    .filter((r) => r.security_group_id === sgRef)
    .reduce((sum, r) => sum + (r.prefix_list_id ? CLOUDFRONT_PREFIX_LIST_WEIGHT : 1), 0);
}

describe.each(["dev", "prod"])("FrontendTier (%s)", (environment) => {
  const { json, config, ctx, stack } = frontend({ environment });
  const albSg = ref("aws_security_group", Object.keys(resourcesOf(json, "aws_security_group")).find((id) => resourcesOf(json, "aws_security_group")[id].name === `acme-${environment}-alb`)!, "id");

  it("requires the secret origin header on every service's listener rule; without it the listener answers 404", () => {
    const rules = Object.values(resourcesOf(json, "aws_lb_listener_rule"));
    expect(rules.length).toBe(config.services.filter((s) => s.public).length);
    for (const rule of rules) {
      expect(rule.condition).toContainEqual({ http_header: { http_header_name: ORIGIN_HEADER_NAME, values: [`\${var.${ORIGIN_SECRET_VARIABLE}}`] } });
    }
    const listener = Object.values(resourcesOf(json, "aws_lb_listener")).find((l) => l.protocol === (environment === "prod" ? "HTTPS" : "HTTP"))!;
    expect(listener.default_action).toEqual([expect.objectContaining({ type: "fixed-response", fixed_response: expect.objectContaining({ status_code: "404" }) })]);
    // The same value is what CloudFront sends.
    const api = onlyResource(json, "aws_cloudfront_distribution").origin.find((o: any) => o.origin_id === "api");
    expect(api.custom_header).toEqual([{ name: ORIGIN_HEADER_NAME, value: `\${var.${ORIGIN_SECRET_VARIABLE}}` }]);
  });

  it("keeps the origin secret out of the config: a sensitive variable with no default, CI supplies it", () => {
    const variable = (json as SynthJson & { variable: Record<string, any> }).variable[ORIGIN_SECRET_VARIABLE];
    expect(variable).toMatchObject({ type: "string", sensitive: true });
    expect(variable.default).toBeUndefined();
    expect(JSON.stringify(config)).not.toContain(ORIGIN_SECRET_VARIABLE);
  });

  it("admits only CloudFront's origin-facing prefix list at the load balancer, within the security group's rule quota", () => {
    const ingress = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).filter((r) => r.security_group_id === albSg);
    const port = environment === "prod" ? 443 : 80;
    expect(ingress).toEqual([expect.objectContaining({ prefix_list_id: "pl-3b927c52", from_port: port, to_port: port, ip_protocol: "tcp" })]);
    expect(inboundWeight(json, albSg)).toBeLessThanOrEqual(SECURITY_GROUP_RULE_QUOTA);
  });

  it("reaches the API over HTTPS on origin.<domain> with a Route 53 zone, over HTTP on the load balancer's name without", () => {
    const api = onlyResource(json, "aws_cloudfront_distribution").origin.find((o: any) => o.origin_id === "api");
    const alb = Object.keys(resourcesOf(json, "aws_lb"))[0];
    if (environment === "prod") {
      const alias = Object.entries(resourcesOf(json, "aws_route53_record")).find(([, r]) => r.name === "origin.app.example.com")!;
      expect(api.domain_name).toBe(ref("aws_route53_record", alias[0], "fqdn"));
      expect(api.custom_origin_config.origin_protocol_policy).toBe("https-only");
    } else {
      expect(api.domain_name).toBe(ref("aws_lb", alb, "dns_name"));
      expect(api.custom_origin_config.origin_protocol_policy).toBe("http-only");
    }
  });

  it("registers the distribution for its alarms in us-east-1 and outputs what the deploy tool reads", () => {
    const watched = ctx.monitoring.registered().distribution!;
    expect(resolved(stack, watched.distributionId)).toBe(ref("aws_cloudfront_distribution", Object.keys(resourcesOf(json, "aws_cloudfront_distribution"))[0], "id"));
    const bucket = Object.entries(resourcesOf(json, "aws_s3_bucket")).find(([, b]) => b.bucket === `acme-${environment}-frontend-${config.accountId}`)![0];
    expect(json.output?.frontend.value).toMatchObject({
      url: `https://${config.domain!.name}`,
      bucket: ref("aws_s3_bucket", bucket, "id"),
      distribution_id: ref("aws_cloudfront_distribution", Object.keys(resourcesOf(json, "aws_cloudfront_distribution"))[0], "id"),
      index_document: "index.html",
    });
    expect(json.output?.service_url.value).toBe(`https://${config.domain!.name}`);
  });

  it(environment === "prod" ? "puts a CLOUDFRONT web ACL in front (operations.waf) and writes the aliases" : "has no web ACL (operations.waf off) and outputs the records to create at the external DNS provider", () => {
    const acls = Object.values(resourcesOf(json, "aws_wafv2_web_acl"));
    if (environment === "prod") {
      // Only CloudFront's: behind it a regional ACL would rate-limit edge addresses and log the origin header.
      expect(acls.map((a) => a.scope)).toEqual(["CLOUDFRONT"]);
      expect(resourcesOf(json, "aws_wafv2_web_acl_association")).toEqual({});
      expect(Object.values(resourcesOf(json, "aws_route53_record")).filter((r) => r.name === "app.example.com").map((r) => r.type).sort()).toEqual(["A", "AAAA"]);
      expect(json.output?.frontend_dns_records).toBeUndefined();
    } else {
      expect(acls).toEqual([]);
      expect(resourcesOf(json, "aws_route53_record")).toEqual({});
      expect((json.output?.frontend_dns_records.value as Array<{ type: string }>).map((r) => r.type)).toEqual(["CNAME", "CNAME"]);
    }
  });
});

describe("EdgeTier behind CloudFront", () => {
  it("names why dev's listener is HTTP only", () => {
    const { stack } = frontend();
    const suppressed = evaluateStack(POLICY_RULES, stack, false).filter((r) => r.outcome === "suppressed" && r.rule.id === "CKV_AWS_2");
    expect(suppressed.map((r) => r.detail)).toEqual([
      "HTTP only, to CloudFront: the domain of environments/dev.ts is at an external DNS provider, so the load balancer has no certificate of its own",
    ]);
  });

  it("refuses a frontend tier on an edge tier not built for CloudFront", () => {
    const t = testContext();
    const network = new NetworkTier(t.ctx, { availabilityZones: t.config.availabilityZones, network: t.config.network, ecr: t.config.ecr });
    const edge = new EdgeTier(t.ctx, { loadBalancer: t.config.loadBalancer, domain: t.config.domain, firewall: t.config.operations, network });
    const edgeProvider = platformProvider(t.stack, { project: "acme", environment: "dev", region: "us-east-1", accountId: t.config.accountId, alias: "edge" });
    expect(() => new FrontendTier(t.ctx, { frontend: t.config.frontend, domain: t.config.domain!, firewall: t.config.operations, edgeProvider, edge })).toThrow(
      "FrontendTier: the edge tier was built without behindCloudFront (environments/dev.ts)",
    );
  });
});

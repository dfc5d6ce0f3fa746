import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Wafv2WebAcl } from "@cdktf/provider-aws/lib/wafv2-web-acl";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
import { Lazy, TerraformOutput } from "cdktf";
import { describe, expect, it } from "vitest";
import { PublicLoadBalancer } from "../modules/ecs-alb";
import {
  HttpsEndpoint,
  MANAGED_RULE_GROUPS,
  WebFirewall,
  domainNameProblem,
  type HttpsEndpointProps,
  type WebFirewallProps,
} from "../modules/edge";
import { TEST_ACCOUNT, logicalIdOf, onlyResource, ref, resourcesOf, synthConstruct, testNaming, type SynthJson } from "./helpers";

const ALB_ARN = `arn:aws:elasticloadbalancing:eu-west-1:${TEST_ACCOUNT}:loadbalancer/app/acme-test-alb/50dc6c495c0c9188`;
const ZONE = "Z0123456789ABCDEFGHIJ";
const ALB_ZONE = "Z32O12XQLNTSW2";
const ALB_DNS = "acme-test-alb-1234567890.eu-west-1.elb.amazonaws.com";

const idOf = (json: SynthJson, type: string) => {
  const ids = Object.keys(resourcesOf(json, type));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0];
};

function firewall(props: Partial<WebFirewallProps> = {}) {
  return synthConstruct((stack) => {
    const waf = new WebFirewall(stack, "waf", {
      naming: testNaming,
      accountId: TEST_ACCOUNT,
      region: "eu-west-1",
      loadBalancerArn: ALB_ARN,
      ...props,
    });
    new TerraformOutput(stack, "web_acl_arn", { value: waf.webAclArn });
    new TerraformOutput(stack, "web_acl_name", { value: waf.webAclName });
    new TerraformOutput(stack, "log_group_name", { value: waf.logGroupName });
  });
}

describe("WebFirewall", () => {
  const { synth, json } = firewall();
  const acl = onlyResource(json, "aws_wafv2_web_acl");
  const aclId = idOf(json, "aws_wafv2_web_acl");
  const rules = acl.rule as Array<Record<string, any>>;

  it("is a regional web ACL that allows by default, with metrics and sampled requests on", () => {
    expect(synth).toHaveResourceWithProperties(Wafv2WebAcl, {
      name: "acme-test-waf",
      scope: "REGIONAL",
      default_action: { allow: {} },
      visibility_config: { cloudwatch_metrics_enabled: true, metric_name: "acme-test-waf", sampled_requests_enabled: true },
    });
  });

  it("runs the four AWS managed rule groups without overriding their actions", () => {
    const managed = rules.filter((r) => r.statement.managed_rule_group_statement);
    expect(managed.map((r) => r.statement.managed_rule_group_statement)).toEqual([
      { name: "AWSManagedRulesAmazonIpReputationList", vendor_name: "AWS" },
      { name: "AWSManagedRulesCommonRuleSet", vendor_name: "AWS" },
      { name: "AWSManagedRulesKnownBadInputsRuleSet", vendor_name: "AWS" },
      { name: "AWSManagedRulesSQLiRuleSet", vendor_name: "AWS" },
    ]);
    expect(managed.map((r) => r.name)).toEqual([...MANAGED_RULE_GROUPS]);
    for (const rule of managed) {
      expect(rule.override_action).toEqual({ none: {} });
      expect(rule.action).toBeUndefined();
    }
  });

  it("blocks an IP over 2000 requests per 5 minutes, right after the IP reputation list", () => {
    const rate = rules.find((r) => r.statement.rate_based_statement)!;
    expect(rate).toMatchObject({
      name: "rate-limit-per-ip",
      priority: 1,
      action: { block: {} },
      statement: { rate_based_statement: { limit: 2000, aggregate_key_type: "IP" } },
    });
    expect(rate.override_action).toBeUndefined();
    const limit = (j: SynthJson) =>
      (onlyResource(j, "aws_wafv2_web_acl").rule as Array<Record<string, any>>).find((r) => r.statement.rate_based_statement)!
        .statement.rate_based_statement.limit;
    expect(limit(firewall({ rateLimitPer5Minutes: 500 }).json)).toBe(500);
  });

  it("gives every rule a unique priority and its own metric", () => {
    expect(rules.map((r) => r.priority)).toEqual([0, 1, 2, 3, 4]);
    for (const rule of rules) {
      expect(rule.visibility_config).toEqual({
        cloudwatch_metrics_enabled: true,
        metric_name: `acme-test-waf-${rule.name}`,
        sampled_requests_enabled: true,
      });
    }
  });

  it("switches listed common-rule-set rules to count only", () => {
    const common = (onlyResource(firewall({ commonRuleSetCountOnly: ["SizeRestrictions_BODY"] }).json, "aws_wafv2_web_acl").rule as Array<
      Record<string, any>
    >).map((r) => r.statement.managed_rule_group_statement?.rule_action_override);
    expect(common).toEqual([undefined, undefined, [{ name: "SizeRestrictions_BODY", action_to_use: { count: {} } }], undefined, undefined]);
  });

  it("is associated with the load balancer", () => {
    expect(synth).toHaveResourceWithProperties(Wafv2WebAclAssociation, {
      resource_arn: ALB_ARN,
      web_acl_arn: ref("aws_wafv2_web_acl", aclId, "arn"),
    });
  });

  it("is associated with a PublicLoadBalancer through its ARN reference", () => {
    const { json: wired } = synthConstruct((stack) => {
      const lb = new PublicLoadBalancer(stack, "alb", {
        naming: testNaming,
        region: "eu-west-1",
        accountId: TEST_ACCOUNT,
        vpcId: "vpc-123",
        subnetIds: ["subnet-a", "subnet-b"],
        accessLogs: false,
      });
      new WebFirewall(stack, "waf", { naming: testNaming, accountId: TEST_ACCOUNT, region: "eu-west-1", loadBalancerArn: lb.loadBalancer.arn });
    });
    expect(onlyResource(wired, "aws_wafv2_web_acl_association").resource_arn).toBe(ref("aws_lb", idOf(wired, "aws_lb"), "arn"));
  });

  it("logs to aws-waf-logs-<project>-<env> with retention, redacting the authorization header", () => {
    expect(synth).toHaveResourceWithProperties(CloudwatchLogGroup, { name: "aws-waf-logs-acme-test", retention_in_days: 365 });
    const logGroup = idOf(json, "aws_cloudwatch_log_group");
    const logging = onlyResource(json, "aws_wafv2_web_acl_logging_configuration");
    expect(logging).toMatchObject({
      resource_arn: ref("aws_wafv2_web_acl", aclId, "arn"),
      log_destination_configs: [ref("aws_cloudwatch_log_group", logGroup, "arn")],
      redacted_fields: [{ single_header: { name: "authorization" } }],
      depends_on: [`aws_cloudwatch_log_resource_policy.${idOf(json, "aws_cloudwatch_log_resource_policy")}`],
    });
    expect(onlyResource(firewall({ logRetentionDays: 30 }).json, "aws_cloudwatch_log_group").retention_in_days).toBe(30);
  });

  it("lets log delivery write only to that group, for this account", () => {
    const policy = onlyResource(json, "aws_cloudwatch_log_resource_policy");
    expect(policy.policy_name).toBe("acme-test-waf-log-delivery");
    expect(JSON.parse(policy.policy_document).Statement).toEqual([
      {
        Sid: "AllowWafLogDelivery",
        Effect: "Allow",
        Principal: { Service: "delivery.logs.amazonaws.com" },
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${ref("aws_cloudwatch_log_group", idOf(json, "aws_cloudwatch_log_group"), "arn")}:*`,
        Condition: {
          StringEquals: { "aws:SourceAccount": TEST_ACCOUNT },
          ArnLike: { "aws:SourceArn": `arn:aws:logs:eu-west-1:${TEST_ACCOUNT}:*` },
        },
      },
    ]);
  });

  it("exposes the web ACL and log group", () => {
    expect(json.output).toEqual({
      web_acl_arn: { value: ref("aws_wafv2_web_acl", aclId, "arn") },
      web_acl_name: { value: ref("aws_wafv2_web_acl", aclId, "name") },
      log_group_name: { value: ref("aws_cloudwatch_log_group", idOf(json, "aws_cloudwatch_log_group"), "name") },
    });
  });

  it.each([
    [{ rateLimitPer5Minutes: 9 }, /WebFirewall: rateLimitPer5Minutes must be a whole number from 10 to 2000000000, got 9/],
    [{ rateLimitPer5Minutes: 100.5 }, /WebFirewall: rateLimitPer5Minutes must be a whole number/],
    [{ logRetentionDays: 10 }, /WebFirewall: logRetentionDays must be one of CloudWatch's retention periods .* got 10/],
    [{ accountId: "abc" }, /WebFirewall: accountId must be 12 digits/],
    [
      { loadBalancerArn: `arn:aws:elasticloadbalancing:eu-west-1:${TEST_ACCOUNT}:loadbalancer/net/acme-test-nlb/50dc6c495c0c9188` },
      /WebFirewall: loadBalancerArn must be an Application Load Balancer ARN/,
    ],
    [{ loadBalancerArn: "acme-test-alb" }, /WebFirewall: loadBalancerArn must be an Application Load Balancer ARN/],
    [{ commonRuleSetCountOnly: ["Size Restrictions"] }, /WebFirewall: commonRuleSetCountOnly: "Size Restrictions" is not a rule name/],
    [{ commonRuleSetCountOnly: ["NoUserAgent_HEADER", "NoUserAgent_HEADER"] }, /WebFirewall: commonRuleSetCountOnly has duplicates/],
  ] as Array<[Partial<WebFirewallProps>, RegExp]>)("refuses %o", (props, message) => {
    expect(() => firewall(props)).toThrow(message);
  });
});

function endpoint(props: Partial<HttpsEndpointProps> = {}) {
  return synthConstruct((stack) => {
    const https = new HttpsEndpoint(stack, "https", {
      domainName: "app.example.com",
      hostedZoneId: ZONE,
      loadBalancerDnsName: ALB_DNS,
      loadBalancerZoneId: ALB_ZONE,
      ...props,
    });
    new TerraformOutput(stack, "certificate_arn", { value: https.certificateArn });
    new TerraformOutput(stack, "url", { value: https.url });
    new TerraformOutput(stack, "fqdn", { value: https.fqdn });
  });
}

describe("HttpsEndpoint", () => {
  const { synth, json } = endpoint();
  const certId = idOf(json, "aws_acm_certificate");
  const validationRecordId = logicalIdOf(json, "aws_route53_record", (r) => r.for_each !== undefined);
  const aliasId = logicalIdOf(json, "aws_route53_record", (r) => r.alias !== undefined);
  const validationId = idOf(json, "aws_acm_certificate_validation");

  it("requests a DNS-validated certificate that is replaced before it is destroyed", () => {
    expect(synth).toHaveResourceWithProperties(AcmCertificate, {
      domain_name: "app.example.com",
      validation_method: "DNS",
      lifecycle: { create_before_destroy: true },
    });
  });

  it("writes one validation record per domain_validation_options entry, keyed by domain name", () => {
    expect(Object.keys(resourcesOf(json, "aws_route53_record"))).toHaveLength(2);
    expect(resourcesOf(json, "aws_route53_record")[validationRecordId]).toMatchObject({
      for_each: `\${{ for key, val in tolist(aws_acm_certificate.${certId}.domain_validation_options): val.domain_name => val }}`,
      zone_id: ZONE,
      name: "${each.value.resource_record_name}",
      type: "${each.value.resource_record_type}",
      records: ["${each.value.resource_record_value}"],
      ttl: 60,
      allow_overwrite: true,
    });
  });

  it("waits for validation against exactly those records", () => {
    expect(onlyResource(json, "aws_acm_certificate_validation")).toMatchObject({
      certificate_arn: ref("aws_acm_certificate", certId, "arn"),
      validation_record_fqdns: `\${[ for key, val in aws_route53_record.${validationRecordId}: val.fqdn]}`,
    });
  });

  it("points an IPv4 alias for the domain at the load balancer", () => {
    expect(synth).toHaveResourceWithProperties(Route53Record, {
      zone_id: ZONE,
      name: "app.example.com",
      type: "A",
      alias: { name: ALB_DNS, zone_id: ALB_ZONE, evaluate_target_health: true },
    });
    expect(Object.values(resourcesOf(json, "aws_route53_record")).some((r) => r.type === "AAAA")).toBe(false);
    const noHealth = endpoint({ evaluateTargetHealth: false }).json;
    const alias = Object.values(resourcesOf(noHealth, "aws_route53_record")).find((r) => r.alias)!;
    expect(alias.alias.evaluate_target_health).toBe(false);
  });

  it("exposes the validated certificate ARN, the URL and the record's FQDN", () => {
    expect(json.output).toEqual({
      certificate_arn: { value: ref("aws_acm_certificate_validation", validationId, "certificate_arn") },
      url: { value: "https://app.example.com" },
      fqdn: { value: ref("aws_route53_record", aliasId, "fqdn") },
    });
  });

  it("wires into a PublicLoadBalancer: the HTTPS listener waits for validation, the alias follows the ALB", () => {
    const { synth: wiredSynth, json: wired } = synthConstruct((stack) => {
      let lb: PublicLoadBalancer | undefined;
      const https = new HttpsEndpoint(stack, "https", {
        domainName: "app.example.com",
        hostedZoneId: ZONE,
        loadBalancerDnsName: Lazy.stringValue({ produce: () => lb!.dnsName }),
        loadBalancerZoneId: Lazy.stringValue({ produce: () => lb!.loadBalancer.zoneId }),
      });
      lb = new PublicLoadBalancer(stack, "alb", {
        naming: testNaming,
        region: "eu-west-1",
        accountId: TEST_ACCOUNT,
        vpcId: "vpc-123",
        subnetIds: ["subnet-a", "subnet-b"],
        accessLogs: false,
        certificateArn: https.certificateArn,
      });
    });
    const lbId = idOf(wired, "aws_lb");
    const validation = ref("aws_acm_certificate_validation", idOf(wired, "aws_acm_certificate_validation"), "certificate_arn");
    expect(wiredSynth).toHaveResourceWithProperties(LbListener, { port: 443, protocol: "HTTPS", certificate_arn: validation });
    const alias = Object.values(resourcesOf(wired, "aws_route53_record")).find((r) => r.alias)!;
    expect(alias.alias).toEqual({
      name: ref("aws_lb", lbId, "dns_name"),
      zone_id: ref("aws_lb", lbId, "zone_id"),
      evaluate_target_health: true,
    });
  });

  it("accepts ordinary host names and refuses anything else with the reason", () => {
    expect(domainNameProblem("app.example.com")).toBeUndefined();
    expect(domainNameProblem("a-b.c9.example.co.uk")).toBeUndefined();
    expect(domainNameProblem("localhost")).toMatch(/fully qualified/);
    expect(domainNameProblem("10.0.0.1")).toMatch(/numeric label/);
    expect(domainNameProblem(`${"a".repeat(64)}.example.com`)).toMatch(/invalid label/);
    expect(domainNameProblem(`${"a.".repeat(127)}com`)).toMatch(/the most is 253/);
  });

  it.each([
    [{ domainName: "App.Example.com" }, /HttpsEndpoint: domainName "App.Example.com" must be lower case/],
    [{ domainName: "app.example.com." }, /HttpsEndpoint: domainName "app.example.com." must not end with a dot/],
    [{ domainName: "*.example.com" }, /HttpsEndpoint: domainName "\*.example.com" must name one host, not a wildcard/],
    [{ domainName: "app" }, /HttpsEndpoint: domainName "app" must be fully qualified/],
    [{ domainName: "-app.example.com" }, /HttpsEndpoint: domainName "-app.example.com" has an invalid label "-app"/],
    [{ domainName: "app..example.com" }, /has an invalid label ""/],
    [{ domainName: "" }, /HttpsEndpoint: domainName "" is empty/],
    [{ domainName: Lazy.stringValue({ produce: () => "app.example.com" }) }, /HttpsEndpoint: domainName must be a literal/],
    [{ hostedZoneId: "z0123456789abc" }, /HttpsEndpoint: hostedZoneId must be a Route 53 hosted zone id .* got "z0123456789abc"/],
    [{ hostedZoneId: "/hostedzone/Z0123456789ABC" }, /HttpsEndpoint: hostedZoneId must be a Route 53 hosted zone id/],
    [{ loadBalancerZoneId: "us-east-1" }, /HttpsEndpoint: loadBalancerZoneId must be a Route 53 hosted zone id/],
    [{ loadBalancerDnsName: "" }, /HttpsEndpoint: loadBalancerDnsName is empty/],
  ] as Array<[Partial<HttpsEndpointProps>, RegExp]>)("refuses %o", (props, message) => {
    expect(() => endpoint(props)).toThrow(message);
  });
});

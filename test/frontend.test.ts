import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformOutput } from "cdktf";
import { describe, expect, it } from "vitest";
import {
  CLOUDFRONT_HOSTED_ZONE_ID,
  CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS,
  MANAGED_POLICIES,
  StaticSite,
  originFacingPrefixList,
  spaRoutingCode,
  type StaticSiteProps,
} from "../modules/frontend";
import { DEFAULT_CONTENT_SECURITY_POLICY } from "../src/config/frontend";
import { TEST_ACCOUNT, logicalIdOf, onlyResource, ref, resourcesOf, synthConstruct, testNaming, type SynthJson } from "./helpers";

const ZONE = "Z0123456789ABCDEFGHIJ";
const API = { domainName: "origin.app.example.com", protocol: "https" as const, pathPattern: "/api/*", header: { name: "X-Origin-Verify", value: "0123456789abcdef0123456789abcdef" } };

function site(props: Partial<StaticSiteProps> = {}) {
  let built!: StaticSite;
  const out = synthConstruct((stack) => {
    const edgeProvider = new AwsProvider(stack, "aws-edge", { alias: "edge", region: "us-east-1" });
    new AwsProvider(stack, "aws", { region: "eu-west-1" });
    built = new StaticSite(stack, "site", {
      naming: testNaming,
      accountId: TEST_ACCOUNT,
      region: "eu-west-1",
      edgeProvider,
      domainName: "app.example.com",
      hostedZoneId: ZONE,
      contentSecurityPolicy: DEFAULT_CONTENT_SECURITY_POLICY,
      api: API,
      ...props,
    });
    new TerraformOutput(stack, "dns_records", { value: built.dnsRecords });
  });
  return { ...out, site: built };
}

const idOf = (json: SynthJson, type: string) => logicalIdOf(json, type, () => true);

/** Runs the viewer-request function's code on a request for `uri`, as CloudFront would. */
function route(code: string, uri: string): string {
  const handler = new Function(`${code}\nreturn handler;`)() as (event: { request: { uri: string } }) => { uri: string };
  return handler({ request: { uri } }).uri;
}

describe("StaticSite", () => {
  const { json } = site();
  const distribution = onlyResource(json, "aws_cloudfront_distribution");
  const distributionId = idOf(json, "aws_cloudfront_distribution");

  it("lets only CloudFront read the bucket, for this distribution only, through an origin access control that always signs", () => {
    const appBucket = logicalIdOf(json, "aws_s3_bucket", (b) => b.bucket === `acme-test-frontend-${TEST_ACCOUNT}`);
    const policy = Object.values(resourcesOf(json, "aws_s3_bucket_policy")).find((p) => p.bucket === ref("aws_s3_bucket", appBucket, "id"))!;
    const read = JSON.parse(policy.policy).Statement.find((s: any) => s.Sid === "AllowCloudFrontRead");
    expect(read).toEqual({
      Sid: "AllowCloudFrontRead",
      Effect: "Allow",
      Principal: { Service: "cloudfront.amazonaws.com" },
      Action: "s3:GetObject",
      Resource: `${ref("aws_s3_bucket", appBucket, "arn")}/*`,
      Condition: { StringEquals: { "AWS:SourceArn": ref("aws_cloudfront_distribution", distributionId, "arn") } },
    });
    expect(resourcesOf(json, "aws_s3_bucket_website_configuration")).toEqual({});
    expect(onlyResource(json, "aws_cloudfront_origin_access_control")).toMatchObject({ origin_access_control_origin_type: "s3", signing_behavior: "always", signing_protocol: "sigv4" });
    const app = distribution.origin.find((o: any) => o.origin_id === "app");
    expect(app.domain_name).toBe(ref("aws_s3_bucket", appBucket, "bucket_regional_domain_name"));
    expect(app.origin_access_control_id).toBe(ref("aws_cloudfront_origin_access_control", idOf(json, "aws_cloudfront_origin_access_control"), "id"));
  });

  it("serves HTTP/2 and HTTP/3 over IPv6 with TLS 1.2 (2021) and the us-east-1 certificate once it is validated", () => {
    expect(distribution).toMatchObject({
      enabled: true,
      aliases: ["app.example.com"],
      http_version: "http2and3",
      is_ipv6_enabled: true,
      price_class: "PriceClass_100",
      default_root_object: "index.html",
      restrictions: { geo_restriction: { restriction_type: "none" } },
      tags: { FrontendDeploy: "acme-test-frontend" },
    });
    expect(distribution.viewer_certificate).toEqual({
      acm_certificate_arn: ref("aws_acm_certificate_validation", idOf(json, "aws_acm_certificate_validation"), "certificate_arn"),
      ssl_support_method: "sni-only",
      minimum_protocol_version: "TLSv1.2_2021",
    });
    expect(onlyResource(json, "aws_acm_certificate")).toMatchObject({ domain_name: "app.example.com", validation_method: "DNS", provider: "aws.edge" });
    expect(onlyResource(json, "aws_acm_certificate_validation").provider).toBe("aws.edge");
    // No error-page rewrites: they would turn the API's 404s into 200s.
    expect(distribution.custom_error_response).toBeUndefined();
  });

  it("routes /api/* to the load balancer uncached with every viewer header but Host, plus the secret origin header", () => {
    const api = distribution.origin.find((o: any) => o.origin_id === "api");
    expect(api).toMatchObject({
      domain_name: "origin.app.example.com",
      custom_origin_config: { origin_protocol_policy: "https-only", origin_ssl_protocols: ["TLSv1.2"], http_port: 80, https_port: 443 },
      custom_header: [{ name: "X-Origin-Verify", value: API.header.value }],
    });
    const behaviour = distribution.ordered_cache_behavior.find((b: any) => b.path_pattern === "/api/*");
    expect(behaviour).toMatchObject({
      target_origin_id: "api",
      cache_policy_id: MANAGED_POLICIES.cachingDisabled,
      origin_request_policy_id: MANAGED_POLICIES.allViewerExceptHostHeader,
      viewer_protocol_policy: "redirect-to-https",
    });
    expect(behaviour.allowed_methods.sort()).toEqual(["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]);
    // The API behaviour is evaluated before the asset paths and never runs the SPA function.
    expect(distribution.ordered_cache_behavior[0].path_pattern).toBe("/api/*");
    expect(behaviour.function_association).toBeUndefined();
  });

  it("caches hashed assets with CachingOptimized and everything else as the origin's Cache-Control says", () => {
    const assets = distribution.ordered_cache_behavior.find((b: any) => b.path_pattern === "/assets/*");
    expect(assets).toMatchObject({ target_origin_id: "app", cache_policy_id: MANAGED_POLICIES.cachingOptimized, compress: true });
    const policyId = idOf(json, "aws_cloudfront_cache_policy");
    expect(distribution.default_cache_behavior).toMatchObject({
      target_origin_id: "app",
      viewer_protocol_policy: "redirect-to-https",
      cache_policy_id: ref("aws_cloudfront_cache_policy", policyId, "id"),
      allowed_methods: ["GET", "HEAD"],
    });
    // min and default TTL 0: the index document's `no-cache` is honoured, and nothing without
    // Cache-Control is kept; a year at most for what says so.
    expect(onlyResource(json, "aws_cloudfront_cache_policy")).toMatchObject({ min_ttl: 0, default_ttl: 0, max_ttl: 31_536_000 });
  });

  it("serves the index document for app routes only, on the default behaviour", () => {
    const fn = onlyResource(json, "aws_cloudfront_function");
    expect(fn).toMatchObject({ runtime: "cloudfront-js-2.0", publish: true });
    expect(distribution.default_cache_behavior.function_association).toEqual([
      { event_type: "viewer-request", function_arn: ref("aws_cloudfront_function", idOf(json, "aws_cloudfront_function"), "arn") },
    ]);
    for (const uri of ["/", "/orders", "/orders/42", "/settings/profile"]) expect(route(fn.code, uri), uri).toBe("/index.html");
    for (const uri of ["/favicon.ico", "/assets/app.3f2a9c.js", "/robots.txt", "/missing.png"]) expect(route(fn.code, uri), uri).toBe(uri);
    expect(route(spaRoutingCode("app.html"), "/x")).toBe("/app.html");
    expect(() => spaRoutingCode("index.php")).toThrow(/indexDocument must be an HTML file name/);
  });

  it("adds the security headers to every response, the API's included", () => {
    const policy = onlyResource(json, "aws_cloudfront_response_headers_policy").security_headers_config;
    expect(policy).toEqual({
      strict_transport_security: { access_control_max_age_sec: 63_072_000, include_subdomains: true, preload: false, override: true },
      content_type_options: { override: true },
      frame_options: { frame_option: "DENY", override: true },
      referrer_policy: { referrer_policy: "strict-origin-when-cross-origin", override: true },
      content_security_policy: { content_security_policy: DEFAULT_CONTENT_SECURITY_POLICY, override: true },
    });
    const policyRef = ref("aws_cloudfront_response_headers_policy", idOf(json, "aws_cloudfront_response_headers_policy"), "id");
    for (const b of [distribution.default_cache_behavior, ...distribution.ordered_cache_behavior]) expect(b.response_headers_policy_id).toBe(policyRef);
  });

  it("writes the validation records and A and AAAA aliases to CloudFront in the hosted zone", () => {
    const records = Object.values(resourcesOf(json, "aws_route53_record"));
    const aliases = records.filter((r) => r.alias);
    expect(aliases.map((r) => r.type).sort()).toEqual(["A", "AAAA"]);
    for (const alias of aliases) {
      expect(alias).toMatchObject({ zone_id: ZONE, name: "app.example.com" });
      expect(alias.alias).toEqual({ name: ref("aws_cloudfront_distribution", distributionId, "domain_name"), zone_id: CLOUDFRONT_HOSTED_ZONE_ID, evaluate_target_health: false });
    }
    expect(records.find((r) => r.for_each)).toMatchObject({ zone_id: ZONE, type: "${each.value.resource_record_type}" });
    expect(json.output?.dns_records.value).toEqual([]);
  });

  it("delivers standard access logs from us-east-1 to a bucket there, and subscribes to the origin-latency metric", () => {
    const source = onlyResource(json, "aws_cloudwatch_log_delivery_source");
    expect(source).toMatchObject({ log_type: "ACCESS_LOGS", resource_arn: ref("aws_cloudfront_distribution", distributionId, "arn"), provider: "aws.edge" });
    const logBucket = logicalIdOf(json, "aws_s3_bucket", (b) => b.bucket === `acme-test-frontend-logs-${TEST_ACCOUNT}`);
    expect(resourcesOf(json, "aws_s3_bucket")[logBucket].provider).toBe("aws.edge");
    expect(onlyResource(json, "aws_cloudwatch_log_delivery_destination").delivery_destination_configuration).toEqual([
      { destination_resource_arn: `${ref("aws_s3_bucket", logBucket, "arn")}/cloudfront` },
    ]);
    const policy = Object.values(resourcesOf(json, "aws_s3_bucket_policy")).find((p) => p.bucket === ref("aws_s3_bucket", logBucket, "id"))!;
    const delivery = JSON.parse(policy.policy).Statement.find((s: any) => s.Sid === "AllowLogDelivery");
    expect(delivery).toMatchObject({ Principal: { Service: "delivery.logs.amazonaws.com" }, Action: "s3:PutObject", Condition: { StringEquals: { "aws:SourceAccount": TEST_ACCOUNT } } });
    expect(onlyResource(json, "aws_cloudfront_monitoring_subscription").monitoring_subscription).toEqual({
      realtime_metrics_subscription_config: { realtime_metrics_subscription_status: "Enabled" },
    });
  });

  it("has no web ACL unless asked, and then a CLOUDFRONT one in us-east-1 named by the distribution", () => {
    expect(distribution.web_acl_id).toBeUndefined();
    const { json: withWaf } = site({ firewall: { rateLimitPer5Minutes: 1000, logRetentionDays: 30 } });
    const acl = onlyResource(withWaf, "aws_wafv2_web_acl");
    expect(acl).toMatchObject({ scope: "CLOUDFRONT", provider: "aws.edge", name: "acme-test-cloudfront-waf" });
    expect(acl.rule.map((r: any) => r.name)).toEqual(["AWSManagedRulesAmazonIpReputationList", "rate-limit-per-ip", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet"]);
    expect(onlyResource(withWaf, "aws_cloudfront_distribution").web_acl_id).toBe(ref("aws_wafv2_web_acl", idOf(withWaf, "aws_wafv2_web_acl"), "arn"));
    expect(resourcesOf(withWaf, "aws_wafv2_web_acl_association")).toEqual({});
    expect(onlyResource(withWaf, "aws_wafv2_web_acl_logging_configuration").provider).toBe("aws.edge");
    expect(onlyResource(withWaf, "aws_cloudwatch_log_group")).toMatchObject({ name: "aws-waf-logs-acme-test-cloudfront-waf", retention_in_days: 30, provider: "aws.edge" });
  });

  it("with an external DNS provider writes no records and outputs the validation and app CNAMEs to create", () => {
    const { json: external } = site({ hostedZoneId: undefined });
    expect(resourcesOf(external, "aws_route53_record")).toEqual({});
    expect(onlyResource(external, "aws_acm_certificate_validation").validation_record_fqdns).toBeUndefined();
    const records = external.output?.dns_records.value as Array<Record<string, string>>;
    expect(records.map((r) => r.type)).toEqual(["CNAME", "CNAME"]);
    const cert = idOf(external, "aws_acm_certificate");
    expect(records[0].name).toBe(`\${one(tolist(aws_acm_certificate.${cert}.domain_validation_options)[*].resource_record_name)}`);
    expect(records[0].value).toBe(`\${one(tolist(aws_acm_certificate.${cert}.domain_validation_options)[*].resource_record_value)}`);
    expect(records[1]).toMatchObject({ name: "app.example.com", value: ref("aws_cloudfront_distribution", idOf(external, "aws_cloudfront_distribution"), "domain_name") });
  });

  it("speaks HTTP to a load balancer without a certificate", () => {
    const { json: http } = site({ api: { ...API, domainName: "acme-test-alb-1.eu-west-1.elb.amazonaws.com", protocol: "http" } });
    const api = onlyResource(http, "aws_cloudfront_distribution").origin.find((o: any) => o.origin_id === "api");
    expect(api.custom_origin_config.origin_protocol_policy).toBe("http-only");
  });

  it("refuses a bad domain, overlapping paths and a header value with wildcards", () => {
    expect(() => site({ domainName: "App.Example.com" })).toThrow(/^StaticSite: domainName "App.Example.com" must be lower case$/);
    expect(() => site({ hashedAssetPaths: ["/api/*"] })).toThrow(/^StaticSite: path patterns repeat: \/api\/\*, \/api\/\*$/);
    expect(() => site({ hashedAssetPaths: ["/*"] })).toThrow(/must start with \/ and must not match every path/);
    expect(() => site({ api: { ...API, header: { name: "X-Origin-Verify", value: "abc*" } } })).toThrow(/must not hold \* or \?/);
  });
});

describe("CloudFront origin-facing prefix lists", () => {
  it("records a prefix list id per region and refuses a region it does not know", () => {
    for (const [region, id] of Object.entries(CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS)) {
      expect(region).toMatch(/^[a-z]{2}(-[a-z]+)+-\d$/);
      expect(id).toMatch(/^pl-[0-9a-f]{8}$/);
    }
    expect(new Set(Object.values(CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS)).size).toBe(Object.keys(CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS).length);
    expect(originFacingPrefixList("us-east-1")).toBe("pl-3b927c52");
    expect(() => originFacingPrefixList("mars-north-1")).toThrow(/no CloudFront origin-facing prefix list id is known for mars-north-1/);
  });
});

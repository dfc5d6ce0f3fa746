import { Lazy, TerraformVariable } from "cdktf";
import { PublicLoadBalancer, type RequiredHeader } from "../../modules/ecs-alb";
import { HttpsEndpoint, OVERSIZE_BODY_RULE, WebFirewall } from "../../modules/edge";
import { originFacingPrefixList } from "../../modules/frontend/origin-facing";
import { suppressPolicy } from "../aspects/policy";
import type { EnvironmentConfig } from "../config/schema";
import type { TierContext } from "./context";
import type { NetworkTier } from "./network";

/** The config slices the edge tier reads, and the tier it builds on. */
export interface EdgeTierProps {
  /** `loadBalancer`: certificate, idle timeout, deletion protection, access logs. */
  readonly loadBalancer: EnvironmentConfig["loadBalancer"];
  /** `domain`: with it, the platform issues the certificate and points the name at the load balancer. @default HTTP only (or `loadBalancer.certificateArn`) */
  readonly domain?: EnvironmentConfig["domain"];
  /** `operations.waf`, `operations.wafRateLimitPer5Minutes` and `operations.wafOversizeBodies`: the web ACL in front of the load balancer. */
  readonly firewall: Pick<EnvironmentConfig["operations"], "waf" | "wafRateLimitPer5Minutes" | "wafOversizeBodies">;
  /** The VPC and its public subnets. */
  readonly network: NetworkTier;
  /** `frontend.enabled`: the load balancer then admits only CloudFront carrying the origin header. @default false */
  readonly behindCloudFront?: boolean;
}

/** Header CloudFront adds to every request to the load balancer, with the secret value. */
export const ORIGIN_HEADER_NAME = "X-Origin-Verify";
/** Terraform variable holding the origin header's value (CI passes it as `TF_VAR_frontend_origin_secret`). */
export const ORIGIN_SECRET_VARIABLE = "frontend_origin_secret";

/** How CloudFront reaches the load balancer. */
export interface LoadBalancerOrigin {
  /** The certificate's name (`origin.<domain>`) with HTTPS, else the load balancer's DNS name. */
  readonly domainName: string;
  readonly protocol: "https" | "http";
  /** The header the listener rules require. */
  readonly header: RequiredHeader;
}

const OWNER = "EdgeTier";

/**
 * Edge: everything between the internet and the tasks. The public load balancer in the public
 * subnets (modules/ecs-alb), the HTTPS endpoint with its DNS-validated certificate and alias record
 * when a `domain` is configured, and the WAF web ACL (modules/edge) when `operations.waf` is on.
 * Registers no alarms itself: the load balancer's alarms need the web tier's target group, so the
 * web tier registers them. Outputs: `alb_dns_name`, `alb_security_group_id`, `service_url`.
 */
export class EdgeTier {
  readonly loadBalancer: PublicLoadBalancer;
  readonly https?: HttpsEndpoint;
  readonly firewall?: WebFirewall;
  /** Where users reach the web service: the domain over HTTPS, or the load balancer's own name. */
  readonly serviceUrl: string;
  /** CloudFront's way in (`behindCloudFront` only). */
  readonly origin?: LoadBalancerOrigin;

  constructor(ctx: TierContext, props: EdgeTierProps) {
    const { network } = props.network;
    // With a domain, the platform issues the certificate: the endpoint needs the load balancer's
    // DNS name and the load balancer needs the endpoint's certificate, so the names are read lazily.
    let loadBalancer: PublicLoadBalancer | undefined;
    const domain = props.domain;
    // Behind CloudFront the domain is the distribution's; the load balancer answers on `origin.<domain>`.
    const albDomainName = domain && props.behindCloudFront ? `origin.${domain.name}` : domain?.name;
    if (domain?.hostedZoneId && albDomainName) {
      this.https = new HttpsEndpoint(ctx.scope, "https", {
        domainName: albDomainName,
        hostedZoneId: domain.hostedZoneId,
        loadBalancerDnsName: Lazy.stringValue({ produce: () => loadBalancer!.dnsName }),
        loadBalancerZoneId: Lazy.stringValue({ produce: () => loadBalancer!.loadBalancer.zoneId }),
      });
    }
    let requiredHeader: RequiredHeader | undefined;
    if (props.behindCloudFront) {
      const secret = new TerraformVariable(ctx.scope, ORIGIN_SECRET_VARIABLE, {
        type: "string",
        sensitive: true,
        description: `Value of the ${ORIGIN_HEADER_NAME} header CloudFront sends and the load balancer requires (openssl rand -hex 32; README "Frontend")`,
        validation: [
          {
            condition: `\${length(var.${ORIGIN_SECRET_VARIABLE}) >= 16 && length(var.${ORIGIN_SECRET_VARIABLE}) <= 128 && can(regex("^[A-Za-z0-9_-]+$", var.${ORIGIN_SECRET_VARIABLE}))}`,
            errorMessage: "frontend_origin_secret must be 16 to 128 letters, digits, - or _ (openssl rand -hex 32)",
          },
        ],
      });
      requiredHeader = { name: ORIGIN_HEADER_NAME, value: secret.stringValue };
    }
    const certificateArn = this.https?.certificateArn ?? props.loadBalancer.certificateArn;
    loadBalancer = new PublicLoadBalancer(ctx.scope, "alb", {
      naming: ctx.naming,
      region: ctx.region,
      accountId: ctx.accountId,
      vpcId: network.vpcId,
      subnetIds: network.publicSubnetIds,
      ...props.loadBalancer,
      certificateArn,
      ...(props.behindCloudFront ? { ingressPrefixListId: originFacingPrefixList(ctx.region), requiredHeader } : {}),
    });
    if (requiredHeader) {
      // CloudFront checks the origin's certificate against the origin's name: only the platform's
      // own certificate (`origin.<domain>`) is known to match; otherwise CloudFront speaks HTTP.
      this.origin = this.https
        ? { domainName: this.https.fqdn, protocol: "https", header: requiredHeader }
        : { domainName: loadBalancer.dnsName, protocol: "http", header: requiredHeader };
    }
    this.loadBalancer = loadBalancer;
    if (!certificateArn) {
      suppressPolicy(
        loadBalancer.applicationListener,
        "CKV_AWS_2",
        props.behindCloudFront
          ? `HTTP only, to CloudFront: the domain of ${ctx.configFile} is at an external DNS provider, so the load balancer has no certificate of its own`
          : `HTTP only: ${ctx.configFile} sets neither domain nor loadBalancer.certificateArn`,
      );
    }
    // Behind CloudFront the distribution's web ACL filters every request. A regional one here would
    // see only CloudFront's addresses (its per-IP rate limit would count a whole edge location as one
    // client) and would log the origin header with every request.
    if (props.firewall.waf && props.behindCloudFront) {
      suppressPolicy(
        loadBalancer.loadBalancer,
        "CKV2_AWS_28",
        `behind CloudFront (${ctx.configFile} frontend.enabled): the distribution's web ACL filters every request, and the load balancer admits only CloudFront's origin-facing addresses with the origin header`,
      );
    }
    if (props.firewall.waf && !props.behindCloudFront) {
      this.firewall = new WebFirewall(ctx.scope, "waf", {
        naming: ctx.naming,
        accountId: ctx.accountId,
        region: ctx.region,
        loadBalancerArn: loadBalancer.loadBalancer.arn,
        rateLimitPer5Minutes: props.firewall.wafRateLimitPer5Minutes,
        commonRuleSetCountOnly: props.firewall.wafOversizeBodies === "count" ? [OVERSIZE_BODY_RULE] : [],
        logRetentionDays: ctx.logRetentionDays,
      });
    }
    // Behind CloudFront, users reach the services through the distribution's name only.
    this.serviceUrl =
      props.behindCloudFront && domain ? `https://${domain.name}` : (this.https?.url ?? `${loadBalancer.protocol}://${loadBalancer.dnsName}`);

    ctx.output(OWNER, "alb_dns_name", loadBalancer.dnsName, "Load balancer DNS name");
    ctx.output(OWNER, "alb_security_group_id", loadBalancer.securityGroupId, "Security group of the load balancer");
    ctx.output(OWNER, "service_url", this.serviceUrl, "URL of the web service");
  }
}

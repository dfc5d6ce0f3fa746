import { Lazy } from "cdktf";
import { PublicLoadBalancer } from "../../modules/ecs-alb";
import { HttpsEndpoint, OVERSIZE_BODY_RULE, WebFirewall } from "../../modules/edge";
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

  constructor(ctx: TierContext, props: EdgeTierProps) {
    const { network } = props.network;
    // With a domain, the platform issues the certificate: the endpoint needs the load balancer's
    // DNS name and the load balancer needs the endpoint's certificate, so the names are read lazily.
    let loadBalancer: PublicLoadBalancer | undefined;
    if (props.domain) {
      this.https = new HttpsEndpoint(ctx.scope, "https", {
        domainName: props.domain.name,
        hostedZoneId: props.domain.hostedZoneId,
        loadBalancerDnsName: Lazy.stringValue({ produce: () => loadBalancer!.dnsName }),
        loadBalancerZoneId: Lazy.stringValue({ produce: () => loadBalancer!.loadBalancer.zoneId }),
      });
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
    });
    this.loadBalancer = loadBalancer;
    if (!certificateArn) {
      suppressPolicy(
        loadBalancer.applicationListener,
        "CKV_AWS_2",
        `HTTP only: ${ctx.configFile} sets neither domain nor loadBalancer.certificateArn`,
      );
    }
    if (props.firewall.waf) {
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
    this.serviceUrl = this.https?.url ?? `${loadBalancer.protocol}://${loadBalancer.dnsName}`;

    ctx.output(OWNER, "alb_dns_name", loadBalancer.dnsName, "Load balancer DNS name");
    ctx.output(OWNER, "alb_security_group_id", loadBalancer.securityGroupId, "Security group of the load balancer");
    ctx.output(OWNER, "service_url", this.serviceUrl, "URL of the web service");
  }
}

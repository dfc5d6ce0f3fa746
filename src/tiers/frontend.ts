import type { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { StaticSite } from "../../modules/frontend";
import { OVERSIZE_BODY_RULE } from "../../modules/edge";
import type { EnvironmentConfig } from "../config/schema";
import type { TierContext } from "./context";
import type { EdgeTier } from "./edge";

/** The config slices the frontend tier reads, and what it builds on. */
export interface FrontendTierProps {
  /** `frontend`: price class, CSP, paths, log retention. */
  readonly frontend: EnvironmentConfig["frontend"];
  /** `domain`: the name the distribution serves and where its DNS lives (the schema requires it). */
  readonly domain: NonNullable<EnvironmentConfig["domain"]>;
  /** `operations.waf` and its rate limit and oversize-body setting: the CLOUDFRONT web ACL. */
  readonly firewall: Pick<EnvironmentConfig["operations"], "waf" | "wafRateLimitPer5Minutes" | "wafOversizeBodies">;
  /** The us-east-1 provider alias (certificate, web ACL, log delivery, alarms). */
  readonly edgeProvider: AwsProvider;
  /** The edge tier: the load balancer as the API origin, with its origin header. */
  readonly edge: EdgeTier;
}

const OWNER = "FrontendTier";

/**
 * Frontend: the static app on S3 and CloudFront with the API behind the same domain
 * (modules/frontend `StaticSite`): the app bucket, the distribution with its us-east-1 certificate,
 * the CLOUDFRONT web ACL when `operations.waf` is on, access logs, and the alias records (Route 53)
 * or the records to create at an external DNS provider. Registers the distribution (5xx rate and
 * origin latency alarms in us-east-1). Outputs: `frontend`, and `frontend_dns_records` with an
 * external DNS provider.
 */
export class FrontendTier {
  readonly site: StaticSite;

  constructor(ctx: TierContext, props: FrontendTierProps) {
    const { frontend, domain, edge } = props;
    if (!edge.origin) throw new Error(`${OWNER}: the edge tier was built without behindCloudFront (${ctx.configFile})`);
    this.site = new StaticSite(ctx.scope, "static-site", {
      naming: ctx.naming,
      accountId: ctx.accountId,
      region: ctx.region,
      edgeProvider: props.edgeProvider,
      domainName: domain.name,
      hostedZoneId: domain.dns === "route53" ? domain.hostedZoneId : undefined,
      priceClass: frontend.priceClass,
      contentSecurityPolicy: frontend.contentSecurityPolicy,
      indexDocument: frontend.indexDocument,
      hashedAssetPaths: frontend.hashedAssetPaths,
      api: { ...edge.origin, pathPattern: frontend.apiPathPattern },
      accessLogRetentionDays: frontend.accessLogRetentionDays,
      ...(props.firewall.waf
        ? {
            firewall: {
              rateLimitPer5Minutes: props.firewall.wafRateLimitPer5Minutes,
              logRetentionDays: frontend.wafLogRetentionDays,
              commonRuleSetCountOnly: props.firewall.wafOversizeBodies === "count" ? [OVERSIZE_BODY_RULE] : [],
            },
          }
        : {}),
      forceDestroy: ctx.disposable,
      preventDestroy: ctx.stage === "production",
    });
    ctx.monitoring.setDistribution(OWNER, { distributionId: this.site.distributionId, provider: props.edgeProvider });

    ctx.output(
      OWNER,
      "frontend",
      {
        url: this.site.url,
        bucket: this.site.bucketName,
        distribution_id: this.site.distributionId,
        distribution_domain_name: this.site.distributionDomainName,
        index_document: frontend.indexDocument,
      },
      "Frontend: URL, the bucket the deploy tool uploads to, the distribution it invalidates",
    );
    if (this.site.dnsRecords.length > 0) {
      ctx.output(
        OWNER,
        "frontend_dns_records",
        this.site.dnsRecords,
        "Records to create at the external DNS provider: the certificate's validation CNAME first, then the app's CNAME",
      );
    }
  }
}

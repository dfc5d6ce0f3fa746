import { CloudfrontCachePolicy } from "@cdktf/provider-aws/lib/cloudfront-cache-policy";
import { CloudfrontDistribution, type CloudfrontDistributionOrderedCacheBehavior } from "@cdktf/provider-aws/lib/cloudfront-distribution";
import { CloudfrontFunction } from "@cdktf/provider-aws/lib/cloudfront-function";
import { CloudfrontMonitoringSubscription } from "@cdktf/provider-aws/lib/cloudfront-monitoring-subscription";
import { CloudfrontOriginAccessControl } from "@cdktf/provider-aws/lib/cloudfront-origin-access-control";
import { CloudfrontResponseHeadersPolicy } from "@cdktf/provider-aws/lib/cloudfront-response-headers-policy";
import { CloudwatchLogDelivery } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery";
import { CloudwatchLogDeliveryDestination } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery-destination";
import { CloudwatchLogDeliverySource } from "@cdktf/provider-aws/lib/cloudwatch-log-delivery-source";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Fn, Lazy, Token, propertyAccess, type TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { suppressPolicy } from "../../src/aspects/policy";
import { partitionOf } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";
import { domainNameProblem, issueCertificate, WebFirewall, type IssuedCertificate } from "../edge";
import { SecureBucket } from "../s3-bucket";
import { spaRoutingCode } from "./spa-routing";

export * from "./origin-facing";
export * from "./spa-routing";

/** AWS managed cache and origin request policies (stable ids, the same in every account). */
export const MANAGED_POLICIES = {
  /** Managed-CachingOptimized: long TTLs, gzip and Brotli, nothing in the cache key but the URL. */
  cachingOptimized: "658327ea-f89d-4fab-a63d-7e88639e58f6",
  /** Managed-CachingDisabled: every request goes to the origin. */
  cachingDisabled: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
  /** Managed-AllViewerExceptHostHeader: every viewer header, cookie and query string but Host. */
  allViewerExceptHostHeader: "b689b0a8-53d0-40ab-baf2-68738e2966ac",
} as const;

/** Hosted zone id of every CloudFront distribution, the target zone of alias records. */
export const CLOUDFRONT_HOSTED_ZONE_ID = "Z2FDTNDATAQYW2";
/** Tag key that names a distribution for its deploy role (the role may invalidate only distributions tagged so). */
export const DEPLOY_TAG_KEY = "FrontendDeploy";
/** The app bucket's name, `<project>-<env>-frontend-<account>` (the bootstrap's deploy role names it too). */
export function frontendBucketName(naming: NameContext, accountId: string): string {
  return physicalName(naming, `frontend-${accountId}`, { maxLength: NAME_LIMITS.s3Bucket });
}

/** The value of the distribution's {@link DEPLOY_TAG_KEY} tag, `<project>-<env>-frontend`. */
export function frontendDeployTagValue(naming: NameContext): string {
  return physicalName(naming, "frontend");
}

/** One year: the max-age of content-hashed assets, and the longest TTL of the default cache policy. */
export const ONE_YEAR_SECONDS = 31_536_000;
/** HSTS max-age: two years, as hstspreload.org asks. */
const HSTS_MAX_AGE_SECONDS = 63_072_000;

/** The API behind the same domain: the load balancer as a custom origin. */
export interface FrontendApiOrigin {
  /** Host name CloudFront connects to: the load balancer's certificate name (HTTPS) or DNS name (HTTP). */
  readonly domainName: string;
  /** `https` when the load balancer has a certificate for `domainName`, else `http`. */
  readonly protocol: "https" | "http";
  /** Path pattern routed to it, e.g. `/api/*`. */
  readonly pathPattern: string;
  /** The secret header CloudFront adds and the load balancer's rules require. */
  readonly header: { readonly name: string; readonly value: string };
}

export interface StaticSiteProps {
  readonly naming: NameContext;
  readonly accountId: string;
  /** Region of the workspace (the app bucket's). */
  readonly region: string;
  /** Provider of us-east-1, where CloudFront's certificate, web ACL, log delivery and metrics live. */
  readonly edgeProvider: TerraformProvider;
  /** Host name the distribution serves, e.g. app.example.com. */
  readonly domainName: string;
  /**
   * Route 53 hosted zone holding `domainName`: certificate validation and alias A/AAAA records are
   * written there. Without it the DNS is external: see {@link StaticSite.dnsRecords}.
   * @default none (external DNS)
   */
  readonly hostedZoneId?: string;
  /** CloudFront price class. @default "PriceClass_100" */
  readonly priceClass?: "PriceClass_100" | "PriceClass_200" | "PriceClass_All";
  /** Content-Security-Policy of every response (a string of directives). */
  readonly contentSecurityPolicy: string;
  /** Object served for `/` and app routes. @default "index.html" */
  readonly indexDocument?: string;
  /** Path patterns of content-hashed assets (cached with Managed-CachingOptimized). @default ["/assets/*"] */
  readonly hashedAssetPaths?: readonly string[];
  /** The API origin. @default none (static app only) */
  readonly api?: FrontendApiOrigin;
  /** Days the standard access logs are kept. @default 90 */
  readonly accessLogRetentionDays?: number;
  /**
   * A WAF web ACL of scope CLOUDFRONT in front of the distribution (the same rules as the regional
   * one, logging on). @default none
   */
  readonly firewall?: { readonly rateLimitPer5Minutes?: number; readonly logRetentionDays?: number; readonly commonRuleSetCountOnly?: readonly string[] };
  /** Let `terraform destroy` delete the non-empty buckets. @default false */
  readonly forceDestroy?: boolean;
  /** Refuse any plan that destroys the app bucket. @default false */
  readonly preventDestroy?: boolean;
}

/** A DNS record the user creates at an external provider. */
export interface DnsRecordToCreate {
  readonly name: string;
  readonly type: string;
  readonly value: string;
  readonly purpose: string;
}

function fail(message: string): never {
  throw new Error(`StaticSite: ${message}`);
}

/**
 * A static JavaScript app on a private S3 bucket behind CloudFront, with the API on the same domain:
 *
 * - the bucket (modules/s3-bucket `SecureBucket`, no website hosting) readable only by
 *   `cloudfront.amazonaws.com` for this distribution (`AWS:SourceArn`), through an origin access
 *   control that always signs with SigV4;
 * - the distribution: HTTP/2 and HTTP/3, IPv6, viewers redirected to HTTPS, TLS 1.2 (2021) with an
 *   ACM certificate issued in us-east-1 and validated through DNS, the index document as root;
 *   a viewer-request function on the default behaviour serves the index document for app routes
 *   ({@link spaRoutingCode}); hashed assets cached a year, everything else as the origin's
 *   `Cache-Control` says (the deploy tool uploads `index.html` with `no-cache`); `/api/*` to the load
 *   balancer uncached with every viewer header but Host, plus the secret origin header;
 * - security headers on every response (HSTS, nosniff, frame DENY, referrer policy, CSP);
 * - optional WAF (scope CLOUDFRONT), standard access logs (CloudWatch Logs delivery to a bucket in
 *   us-east-1), the additional metrics subscription (origin latency);
 * - DNS: with a hosted zone, validation and alias A/AAAA records; without, {@link dnsRecords}.
 */
export class StaticSite extends Construct {
  readonly bucket: SecureBucket;
  readonly bucketName: string;
  readonly distribution: CloudfrontDistribution;
  readonly distributionId: string;
  readonly distributionArn: string;
  readonly distributionDomainName: string;
  readonly certificate: IssuedCertificate;
  readonly spaRouting: CloudfrontFunction;
  readonly responseHeadersPolicy: CloudfrontResponseHeadersPolicy;
  readonly logBucket: SecureBucket;
  readonly firewall?: WebFirewall;
  /** `https://<domainName>` */
  readonly url: string;
  /**
   * Records to create at an external DNS provider (no hosted zone): the certificate's validation
   * CNAME (known after the certificate is requested) and the CNAME from the name to the distribution.
   * Empty with a hosted zone (the records are written there).
   */
  readonly dnsRecords: readonly DnsRecordToCreate[];

  constructor(scope: Construct, id: string, props: StaticSiteProps) {
    super(scope, id);
    const { naming, accountId, edgeProvider } = props;
    const onEdge = { provider: edgeProvider };
    const partition = partitionOf(props.region);
    if (Token.isUnresolved(props.domainName)) fail("domainName must be a literal");
    const problem = domainNameProblem(props.domainName);
    if (problem) fail(`domainName "${props.domainName}" ${problem}`);
    const indexDocument = props.indexDocument ?? "index.html";
    const hashedAssetPaths = props.hashedAssetPaths ?? ["/assets/*"];
    const patterns = [...(props.api ? [props.api.pathPattern] : []), ...hashedAssetPaths];
    for (const p of patterns) {
      if (!p.startsWith("/") || p === "/*") fail(`path pattern "${p}" must start with / and must not match every path`);
    }
    if (new Set(patterns).size !== patterns.length) fail(`path patterns repeat: ${patterns.join(", ")}`);
    if (props.api && !Token.isUnresolved(props.api.header.value) && /[*?]/.test(props.api.header.value)) {
      fail("the origin header value must not hold * or ? (wildcards of load balancer header conditions)");
    }
    const name = (component: string, maxLength = 64) => physicalName(naming, component, { maxLength });
    const logRetentionDays = props.accessLogRetentionDays ?? 90;

    // --- Bucket and origin access control ------------------------------------------------------
    let distribution: CloudfrontDistribution | undefined;
    const distributionArn = Lazy.stringValue({ produce: () => distribution!.arn });
    this.bucket = new SecureBucket(this, "bucket", {
      bucketName: frontendBucketName(naming, accountId),
      forceDestroy: props.forceDestroy,
      preventDestroy: props.preventDestroy,
      policyStatements: (arn) => [
        {
          Sid: "AllowCloudFrontRead",
          Effect: "Allow",
          Principal: { Service: "cloudfront.amazonaws.com" },
          Action: "s3:GetObject",
          Resource: `${arn}/*`,
          Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
        },
        {
          // Without it S3 answers a missing file with 403 instead of 404.
          Sid: "AllowCloudFrontNotFound",
          Effect: "Allow",
          Principal: { Service: "cloudfront.amazonaws.com" },
          Action: "s3:ListBucket",
          Resource: arn,
          Condition: { StringEquals: { "AWS:SourceArn": distributionArn } },
        },
      ],
    });
    this.bucketName = this.bucket.bucketName;
    const accessControl = new CloudfrontOriginAccessControl(this, "origin-access-control", {
      name: name("frontend"),
      description: `Signs CloudFront's requests to the ${naming.project}-${naming.environment} frontend bucket`,
      originAccessControlOriginType: "s3",
      signingBehavior: "always",
      signingProtocol: "sigv4",
    });

    // --- Certificate (us-east-1) ---------------------------------------------------------------
    this.certificate = issueCertificate(this, { domainName: props.domainName, hostedZoneId: props.hostedZoneId, provider: edgeProvider });

    // --- Function and policies -----------------------------------------------------------------
    this.spaRouting = new CloudfrontFunction(this, "spa-routing", {
      name: name("frontend-spa-routing"),
      comment: `Serves /${indexDocument} for app routes (paths without a file extension)`,
      runtime: "cloudfront-js-2.0",
      code: spaRoutingCode(indexDocument),
      publish: true,
    });
    const defaultCache = new CloudfrontCachePolicy(this, "default-cache-policy", {
      name: name("frontend-default"),
      comment: "Follows the origin's Cache-Control (no-cache for the index document); nothing cached without it",
      minTtl: 0,
      defaultTtl: 0,
      maxTtl: ONE_YEAR_SECONDS,
      parametersInCacheKeyAndForwardedToOrigin: {
        cookiesConfig: { cookieBehavior: "none" },
        headersConfig: { headerBehavior: "none" },
        queryStringsConfig: { queryStringBehavior: "none" },
        enableAcceptEncodingGzip: true,
        enableAcceptEncodingBrotli: true,
      },
    });
    this.responseHeadersPolicy = new CloudfrontResponseHeadersPolicy(this, "security-headers", {
      name: name("frontend-security-headers"),
      comment: "Security headers on every response",
      securityHeadersConfig: {
        strictTransportSecurity: { accessControlMaxAgeSec: HSTS_MAX_AGE_SECONDS, includeSubdomains: true, preload: false, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: "DENY", override: true },
        referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
        contentSecurityPolicy: { contentSecurityPolicy: props.contentSecurityPolicy, override: true },
      },
    });

    // --- Firewall (us-east-1, scope CLOUDFRONT) ------------------------------------------------
    if (props.firewall) {
      this.firewall = new WebFirewall(this, "waf", {
        naming,
        accountId,
        region: "us-east-1",
        scope: "CLOUDFRONT",
        component: "cloudfront-waf",
        provider: edgeProvider,
        rateLimitPer5Minutes: props.firewall.rateLimitPer5Minutes,
        logRetentionDays: props.firewall.logRetentionDays,
        commonRuleSetCountOnly: props.firewall.commonRuleSetCountOnly,
      });
    }

    // --- Distribution --------------------------------------------------------------------------
    const common = {
      viewerProtocolPolicy: "redirect-to-https",
      compress: true,
      responseHeadersPolicyId: this.responseHeadersPolicy.id,
    };
    const ordered: CloudfrontDistributionOrderedCacheBehavior[] = [];
    if (props.api) {
      ordered.push({
        ...common,
        pathPattern: props.api.pathPattern,
        targetOriginId: "api",
        allowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
        cachedMethods: ["GET", "HEAD"],
        cachePolicyId: MANAGED_POLICIES.cachingDisabled,
        originRequestPolicyId: MANAGED_POLICIES.allViewerExceptHostHeader,
      });
    }
    for (const pathPattern of hashedAssetPaths) {
      ordered.push({
        ...common,
        pathPattern,
        targetOriginId: "app",
        allowedMethods: ["GET", "HEAD"],
        cachedMethods: ["GET", "HEAD"],
        cachePolicyId: MANAGED_POLICIES.cachingOptimized,
      });
    }
    distribution = new CloudfrontDistribution(this, "distribution", {
      comment: `${naming.project}-${naming.environment} frontend`,
      enabled: true,
      aliases: [props.domainName],
      httpVersion: "http2and3",
      isIpv6Enabled: true,
      priceClass: props.priceClass ?? "PriceClass_100",
      defaultRootObject: indexDocument,
      webAclId: this.firewall?.webAclArn,
      origin: [
        { originId: "app", domainName: this.bucket.bucket.bucketRegionalDomainName, originAccessControlId: accessControl.id },
        ...(props.api
          ? [
              {
                originId: "api",
                domainName: props.api.domainName,
                customOriginConfig: {
                  httpPort: 80,
                  httpsPort: 443,
                  originProtocolPolicy: props.api.protocol === "https" ? "https-only" : "http-only",
                  originSslProtocols: ["TLSv1.2"],
                },
                customHeader: [{ name: props.api.header.name, value: props.api.header.value }],
              },
            ]
          : []),
      ],
      defaultCacheBehavior: {
        ...common,
        targetOriginId: "app",
        allowedMethods: ["GET", "HEAD"],
        cachedMethods: ["GET", "HEAD"],
        cachePolicyId: defaultCache.id,
        functionAssociation: [{ eventType: "viewer-request", functionArn: this.spaRouting.arn }],
      },
      orderedCacheBehavior: ordered,
      restrictions: { geoRestriction: { restrictionType: "none" } },
      viewerCertificate: {
        acmCertificateArn: this.certificate.validation.certificateArn,
        sslSupportMethod: "sni-only",
        minimumProtocolVersion: "TLSv1.2_2021",
      },
      tags: { [DEPLOY_TAG_KEY]: frontendDeployTagValue(naming) },
    });
    this.distribution = distribution;
    this.distributionId = distribution.id;
    this.distributionArn = distribution.arn;
    this.distributionDomainName = distribution.domainName;
    this.url = `https://${props.domainName}`;

    // The origin latency metric is one of the additional metrics a subscription turns on.
    new CloudfrontMonitoringSubscription(this, "metrics", {
      distributionId: distribution.id,
      monitoringSubscription: { realtimeMetricsSubscriptionConfig: { realtimeMetricsSubscriptionStatus: "Enabled" } },
    });

    // --- Standard access logs (CloudWatch Logs delivery in us-east-1 to a bucket there) -------
    const logPrefix = "cloudfront";
    this.logBucket = new SecureBucket(this, "access-logs", {
      ...onEdge,
      bucketName: name(`frontend-logs-${accountId}`, NAME_LIMITS.s3Bucket),
      versioned: false,
      forceDestroy: props.forceDestroy,
      expiryRules: [{ id: "expire-access-logs", expireAfterDays: logRetentionDays }],
      policyStatements: (arn) => [
        {
          Sid: "AllowLogDelivery",
          Effect: "Allow",
          Principal: { Service: "delivery.logs.amazonaws.com" },
          Action: "s3:PutObject",
          Resource: `${arn}/${logPrefix}/*`,
          Condition: {
            StringEquals: { "aws:SourceAccount": accountId, "s3:x-amz-acl": "bucket-owner-full-control" },
            ArnLike: { "aws:SourceArn": `arn:${partition}:logs:us-east-1:${accountId}:delivery-source:*` },
          },
        },
      ],
    });
    suppressPolicy(this.logBucket.bucket, "CKV_AWS_21", "access logs are written once and expire; versions would only double the storage");
    const source = new CloudwatchLogDeliverySource(this, "log-source", {
      ...onEdge,
      name: name("frontend-access-logs", 60),
      logType: "ACCESS_LOGS",
      resourceArn: distribution.arn,
    });
    const destination = new CloudwatchLogDeliveryDestination(this, "log-destination", {
      ...onEdge,
      name: name("frontend-access-logs", 60),
      outputFormat: "json",
      deliveryDestinationConfiguration: [{ destinationResourceArn: `${this.logBucket.bucketArn}/${logPrefix}` }],
    });
    new CloudwatchLogDelivery(this, "log-delivery", {
      ...onEdge,
      deliverySourceName: source.name,
      deliveryDestinationArn: destination.arn,
      dependsOn: [this.logBucket.policy],
    });

    // --- DNS -----------------------------------------------------------------------------------
    if (props.hostedZoneId) {
      for (const type of ["A", "AAAA"]) {
        new Route53Record(this, `alias-${type.toLowerCase()}`, {
          zoneId: props.hostedZoneId,
          name: props.domainName,
          type,
          alias: { name: distribution.domainName, zoneId: CLOUDFRONT_HOSTED_ZONE_ID, evaluateTargetHealth: false },
        });
      }
      this.dnsRecords = [];
    } else {
      // One name, one validation record: the set's only element, known once the certificate is requested.
      const option = (key: string) => Token.asString(Fn.one(propertyAccess(this.certificate.certificate.domainValidationOptions, ["*", key])));
      this.dnsRecords = [
        { purpose: "certificate validation (create first; ACM issues the certificate once it resolves)", name: option("resource_record_name"), type: "CNAME", value: option("resource_record_value") },
        { purpose: "the app (CNAME to the distribution; at a zone apex use the provider's CNAME flattening or ALIAS)", name: props.domainName, type: "CNAME", value: distribution.domainName },
      ];
    }
  }
}

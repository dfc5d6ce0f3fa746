import { z } from "zod";
import type { RefinementCtx } from "zod";
import { CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS } from "../../modules/frontend/origin-facing";
import { LOG_RETENTION_DAYS, isLogRetention } from "../lib/logs";

/** CloudFront price classes: which edge locations serve the distribution (cheapest to all). */
export const PRICE_CLASSES = ["PriceClass_100", "PriceClass_200", "PriceClass_All"] as const;

/**
 * The content security policy the frontend sends when the config sets none: everything from the
 * distribution's own origin (the app and `/api/*`), no plugins, no framing, no inline script.
 */
export const DEFAULT_CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; " +
  "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; upgrade-insecure-requests";

/** The directives of Content Security Policy Level 3 (W3C), the names a policy may use. */
const CSP_DIRECTIVES = new Set([
  "default-src", "script-src", "script-src-elem", "script-src-attr", "style-src", "style-src-elem", "style-src-attr",
  "img-src", "font-src", "connect-src", "media-src", "object-src", "frame-src", "child-src", "worker-src", "manifest-src",
  "prefetch-src", "base-uri", "form-action", "frame-ancestors", "sandbox", "upgrade-insecure-requests",
  "block-all-mixed-content", "report-uri", "report-to", "require-trusted-types-for", "trusted-types",
]);

/** Longest content security policy a CloudFront response headers policy accepts (characters). */
export const CSP_MAX_LENGTH = 1783;

/** Why `policy` is not a string of CSP directives (`name value ...; name ...`), or undefined when it is. */
export function contentSecurityPolicyProblem(policy: string): string | undefined {
  if (policy.length > CSP_MAX_LENGTH) return `is ${policy.length} characters long; CloudFront accepts at most ${CSP_MAX_LENGTH}`;
  if (/[\r\n"]/.test(policy)) return "must be one line without double quotes";
  const directives = policy.split(";").map((d) => d.trim());
  if (directives[directives.length - 1] === "") directives.pop();
  if (directives.length === 0) return "is empty";
  const seen = new Set<string>();
  for (const directive of directives) {
    const [name] = directive.split(/\s+/);
    if (!name) return "has an empty directive (two semicolons in a row)";
    if (!CSP_DIRECTIVES.has(name)) return `has "${name}", which is not a CSP directive (such as default-src 'self'; object-src 'none')`;
    if (seen.has(name)) return `names ${name} twice`;
    seen.add(name);
  }
  return undefined;
}

/** A CloudFront path pattern of a cache behaviour, such as `/api/*`. */
const behaviourPath = z
  .string()
  .regex(/^\/[A-Za-z0-9_\-.*$/~"'@:+&?]*$/, "must be a CloudFront path pattern starting with / such as /api/*")
  .max(255)
  .refine((p) => p !== "/*" && p !== "*", "must not match every path (that is the default behaviour)");

/** `frontend`: the static app on S3 and CloudFront, with the API behind the same domain (README "Frontend"). */
export const frontendSchema = z
  .object({
    /** Build the frontend tier: bucket, distribution, certificate, DNS. Needs `domain`. @default false */
    enabled: z.boolean().default(false),
    /** Edge locations that serve the app: PriceClass_100 (North America, Europe), _200, or _All. @default "PriceClass_100" */
    priceClass: z.enum(PRICE_CLASSES).default("PriceClass_100"),
    /** Content-Security-Policy header of every response. @default {@link DEFAULT_CONTENT_SECURITY_POLICY} */
    contentSecurityPolicy: z
      .string()
      .superRefine((policy, ctx) => {
        const problem = contentSecurityPolicyProblem(policy);
        if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be a string of CSP directives: ${problem}` });
      })
      .default(DEFAULT_CONTENT_SECURITY_POLICY),
    /** Paths CloudFront sends to the load balancer, uncached. @default "/api/*" */
    apiPathPattern: behaviourPath.default("/api/*"),
    /** Paths of content-hashed build output, cached for a year at the edge. @default ["/assets/*"] */
    hashedAssetPaths: z.array(behaviourPath).max(10).default(["/assets/*"]),
    /** Object served for `/` and for app routes (paths without a file extension). @default "index.html" */
    indexDocument: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\.html$/, "must be an HTML file name at the bucket's root such as index.html")
      .default("index.html"),
    /** Days the distribution's standard access logs are kept. @default 90 */
    accessLogRetentionDays: z.number().int().min(1).max(3650).default(90),
    /** Retention of the CloudFront WAF log group (`operations.waf`), days. @default 365 */
    wafLogRetentionDays: z
      .number()
      .refine(isLogRetention, `must be one of CloudWatch's retention periods (${LOG_RETENTION_DAYS.join(", ")})`)
      .default(365),
  })
  .strict()
  .superRefine((f, ctx) => {
    const paths = [f.apiPathPattern, ...f.hashedAssetPaths];
    paths.forEach((p, i) => {
      if (paths.indexOf(p) !== i) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["hashedAssetPaths", i - 1], message: `"${p}" is listed twice (or is the apiPathPattern)` });
      }
    });
  });

export type FrontendConfig = z.output<typeof frontendSchema>;

/** What the frontend checks across the environment: a certificate path, and room for the origin header. */
export function checkFrontend(
  env: {
    region: string;
    frontend: FrontendConfig;
    domain?: { dns: "route53" | "external" };
    services?: ReadonlyArray<{ public?: { pathPatterns?: readonly string[]; hostHeaders?: readonly string[] } }>;
  },
  ctx: RefinementCtx,
): void {
  if (!env.frontend.enabled) {
    if (env.domain?.dns === "external") {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["domain", "dns"],
        message: 'an external DNS provider serves the frontend (CloudFront) only; enable frontend, or use a Route 53 hosted zone for the load balancer',
      });
    }
    return;
  }
  if (!env.domain) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ["frontend", "enabled"],
      message: 'the frontend needs a certificate path: set domain (a Route 53 hostedZoneId, or dns: "external")',
    });
  }
  // An invalid region is refused by its own rule.
  if (/^[a-z]{2}(-[a-z]+)+-\d$/.test(env.region) && !CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS[env.region]) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: ["frontend", "enabled"],
      message: `no CloudFront origin-facing prefix list id is recorded for ${env.region} (the load balancer admits only CloudFront); add it to modules/frontend/origin-facing.ts`,
    });
  }
  // CloudFront forwards `/api/*` with the origin's Host header (the managed AllViewerExceptHostHeader
  // policy), so a host condition could never match. Every public service's listener rule also checks
  // the origin header: one more value, which fits beside at most 3 path patterns.
  (env.services ?? []).forEach((s, i) => {
    if (s.public?.hostHeaders?.length) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["services", i, "public", "hostHeaders"],
        message: "cannot match behind the frontend: CloudFront sends the origin's Host header to the load balancer; route by pathPatterns",
      });
    }
  });
}

import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchLogResourcePolicy } from "@cdktf/provider-aws/lib/cloudwatch-log-resource-policy";
import { Wafv2WebAcl, type Wafv2WebAclRule } from "@cdktf/provider-aws/lib/wafv2-web-acl";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
import { Wafv2WebAclLoggingConfiguration } from "@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration";
import { Token, type TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { LOG_RETENTION_DAYS } from "../../src/lib/logs";
import { partitionOf, policyDocument } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";


/** WAF only delivers logs to destinations whose name starts with this. */
export const WAF_LOG_PREFIX = "aws-waf-logs-";

/**
 * The AWS managed rule groups every web ACL runs, in evaluation order after the IP reputation list
 * and the rate limit: core OWASP protections, known-bad inputs (Log4j, ...) and SQL injection.
 */
export const MANAGED_RULE_GROUPS = [
  "AWSManagedRulesAmazonIpReputationList",
  "AWSManagedRulesCommonRuleSet",
  "AWSManagedRulesKnownBadInputsRuleSet",
  "AWSManagedRulesSQLiRuleSet",
] as const;

/**
 * The rule of `AWSManagedRulesCommonRuleSet` that blocks request bodies over 8 KB (8,192 bytes), the
 * most of a body WAF inspects behind an Application Load Balancer. Sources:
 * https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-baseline.html and
 * https://docs.aws.amazon.com/waf/latest/APIReference/API_Body.html ("For Application Load Balancer
 * and AWS AppSync, the limit is fixed at 8 KB").
 */
export const OVERSIZE_BODY_RULE = "SizeRestrictions_BODY";

/** Smallest and largest request limit WAF accepts for a rate-based rule (per 5-minute window). */
const RATE_LIMIT = { min: 10, max: 2_000_000_000 } as const;

/** Header names are lower case in WAF logging configuration. */
const REDACTED_HEADERS = ["authorization"] as const;

export interface WebFirewallProps {
  readonly naming: NameContext;
  /** Account of the log group, for the log-delivery resource policy's conditions. */
  readonly accountId: string;
  readonly region: string;
  /**
   * ARN of the Application Load Balancer the web ACL protects (scope REGIONAL).
   * @default none: the ACL is not associated here (scope CLOUDFRONT, whose distribution names the ACL,
   * or a load balancer created outside Terraform, such as an EKS Auto Mode Ingress naming the ACL itself)
   */
  readonly loadBalancerArn?: string;
  /**
   * `REGIONAL` protects the load balancer (associated here); `CLOUDFRONT` is a web ACL a distribution
   * names in `web_acl_id`, created in us-east-1 (pass that region's `provider`). @default "REGIONAL"
   */
  readonly scope?: "REGIONAL" | "CLOUDFRONT";
  /**
   * Component of the ACL's physical name (`<project>-<env>-<component>`) and of its log group
   * (`aws-waf-logs-<project>-<env>-<component>`, without the component for `waf`). @default "waf"
   */
  readonly component?: string;
  /** Provider of the ACL's region (us-east-1 for CLOUDFRONT). @default the stack's provider */
  readonly provider?: TerraformProvider;
  /**
   * Requests one client IP may make in any 5-minute window before it is blocked (10 to 2,000,000,000).
   * @default 2000
   */
  readonly rateLimitPer5Minutes?: number;
  /** Retention of the `aws-waf-logs-<project>-<env>` log group, in days (a CloudWatch value). @default 365 */
  readonly logRetentionDays?: number;
  /**
   * Rules of `AWSManagedRulesCommonRuleSet` that only count instead of block, for example
   * {@link OVERSIZE_BODY_RULE} when the application accepts request bodies over 8 KB.
   * @default [] (every rule blocks)
   */
  readonly commonRuleSetCountOnly?: readonly string[];
}

function fail(message: string): never {
  throw new Error(`WebFirewall: ${message}`);
}

const visibility = (metricName: string) => ({
  cloudwatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: true,
});

/**
 * A regional WAFv2 web ACL in front of the public load balancer: the Amazon IP reputation list, a
 * per-IP rate limit that blocks, then the common, known-bad-inputs and SQL injection managed rule
 * groups; everything else is allowed. Metrics and sampled requests are on for the ACL and every rule.
 * Full request logs go to the CloudWatch log group `aws-waf-logs-<project>-<env>` with retention and
 * the `authorization` header redacted; a log resource policy scoped to that group and this account
 * lets WAF's log delivery write there (so WAF does not grow the account-wide `AWSWAF-LOGS` policy).
 */
export class WebFirewall extends Construct {
  readonly webAcl: Wafv2WebAcl;
  readonly webAclArn: string;
  readonly webAclName: string;
  readonly logGroup: CloudwatchLogGroup;
  readonly logGroupName: string;

  constructor(scope: Construct, id: string, props: WebFirewallProps) {
    super(scope, id);
    const { naming, accountId, region } = props;
    const rateLimit = props.rateLimitPer5Minutes ?? 2000;
    const logRetentionDays = props.logRetentionDays ?? 365;
    const countOnly = props.commonRuleSetCountOnly ?? [];

    if (!/^\d{12}$/.test(accountId)) {
      fail(`accountId must be 12 digits, got "${accountId}"`);
    }
    if (!Number.isInteger(rateLimit) || rateLimit < RATE_LIMIT.min || rateLimit > RATE_LIMIT.max) {
      fail(`rateLimitPer5Minutes must be a whole number from ${RATE_LIMIT.min} to ${RATE_LIMIT.max}, got ${rateLimit}`);
    }
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
      fail(`logRetentionDays must be one of CloudWatch's retention periods (${LOG_RETENTION_DAYS.join(", ")}), got ${logRetentionDays}`);
    }
    const aclScope = props.scope ?? "REGIONAL";
    const component = props.component ?? "waf";
    if (aclScope === "CLOUDFRONT" && props.loadBalancerArn !== undefined) {
      fail("a CLOUDFRONT web ACL is named by its distribution; loadBalancerArn is refused");
    }
    if (aclScope === "CLOUDFRONT" && region !== "us-east-1") {
      fail(`a CLOUDFRONT web ACL lives in us-east-1, got region ${region}`);
    }
    if (
      props.loadBalancerArn !== undefined &&
      !Token.isUnresolved(props.loadBalancerArn) &&
      !/^arn:[\w-]+:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/app\/[A-Za-z0-9-]+\/[0-9a-f]+$/.test(props.loadBalancerArn)
    ) {
      fail(`loadBalancerArn must be an Application Load Balancer ARN (...:loadbalancer/app/<name>/<id>), got "${props.loadBalancerArn}"`);
    }
    for (const rule of countOnly) {
      if (!/^[A-Za-z0-9_-]+$/.test(rule)) {
        fail(`commonRuleSetCountOnly: "${rule}" is not a rule name such as SizeRestrictions_BODY`);
      }
    }
    if (new Set(countOnly).size !== countOnly.length) {
      fail(`commonRuleSetCountOnly has duplicates: ${countOnly.join(", ")}`);
    }

    const on = props.provider ? { provider: props.provider } : {};
    const name = physicalName(naming, component, { maxLength: NAME_LIMITS.wafWebAcl });
    const partition = partitionOf(region);

    const rules: Wafv2WebAclRule[] = [];
    const managedRule = (group: string, priority: number, overrides: readonly string[] = []): Wafv2WebAclRule => ({
      name: group,
      priority,
      overrideAction: { none: {} },
      // `statement` is untyped in the provider bindings: it is written with Terraform's snake_case keys.
      statement: {
        managed_rule_group_statement: {
          name: group,
          vendor_name: "AWS",
          ...(overrides.length > 0
            ? { rule_action_override: overrides.map((rule) => ({ name: rule, action_to_use: { count: {} } })) }
            : {}),
        },
      },
      visibilityConfig: visibility(`${name}-${group}`),
    });
    rules.push(managedRule("AWSManagedRulesAmazonIpReputationList", 0));
    rules.push({
      name: "rate-limit-per-ip",
      priority: 1,
      action: { block: {} },
      statement: { rate_based_statement: { limit: rateLimit, aggregate_key_type: "IP" } },
      visibilityConfig: visibility(`${name}-rate-limit-per-ip`),
    });
    rules.push(managedRule("AWSManagedRulesCommonRuleSet", 2, countOnly));
    rules.push(managedRule("AWSManagedRulesKnownBadInputsRuleSet", 3));
    rules.push(managedRule("AWSManagedRulesSQLiRuleSet", 4));

    this.webAcl = new Wafv2WebAcl(this, "web-acl", {
      ...on,
      name,
      description: `Protects the ${aclScope === "REGIONAL" ? "public load balancer" : "CloudFront distribution"} of ${naming.project}-${naming.environment}`,
      scope: aclScope,
      defaultAction: { allow: {} },
      rule: rules,
      visibilityConfig: visibility(name),
    });
    this.webAclArn = this.webAcl.arn;
    this.webAclName = this.webAcl.name;

    if (props.loadBalancerArn !== undefined) {
      new Wafv2WebAclAssociation(this, "association", {
        resourceArn: props.loadBalancerArn,
        webAclArn: this.webAcl.arn,
      });
    }

    const logGroupName = `${WAF_LOG_PREFIX}${physicalName(naming, component === "waf" ? "" : component, { maxLength: NAME_LIMITS.logGroup - WAF_LOG_PREFIX.length })}`;
    this.logGroup = new CloudwatchLogGroup(this, "log-group", {
      ...on,
      name: logGroupName,
      retentionInDays: logRetentionDays,
    });
    this.logGroupName = this.logGroup.name;

    const deliveryPolicy = new CloudwatchLogResourcePolicy(this, "log-delivery-policy", {
      ...on,
      policyName: physicalName(naming, `${component}-log-delivery`, { maxLength: 255 }),
      policyDocument: policyDocument([
        {
          Sid: "AllowWafLogDelivery",
          Effect: "Allow",
          Principal: { Service: "delivery.logs.amazonaws.com" },
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `${this.logGroup.arn}:*`,
          Condition: {
            StringEquals: { "aws:SourceAccount": accountId },
            ArnLike: { "aws:SourceArn": `arn:${partition}:logs:${region}:${accountId}:*` },
          },
        },
      ]),
    });

    new Wafv2WebAclLoggingConfiguration(this, "logging", {
      ...on,
      resourceArn: this.webAcl.arn,
      logDestinationConfigs: [this.logGroup.arn],
      redactedFields: REDACTED_HEADERS.map((header) => ({ singleHeader: { name: header } })),
      dependsOn: [deliveryPolicy],
    });
  }
}

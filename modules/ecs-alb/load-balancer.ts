import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { suppressPolicy } from "../../src/aspects/policy";
import { partitionOf, type PolicyStatement } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";
import { SecureBucket } from "../s3-bucket";

/**
 * Elastic Load Balancing accounts that write access logs in regions opened before August 2022.
 * Newer regions use the `logdelivery.elasticloadbalancing.amazonaws.com` service principal.
 */
export const ELB_LOG_ACCOUNTS: Readonly<Record<string, string>> = {
  "us-east-1": "127311923021",
  "us-east-2": "033677994240",
  "us-west-1": "027434742980",
  "us-west-2": "797873946194",
  "af-south-1": "098369216593",
  "ap-east-1": "754344448648",
  "ap-south-1": "718504428378",
  "ap-northeast-1": "582318560864",
  "ap-northeast-2": "600734575887",
  "ap-northeast-3": "383597477331",
  "ap-southeast-1": "114774131450",
  "ap-southeast-2": "783225319266",
  "ca-central-1": "985666609251",
  "eu-central-1": "054676820928",
  "eu-west-1": "156460612806",
  "eu-west-2": "652711504416",
  "eu-west-3": "009996457667",
  "eu-south-1": "635631232127",
  "eu-north-1": "897822967062",
  "me-south-1": "076674570225",
  "sa-east-1": "507241528517",
  "us-gov-west-1": "048591011584",
  "us-gov-east-1": "190560391635",
};

/** The bucket-policy statement that lets the load balancer deliver access logs under `prefix`. */
export function elbLogDeliveryStatement(bucketArn: string, prefix: string, region: string, accountId: string): PolicyStatement {
  const elbAccount = ELB_LOG_ACCOUNTS[region];
  return {
    Sid: "AllowElbLogDelivery",
    Effect: "Allow",
    Principal: elbAccount
      ? { AWS: `arn:${partitionOf(region)}:iam::${elbAccount}:root` }
      : { Service: "logdelivery.elasticloadbalancing.amazonaws.com" },
    Action: "s3:PutObject",
    Resource: `${bucketArn}/${prefix}/AWSLogs/${accountId}/*`,
  };
}

/** TLS 1.3 with 1.2 fallback: the ELB policy AWS recommends for HTTPS listeners. */
export const DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";

export interface PublicLoadBalancerProps {
  readonly naming: NameContext;
  readonly region: string;
  readonly accountId: string;
  readonly vpcId: string;
  /** Public subnets, one per AZ. */
  readonly subnetIds: readonly string[];
  /**
   * ACM certificate ARN. With it: HTTPS on 443 and HTTP 301 to HTTPS. Without it: HTTP only on 80.
   * @default none (HTTP only)
   */
  readonly certificateArn?: string;
  /** ELB security policy of the HTTPS listener. @default "ELBSecurityPolicy-TLS13-1-2-2021-06" */
  readonly sslPolicy?: string;
  /** Idle connection timeout, seconds. @default 60 */
  readonly idleTimeoutSeconds?: number;
  /** Refuse deletion through the API. @default true */
  readonly deletionProtection?: boolean;
  /** Write access logs to a dedicated encrypted bucket. @default true */
  readonly accessLogs?: boolean;
  /** Days access logs are kept. @default 90 */
  readonly accessLogRetentionDays?: number;
  /**
   * Admit only this managed prefix list (CloudFront's origin-facing servers) instead of the internet,
   * on the application listener's port only: a prefix list reference counts as its maximum entries
   * against the security group's rule quota (about 55 of the default 60 inbound rules for CloudFront).
   * @default none (the internet on 80, and 443 with a certificate)
   */
  readonly ingressPrefixListId?: string;
  /**
   * A header every request must carry for a service rule to match (CloudFront's secret origin
   * header): services add it to their listener rule's conditions ({@link PublicLoadBalancer.requiredHeader}),
   * so a request without it gets the listener's 404. The value matches case-insensitively and must
   * not hold the `*` or `?` wildcards of header conditions.
   * @default none
   */
  readonly requiredHeader?: RequiredHeader;
}

/** A header with a secret value that listener rules require. */
export interface RequiredHeader {
  /** Header name, e.g. `X-Origin-Verify` (letters, digits and hyphens, at most 40 characters). */
  readonly name: string;
  /** The value (a Terraform variable reference, usually). */
  readonly value: string;
}

/**
 * An internet-facing Application Load Balancer in the public subnets with its own security group
 * (ingress only on 80 and 443), invalid header fields dropped, optional access logs to a hardened
 * bucket, and one application listener that services attach rules to. The listener answers 404 when
 * no rule matches.
 */
export class PublicLoadBalancer extends Construct {
  readonly loadBalancer: Lb;
  readonly securityGroup: SecurityGroup;
  readonly securityGroupId: string;
  readonly dnsName: string;
  readonly arnSuffix: string;
  /** The listener services attach their rules to (HTTPS when a certificate is given, HTTP otherwise). */
  readonly applicationListener: LbListener;
  /** `https` or `http`. */
  readonly protocol: "https" | "http";
  readonly accessLogBucket?: SecureBucket;
  /** The header every service's listener rule requires. @default none */
  readonly requiredHeader?: RequiredHeader;

  constructor(scope: Construct, id: string, props: PublicLoadBalancerProps) {
    super(scope, id);
    const name = physicalName(props.naming, "alb", { maxLength: NAME_LIMITS.albOrTargetGroup });
    this.protocol = props.certificateArn ? "https" : "http";

    this.securityGroup = new SecurityGroup(this, "sg", {
      name: physicalName(props.naming, "alb"),
      description: "Public load balancer: HTTP(S) from the internet, egress only to its targets",
      vpcId: props.vpcId,
      tags: { Name: physicalName(props.naming, "alb") },
    });
    this.securityGroupId = this.securityGroup.id;
    if (props.requiredHeader && !/^[A-Za-z0-9-]{1,40}$/.test(props.requiredHeader.name)) {
      throw new Error(`PublicLoadBalancer: requiredHeader.name must be letters, digits and hyphens (at most 40), got "${props.requiredHeader.name}"`);
    }
    this.requiredHeader = props.requiredHeader;
    // 443 is opened only when there is an HTTPS listener behind it; behind CloudFront only the
    // application listener's port, from the prefix list.
    const ports = props.ingressPrefixListId ? [props.certificateArn ? 443 : 80] : props.certificateArn ? [80, 443] : [80];
    for (const port of ports) {
      new VpcSecurityGroupIngressRule(this, `ingress-${port}`, {
        securityGroupId: this.securityGroup.id,
        description: `${port === 443 ? "HTTPS" : "HTTP"} from ${props.ingressPrefixListId ? "CloudFront origin-facing servers" : "the internet"}`,
        ipProtocol: "tcp",
        fromPort: port,
        toPort: port,
        ...(props.ingressPrefixListId ? { prefixListId: props.ingressPrefixListId } : { cidrIpv4: "0.0.0.0/0" }),
      });
    }

    const logPrefix = "alb";
    if (props.accessLogs ?? true) {
      this.accessLogBucket = new SecureBucket(this, "access-logs", {
        bucketName: physicalName(props.naming, `alb-logs-${props.accountId}`, { maxLength: NAME_LIMITS.s3Bucket }),
        // ELB log delivery supports SSE-S3 only.
        encryption: "AES256",
        versioned: false,
        expiryRules: [{ id: "expire-access-logs", expireAfterDays: props.accessLogRetentionDays ?? 90 }],
        policyStatements: (arn) => [elbLogDeliveryStatement(arn, logPrefix, props.region, props.accountId)],
      });
      suppressPolicy(
        this.accessLogBucket.bucket,
        "CKV_AWS_21",
        "access logs are written once and expire; versions would only double the storage",
      );
    }

    this.loadBalancer = new Lb(this, "alb", {
      name,
      internal: false,
      loadBalancerType: "application",
      securityGroups: [this.securityGroup.id],
      subnets: [...props.subnetIds],
      dropInvalidHeaderFields: true,
      idleTimeout: props.idleTimeoutSeconds ?? 60,
      enableDeletionProtection: props.deletionProtection ?? true,
      desyncMitigationMode: "defensive",
      ...(this.accessLogBucket
        ? {
            accessLogs: { bucket: this.accessLogBucket.bucketName, prefix: logPrefix, enabled: true },
            // The bucket policy must exist before ELB checks it can write.
            dependsOn: [this.accessLogBucket.policy],
          }
        : {}),
    });
    this.dnsName = this.loadBalancer.dnsName;
    this.arnSuffix = this.loadBalancer.arnSuffix;

    const notFound = {
      type: "fixed-response",
      fixedResponse: { contentType: "text/plain", messageBody: "Not Found", statusCode: "404" },
    };
    if (props.certificateArn) {
      this.applicationListener = new LbListener(this, "https", {
        loadBalancerArn: this.loadBalancer.arn,
        port: 443,
        protocol: "HTTPS",
        sslPolicy: props.sslPolicy ?? DEFAULT_SSL_POLICY,
        certificateArn: props.certificateArn,
        defaultAction: [notFound],
      });
      new LbListener(this, "http-redirect", {
        loadBalancerArn: this.loadBalancer.arn,
        port: 80,
        protocol: "HTTP",
        defaultAction: [{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", statusCode: "HTTP_301" } }],
      });
    } else {
      this.applicationListener = new LbListener(this, "http", {
        loadBalancerArn: this.loadBalancer.arn,
        port: 80,
        protocol: "HTTP",
        defaultAction: [notFound],
      });
    }
  }
}

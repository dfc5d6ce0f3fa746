import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { TerraformIterator, Token, type TerraformProvider } from "cdktf";
import { Construct } from "constructs";

/** A Route 53 hosted zone id: `Z` followed by upper-case letters and digits. */
const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;
/** One DNS label: letters, digits and inner hyphens, 1 to 63 characters. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Returns why `domainName` is not a lower-case, fully qualified host name, or undefined when it is one. */
export function domainNameProblem(domainName: string): string | undefined {
  if (domainName.length === 0) return "is empty";
  if (domainName.length > 253) return `is ${domainName.length} characters long; the most is 253`;
  if (domainName.endsWith(".")) return "must not end with a dot";
  if (domainName !== domainName.toLowerCase()) return "must be lower case";
  if (domainName.startsWith("*.")) return "must name one host, not a wildcard";
  const labels = domainName.split(".");
  if (labels.length < 2) return "must be fully qualified (at least two labels, such as app.example.com)";
  const bad = labels.find((label) => !DNS_LABEL.test(label));
  if (bad !== undefined) {
    return `has an invalid label "${bad}" (letters, digits and inner hyphens, 1 to 63 characters)`;
  }
  if (/^\d+$/.test(labels[labels.length - 1])) return "must not end in a numeric label (an IP address is not a domain)";
  return undefined;
}

/** Where {@link issueCertificate} puts a certificate and how it is validated. */
export interface CertificateRequest {
  /** The host name the certificate is for (a literal: the validation records are keyed by it). */
  readonly domainName: string;
  /**
   * Route 53 hosted zone the validation records are written to. Without it the records are left to
   * the DNS provider that holds the name (the caller outputs them), and the validation resource waits
   * until they are there. @default none (external DNS)
   */
  readonly hostedZoneId?: string;
  /** Provider of the certificate's region (CloudFront needs us-east-1). @default the stack's provider */
  readonly provider?: TerraformProvider;
}

/** What {@link issueCertificate} creates. */
export interface IssuedCertificate {
  readonly certificate: AcmCertificate;
  /** The Route 53 validation records (with a hosted zone). */
  readonly validationRecords?: Route53Record;
  /** Waits until ACM has issued the certificate; its `certificateArn` is the one to use. */
  readonly validation: AcmCertificateValidation;
}

/**
 * An ACM certificate validated through DNS, in `scope` with the ids `certificate`,
 * `validation-record` and `validation`: with a hosted zone, one validation record per
 * `domain_validation_options` entry (a `for_each` keyed by domain name, known at plan time), then an
 * `aws_acm_certificate_validation` that waits for ACM. Replaced with `create_before_destroy`, so a
 * listener or distribution never points at a deleted certificate.
 */
export function issueCertificate(scope: Construct, request: CertificateRequest): IssuedCertificate {
  const on = request.provider ? { provider: request.provider } : {};
  const certificate = new AcmCertificate(scope, "certificate", {
    ...on,
    domainName: request.domainName,
    validationMethod: "DNS",
    keyAlgorithm: "RSA_2048",
    lifecycle: { createBeforeDestroy: true },
  });
  if (!request.hostedZoneId) {
    return { certificate, validation: new AcmCertificateValidation(scope, "validation", { ...on, certificateArn: certificate.arn }) };
  }
  // domain_validation_options is a set whose record values are known only after apply; its
  // domain_name keys are known at plan time, so a for_each keyed by domain name plans.
  const options = TerraformIterator.fromComplexList(certificate.domainValidationOptions, "domain_name");
  const validationRecords = new Route53Record(scope, "validation-record", {
    forEach: options,
    zoneId: request.hostedZoneId,
    name: options.getString("resource_record_name"),
    type: options.getString("resource_record_type"),
    records: [options.getString("resource_record_value")],
    ttl: 60,
    // ACM reuses the same CNAME when a certificate is re-requested for the name.
    allowOverwrite: true,
  });
  const validation = new AcmCertificateValidation(scope, "validation", {
    ...on,
    certificateArn: certificate.arn,
    validationRecordFqdns: Token.asList(TerraformIterator.fromResources(validationRecords).pluckProperty("fqdn")),
  });
  return { certificate, validationRecords, validation };
}

export interface HttpsEndpointProps {
  /** Host name the platform answers on, for example `app.example.com`; lower case, no trailing dot. */
  readonly domainName: string;
  /** Public hosted zone holding `domainName` (`Z...`); the validation and alias records go there. */
  readonly hostedZoneId: string;
  /** DNS name of the load balancer the alias points at (`PublicLoadBalancer.dnsName`). */
  readonly loadBalancerDnsName: string;
  /** Canonical hosted zone of the load balancer (`PublicLoadBalancer.loadBalancer.zoneId`). */
  readonly loadBalancerZoneId: string;
  /** Let Route 53 answer from the load balancer's health (alias `evaluate_target_health`). @default true */
  readonly evaluateTargetHealth?: boolean;
}

function fail(message: string): never {
  throw new Error(`HttpsEndpoint: ${message}`);
}

/**
 * A public HTTPS name for the load balancer: an ACM certificate for `domainName` validated through
 * DNS (one validation record per `domain_validation_options` entry, written by a `for_each` over the
 * certificate's options keyed by domain name, then an `aws_acm_certificate_validation` that waits for
 * ACM), and an IPv4 alias record from the name to the load balancer. The certificate is replaced with
 * `create_before_destroy`, so the listener never points at a deleted certificate.
 *
 * Give {@link certificateArn} to the load balancer's HTTPS listener: it is the validation resource's
 * output, so the listener is only created once the certificate is issued.
 */
export class HttpsEndpoint extends Construct {
  readonly certificate: AcmCertificate;
  readonly validationRecords: Route53Record;
  readonly validation: AcmCertificateValidation;
  readonly aliasRecord: Route53Record;
  /** ARN of the issued certificate (from the validation resource, so it is only known once validated). */
  readonly certificateArn: string;
  /** `https://<domainName>` */
  readonly url: string;
  /** Fully qualified name of the alias record. */
  readonly fqdn: string;

  constructor(scope: Construct, id: string, props: HttpsEndpointProps) {
    super(scope, id);
    const { domainName, hostedZoneId } = props;
    if (Token.isUnresolved(domainName)) {
      fail("domainName must be a literal: the certificate's validation records are keyed by it at plan time");
    }
    const problem = domainNameProblem(domainName);
    if (problem) {
      fail(`domainName "${domainName}" ${problem}`);
    }
    for (const [field, value] of [
      ["hostedZoneId", hostedZoneId],
      ["loadBalancerZoneId", props.loadBalancerZoneId],
    ] as const) {
      if (!Token.isUnresolved(value) && !HOSTED_ZONE_ID.test(value)) {
        fail(`${field} must be a Route 53 hosted zone id (Z followed by upper-case letters and digits), got "${value}"`);
      }
    }
    if (props.loadBalancerDnsName.length === 0) {
      fail("loadBalancerDnsName is empty");
    }

    const issued = issueCertificate(this, { domainName, hostedZoneId });
    this.certificate = issued.certificate;
    this.validationRecords = issued.validationRecords!;
    this.validation = issued.validation;
    this.certificateArn = this.validation.certificateArn;

    this.aliasRecord = new Route53Record(this, "alias", {
      zoneId: hostedZoneId,
      name: domainName,
      type: "A",
      alias: {
        name: props.loadBalancerDnsName,
        zoneId: props.loadBalancerZoneId,
        evaluateTargetHealth: props.evaluateTargetHealth ?? true,
      },
    });
    this.fqdn = this.aliasRecord.fqdn;
    this.url = `https://${domainName}`;
  }
}

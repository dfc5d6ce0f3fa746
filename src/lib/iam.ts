/**
 * Typed IAM policy documents. Every policy in the platform is built from these types and rendered
 * with {@link policyDocument}, so statements read like the JSON AWS evaluates and tests can parse them.
 */

export type ConditionBlock = Record<string, Record<string, string | string[] | boolean>>;

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: "*" | Record<string, string | string[]>;
  readonly Action: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: ConditionBlock;
}

/** Renders statements as a policy JSON string (tokens inside resolve to Terraform references). */
export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements }, null, 2);
}

/** ARN partition for a region, so ARNs built at synth time are right outside the commercial partition. */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) {
    return "aws-cn";
  }
  if (region.startsWith("us-gov-")) {
    return "aws-us-gov";
  }
  return "aws";
}

/**
 * Trust policy for an AWS service principal, limited to calls made on behalf of one account
 * (`aws:SourceAccount`) and, where given, one source ARN pattern (confused-deputy protection).
 */
export function serviceTrustPolicy(service: string, accountId: string, sourceArnLike?: string): string {
  const condition: ConditionBlock = { StringEquals: { "aws:SourceAccount": accountId } };
  if (sourceArnLike) {
    condition.ArnLike = { "aws:SourceArn": sourceArnLike };
  }
  return policyDocument([
    {
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sts:AssumeRole",
      Condition: condition,
    },
  ]);
}

/** Denies any request to the bucket that does not use TLS (CKV_AWS / AwsSolutions-S10). */
export function denyInsecureTransport(bucketArn: string): PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: "s3:*",
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

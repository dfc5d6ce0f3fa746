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

/** A resource-policy statement denying `action` on `resource` to any request made without TLS. */
export function denyWithoutTls(action: string, resource: string | string[]): PolicyStatement {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: action,
    Resource: resource,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/** Denies any request to the bucket that does not use TLS (AwsSolutions-S10). */
export function denyInsecureTransport(bucketArn: string): PolicyStatement {
  return denyWithoutTls("s3:*", [bucketArn, `${bucketArn}/*`]);
}

/** Denies every SQS action on the queue without TLS (a deny, so `sqs:*` grants nothing). */
export function denyInsecureQueueTransport(queueArn: string): PolicyStatement {
  return denyWithoutTls("sqs:*", queueArn);
}

/**
 * What the account (through IAM policies) may do to administer a customer-managed key, listed
 * explicitly instead of `kms:*`: state, rotation, policy, aliases, tags, grants and deletion. Using
 * the key is granted separately, per service, by the module that owns it. `kms:PutKeyPolicy` must
 * stay: without it KMS refuses the policy (lockout check) and nobody could repair it later.
 */
export const KEY_ADMINISTRATION_ACTIONS: readonly string[] = [
  "kms:CancelKeyDeletion",
  "kms:CreateAlias",
  "kms:DeleteAlias",
  "kms:DescribeKey",
  "kms:DisableKey",
  "kms:DisableKeyRotation",
  "kms:EnableKey",
  "kms:EnableKeyRotation",
  "kms:GetKeyPolicy",
  "kms:GetKeyRotationStatus",
  "kms:ListGrants",
  "kms:ListKeyPolicies",
  "kms:ListKeyRotations",
  "kms:ListResourceTags",
  "kms:PutKeyPolicy",
  "kms:RevokeGrant",
  "kms:RotateKeyOnDemand",
  "kms:ScheduleKeyDeletion",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:UpdateAlias",
  "kms:UpdateKeyDescription",
];

/** Data-plane use of a KMS key by a service encrypting on the account's behalf. */
export const KEY_USE_ACTIONS: readonly string[] = [
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncryptFrom",
  "kms:ReEncryptTo",
  "kms:GenerateDataKey",
  "kms:GenerateDataKeyWithoutPlaintext",
];

/** The key-policy statement that lets the account's IAM principals administer the key. */
export function keyAdministrationStatement(partition: string, accountId: string): PolicyStatement {
  return {
    Sid: "EnableAccountAdministration",
    Effect: "Allow",
    Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
    Action: [...KEY_ADMINISTRATION_ACTIONS],
    Resource: "*",
  };
}

/** A regional service principal (`logs.<region>.amazonaws.com`, `.com.cn` in China). */
export function regionalServicePrincipal(service: string, region: string): string {
  return `${service}.${region}.${region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com"}`;
}

/** The key-policy statement that lets CloudWatch Logs use a key for one log group (`aws:logs:arn` context). */
export function logGroupKeyStatement(sid: string, region: string, logGroupArn: string): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Principal: { Service: regionalServicePrincipal("logs", region) },
    Action: [...KEY_USE_ACTIONS, "kms:DescribeKey"],
    Resource: "*",
    Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": logGroupArn } },
  };
}

import type { PolicyStatement } from "../../src/lib/iam";

/**
 * What the account (through IAM policies) may do to administer a customer-managed key, listed
 * explicitly instead of `kms:*`: manage the key's state, rotation, policy, aliases, tags and grants,
 * and schedule or cancel its deletion. Using the key to encrypt or decrypt is granted separately,
 * per service, by the module that owns the key. `kms:PutKeyPolicy` must stay in the list: without it
 * KMS refuses the policy (lockout safety check) and nobody could repair it later.
 *
 * Shared by the audit and backup modules; a candidate for `src/lib/iam.ts`.
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

/** DNS suffix of service principals that carry a region (`logs.<region>.<suffix>`). */
export function regionalServicePrincipal(service: string, region: string): string {
  return `${service}.${region}.${region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com"}`;
}

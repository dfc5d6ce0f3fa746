/**
 * CloudFront's origin-facing managed prefix list (`com.amazonaws.global.cloudfront.origin-facing`,
 * IPv4) has a different id in each region. A data source would look it up at plan time, which the
 * offline-plannable stacks must not do, so the ids live here.
 *
 * Source: `aws ec2 describe-managed-prefix-lists --region <region> --filters
 * Name=prefix-list-name,Values=com.amazonaws.global.cloudfront.origin-facing` (the list and its use in
 * security groups are described in the CloudFront Developer Guide, "Locations and IP address ranges
 * of CloudFront edge servers", section "Use the CloudFront managed prefix list"). To add a region, run
 * that command there and add the id.
 */
export const CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS: Readonly<Record<string, string>> = {
  "us-east-1": "pl-3b927c52",
  "us-east-2": "pl-b6a144df",
  "us-west-1": "pl-4ea04527",
  "us-west-2": "pl-82a045eb",
  "eu-west-1": "pl-4fa04526",
  "eu-west-2": "pl-93a247fa",
  "eu-central-1": "pl-a3a144ca",
  "ap-southeast-1": "pl-31a34658",
  "ap-southeast-2": "pl-b8a742d1",
  "ap-northeast-1": "pl-58a04531",
};

/**
 * Entries a reference to the origin-facing prefix list counts as against a security group's rule
 * quota: its maximum entries, not its current size (VPC User Guide, "Reference prefix lists in your
 * AWS resources"). With the default quota of 60 inbound rules per security group, a group holds one
 * such reference and a few other rules.
 */
export const CLOUDFRONT_PREFIX_LIST_WEIGHT = 55;
/** Default inbound (and, separately, outbound) rules per security group (VPC quotas). */
export const SECURITY_GROUP_RULE_QUOTA = 60;

/** The origin-facing prefix list of `region`, or an error naming the table to extend. */
export function originFacingPrefixList(region: string): string {
  const id = CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS[region];
  if (!id) {
    throw new Error(
      `Frontend: no CloudFront origin-facing prefix list id is known for ${region}; add it to CLOUDFRONT_ORIGIN_FACING_PREFIX_LISTS (modules/frontend/origin-facing.ts)`,
    );
  }
  return id;
}

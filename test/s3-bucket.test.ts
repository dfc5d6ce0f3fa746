import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { describe, expect, it } from "vitest";
import { SecureBucket, type SecureBucketProps } from "../modules/s3-bucket";
import { onlyResource, ref, synthConstruct } from "./helpers";

function bucket(props: Partial<SecureBucketProps> = {}) {
  return synthConstruct((stack) => new SecureBucket(stack, "b", { bucketName: "acme-test-data", ...props }));
}

describe("SecureBucket", () => {
  it("blocks every kind of public access and disables ACLs", () => {
    const { synth } = bucket();
    expect(synth).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(synth).toHaveResourceWithProperties(S3BucketOwnershipControls, {
      rule: { object_ownership: "BucketOwnerEnforced" },
    });
    expect(synth).toHaveResourceWithProperties(S3Bucket, { bucket: "acme-test-data", force_destroy: false });
  });

  it("encrypts with SSE-S3 by default and SSE-KMS with a bucket key on request", () => {
    expect(bucket().synth).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }],
    });
    expect(bucket({ encryption: "aws:kms" }).synth).toHaveResourceWithProperties(
      S3BucketServerSideEncryptionConfigurationA,
      { rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms" }, bucket_key_enabled: true }] },
    );
    expect(bucket({ kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k" }).synth).toHaveResourceWithProperties(
      S3BucketServerSideEncryptionConfigurationA,
      {
        rule: [
          {
            apply_server_side_encryption_by_default: {
              sse_algorithm: "aws:kms",
              kms_master_key_id: "arn:aws:kms:us-east-1:123456789012:key/k",
            },
            bucket_key_enabled: true,
          },
        ],
      },
    );
  });

  it("versions objects and expires noncurrent versions and stale multipart uploads", () => {
    const { synth, json } = bucket({ noncurrentVersionExpiryDays: 30 });
    expect(synth).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: "Enabled" } });
    const rules = onlyResource(json, "aws_s3_bucket_lifecycle_configuration").rule;
    expect(rules).toEqual([
      expect.objectContaining({ id: "abort-incomplete-multipart-uploads", abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }] }),
      expect.objectContaining({ id: "expire-noncurrent-versions", noncurrent_version_expiration: [{ noncurrent_days: 30 }] }),
    ]);
  });

  it("adds expiry rules for prefixes", () => {
    const rules = onlyResource(bucket({ expiryRules: [{ id: "tmp", prefix: "tmp/", expireAfterDays: 1 }] }).json, "aws_s3_bucket_lifecycle_configuration").rule;
    expect(rules).toContainEqual(expect.objectContaining({ id: "tmp", filter: [{ prefix: "tmp/" }], expiration: [{ days: 1 }] }));
  });

  it("denies non-TLS requests first, then adds the caller's statements, after the public-access block", () => {
    const { json } = bucket({
      policyStatements: (arn) => [{ Sid: "Extra", Effect: "Allow", Principal: { Service: "logging.s3.amazonaws.com" }, Action: "s3:PutObject", Resource: `${arn}/logs/*` }],
    });
    const bucketId = Object.keys(json.resource.aws_s3_bucket)[0];
    const policyResource = onlyResource(json, "aws_s3_bucket_policy");
    const policy = JSON.parse(policyResource.policy);
    const arn = ref("aws_s3_bucket", bucketId, "arn");
    expect(policy.Statement[0]).toEqual({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [arn, `${arn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    expect(policy.Statement[1]).toMatchObject({ Sid: "Extra", Resource: `${arn}/logs/*` });
    const pab = Object.keys(json.resource.aws_s3_bucket_public_access_block)[0];
    expect(policyResource.depends_on).toEqual([`aws_s3_bucket_public_access_block.${pab}`]);
  });

  it("can refuse destruction", () => {
    expect(onlyResource(bucket({ preventDestroy: true }).json, "aws_s3_bucket").lifecycle).toEqual({ prevent_destroy: true });
  });
});

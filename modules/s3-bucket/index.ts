import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import {
  S3BucketLifecycleConfiguration,
  type S3BucketLifecycleConfigurationRule,
} from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import type { TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { denyInsecureTransport, policyDocument, type PolicyStatement } from "../../src/lib/iam";

/** An extra lifecycle rule applied to objects under a prefix. */
export interface BucketExpiryRule {
  /** Rule id, unique within the bucket. */
  readonly id: string;
  /** Key prefix the rule applies to. @default "" (every object) */
  readonly prefix?: string;
  /** Days after creation when current objects expire. */
  readonly expireAfterDays: number;
}

export interface SecureBucketProps {
  /** Physical bucket name (globally unique, 3-63 characters). */
  readonly bucketName: string;
  /**
   * Server-side encryption: `AES256` (SSE-S3) or `aws:kms` (SSE-KMS with an S3 Bucket Key).
   * @default "AES256", which is also what ELB access-log delivery requires
   */
  readonly encryption?: "AES256" | "aws:kms";
  /** KMS key for `aws:kms`. @default the AWS-managed `aws/s3` key */
  readonly kmsKeyArn?: string;
  /** Keep object versions. @default true */
  readonly versioned?: boolean;
  /** Days a replaced or deleted version is kept before it expires. @default 90 */
  readonly noncurrentVersionExpiryDays?: number;
  /** Days after which an unfinished multipart upload is aborted. @default 7 */
  readonly abortIncompleteMultipartUploadDays?: number;
  /** Expiry rules for current objects. @default none */
  readonly expiryRules?: readonly BucketExpiryRule[];
  /**
   * Statements added to the bucket policy after the TLS-only deny; receives the bucket ARN.
   * @default none
   */
  readonly policyStatements?: (bucketArn: string) => PolicyStatement[];
  /** Let `terraform destroy` delete a non-empty bucket. @default false */
  readonly forceDestroy?: boolean;
  /** Make Terraform refuse any plan that destroys the bucket (`prevent_destroy`). @default false */
  readonly preventDestroy?: boolean;
  /** Provider of another region (a disaster-recovery copy). @default the stack's default provider */
  readonly provider?: TerraformProvider;
}

/**
 * An S3 bucket with the platform's baseline: encryption at rest, every public-access-block flag,
 * ACLs disabled (BucketOwnerEnforced), a policy denying non-TLS requests, versioning, and lifecycle
 * rules for noncurrent versions and incomplete multipart uploads.
 */
export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;
  /** Bucket name (`id` of the bucket). */
  readonly bucketName: string;
  readonly bucketArn: string;
  readonly policy: S3BucketPolicy;
  /** The versioning configuration (replication must wait for it). */
  readonly versioning: S3BucketVersioningA;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    const versioned = props.versioned ?? true;
    const encryption = props.encryption ?? (props.kmsKeyArn ? "aws:kms" : "AES256");
    const provider = props.provider ? { provider: props.provider } : {};

    this.bucket = new S3Bucket(this, "bucket", {
      ...provider,
      bucket: props.bucketName,
      forceDestroy: props.forceDestroy ?? false,
      lifecycle: { preventDestroy: props.preventDestroy ?? false },
    });
    this.bucketName = this.bucket.id;
    this.bucketArn = this.bucket.arn;

    const publicAccessBlock = new S3BucketPublicAccessBlock(this, "public-access-block", {
      ...provider,
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });

    new S3BucketOwnershipControls(this, "ownership", {
      ...provider,
      bucket: this.bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });

    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      ...provider,
      bucket: this.bucket.id,
      rule: [
        encryption === "aws:kms"
          ? {
              applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.kmsKeyArn },
              bucketKeyEnabled: true,
            }
          : { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } },
      ],
    });

    this.versioning = new S3BucketVersioningA(this, "versioning", {
      ...provider,
      bucket: this.bucket.id,
      versioningConfiguration: { status: versioned ? "Enabled" : "Suspended" },
    });

    const rules: S3BucketLifecycleConfigurationRule[] = [
      {
        id: "abort-incomplete-multipart-uploads",
        status: "Enabled",
        filter: [{}],
        abortIncompleteMultipartUpload: [{ daysAfterInitiation: props.abortIncompleteMultipartUploadDays ?? 7 }],
      },
    ];
    if (versioned) {
      rules.push({
        id: "expire-noncurrent-versions",
        status: "Enabled",
        filter: [{}],
        noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionExpiryDays ?? 90 }],
      });
    }
    for (const rule of props.expiryRules ?? []) {
      rules.push({
        id: rule.id,
        status: "Enabled",
        filter: [{ prefix: rule.prefix ?? "" }],
        expiration: [{ days: rule.expireAfterDays }],
      });
    }
    new S3BucketLifecycleConfiguration(this, "lifecycle", { ...provider, bucket: this.bucket.id, rule: rules });

    this.policy = new S3BucketPolicy(this, "policy", {
      ...provider,
      bucket: this.bucket.id,
      policy: policyDocument([denyInsecureTransport(this.bucket.arn), ...(props.policyStatements?.(this.bucket.arn) ?? [])]),
      // S3 rejects a bucket policy while the public-access block is still being applied.
      dependsOn: [publicAccessBlock],
    });
  }
}

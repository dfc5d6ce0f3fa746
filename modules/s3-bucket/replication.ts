import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { S3BucketReplicationConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-replication-configuration";
import { Construct } from "constructs";
import { policyDocument, type PolicyStatement } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";
import type { SecureBucket } from "./index";

/** One source bucket and the bucket its objects are copied to. */
export interface ReplicatedBucket {
  /** Short name used in construct ids and the rule id (`landing`). */
  readonly name: string;
  readonly source: SecureBucket;
  readonly destination: SecureBucket;
  /** KMS key the source's SSE-KMS objects are encrypted with; they are replicated too. @default none (SSE-S3 source) */
  readonly sourceKmsKeyArn?: string;
  /** KMS key (in the destination region) replicas are encrypted with. @default none (the destination bucket's default encryption) */
  readonly replicaKmsKeyArn?: string;
}

export interface BucketReplicationProps {
  readonly naming: NameContext;
  /** The buckets to replicate; one role serves them all. */
  readonly buckets: readonly ReplicatedBucket[];
}

function fail(message: string): never {
  throw new Error(`BucketReplication: ${message}`);
}

/**
 * Same-account S3 replication of whole buckets (new objects, deletes as delete markers) to buckets in
 * another region, through one role only S3 of this account may assume, that may read exactly the
 * sources' versions and write exactly replicas into the destinations (and, with SSE-KMS, decrypt with
 * the source key and encrypt with the replica key). Both sides must be versioned (SecureBucket is).
 */
export class BucketReplication extends Construct {
  readonly role: IamRole;
  readonly roleArn: string;
  readonly configurations: S3BucketReplicationConfigurationA[];

  constructor(scope: Construct, id: string, props: BucketReplicationProps) {
    super(scope, id);
    if (props.buckets.length === 0) fail("buckets needs at least one bucket");
    const names = props.buckets.map((b) => b.name);
    if (new Set(names).size !== names.length) fail(`bucket names must be unique, got ${names.join(", ")}`);
    for (const b of props.buckets) {
      if (!/^[a-z][a-z0-9-]{0,40}$/.test(b.name)) fail(`bucket name "${b.name}" must be lower-case letters, digits and hyphens`);
      if ((b.sourceKmsKeyArn === undefined) !== (b.replicaKmsKeyArn === undefined)) {
        fail(`${b.name}: sourceKmsKeyArn and replicaKmsKeyArn go together (SSE-KMS objects need a key on both sides)`);
      }
    }

    const statements: PolicyStatement[] = props.buckets.flatMap((b) => [
      { Sid: `Read${pascal(b.name)}Configuration`, Effect: "Allow" as const, Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"], Resource: b.source.bucketArn },
      {
        Sid: `Read${pascal(b.name)}Versions`,
        Effect: "Allow" as const,
        Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
        Resource: `${b.source.bucketArn}/*`,
      },
      {
        Sid: `Write${pascal(b.name)}Replicas`,
        Effect: "Allow" as const,
        Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
        Resource: `${b.destination.bucketArn}/*`,
      },
      ...(b.sourceKmsKeyArn && b.replicaKmsKeyArn
        ? [
            { Sid: `Decrypt${pascal(b.name)}Sources`, Effect: "Allow" as const, Action: "kms:Decrypt", Resource: b.sourceKmsKeyArn },
            { Sid: `Encrypt${pascal(b.name)}Replicas`, Effect: "Allow" as const, Action: "kms:Encrypt", Resource: b.replicaKmsKeyArn },
          ]
        : []),
    ]);

    this.role = new IamRole(this, "role", {
      name: physicalName(props.naming, "replication", { maxLength: NAME_LIMITS.iamRole }),
      description: `S3 replication of ${names.join(", ")} to the disaster-recovery region`,
      // The S3 User Guide ("Setting up permissions for live replication") documents the service principal only.
      assumeRolePolicy: policyDocument([{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }]),
    });
    this.roleArn = this.role.arn;
    const policy = new IamRolePolicy(this, "policy", { name: "replicate", role: this.role.id, policy: policyDocument(statements) });

    this.configurations = props.buckets.map(
      (b) =>
        new S3BucketReplicationConfigurationA(this, `${b.name}-replication`, {
          bucket: b.source.bucketName,
          role: this.role.arn,
          rule: [
            {
              id: `${b.name}-to-dr`,
              status: "Enabled",
              filter: {},
              deleteMarkerReplication: { status: "Enabled" },
              ...(b.sourceKmsKeyArn ? { sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } } } : {}),
              destination: {
                bucket: b.destination.bucketArn,
                storageClass: "STANDARD",
                ...(b.replicaKmsKeyArn ? { encryptionConfiguration: { replicaKmsKeyId: b.replicaKmsKeyArn } } : {}),
              },
            },
          ],
          // S3 refuses a replication configuration until versioning is on at both ends.
          dependsOn: [b.source.versioning, b.destination.versioning, policy],
        }),
    );
  }
}

function pascal(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

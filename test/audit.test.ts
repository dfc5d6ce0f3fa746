import { Cloudtrail } from "@cdktf/provider-aws/lib/cloudtrail";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { TerraformOutput } from "cdktf";
import { describe, expect, it } from "vitest";
import { AuditTrail, type AuditTrailProps } from "../modules/audit";
import { KEY_ADMINISTRATION_ACTIONS } from "../src/lib/iam";
import { TEST_ACCOUNT, onlyResource, ref, resourcesOf, synthConstruct, testNaming, type SynthJson } from "./helpers";

const TRAIL_ARN = `arn:aws:cloudtrail:eu-west-1:${TEST_ACCOUNT}:trail/acme-test-trail`;
const LOG_GROUP_ARN = `arn:aws:logs:eu-west-1:${TEST_ACCOUNT}:log-group:/aws/cloudtrail/acme-test-trail`;

function audit(props: Partial<AuditTrailProps> = {}) {
  return synthConstruct((stack) => {
    const trail = new AuditTrail(stack, "audit", { naming: testNaming, accountId: TEST_ACCOUNT, region: "eu-west-1", ...props });
    new TerraformOutput(stack, "trail_arn", { value: trail.trailArn });
    new TerraformOutput(stack, "trail_name", { value: trail.trailName });
    new TerraformOutput(stack, "bucket_name", { value: trail.bucketName });
    new TerraformOutput(stack, "log_group_name", { value: trail.logGroupName });
    if (trail.kmsKeyArn) new TerraformOutput(stack, "kms_key_arn", { value: trail.kmsKeyArn });
  });
}

const idOf = (json: SynthJson, type: string) => {
  const ids = Object.keys(resourcesOf(json, type));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0];
};

const statements = (policy: string) => JSON.parse(policy).Statement as Array<Record<string, any>>;

describe("AuditTrail", () => {
  const { synth, json } = audit();
  const bucket = ref("aws_s3_bucket", idOf(json, "aws_s3_bucket"), "arn");
  const logGroup = idOf(json, "aws_cloudwatch_log_group");
  const key = idOf(json, "aws_kms_key");

  it("records management events of every region, global services included, with log file validation", () => {
    expect(synth).toHaveResourceWithProperties(Cloudtrail, {
      name: "acme-test-trail",
      is_multi_region_trail: true,
      include_global_service_events: true,
      enable_log_file_validation: true,
      enable_logging: true,
      event_selector: [{ read_write_type: "All", include_management_events: true }],
    });
  });

  it("delivers to its bucket, its log group through its role, encrypted with its key, after the bucket policy exists", () => {
    const trail = onlyResource(json, "aws_cloudtrail");
    expect(trail.s3_bucket_name).toBe(ref("aws_s3_bucket", idOf(json, "aws_s3_bucket"), "id"));
    expect(trail.cloud_watch_logs_group_arn).toBe(`${ref("aws_cloudwatch_log_group", logGroup, "arn")}:*`);
    expect(trail.cloud_watch_logs_role_arn).toBe(ref("aws_iam_role", idOf(json, "aws_iam_role"), "arn"));
    expect(trail.kms_key_id).toBe(ref("aws_kms_key", key, "arn"));
    expect(trail.depends_on).toEqual([
      `aws_s3_bucket_policy.${idOf(json, "aws_s3_bucket_policy")}`,
      `aws_iam_role_policy.${idOf(json, "aws_iam_role_policy")}`,
    ]);
  });

  it("keeps log files in a dedicated SSE-S3, versioned bucket that expires them after 365 days", () => {
    expect(onlyResource(json, "aws_s3_bucket").bucket).toBe(`acme-test-cloudtrail-${TEST_ACCOUNT}`);
    expect(synth).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: "Enabled" } });
    expect(synth).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }],
    });
    const rules = onlyResource(json, "aws_s3_bucket_lifecycle_configuration").rule as Array<Record<string, any>>;
    expect(rules.find((r) => r.id === "expire-trail-logs")).toEqual({
      id: "expire-trail-logs",
      status: "Enabled",
      filter: [{ prefix: "" }],
      expiration: [{ days: 365 }],
    });
  });

  it("expires log files after retentionDays", () => {
    const rules = onlyResource(audit({ retentionDays: 2555 }).json, "aws_s3_bucket_lifecycle_configuration").rule as Array<Record<string, any>>;
    expect(rules.find((r) => r.id === "expire-trail-logs")?.expiration).toEqual([{ days: 2555 }]);
  });

  it("lets only this trail read the bucket ACL and write under AWSLogs/<account>/ with bucket-owner-full-control", () => {
    const policy = statements(onlyResource(json, "aws_s3_bucket_policy").policy);
    expect(policy[0].Sid).toBe("DenyInsecureTransport");
    expect(policy.slice(1)).toEqual([
      {
        Sid: "AWSCloudTrailAclCheck",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "s3:GetBucketAcl",
        Resource: bucket,
        Condition: { StringEquals: { "aws:SourceArn": TRAIL_ARN } },
      },
      {
        Sid: "AWSCloudTrailWrite",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "s3:PutObject",
        Resource: `${bucket}/AWSLogs/${TEST_ACCOUNT}/*`,
        Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": TRAIL_ARN } },
      },
    ]);
  });

  it("sends events to an encrypted log group with retention", () => {
    expect(synth).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: "/aws/cloudtrail/acme-test-trail",
      retention_in_days: 365,
      kms_key_id: ref("aws_kms_key", key, "arn"),
    });
    expect(onlyResource(audit({ logRetentionDays: 90 }).json, "aws_cloudwatch_log_group").retention_in_days).toBe(90);
  });

  it("writes to the log group through a role CloudTrail assumes that may only create streams and put events there", () => {
    const role = onlyResource(json, "aws_iam_role");
    expect(role.name).toBe("acme-test-cloudtrail-logs");
    expect(statements(role.assume_role_policy)).toEqual([
      { Effect: "Allow", Principal: { Service: "cloudtrail.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    const rolePolicy = onlyResource(json, "aws_iam_role_policy");
    expect(rolePolicy.role).toBe(ref("aws_iam_role", idOf(json, "aws_iam_role"), "id"));
    expect(statements(rolePolicy.policy)).toEqual([
      {
        Sid: "WriteTrailLogStreams",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${ref("aws_cloudwatch_log_group", logGroup, "arn")}:log-stream:${TEST_ACCOUNT}_CloudTrail_*`,
      },
    ]);
  });

  it("creates a rotating customer-managed key with an alias", () => {
    expect(synth).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true, deletion_window_in_days: 30 });
    expect(synth).toHaveResourceWithProperties(KmsAlias, {
      name: "alias/acme-test-trail",
      target_key_id: ref("aws_kms_key", key, "key_id"),
    });
  });

  it("lets the account administer the key, this trail encrypt, the account decrypt trail logs and CloudWatch Logs use it for this group", () => {
    const root = `arn:aws:iam::${TEST_ACCOUNT}:root`;
    const anyTrail = `arn:aws:cloudtrail:*:${TEST_ACCOUNT}:trail/*`;
    expect(statements(onlyResource(json, "aws_kms_key").policy)).toEqual([
      { Sid: "EnableAccountAdministration", Effect: "Allow", Principal: { AWS: root }, Action: [...KEY_ADMINISTRATION_ACTIONS], Resource: "*" },
      {
        Sid: "AllowCloudTrailEncryptLogs",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "kms:GenerateDataKey",
        Resource: "*",
        Condition: {
          StringEquals: { "aws:SourceArn": TRAIL_ARN },
          StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": anyTrail },
        },
      },
      {
        Sid: "AllowCloudTrailDescribeKey",
        Effect: "Allow",
        Principal: { Service: "cloudtrail.amazonaws.com" },
        Action: "kms:DescribeKey",
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceArn": TRAIL_ARN } },
      },
      {
        Sid: "AllowAccountDecryptTrailLogs",
        Effect: "Allow",
        Principal: { AWS: root },
        Action: ["kms:Decrypt", "kms:ReEncryptFrom"],
        Resource: "*",
        Condition: {
          StringEquals: { "kms:CallerAccount": TEST_ACCOUNT },
          StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": anyTrail },
        },
      },
      {
        Sid: "AllowCloudWatchLogsForTheTrailGroup",
        Effect: "Allow",
        Principal: { Service: "logs.eu-west-1.amazonaws.com" },
        Action: [
          "kms:Encrypt",
          "kms:Decrypt",
          "kms:ReEncryptFrom",
          "kms:ReEncryptTo",
          "kms:GenerateDataKey",
          "kms:GenerateDataKeyWithoutPlaintext",
          "kms:DescribeKey",
        ],
        Resource: "*",
        Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": LOG_GROUP_ARN } },
      },
    ]);
  });

  it("lists key administration without wildcards and keeps PutKeyPolicy (KMS lockout check)", () => {
    expect(KEY_ADMINISTRATION_ACTIONS).toContain("kms:PutKeyPolicy");
    expect(KEY_ADMINISTRATION_ACTIONS).not.toContain("kms:Decrypt");
    for (const type of ["aws_kms_key", "aws_s3_bucket_policy", "aws_iam_role_policy", "aws_iam_role"]) {
      for (const resource of Object.values(resourcesOf(json, type))) {
        const document = resource.policy ?? resource.assume_role_policy;
        for (const statement of statements(document)) {
          const actions = [statement.Action].flat() as string[];
          // The TLS-only deny is the one deliberate wildcard: it denies every S3 action.
          if (statement.Effect === "Deny") continue;
          expect(actions.filter((a) => a.includes("*")), `${type} ${statement.Sid}`).toEqual([]);
        }
      }
    }
  });

  it("exposes the trail, bucket, log group and key as outputs", () => {
    expect(json.output).toMatchObject({
      trail_arn: { value: ref("aws_cloudtrail", idOf(json, "aws_cloudtrail"), "arn") },
      trail_name: { value: ref("aws_cloudtrail", idOf(json, "aws_cloudtrail"), "name") },
      bucket_name: { value: ref("aws_s3_bucket", idOf(json, "aws_s3_bucket"), "id") },
      log_group_name: { value: ref("aws_cloudwatch_log_group", logGroup, "name") },
      kms_key_arn: { value: ref("aws_kms_key", key, "arn") },
    });
  });

  it("without kmsEncryption creates no key and leaves the trail and log group on default encryption", () => {
    const plain = audit({ kmsEncryption: false });
    expect(plain.json.resource.aws_kms_key).toBeUndefined();
    expect(plain.json.resource.aws_kms_alias).toBeUndefined();
    expect(onlyResource(plain.json, "aws_cloudtrail").kms_key_id).toBeUndefined();
    expect(onlyResource(plain.json, "aws_cloudwatch_log_group").kms_key_id).toBeUndefined();
    expect(plain.json.output?.kms_key_arn).toBeUndefined();
    // The trail still waits for its bucket policy.
    expect(onlyResource(plain.json, "aws_cloudtrail").depends_on).toContain(`aws_s3_bucket_policy.${idOf(plain.json, "aws_s3_bucket_policy")}`);
  });

  it("builds ARNs and service principals in the region's partition", () => {
    const china = audit({ region: "cn-north-1" }).json;
    const chinaTrail = `arn:aws-cn:cloudtrail:cn-north-1:${TEST_ACCOUNT}:trail/acme-test-trail`;
    expect(statements(onlyResource(china, "aws_s3_bucket_policy").policy)[1].Condition).toEqual({
      StringEquals: { "aws:SourceArn": chinaTrail },
    });
    const keyPolicy = statements(onlyResource(china, "aws_kms_key").policy);
    expect(keyPolicy[0].Principal).toEqual({ AWS: `arn:aws-cn:iam::${TEST_ACCOUNT}:root` });
    expect(keyPolicy[4].Principal).toEqual({ Service: "logs.cn-north-1.amazonaws.com.cn" });
    expect(keyPolicy[4].Condition.ArnEquals["kms:EncryptionContext:aws:logs:arn"]).toBe(
      `arn:aws-cn:logs:cn-north-1:${TEST_ACCOUNT}:log-group:/aws/cloudtrail/acme-test-trail`,
    );
  });

  it.each([
    [{ accountId: "12345" }, /AuditTrail: accountId must be 12 digits/],
    [{ region: "europe" }, /AuditTrail: region must be an AWS region name/],
    [{ retentionDays: 0 }, /AuditTrail: retentionDays must be a whole number of days, at least 1, got 0/],
    [{ retentionDays: 1.5 }, /AuditTrail: retentionDays must be a whole number/],
    [{ logRetentionDays: 42 }, /AuditTrail: logRetentionDays must be one of CloudWatch's retention periods .* got 42/],
  ] as Array<[Partial<AuditTrailProps>, RegExp]>)("refuses %o", (props, message) => {
    expect(() => audit(props)).toThrow(message);
  });
});

import { Cloudtrail } from "@cdktf/provider-aws/lib/cloudtrail";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Construct } from "constructs";
import { LOG_RETENTION_DAYS } from "../../src/lib/logs";
import { keyAdministrationStatement, logGroupKeyStatement, partitionOf, policyDocument, type PolicyStatement } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";
import { SecureBucket } from "../s3-bucket";



const CLOUDTRAIL_PRINCIPAL = "cloudtrail.amazonaws.com";

export interface AuditTrailProps {
  readonly naming: NameContext;
  /** Account the trail records; part of the trail ARN and of every policy condition. */
  readonly accountId: string;
  /** Home region of the trail (it records every region). */
  readonly region: string;
  /** Days log files are kept in the bucket before they expire. @default 365 */
  readonly retentionDays?: number;
  /** Retention of the trail's CloudWatch log group, in days (a CloudWatch value). @default 365 */
  readonly logRetentionDays?: number;
  /**
   * Encrypt log files and the log group with a customer-managed KMS key (rotation on) created here
   * (checkov CKV_AWS_35). When false, log files use the bucket's SSE-S3 encryption.
   * @default true
   */
  readonly kmsEncryption?: boolean;
}

function fail(message: string): never {
  throw new Error(`AuditTrail: ${message}`);
}

/** The ARN a trail will have, known at synth time so policies can name it before it exists. */
export function trailArn(partition: string, region: string, accountId: string, name: string): string {
  return `arn:${partition}:cloudtrail:${region}:${accountId}:trail/${name}`;
}

/**
 * The two bucket-policy statements CloudTrail needs to deliver log files: read the bucket ACL, and
 * write under `AWSLogs/<account>/` with the bucket owner getting full control. Both only for the
 * given trail (`aws:SourceArn`).
 */
export function cloudTrailBucketStatements(bucketArn: string, accountId: string, sourceTrailArn: string): PolicyStatement[] {
  return [
    {
      Sid: "AWSCloudTrailAclCheck",
      Effect: "Allow",
      Principal: { Service: CLOUDTRAIL_PRINCIPAL },
      Action: "s3:GetBucketAcl",
      Resource: bucketArn,
      Condition: { StringEquals: { "aws:SourceArn": sourceTrailArn } },
    },
    {
      Sid: "AWSCloudTrailWrite",
      Effect: "Allow",
      Principal: { Service: CLOUDTRAIL_PRINCIPAL },
      Action: "s3:PutObject",
      Resource: `${bucketArn}/AWSLogs/${accountId}/*`,
      Condition: {
        StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": sourceTrailArn },
      },
    },
  ];
}

/**
 * A multi-region CloudTrail trail recording management events (read and write, global services
 * included) with log file validation, delivered to a dedicated {@link SecureBucket} (TLS-only, public
 * access blocked, versioned, expiring after `retentionDays`) whose policy admits only this trail,
 * and to a CloudWatch log group with retention through a role that may only create streams and put
 * events in that group. By default a customer-managed KMS key (rotation on) encrypts the log files and
 * the log group; its policy lets the account administer it, this trail encrypt, the account decrypt
 * trail logs, and CloudWatch Logs use it for this one log group.
 */
export class AuditTrail extends Construct {
  readonly trail: Cloudtrail;
  readonly trailArn: string;
  readonly trailName: string;
  readonly bucket: SecureBucket;
  readonly bucketName: string;
  readonly logGroup: CloudwatchLogGroup;
  readonly logGroupName: string;
  readonly role: IamRole;
  readonly kmsKey?: KmsKey;
  /** ARN of the customer-managed key (only with `kmsEncryption`). */
  readonly kmsKeyArn?: string;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    const { naming, accountId, region } = props;
    const retentionDays = props.retentionDays ?? 365;
    const logRetentionDays = props.logRetentionDays ?? 365;
    const kmsEncryption = props.kmsEncryption ?? true;

    if (!/^\d{12}$/.test(accountId)) {
      fail(`accountId must be 12 digits, got "${accountId}"`);
    }
    if (!/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/.test(region)) {
      fail(`region must be an AWS region name such as us-east-1, got "${region}"`);
    }
    if (!Number.isInteger(retentionDays) || retentionDays < 1) {
      fail(`retentionDays must be a whole number of days, at least 1, got ${retentionDays}`);
    }
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
      fail(`logRetentionDays must be one of CloudWatch's retention periods (${LOG_RETENTION_DAYS.join(", ")}), got ${logRetentionDays}`);
    }

    const partition = partitionOf(region);
    const name = physicalName(naming, "trail", { maxLength: NAME_LIMITS.cloudTrail });
    if (!/^[a-z0-9]/.test(name) || name.length < 3) {
      fail(`the trail name must start with a letter or digit and have at least 3 characters, got "${name}"`);
    }
    // Built at synth time: the bucket and key policies name the trail before it exists.
    const arn = trailArn(partition, region, accountId, name);
    const logGroupName = `/aws/cloudtrail/${name}`;
    const logGroupArn = `arn:${partition}:logs:${region}:${accountId}:log-group:${logGroupName}`;

    if (kmsEncryption) {
      const cloudTrailLogs = `arn:${partition}:cloudtrail:*:${accountId}:trail/*`;
      const keyStatements: PolicyStatement[] = [
        keyAdministrationStatement(partition, accountId),
        {
          Sid: "AllowCloudTrailEncryptLogs",
          Effect: "Allow",
          Principal: { Service: CLOUDTRAIL_PRINCIPAL },
          Action: "kms:GenerateDataKey",
          Resource: "*",
          Condition: {
            StringEquals: { "aws:SourceArn": arn },
            StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": cloudTrailLogs },
          },
        },
        {
          Sid: "AllowCloudTrailDescribeKey",
          Effect: "Allow",
          Principal: { Service: CLOUDTRAIL_PRINCIPAL },
          Action: "kms:DescribeKey",
          Resource: "*",
          Condition: { StringEquals: { "aws:SourceArn": arn } },
        },
        {
          Sid: "AllowAccountDecryptTrailLogs",
          Effect: "Allow",
          Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
          Action: ["kms:Decrypt", "kms:ReEncryptFrom"],
          Resource: "*",
          Condition: {
            StringEquals: { "kms:CallerAccount": accountId },
            StringLike: { "kms:EncryptionContext:aws:cloudtrail:arn": cloudTrailLogs },
          },
        },
        logGroupKeyStatement("AllowCloudWatchLogsForTheTrailGroup", region, logGroupArn),
      ];
      this.kmsKey = new KmsKey(this, "key", {
        description: `Encrypts CloudTrail trail ${name} log files and its CloudWatch log group`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: policyDocument(keyStatements),
      });
      new KmsAlias(this, "key-alias", { name: `alias/${name}`, targetKeyId: this.kmsKey.keyId });
      this.kmsKeyArn = this.kmsKey.arn;
    }

    this.bucket = new SecureBucket(this, "bucket", {
      bucketName: physicalName(naming, `cloudtrail-${accountId}`, { maxLength: NAME_LIMITS.s3Bucket }),
      // Default encryption stays SSE-S3: CloudTrail itself encrypts log files with the key, and the
      // digest files it writes must not need a grant on a bucket key.
      encryption: "AES256",
      expiryRules: [{ id: "expire-trail-logs", expireAfterDays: retentionDays }],
      policyStatements: (bucketArn) => cloudTrailBucketStatements(bucketArn, accountId, arn),
    });
    this.bucketName = this.bucket.bucketName;

    this.logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: logGroupName,
      retentionInDays: logRetentionDays,
      ...(this.kmsKey ? { kmsKeyId: this.kmsKey.arn } : {}),
    });
    this.logGroupName = this.logGroup.name;

    // CloudTrail does not send aws:SourceArn / aws:SourceAccount when it assumes this role, so the
    // trust policy cannot carry them (AWS CloudTrail guide, "Role policy document for CloudTrail to
    // use CloudWatch Logs"); the permissions are what is narrowed.
    this.role = new IamRole(this, "logs-role", {
      name: physicalName(naming, "cloudtrail-logs", { maxLength: NAME_LIMITS.iamRole }),
      description: `Lets CloudTrail trail ${name} write to its CloudWatch log group`,
      assumeRolePolicy: policyDocument([
        { Effect: "Allow", Principal: { Service: CLOUDTRAIL_PRINCIPAL }, Action: "sts:AssumeRole" },
      ]),
    });
    const rolePolicy = new IamRolePolicy(this, "logs-policy", {
      name: "write-trail-log-group",
      role: this.role.id,
      policy: policyDocument([
        {
          Sid: "WriteTrailLogStreams",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          // CloudTrail names its streams <account>_CloudTrail_<region>, one per recorded region.
          Resource: `${this.logGroup.arn}:log-stream:${accountId}_CloudTrail_*`,
        },
      ]),
    });

    this.trail = new Cloudtrail(this, "trail", {
      name,
      s3BucketName: this.bucket.bucketName,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      enableLogging: true,
      eventSelector: [{ readWriteType: "All", includeManagementEvents: true }],
      // CloudTrail requires the log-stream wildcard on the group ARN.
      cloudWatchLogsGroupArn: `${this.logGroup.arn}:*`,
      cloudWatchLogsRoleArn: this.role.arn,
      ...(this.kmsKey ? { kmsKeyId: this.kmsKey.arn } : {}),
      // CloudTrail checks the bucket policy and the role's permissions when the trail is created.
      dependsOn: [this.bucket.policy, rolePolicy],
    });
    this.trailArn = this.trail.arn;
    this.trailName = this.trail.name;
  }
}

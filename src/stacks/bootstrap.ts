import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { SecureBucket } from "../../modules/s3-bucket";
import type { EnvironmentConfig } from "../config/schema";
import { platformProvider } from "../lib/provider";

export const BOOTSTRAP_STACK = "bootstrap";

export interface BootstrapStackProps {
  /** Validated workspaces whose state backends this stack creates (one account, one state region). */
  readonly environments: readonly EnvironmentConfig[];
  /** Days a superseded state version is kept. @default 90 */
  readonly noncurrentStateVersionDays?: number;
}

/**
 * Creates what the workspaces' S3 backends need, with local state: each distinct state bucket
 * (versioned, KMS-encrypted, private, TLS-only) and lock table (on-demand, point-in-time recovery,
 * encrypted). Apply it once before any workspace; both resources refuse to be destroyed.
 */
export class BootstrapStack extends TerraformStack {
  readonly buckets: SecureBucket[] = [];
  readonly lockTables: DynamodbTable[] = [];

  constructor(scope: Construct, props: BootstrapStackProps) {
    super(scope, BOOTSTRAP_STACK);
    const [first] = props.environments;
    if (!first) {
      throw new Error("BootstrapStack: at least one environment is required");
    }
    new LocalBackend(this, { path: "terraform.tfstate" });
    platformProvider(this, {
      project: first.project,
      environment: BOOTSTRAP_STACK,
      region: first.state.region,
      accountId: first.accountId,
    });

    const bucketNames = [...new Set(props.environments.map((e) => e.state.bucket))];
    const tableNames = [...new Set(props.environments.map((e) => e.state.lockTable))];

    bucketNames.forEach((bucketName, i) => {
      const bucket = new SecureBucket(this, `state-bucket-${i}`, {
        bucketName,
        encryption: "aws:kms",
        versioned: true,
        noncurrentVersionExpiryDays: props.noncurrentStateVersionDays ?? 90,
        preventDestroy: true,
      });
      this.buckets.push(bucket);
      new TerraformOutput(this, `state_bucket_${i}`, { value: bucket.bucketName, description: "Terraform state bucket" });
    });

    tableNames.forEach((name, i) => {
      const table = new DynamodbTable(this, `lock-table-${i}`, {
        name,
        billingMode: "PAY_PER_REQUEST",
        hashKey: "LockID",
        attribute: [{ name: "LockID", type: "S" }],
        pointInTimeRecovery: { enabled: true },
        serverSideEncryption: { enabled: true },
        deletionProtectionEnabled: true,
        lifecycle: { preventDestroy: true },
      });
      this.lockTables.push(table);
      new TerraformOutput(this, `lock_table_${i}`, { value: table.name, description: "Terraform state lock table" });
    });
  }
}

import { S3Backend, type TerraformStack } from "cdktf";
import type { EnvironmentConfig } from "../config/schema";

/** The state key of a stack of a workspace: `<project>/<stack>/terraform.tfstate` (the workspace's own stack is named after it). */
export function stateKey(config: EnvironmentConfig, stack: string = config.name): string {
  return `${config.project}/${stack}/terraform.tfstate`;
}

/**
 * Points a workspace stack at its remote state: the bucket the bootstrap stack of the workspace's own
 * account created, encrypted, locked both through DynamoDB and S3-native lock files (Terraform >=
 * 1.10). Keeping both during the migration is what Terraform recommends; drop `dynamodb_table` once
 * every user runs 1.10 or later. The backend's `allowed_account_ids` is the workspace's account:
 * `terraform init` with credentials of any other account stops before reading or writing state.
 */
export function useRemoteState(stack: TerraformStack, config: EnvironmentConfig): S3Backend {
  const backend = new S3Backend(stack, {
    bucket: config.state.bucket,
    key: stateKey(config, stack.node.id),
    region: config.state.region,
    encrypt: true,
    dynamodbTable: config.state.lockTable,
  });
  // cdktf 0.21's S3Backend has no `useLockfile` or `allowedAccountIds` field yet.
  stack.addOverride("terraform.backend.s3.use_lockfile", true);
  stack.addOverride("terraform.backend.s3.allowed_account_ids", [config.accountId]);
  return backend;
}

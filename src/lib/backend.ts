import { S3Backend, type TerraformStack } from "cdktf";
import type { EnvironmentConfig } from "../config/schema";

/** The state key of a workspace: `<project>/<env>/terraform.tfstate`. */
export function stateKey(config: EnvironmentConfig): string {
  return `${config.project}/${config.name}/terraform.tfstate`;
}

/**
 * Points a workspace stack at its remote state: the bootstrap-created bucket, encrypted, locked both
 * through DynamoDB and S3-native lock files (Terraform >= 1.10). Keeping both during the migration is
 * what Terraform recommends; drop `dynamodb_table` once every user runs 1.10 or later.
 */
export function useRemoteState(stack: TerraformStack, config: EnvironmentConfig): S3Backend {
  const backend = new S3Backend(stack, {
    bucket: config.state.bucket,
    key: stateKey(config),
    region: config.state.region,
    encrypt: true,
    dynamodbTable: config.state.lockTable,
  });
  // cdktf 0.21's S3Backend has no `useLockfile` field yet.
  stack.addOverride("terraform.backend.s3.use_lockfile", true);
  return backend;
}

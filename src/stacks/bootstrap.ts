import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { DEPLOY_TAG_KEY, frontendBucketName, frontendDeployTagValue } from "../../modules/frontend";
import { GithubOidc, githubProviderArn } from "../../modules/github-oidc";
import { SecureBucket } from "../../modules/s3-bucket";
import { stateKey } from "../lib/backend";
import { partitionOf } from "../lib/iam";
import type { EnvironmentConfig } from "../config/schema";
import { NAME_LIMITS, physicalName } from "../lib/naming";
import { platformProvider } from "../lib/provider";

/** The `Environment` tag and the name context of what the bootstrap stacks create (`<project>-bootstrap-*`). */
export const BOOTSTRAP_STACK = "bootstrap";

/** `bootstrap-<account id>`: the stack that prepares one account for its workspaces. */
export function bootstrapStackName(accountId: string): string {
  return `${BOOTSTRAP_STACK}-${accountId}`;
}

/**
 * ARN of the CI apply role of workspace `config` (created by its account's bootstrap stack when
 * `github` is configured), computed like the bootstrap stack names it: no data source needed.
 */
export function ciApplyRoleArn(config: Pick<EnvironmentConfig, "project" | "name" | "region" | "accountId">): string {
  const name = physicalName({ project: config.project, environment: BOOTSTRAP_STACK }, `github-apply-${config.name}`, { maxLength: NAME_LIMITS.iamRole });
  return `arn:${partitionOf(config.region)}:iam::${config.accountId}:role/${name}`;
}

/**
 * The state keys of every stack of workspace `config` in its state bucket, the workspace stack's first:
 * an EKS workspace also keeps its apps stack's state there (`<project>/<name>-apps/terraform.tfstate`,
 * the stack `appsStackName` in `./apps` names; not imported, so that this file does not load the
 * Kubernetes providers). Its CI roles get the same access to each.
 */
export function workspaceStateKeys(config: EnvironmentConfig): string[] {
  return config.compute === "eks" ? [stateKey(config), stateKey(config, `${config.name}-apps`)] : [stateKey(config)];
}

export interface BootstrapStackProps {
  /** Validated workspaces of ONE account whose state backends this stack creates (one state region). */
  readonly environments: readonly EnvironmentConfig[];
  /** Days a superseded state version is kept. @default 90 */
  readonly noncurrentStateVersionDays?: number;
}

/**
 * Prepares one AWS account for its workspaces (`bootstrap-<account id>`, one stack per account, applied
 * with that account's administrator credentials before any of its workspaces). Creates, with local
 * state, what the workspaces' S3 backends need in that account: each distinct state bucket
 * (versioned, KMS-encrypted, private, TLS-only) and lock table (on-demand, point-in-time recovery,
 * encrypted), and, when the environments name a GitHub repository, the OIDC provider and the roles
 * its workflows assume. Apply it once before any workspace; bucket and table refuse to be destroyed.
 */
export class BootstrapStack extends TerraformStack {
  readonly buckets: SecureBucket[] = [];
  readonly lockTables: DynamodbTable[] = [];
  readonly github?: GithubOidc;

  constructor(scope: Construct, props: BootstrapStackProps) {
    const [first] = props.environments;
    if (!first) {
      throw new Error("BootstrapStack: at least one environment is required");
    }
    super(scope, bootstrapStackName(first.accountId));
    const strangers = props.environments.filter((e) => e.accountId !== first.accountId || e.state.region !== first.state.region);
    if (strangers.length > 0) {
      throw new Error(
        `BootstrapStack: ${strangers.map((e) => e.name).join(", ")} not in account ${first.accountId} with state in ${first.state.region}; one stack prepares one account`,
      );
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

    if (first.github) {
      const gh = first.github;
      this.github = new GithubOidc(this, "github-oidc", {
        naming: { project: first.project, environment: BOOTSTRAP_STACK },
        region: first.state.region,
        accountId: first.accountId,
        repository: { owner: gh.owner, name: gh.repository, ownerId: gh.immutableIds?.owner, id: gh.immutableIds?.repository },
        mainBranch: gh.mainBranch,
        ...(gh.existingProviderAccounts.includes(first.accountId)
          ? { createProvider: false, providerArn: githubProviderArn(partitionOf(first.state.region), first.accountId) }
          : {}),
        workspaces: props.environments.map((e) => ({
          name: e.name,
          stateBucket: e.state.bucket,
          lockTable: e.state.lockTable,
          stateKeys: workspaceStateKeys(e),
          kubernetes: e.compute === "eks",
          // Names only: the workspace stack creates the bucket and distribution after this stack.
          ...(e.frontend.enabled
            ? {
                frontend: {
                  bucketName: frontendBucketName({ project: e.project, environment: e.name }, e.accountId),
                  tagKey: DEPLOY_TAG_KEY,
                  tagValue: frontendDeployTagValue({ project: e.project, environment: e.name }),
                },
              }
            : {}),
        })),
      });
      new TerraformOutput(this, "github_oidc_provider_arn", { value: this.github.providerArn, description: "GitHub OIDC identity provider" });
      new TerraformOutput(this, "github_plan_role_arn", { value: this.github.planRoleArn, description: "Plan role of this account's workspaces (their entries in the repository variable AWS_PLAN_ROLE_ARNS)" });
      new TerraformOutput(this, "workspace_boundary_policy_arns", {
        value: this.github.boundaryPolicyArns,
        description: "Permissions boundary every role of a workspace carries (applied by the workspace stacks)",
      });
      new TerraformOutput(this, "github_apply_role_arns", {
        value: this.github.applyRoleArns,
        description: "Apply role per workspace (environment variable AWS_APPLY_ROLE_ARN of each GitHub environment)",
      });
      if (Object.keys(this.github.frontendRoleArns).length > 0) {
        new TerraformOutput(this, "github_frontend_role_arns", {
          value: this.github.frontendRoleArns,
          description: "Frontend deploy role per workspace with a frontend (environment variable AWS_FRONTEND_ROLE_ARN of each GitHub environment)",
        });
      }
    }
  }
}

import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { buildApp } from "../src/app";
import { BootstrapStack } from "../src/stacks/bootstrap";
import { environments, onlyResource, resourcesOf, synthStack, type SynthJson } from "./helpers";

function synthAll() {
  const app = Testing.app();
  // Build into the testing app: same stacks as `npm run synth`.
  const envs = environments();
  const built = buildApp(envs, app.outdir);
  const byName = Object.fromEntries(built.workspaces.map((w) => [w.config.name, synthStack(w)]));
  const bootstraps = Object.fromEntries(built.bootstraps.map((b) => [b.node.id, synthStack(b)]));
  return { bootstraps, dev: byName.dev, prod: byName.prod, organization: synthStack(built.organization!), envs, built };
}

const DEV_ACCOUNT = "111122223333";
const PROD_ACCOUNT = "444455556666";
const STAGING_ACCOUNT = "555566667777";
/** The two ECS workspaces, in two accounts (staging-eks, in a third, is left out). */
const ecsEnvironments = () => environments().filter((e) => e.compute === "ecs");

const stacks = synthAll();

describe.each(["dev", "prod"] as const)("%s workspace stack", (name) => {
  const { synth, json } = stacks[name];
  const config = stacks.envs.find((e) => e.name === name)!;

  it("pins the provider to the workspace's account and region, with default tags", () => {
    expect(synth).toHaveProviderWithProperties(AwsProvider, {
      region: "us-east-1",
      allowed_account_ids: [config.accountId],
      default_tags: [
        {
          tags: {
            Owner: "platform-team",
            CostCenter: config.tags.CostCenter,
            Project: "acme",
            Environment: name,
            ManagedBy: "cdktf",
          },
        },
      ],
    });
  });

  it("keeps state in its own account's bootstrap bucket, encrypted, with DynamoDB and S3-native locking", () => {
    expect(config.accountId).toBe(name === "dev" ? DEV_ACCOUNT : PROD_ACCOUNT);
    expect(json.terraform.backend).toEqual({
      s3: {
        bucket: `acme-terraform-state-${config.accountId}`,
        // terraform init refuses credentials of any other account before touching state.
        allowed_account_ids: [config.accountId],
        key: `acme/${name}/terraform.tfstate`,
        region: "us-east-1",
        encrypt: true,
        dynamodb_table: "acme-terraform-locks",
        use_lockfile: true,
      },
    });
  });

  it("names every physical resource <project>-<env>-<component>", () => {
    expect(onlyResource(json, "aws_vpc").tags.Name).toBe(`acme-${name}-vpc`);
    expect(onlyResource(json, "aws_db_subnet_group").name).toBe(`acme-${name}-database`);
    expect(Object.values(resourcesOf(json, "aws_ecr_repository")).map((r) => r.name).sort()).toEqual(config.ecr.repositories.map((r) => `acme-${name}-${r.name}`).sort());
    const roles = Object.values(resourcesOf(json, "aws_iam_role")).map((r) => r.name);
    expect(roles).toEqual(
      expect.arrayContaining([
        `acme-${name}-vpc-flow-logs`,
        `acme-${name}-web-exec`,
        `acme-${name}-web-task`,
        `acme-${name}-migrate-exec`,
        `acme-${name}-migrate-task`,
        `acme-${name}-worker-default-exec`,
        `acme-${name}-task-nightly-report-exec`,
      ]),
    );
    for (const role of roles) expect(role).toMatch(new RegExp(`^acme-${name}-[a-z0-9-]+$`));
    expect(onlyResource(json, "aws_ecs_cluster").name).toBe(`acme-${name}-cluster`);
    expect(Object.values(resourcesOf(json, "aws_ecs_service")).map((s) => s.name).sort()).toEqual(
      [...config.services.map((s) => `acme-${name}-${s.name}`), `acme-${name}-worker-default`].sort(),
    );
    expect(onlyResource(json, "aws_lb").name).toBe(`acme-${name}-alb`);
  });

  it("spreads three subnet tiers over the configured AZs", () => {
    const subnets = Object.values(resourcesOf(json, "aws_subnet"));
    expect(subnets).toHaveLength(3 * config.availabilityZones.length);
    expect(new Set(subnets.map((s) => s.availability_zone_id))).toEqual(new Set(config.availabilityZones));
    expect(onlyResource(json, "aws_vpc").cidr_block).toBe(config.network.cidr);
  });

  it("exposes the outputs other stacks and people need", () => {
    expect(Object.keys(json.output ?? {})).toEqual(expect.arrayContaining([
      "alb_dns_name",
      "alb_security_group_id",
      "cluster_arn",
      "cluster_name",
      "database_subnet_group_name",
      "database_subnet_ids",
      "ecr_repository_arns",
      "ecr_repository_urls",
      "private_subnet_ids",
      "public_subnet_ids",
      "service_url",
      "vpc_id",
      "web_security_group_id",
      "web_service_name",
    ]));
  });

  it("uses no data source that calls AWS (plans offline)", () => {
    expect(Object.keys(json.data ?? {})).toEqual([]);
  });
});

describe("dev and prod differ where the environments say so", () => {
  const count = (json: SynthJson, type: string) => Object.keys(resourcesOf(json, type)).length;

  it("dev shares one NAT gateway across two AZs; prod has one per AZ in three", () => {
    expect(count(stacks.dev.json, "aws_nat_gateway")).toBe(1);
    expect(count(stacks.dev.json, "aws_subnet")).toBe(6);
    expect(count(stacks.prod.json, "aws_nat_gateway")).toBe(3);
    expect(count(stacks.prod.json, "aws_subnet")).toBe(9);
  });

  it("prod keeps logs for a year, dev for a month", () => {
    const retention = (json: SynthJson) => new Set(Object.values(resourcesOf(json, "aws_cloudwatch_log_group")).map((g) => g.retention_in_days));
    expect(retention(stacks.prod.json)).toEqual(new Set([365]));
    expect(retention(stacks.dev.json)).toEqual(new Set([30]));
  });
});

describe("one bootstrap stack per account", () => {
  it("names each bootstrap-<account> and gives it exactly the workspaces of that account", () => {
    expect(Object.keys(stacks.bootstraps)).toEqual([`bootstrap-${DEV_ACCOUNT}`, `bootstrap-${PROD_ACCOUNT}`, `bootstrap-${STAGING_ACCOUNT}`]);
    const workspaces = ["dev", "prod", "staging-eks"];
    for (const [account, workspace] of [
      [DEV_ACCOUNT, "dev"],
      [PROD_ACCOUNT, "prod"],
      [STAGING_ACCOUNT, "staging-eks"],
    ]) {
      const { synth, json } = stacks.bootstraps[`bootstrap-${account}`];
      expect(synth).toHaveProviderWithProperties(AwsProvider, { allowed_account_ids: [account] });
      expect(onlyResource(json, "aws_s3_bucket").bucket).toBe(`acme-terraform-state-${account}`);
      const roles = Object.values(resourcesOf(json, "aws_iam_role")).map((r) => r.name).sort();
      // A frontend deploy role only for a workspace that serves a frontend (staging-eks does not).
      const frontendRole = workspace === "staging-eks" ? [] : [`acme-bootstrap-github-frontend-${workspace}`];
      expect(roles).toEqual([`acme-bootstrap-github-apply-${workspace}`, ...frontendRole, "acme-bootstrap-github-plan"]);
      // Nothing in one account's bootstrap names the other account or workspace.
      for (const other of [DEV_ACCOUNT, PROD_ACCOUNT, STAGING_ACCOUNT].filter((a) => a !== account)) expect(JSON.stringify(json)).not.toContain(other);
      for (const other of workspaces.filter((w) => w !== workspace)) {
        expect(JSON.stringify(resourcesOf(json, "aws_iam_role_policy"))).not.toContain(`/${other}/`);
      }
    }
  });

  it("prepares one account for every workspace that declares it shares the account", () => {
    const envs = ecsEnvironments();
    envs[1].accountId = envs[0].accountId;
    envs[1].state = { ...envs[0].state };
    const built = buildApp(envs, Testing.app().outdir);
    expect(built.bootstraps.map((b) => b.node.id)).toEqual([`bootstrap-${DEV_ACCOUNT}`]);
    const { json } = synthStack(built.bootstraps[0]);
    expect(Object.values(resourcesOf(json, "aws_iam_role")).map((r) => r.name).sort()).toEqual([
      "acme-bootstrap-github-apply-dev",
      "acme-bootstrap-github-apply-prod",
      "acme-bootstrap-github-frontend-dev",
      "acme-bootstrap-github-frontend-prod",
      "acme-bootstrap-github-plan",
    ]);
  });

  it("uses the existing GitHub provider of the accounts that list it, by that account's ARN", () => {
    const envs = environments();
    envs.forEach((e) => (e.github!.existingProviderAccounts = [PROD_ACCOUNT]));
    const built = buildApp(envs, Testing.app().outdir);
    const [devBoot, prodBoot] = built.bootstraps.map((b) => synthStack(b).json);
    expect(Object.keys(resourcesOf(devBoot, "aws_iam_openid_connect_provider"))).toHaveLength(1);
    expect(prodBoot.resource.aws_iam_openid_connect_provider).toBeUndefined();
    const trust = JSON.parse(Object.values(resourcesOf(prodBoot, "aws_iam_role"))[0].assume_role_policy);
    expect(trust.Statement[0].Principal).toEqual({ Federated: `arn:aws:iam::${PROD_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` });
  });

  it("refuses environments of two accounts in one bootstrap stack", () => {
    const envs = ecsEnvironments();
    expect(() => new BootstrapStack(Testing.app(), { environments: envs })).toThrow(
      `BootstrapStack: prod not in account ${DEV_ACCOUNT} with state in us-east-1; one stack prepares one account`,
    );
  });
});

describe("organization stack", () => {
  const { synth, json } = stacks.organization;

  it("runs in the management account with local state", () => {
    expect(json.terraform.backend).toEqual({ local: { path: "terraform.tfstate" } });
    expect(synth).toHaveProviderWithProperties(AwsProvider, { allowed_account_ids: ["777788889999"] });
  });

  it("creates the resource control policy and attaches it to the configured targets", () => {
    const policy = onlyResource(json, "aws_organizations_policy");
    expect(policy.type).toBe("RESOURCE_CONTROL_POLICY");
    const statements = JSON.parse(policy.content).Statement;
    expect(statements[0].Condition.StringNotEqualsIfExists).toEqual({ "aws:PrincipalOrgID": "o-a1b2c3d4e5" });
    // GitHub tokens: the platform repository's only.
    expect(statements[1].Condition.StringNotLike).toEqual({ "token.actions.githubusercontent.com:sub": ["repo:acme-corp/platform:*"] });
    const attachments = Object.values(resourcesOf(json, "aws_organizations_policy_attachment"));
    expect(attachments.map((a) => a.target_id)).toEqual(["r-a1b2"]);
    expect(json.output?.resource_control_policy_id).toBeDefined();
  });
});

describe("bootstrap stack", () => {
  const { synth, json } = stacks.bootstraps[`bootstrap-${DEV_ACCOUNT}`];

  it("keeps its own state locally", () => {
    expect(json.terraform.backend).toEqual({ local: { path: "terraform.tfstate" } });
  });

  it("creates one state bucket for the workspaces that share it: versioned, KMS-encrypted, private, TLS-only", () => {
    const bucket = onlyResource(json, "aws_s3_bucket");
    expect(bucket).toMatchObject({ bucket: `acme-terraform-state-${DEV_ACCOUNT}`, lifecycle: { prevent_destroy: true } });
    expect(synth).toHaveResourceWithProperties(S3BucketVersioningA, { versioning_configuration: { status: "Enabled" } });
    expect(synth).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms" }, bucket_key_enabled: true }],
    });
    expect(synth).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(onlyResource(json, "aws_s3_bucket_ownership_controls").rule.object_ownership).toBe("BucketOwnerEnforced");
    const policy = JSON.parse(onlyResource(json, "aws_s3_bucket_policy").policy);
    expect(policy.Statement[0]).toMatchObject({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } });
    const rules = onlyResource(json, "aws_s3_bucket_lifecycle_configuration").rule;
    expect(rules).toContainEqual(expect.objectContaining({ noncurrent_version_expiration: [{ noncurrent_days: 90 }] }));
  });

  it("creates the lock table: LockID string key, on demand, point-in-time recovery, encrypted", () => {
    expect(synth).toHaveResourceWithProperties(DynamodbTable, {
      name: "acme-terraform-locks",
      billing_mode: "PAY_PER_REQUEST",
      hash_key: "LockID",
      attribute: [{ name: "LockID", type: "S" }],
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true },
      deletion_protection_enabled: true,
      lifecycle: { prevent_destroy: true },
    });
    expect(Object.keys(resourcesOf(json, "aws_dynamodb_table"))).toHaveLength(1);
  });

  it("creates a bucket and table per distinct name when workspaces of one account keep separate state", () => {
    const envs = environments();
    envs[1].accountId = envs[0].accountId;
    envs[1].state.bucket = `acme-prod-state-${DEV_ACCOUNT}`;
    envs[1].state.lockTable = "acme-prod-locks";
    const { json: separate } = synthStack(buildApp(envs, Testing.app().outdir).bootstraps[0]);
    expect(Object.values(resourcesOf(separate, "aws_s3_bucket")).map((b) => b.bucket)).toEqual([
      `acme-terraform-state-${DEV_ACCOUNT}`,
      `acme-prod-state-${DEV_ACCOUNT}`,
    ]);
    expect(Object.values(resourcesOf(separate, "aws_dynamodb_table")).map((t) => t.name)).toEqual([
      "acme-terraform-locks",
      "acme-prod-locks",
    ]);
  });

  it("creates the GitHub OIDC roles for the configured repository: plans from pull requests, applies from main in the environment", () => {
    const roles = Object.fromEntries(Object.values(resourcesOf(json, "aws_iam_role")).map((r) => [r.name, JSON.parse(r.assume_role_policy).Statement[0]]));
    expect(Object.keys(roles).sort()).toEqual(["acme-bootstrap-github-apply-dev", "acme-bootstrap-github-frontend-dev", "acme-bootstrap-github-plan"]);
    const sub = (name: string) => JSON.stringify(roles[name].Condition);
    expect(sub("acme-bootstrap-github-plan")).toContain("repo:acme-corp/platform:pull_request:job_workflow_ref:acme-corp/platform/.github/workflows/ci.yml@refs/pull/*/merge");
    expect(sub("acme-bootstrap-github-apply-dev")).toContain(
      "repo:acme-corp/platform:environment:dev:job_workflow_ref:acme-corp/platform/.github/workflows/deploy.yml@refs/heads/main",
    );
    expect(sub("acme-bootstrap-github-apply-dev")).not.toContain("pull_request");
    // dev has a frontend: its deploy role trusts frontend.yml, and its policy names dev's bucket (names are deterministic).
    expect(sub("acme-bootstrap-github-frontend-dev")).toContain(
      "repo:acme-corp/platform:environment:dev:job_workflow_ref:acme-corp/platform/.github/workflows/frontend.yml@refs/heads/main",
    );
    const deploy = Object.values(resourcesOf(json, "aws_iam_role_policy")).find((p) => p.name === "frontend-deploy")!;
    expect(deploy.policy).toContain("arn:aws:s3:::acme-dev-frontend-111122223333/*");
    expect(JSON.parse(deploy.policy).Statement[2].Condition).toEqual({ StringEquals: { "aws:ResourceTag/FrontendDeploy": "acme-dev-frontend" } });
    expect(json.output?.github_frontend_role_arns).toBeDefined();
    expect(onlyResource(json, "aws_iam_openid_connect_provider").url).toBe("https://token.actions.githubusercontent.com");
    expect(Object.keys(json.output ?? {})).toEqual(expect.arrayContaining(["github_plan_role_arn", "github_apply_role_arns"]));
  });

  it("creates the permissions boundary each workspace's roles carry, and bounds none of its own roles", () => {
    const policies = Object.values(resourcesOf(json, "aws_iam_policy")).map((p) => p.name).sort();
    expect(policies).toEqual(["acme-dev-boundary"]);
    expect(Object.values(resourcesOf(json, "aws_iam_role")).every((r) => r.permissions_boundary === undefined)).toBe(true);
  });

  it("is tagged as the bootstrap environment", () => {
    expect(synth).toHaveProviderWithProperties(AwsProvider, {
      default_tags: [{ tags: { Project: "acme", Environment: "bootstrap", ManagedBy: "cdktf" } }],
    });
  });
});

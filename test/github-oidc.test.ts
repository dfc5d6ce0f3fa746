import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { TerraformOutput } from "cdktf";
import { describe, expect, it } from "vitest";
import { GithubOidc, SERVICE_LINKED_ROLE_SERVICES, type GithubOidcProps } from "../modules/github-oidc";
import { logicalIdOf, onlyResource, ref, resourcesOf, synthConstruct, TEST_ACCOUNT, type SynthJson } from "./helpers";

const BUCKET = "acme-terraform-state-123456789012";
const TABLE = "acme-terraform-locks";
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${TEST_ACCOUNT}:table/${TABLE}`;
const key = (ws: string) => `arn:aws:s3:::${BUCKET}/acme/${ws}/terraform.tfstate`;
const lock = (ws: string) => `${key(ws)}.tflock`;

const workspaces = ["dev", "prod"].map((name) => ({
  name,
  stateBucket: BUCKET,
  lockTable: TABLE,
  stateKey: `acme/${name}/terraform.tfstate`,
}));

function props(overrides: Partial<GithubOidcProps> = {}): GithubOidcProps {
  return {
    naming: { project: "acme", environment: "bootstrap" },
    region: "us-east-1",
    accountId: TEST_ACCOUNT,
    repository: { owner: "acme-corp", name: "platform" },
    workspaces,
    ...overrides,
  };
}

function build(overrides: Partial<GithubOidcProps> = {}) {
  let construct!: GithubOidc;
  const out = synthConstruct((stack) => {
    construct = new GithubOidc(stack, "github", props(overrides));
  });
  return { ...out, construct };
}

const roleId = (json: SynthJson, name: string) => logicalIdOf(json, "aws_iam_role", (r) => r.name === name);
const trustOf = (json: SynthJson, name: string) => JSON.parse(resourcesOf(json, "aws_iam_role")[roleId(json, name)].assume_role_policy);
const attachedTo = (json: SynthJson, name: string) =>
  Object.values(resourcesOf(json, "aws_iam_role_policy_attachment"))
    .filter((a) => a.role === ref("aws_iam_role", roleId(json, name), "name"))
    .map((a) => a.policy_arn)
    .sort();
const inlinePolicy = (json: SynthJson, name: string, policyName: string) => {
  const found = Object.values(resourcesOf(json, "aws_iam_role_policy")).find(
    (p) => p.role === ref("aws_iam_role", roleId(json, name), "id") && p.name === policyName,
  );
  if (!found) throw new Error(`no inline policy ${policyName} on ${name}`);
  return JSON.parse(found.policy) as { Version: string; Statement: Array<Record<string, any>> };
};
const statement = (doc: { Statement: Array<Record<string, any>> }, sid: string) => {
  const found = doc.Statement.find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid}`);
  return found;
};

describe("GithubOidc", () => {
  const { synth, json, construct } = build();
  const providerRef = ref("aws_iam_openid_connect_provider", logicalIdOf(json, "aws_iam_openid_connect_provider", () => true), "arn");

  it("creates GitHub's OIDC provider with the STS audience and no thumbprint", () => {
    expect(synth).toHaveResourceWithProperties(IamOpenidConnectProvider, {
      url: "https://token.actions.githubusercontent.com",
      client_id_list: ["sts.amazonaws.com"],
    });
    expect(onlyResource(json, "aws_iam_openid_connect_provider")).not.toHaveProperty("thumbprint_list");
  });

  it("names the roles <project>-bootstrap-github-* and caps sessions at one hour", () => {
    const roles = Object.values(resourcesOf(json, "aws_iam_role"));
    expect(roles.map((r) => r.name).sort()).toEqual([
      "acme-bootstrap-github-apply-dev",
      "acme-bootstrap-github-apply-prod",
      "acme-bootstrap-github-plan",
    ]);
    for (const role of roles) {
      expect(role.max_session_duration).toBe(3600);
    }
    expect(synth).toHaveResourceWithProperties(IamRole, { name: "acme-bootstrap-github-plan", max_session_duration: 3600 });
  });

  it("trusts the plan role to pull requests of the repository only", () => {
    expect(trustOf(json, "acme-bootstrap-github-plan")).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "GithubActions",
          Effect: "Allow",
          Principal: { Federated: providerRef },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
              "token.actions.githubusercontent.com:sub": "repo:acme-corp/platform:pull_request",
            },
          },
        },
      ],
    });
  });

  it("trusts each apply role to the main branch and its own GitHub environment only", () => {
    for (const ws of ["dev", "prod"]) {
      expect(trustOf(json, `acme-bootstrap-github-apply-${ws}`)).toEqual({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "GithubActions",
            Effect: "Allow",
            Principal: { Federated: providerRef },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": [
                  "repo:acme-corp/platform:ref:refs/heads/main",
                  `repo:acme-corp/platform:environment:${ws}`,
                ],
              },
            },
          },
        ],
      });
    }
  });

  it("keeps the trusts apart: no pull request may apply, no main-branch or environment job may use the plan role", () => {
    const subjects = (name: string): string[] => [trustOf(json, name).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"]].flat();
    expect(subjects("acme-bootstrap-github-plan")).toEqual(["repo:acme-corp/platform:pull_request"]);
    for (const ws of ["dev", "prod"]) {
      const apply = subjects(`acme-bootstrap-github-apply-${ws}`);
      expect(apply.some((s) => s.includes("pull_request"))).toBe(false);
      expect(apply.some((s) => s.includes("*") || s.includes("?"))).toBe(false);
    }
    expect(subjects("acme-bootstrap-github-apply-dev")).not.toContain("repo:acme-corp/platform:environment:prod");
    expect(subjects("acme-bootstrap-github-apply-prod")).not.toContain("repo:acme-corp/platform:environment:dev");
    // Every trust uses exact matching only: no StringLike that a crafted subject could satisfy.
    for (const role of Object.values(resourcesOf(json, "aws_iam_role"))) {
      expect(Object.keys(JSON.parse(role.assume_role_policy).Statement[0].Condition)).toEqual(["StringEquals"]);
    }
  });

  it("attaches ReadOnlyAccess to the plan role and PowerUserAccess to the apply roles", () => {
    expect(attachedTo(json, "acme-bootstrap-github-plan")).toEqual(["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
    expect(attachedTo(json, "acme-bootstrap-github-apply-dev")).toEqual(["arn:aws:iam::aws:policy/PowerUserAccess"]);
    expect(attachedTo(json, "acme-bootstrap-github-apply-prod")).toEqual(["arn:aws:iam::aws:policy/PowerUserAccess"]);
  });

  it("lets the plan role read every workspace's state and write only lock files and lock items", () => {
    const policy = inlinePolicy(json, "acme-bootstrap-github-plan", "terraform-state");
    expect(policy).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ListState",
          Effect: "Allow",
          Action: "s3:ListBucket",
          Resource: `arn:aws:s3:::${BUCKET}`,
          Condition: { StringLike: { "s3:prefix": ["acme/dev/terraform.tfstate*", "acme/prod/terraform.tfstate*"] } },
        },
        { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: [key("dev"), key("prod"), lock("dev"), lock("prod")] },
        { Sid: "LockFiles", Effect: "Allow", Action: ["s3:PutObject", "s3:DeleteObject"], Resource: [lock("dev"), lock("prod")] },
        {
          Sid: "LockTable",
          Effect: "Allow",
          Action: ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
          Resource: [TABLE_ARN],
        },
      ],
    });
    const writes = policy.Statement.filter((s) => [s.Action].flat().some((a: string) => /Put|Delete/.test(a) && a.startsWith("s3:")));
    expect(writes.flatMap((s) => [s.Resource].flat()).every((r: string) => r.endsWith(".tflock"))).toBe(true);
  });

  it("lets an apply role read and write its own state and lock only", () => {
    const policy = inlinePolicy(json, "acme-bootstrap-github-apply-dev", "terraform-state");
    const allows = policy.Statement.filter((s) => s.Effect === "Allow");
    expect(allows).toEqual([
      {
        Sid: "ListState",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: `arn:aws:s3:::${BUCKET}`,
        Condition: { StringLike: { "s3:prefix": ["acme/dev/terraform.tfstate*"] } },
      },
      { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: [key("dev"), lock("dev")] },
      { Sid: "WriteState", Effect: "Allow", Action: "s3:PutObject", Resource: [key("dev"), lock("dev")] },
      { Sid: "ReleaseLock", Effect: "Allow", Action: "s3:DeleteObject", Resource: lock("dev") },
      {
        Sid: "LockTable",
        Effect: "Allow",
        Action: ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
        Resource: [TABLE_ARN],
      },
    ]);
    expect(JSON.stringify(allows)).not.toContain("/prod/");
  });

  it("denies an apply role the other workspaces' state and the state storage's configuration, whatever PowerUserAccess allows", () => {
    const policy = inlinePolicy(json, "acme-bootstrap-github-apply-dev", "terraform-state");
    expect(statement(policy, "DenyOtherWorkspacesState")).toEqual({
      Sid: "DenyOtherWorkspacesState",
      Effect: "Deny",
      Action: "s3:*",
      Resource: [key("prod"), lock("prod")],
    });
    expect(statement(policy, "DenyStateDeletion")).toEqual({ Sid: "DenyStateDeletion", Effect: "Deny", Action: "s3:DeleteObject", Resource: key("dev") });
    expect(statement(policy, "DenyStateVersionDeletion")).toMatchObject({ Effect: "Deny", Action: "s3:DeleteObjectVersion", Resource: [`arn:aws:s3:::${BUCKET}/*`] });
    expect(statement(policy, "DenyStateBucketChanges")).toMatchObject({
      Effect: "Deny",
      Action: expect.arrayContaining(["s3:DeleteBucket", "s3:PutBucketPolicy", "s3:PutBucketVersioning", "s3:PutLifecycleConfiguration"]),
      Resource: [`arn:aws:s3:::${BUCKET}`],
    });
    expect(statement(policy, "DenyLockTableChanges")).toMatchObject({
      Effect: "Deny",
      Action: expect.arrayContaining(["dynamodb:DeleteTable", "dynamodb:UpdateTable"]),
      Resource: [TABLE_ARN],
    });
    // No deny may catch the lock file the role must delete to release its lock.
    const denied = policy.Statement.filter((s) => s.Effect === "Deny" && [s.Action].flat().includes("s3:DeleteObject"));
    expect(denied.flatMap((s) => [s.Resource].flat())).not.toContain(lock("dev"));
  });

  it("scopes an apply role's IAM to roles, policies and instance profiles named <project>-<workspace>-*", () => {
    for (const ws of ["dev", "prod"]) {
      const policy = inlinePolicy(json, `acme-bootstrap-github-apply-${ws}`, "workspace-iam");
      expect(statement(policy, "WorkspaceRoles")).toMatchObject({
        Effect: "Allow",
        Resource: `arn:aws:iam::${TEST_ACCOUNT}:role/acme-${ws}-*`,
      });
      expect(statement(policy, "WorkspaceRoles").Action).toEqual(
        expect.arrayContaining([
          "iam:CreateRole",
          "iam:DeleteRole",
          "iam:GetRole",
          "iam:PassRole",
          "iam:TagRole",
          "iam:UntagRole",
          "iam:UpdateRole",
          "iam:UpdateAssumeRolePolicy",
          "iam:PutRolePolicy",
          "iam:GetRolePolicy",
          "iam:DeleteRolePolicy",
          "iam:AttachRolePolicy",
          "iam:DetachRolePolicy",
          "iam:ListRolePolicies",
          "iam:ListAttachedRolePolicies",
          "iam:ListInstanceProfilesForRole",
        ]),
      );
      expect(statement(policy, "WorkspacePolicies").Resource).toBe(`arn:aws:iam::${TEST_ACCOUNT}:policy/acme-${ws}-*`);
      expect(statement(policy, "WorkspaceInstanceProfiles").Resource).toBe(`arn:aws:iam::${TEST_ACCOUNT}:instance-profile/acme-${ws}-*`);
      expect(statement(policy, "ServiceLinkedRoles")).toEqual({
        Sid: "ServiceLinkedRoles",
        Effect: "Allow",
        Action: "iam:CreateServiceLinkedRole",
        Resource: `arn:aws:iam::${TEST_ACCOUNT}:role/aws-service-role/*`,
        Condition: { StringEquals: { "iam:AWSServiceName": [...SERVICE_LINKED_ROLE_SERVICES] } },
      });
      for (const s of policy.Statement) {
        expect(s.Effect).toBe("Allow");
        for (const action of [s.Action].flat()) {
          expect(action).toMatch(/^iam:[A-Za-z]+$/);
        }
      }
    }
    expect(SERVICE_LINKED_ROLE_SERVICES).toEqual(expect.arrayContaining(["ecs.amazonaws.com", "rds.amazonaws.com", "elasticloadbalancing.amazonaws.com"]));
  });

  it("never allows a wildcard action and never allows '*' resources", () => {
    for (const p of Object.values(resourcesOf(json, "aws_iam_role_policy"))) {
      for (const s of JSON.parse(p.policy).Statement) {
        if (s.Effect !== "Allow") continue;
        for (const action of [s.Action].flat()) expect(action).not.toContain("*");
        for (const resource of [s.Resource].flat()) expect(resource).not.toBe("*");
      }
    }
  });

  it("exposes the provider ARN, the plan role ARN and an apply role ARN per workspace", () => {
    const out = synthConstruct((stack) => {
      const oidc = new GithubOidc(stack, "github", props());
      new TerraformOutput(stack, "provider_arn", { value: oidc.providerArn });
      new TerraformOutput(stack, "plan_role_arn", { value: oidc.planRoleArn });
      new TerraformOutput(stack, "apply_role_arns", { value: oidc.applyRoleArns });
    }).json;
    const provider = logicalIdOf(out, "aws_iam_openid_connect_provider", () => true);
    expect(out.output).toEqual({
      provider_arn: { value: ref("aws_iam_openid_connect_provider", provider, "arn") },
      plan_role_arn: { value: ref("aws_iam_role", roleId(out, "acme-bootstrap-github-plan"), "arn") },
      apply_role_arns: {
        value: {
          dev: ref("aws_iam_role", roleId(out, "acme-bootstrap-github-apply-dev"), "arn"),
          prod: ref("aws_iam_role", roleId(out, "acme-bootstrap-github-apply-prod"), "arn"),
        },
      },
    });
    expect(Object.keys(construct.applyRoleArns)).toEqual(["dev", "prod"]);
    expect(Object.keys(construct.applyRoles)).toEqual(["dev", "prod"]);
  });

  it("uses no data source (plans offline)", () => {
    expect(json.data ?? {}).toEqual({});
  });
});

describe("GithubOidc options", () => {
  const providerArn = `arn:aws:iam::${TEST_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;

  it("uses an existing provider when createProvider is false", () => {
    const { json, construct } = build({ createProvider: false, providerArn });
    expect(resourcesOf(json, "aws_iam_openid_connect_provider")).toEqual({});
    expect(construct.provider).toBeUndefined();
    expect(construct.providerArn).toBe(providerArn);
    expect(trustOf(json, "acme-bootstrap-github-plan").Statement[0].Principal).toEqual({ Federated: providerArn });
  });

  it("follows mainBranch and can drop the main-branch subject", () => {
    const { json } = build({ mainBranch: "trunk" });
    expect(trustOf(json, "acme-bootstrap-github-apply-dev").Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"]).toEqual([
      "repo:acme-corp/platform:ref:refs/heads/trunk",
      "repo:acme-corp/platform:environment:dev",
    ]);
    const strict = build({ trustMainBranch: false }).json;
    expect(trustOf(strict, "acme-bootstrap-github-apply-prod").Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"]).toBe(
      "repo:acme-corp/platform:environment:prod",
    );
  });

  it("swaps the managed policies and follows the region's partition", () => {
    const { json } = build({
      applyPolicyArns: [`arn:aws:iam::${TEST_ACCOUNT}:policy/acme-deploy`, "arn:aws:iam::aws:policy/AmazonECS_FullAccess"],
      planPolicyArns: ["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"],
    });
    expect(attachedTo(json, "acme-bootstrap-github-apply-dev")).toEqual(
      ["arn:aws:iam::aws:policy/AmazonECS_FullAccess", `arn:aws:iam::${TEST_ACCOUNT}:policy/acme-deploy`].sort(),
    );
    expect(attachedTo(json, "acme-bootstrap-github-plan")).toEqual(["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"]);

    const gov = build({ region: "us-gov-west-1" }).json;
    expect(attachedTo(gov, "acme-bootstrap-github-plan")).toEqual(["arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"]);
    expect(inlinePolicy(gov, "acme-bootstrap-github-plan", "terraform-state").Statement[3].Resource).toEqual([
      `arn:aws-us-gov:dynamodb:us-gov-west-1:${TEST_ACCOUNT}:table/${TABLE}`,
    ]);
  });

  it("gives each state bucket its own list statement when workspaces use different backends", () => {
    const { json } = build({
      workspaces: [
        workspaces[0],
        { name: "prod", stateBucket: "acme-prod-state", lockTable: "acme-prod-locks", stateKey: "acme/prod/terraform.tfstate" },
      ],
    });
    const policy = inlinePolicy(json, "acme-bootstrap-github-plan", "terraform-state");
    expect(statement(policy, "ListState0")).toMatchObject({ Resource: `arn:aws:s3:::${BUCKET}`, Condition: { StringLike: { "s3:prefix": ["acme/dev/terraform.tfstate*"] } } });
    expect(statement(policy, "ListState1")).toMatchObject({ Resource: "arn:aws:s3:::acme-prod-state", Condition: { StringLike: { "s3:prefix": ["acme/prod/terraform.tfstate*"] } } });
    expect(statement(policy, "LockTable").Resource).toEqual([TABLE_ARN, `arn:aws:dynamodb:us-east-1:${TEST_ACCOUNT}:table/acme-prod-locks`]);
  });
});

describe("GithubOidc refuses bad props", () => {
  const refuse = (overrides: Partial<GithubOidcProps>, message: RegExp) =>
    expect(() => synthConstruct((stack) => new GithubOidc(stack, "github", props(overrides)))).toThrow(message);

  it.each([
    ["-acme", /repository\.owner "-acme" is not a GitHub user or organization name/],
    ["acme-", /repository\.owner "acme-" is not/],
    ["ac--me", /repository\.owner "ac--me" is not/],
    ["acme/corp", /repository\.owner "acme\/corp" is not/],
    ["", /repository\.owner "" is not/],
    ["a".repeat(40), /repository\.owner "a{40}" is not/],
  ])("owner %j", (owner, message) => refuse({ repository: { owner, name: "platform" } }, message));

  it.each([
    ["my repo", /repository\.name "my repo" is not a GitHub repository name/],
    ["platform.git", /repository\.name "platform\.git" is not/],
    ["..", /repository\.name "\.\." is not/],
    ["a/b", /repository\.name "a\/b" is not/],
    ["", /repository\.name "" is not/],
  ])("repository name %j", (name, message) => refuse({ repository: { owner: "acme", name } }, message));

  it("accepts valid owner and repository spellings", () => {
    expect(() => build({ repository: { owner: "Acme-Corp2", name: "web.platform_v2-x" } })).not.toThrow();
  });

  it("refuses an empty workspace list", () => refuse({ workspaces: [] }, /^GithubOidc: at least one workspace is required$/));

  it("refuses a workspace listed twice", () => refuse({ workspaces: [workspaces[0], workspaces[0]] }, /GithubOidc: workspace "dev" is listed twice/));

  it("refuses workspace names whose IAM prefixes overlap", () =>
    refuse({ workspaces: [workspaces[0], { ...workspaces[1], name: "dev-eu", stateKey: "acme/dev-eu/terraform.tfstate" }] }, /"dev-eu" starts with "dev-"/));

  it("refuses a workspace named like the stack owning the roles", () =>
    refuse({ workspaces: [{ ...workspaces[0], name: "bootstrap" }] }, /workspace "bootstrap" has the name of the stack/));

  it("refuses bad workspace names, buckets, tables and keys", () => {
    refuse({ workspaces: [{ ...workspaces[0], name: "Dev" }] }, /workspace "Dev" must start with a letter/);
    refuse({ workspaces: [{ ...workspaces[0], stateBucket: "Bad_Bucket" }] }, /stateBucket "Bad_Bucket" is not an S3 bucket name/);
    refuse({ workspaces: [{ ...workspaces[0], lockTable: "x" }] }, /lockTable "x" is not a DynamoDB table name/);
    refuse({ workspaces: [{ ...workspaces[0], stateKey: "/acme/dev.tfstate" }] }, /stateKey "\/acme\/dev.tfstate" must be a relative object key/);
    refuse({ workspaces: [{ ...workspaces[0], stateKey: "acme/*" }] }, /without wildcards/);
  });

  it("refuses two workspaces sharing a state key", () =>
    refuse({ workspaces: [workspaces[0], { ...workspaces[1], stateKey: workspaces[0].stateKey }] }, /share the state key/));

  it("refuses bad account, region and branch", () => {
    refuse({ accountId: "1234" }, /accountId "1234" must be a 12-digit AWS account id/);
    refuse({ region: "useast1" }, /region "useast1" is not an AWS region name/);
    refuse({ mainBranch: "refs/heads/main" }, /mainBranch "refs\/heads\/main" must be a plain branch name/);
    refuse({ mainBranch: "release/*" }, /mainBranch "release\/\*" must be a plain branch name/);
  });

  it("needs providerArn exactly when the provider already exists", () => {
    refuse({ createProvider: false }, /createProvider: false needs providerArn/);
    refuse(
      { providerArn: `arn:aws:iam::${TEST_ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` },
      /providerArn is only used with createProvider: false/,
    );
    refuse({ createProvider: false, providerArn: `arn:aws:iam::${TEST_ACCOUNT}:oidc-provider/accounts.google.com` }, /is not the ARN of a token\.actions/);
  });

  it("refuses malformed, repeated or too many policy ARNs", () => {
    refuse({ applyPolicyArns: ["AdministratorAccess"] }, /applyPolicyArns: "AdministratorAccess" is not an IAM policy ARN/);
    refuse({ planPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess"] }, /planPolicyArns lists a policy twice/);
    refuse({ applyPolicyArns: Array.from({ length: 11 }, (_, i) => `arn:aws:iam::${TEST_ACCOUNT}:policy/p${i}`) }, /applyPolicyArns has 11 policies/);
  });
});

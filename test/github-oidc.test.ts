import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { describe, expect, it } from "vitest";
import {
  GithubOidc,
  SERVICE_LINKED_ROLE_SERVICES,
  workspaceBoundaryArn,
  workspaceBoundaryName,
  workspaceBoundaryStatements,
  workspaceIamStatements,
  type GithubOidcProps,
} from "../modules/github-oidc";
import { TerraformOutput, Testing } from "cdktf";
import { stateKey } from "../src/lib/backend";
import { appsStackName } from "../src/stacks/apps";
import { BootstrapStack, workspaceStateKeys } from "../src/stacks/bootstrap";
import { environments, logicalIdOf, onlyResource, ref, resourcesOf, synthConstruct, synthStack, TEST_ACCOUNT, type SynthJson } from "./helpers";
import { decide, decideBounded } from "./iam-model";

const BUCKET = "acme-terraform-state-123456789012";
const TABLE = "acme-terraform-locks";
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${TEST_ACCOUNT}:table/${TABLE}`;
const key = (ws: string) => `arn:aws:s3:::${BUCKET}/acme/${ws}/terraform.tfstate`;
const lock = (ws: string) => `${key(ws)}.tflock`;
/** The S3 backend's items in the lock table: the lock (`<bucket>/<key>`) and the state digest. */
const lockItems = (ws: string) => [`${BUCKET}/acme/${ws}/terraform.tfstate`, `${BUCKET}/acme/${ws}/terraform.tfstate-md5`];

const workspaces = ["dev", "prod"].map((name) => ({
  name,
  stateBucket: BUCKET,
  lockTable: TABLE,
  stateKeys: [`acme/${name}/terraform.tfstate`],
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
const boundaryOf = (json: SynthJson, ws: string) => {
  const found = Object.values(resourcesOf(json, "aws_iam_policy")).find((p) => p.name === `acme-${ws}-boundary`);
  if (!found) throw new Error(`no boundary policy for ${ws}`);
  return JSON.parse(found.policy) as { Version: string; Statement: Array<Record<string, any>> };
};
const boundaryArn = (ws: string) => `arn:aws:iam::${TEST_ACCOUNT}:policy/acme-${ws}-boundary`;
const ciRoles = ["plan", "apply-dev", "apply-prod"].map((r) => `arn:aws:iam::${TEST_ACCOUNT}:role/acme-bootstrap-github-${r}`);

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

  const trustStatement = (subjectOperator: "StringEquals" | "StringLike", subjects: string | string[]) => ({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "GithubActions",
        Effect: "Allow",
        Principal: { Federated: providerRef },
        Action: "sts:AssumeRoleWithWebIdentity",
        // With StringEquals for the subject too, both keys are in the one StringEquals block.
        Condition:
          subjectOperator === "StringEquals"
            ? { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": subjects } }
            : {
                StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
                StringLike: { "token.actions.githubusercontent.com:sub": subjects },
              },
      },
    ],
  });
  const job = (context: string, workflow: string, ref: string) =>
    `repo:acme-corp/platform:${context}:job_workflow_ref:acme-corp/platform/.github/workflows/${workflow}@${ref}`;
  /** Whether a job whose token carries `sub` may assume the role (audience as configure-aws-credentials sends it). */
  const admits = (trust: { Statement: Array<Record<string, any>> }, sub: string) =>
    decide(trust.Statement, "sts:AssumeRoleWithWebIdentity", "*", {
      "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
      "token.actions.githubusercontent.com:sub": sub,
    }) === "allow";

  it("trusts the plan role to pull-request jobs of ci.yml only", () => {
    expect(trustOf(json, "acme-bootstrap-github-plan")).toEqual(
      trustStatement("StringLike", job("pull_request", "ci.yml", "refs/pull/*/merge")),
    );
  });

  it("trusts each apply role to the deploy and image workflows, on main, in its own GitHub environment", () => {
    for (const ws of ["dev", "prod"]) {
      expect(trustOf(json, `acme-bootstrap-github-apply-${ws}`)).toEqual(
        trustStatement("StringEquals", [
          job(`environment:${ws}`, "deploy.yml", "refs/heads/main"),
          job(`environment:${ws}`, "image.yml", "refs/heads/main"),
        ]),
      );
    }
  });

  it("admits exactly the jobs it should: another branch, workflow, environment or a pull request gets nothing", () => {
    const plan = trustOf(json, "acme-bootstrap-github-plan");
    const applyProd = trustOf(json, "acme-bootstrap-github-apply-prod");
    const applyDev = trustOf(json, "acme-bootstrap-github-apply-dev");
    const prodDeploy = job("environment:prod", "deploy.yml", "refs/heads/main");
    expect(admits(applyProd, prodDeploy)).toBe(true);
    expect(admits(applyProd, job("environment:prod", "image.yml", "refs/heads/main"))).toBe(true);
    const refused = [
      job("environment:prod", "deploy.yml", "refs/heads/feature"), // the environment's branch rule is not the only barrier
      job("environment:prod", "other.yml", "refs/heads/main"), // another workflow file on main
      job("environment:dev", "deploy.yml", "refs/heads/main"), // dev's job
      job("pull_request", "deploy.yml", "refs/pull/7/merge"),
      job("ref:refs/heads/main", "deploy.yml", "refs/heads/main"), // main without the environment (and its reviewers)
      "repo:acme-corp/platform:environment:prod", // GitHub's default subject: the customization is required
      "repo:acme-corp/platform-fork:environment:prod:job_workflow_ref:acme-corp/platform-fork/.github/workflows/deploy.yml@refs/heads/main",
    ];
    for (const sub of refused) expect(admits(applyProd, sub), sub).toBe(false);
    expect(admits(applyDev, prodDeploy)).toBe(false);
    expect(admits(plan, job("pull_request", "ci.yml", "refs/pull/42/merge"))).toBe(true);
    for (const sub of [prodDeploy, job("pull_request", "deploy.yml", "refs/pull/42/merge"), job("environment:dev", "ci.yml", "refs/pull/42/merge")]) {
      expect(admits(plan, sub), sub).toBe(false);
    }
    for (const role of ["dev", "prod"].map((ws) => trustOf(json, `acme-bootstrap-github-apply-${ws}`))) {
      expect(admits(role, job("pull_request", "ci.yml", "refs/pull/42/merge"))).toBe(false);
      // Exact subjects only: no wildcard a crafted subject could satisfy.
      expect(Object.keys(role.Statement[0].Condition)).toEqual(["StringEquals"]);
    }
  });

  it("uses immutable ids in the repo claim when the repository has them", () => {
    const { json: ids } = build({ repository: { owner: "acme-corp", name: "platform", ownerId: 123456, id: 456789 } });
    expect(trustOf(ids, "acme-bootstrap-github-apply-prod").Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"]).toContain(
      "repo:acme-corp@123456/platform@456789:environment:prod:job_workflow_ref:acme-corp/platform/.github/workflows/deploy.yml@refs/heads/main",
    );
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
        { Sid: "LockTable", Effect: "Allow", Action: "dynamodb:DescribeTable", Resource: [TABLE_ARN] },
        {
          Sid: "ReadLockItems",
          Effect: "Allow",
          Action: "dynamodb:GetItem",
          Resource: [TABLE_ARN],
          Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": [...lockItems("dev"), ...lockItems("prod")] } },
        },
        {
          Sid: "WriteLockItems",
          Effect: "Allow",
          Action: ["dynamodb:PutItem", "dynamodb:DeleteItem"],
          Resource: [TABLE_ARN],
          // Locks only: a plan never writes state, so never a state digest.
          Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": [lockItems("dev")[0], lockItems("prod")[0]] } },
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
      { Sid: "LockTable", Effect: "Allow", Action: "dynamodb:DescribeTable", Resource: [TABLE_ARN] },
      {
        Sid: "ReadLockItems",
        Effect: "Allow",
        Action: "dynamodb:GetItem",
        Resource: [TABLE_ARN],
        Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": lockItems("dev") } },
      },
      {
        Sid: "WriteLockItems",
        Effect: "Allow",
        Action: ["dynamodb:PutItem", "dynamodb:DeleteItem"],
        Resource: [TABLE_ARN],
        Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": lockItems("dev") } },
      },
    ]);
    expect(JSON.stringify(allows)).not.toContain("/prod/");
  });

  it("lets the plan role take locks but never write a state digest", () => {
    const policy = inlinePolicy(json, "acme-bootstrap-github-plan", "terraform-state").Statement;
    for (const ws of ["dev", "prod"]) {
      const [lockId, digest] = lockItems(ws);
      expect(decide(policy, "dynamodb:PutItem", TABLE_ARN, { "dynamodb:LeadingKeys": [lockId] })).toBe("allow");
      expect(decide(policy, "dynamodb:GetItem", TABLE_ARN, { "dynamodb:LeadingKeys": [digest] })).toBe("allow");
      expect(decide(policy, "dynamodb:PutItem", TABLE_ARN, { "dynamodb:LeadingKeys": [digest] })).toBe("implicit-deny");
      expect(decide(policy, "dynamodb:DeleteItem", TABLE_ARN, { "dynamodb:LeadingKeys": [digest] })).toBe("implicit-deny");
    }
  });

  it("keeps an apply role off other workspaces' lock items even with PowerUserAccess attached", () => {
    // PowerUserAccess: every action but IAM, Organizations and Account, on every resource.
    const powerUser = { Effect: "Allow", NotAction: ["iam:*", "organizations:*", "account:*"], Resource: "*" };
    const policy = [powerUser, ...inlinePolicy(json, "acme-bootstrap-github-apply-dev", "terraform-state").Statement];
    for (const action of ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem", "dynamodb:Query"]) {
      for (const item of lockItems("dev")) expect(decide(policy, action, TABLE_ARN, { "dynamodb:LeadingKeys": [item] }), `${action} ${item}`).toBe("allow");
      for (const item of lockItems("prod")) expect(decide(policy, action, TABLE_ARN, { "dynamodb:LeadingKeys": [item] }), `${action} ${item}`).toBe("deny");
    }
    expect(decide(policy, "dynamodb:BatchWriteItem", TABLE_ARN, { "dynamodb:LeadingKeys": [lockItems("dev")[0], lockItems("prod")[0]] })).toBe("deny");
    expect(decide(policy, "dynamodb:Scan", TABLE_ARN)).toBe("deny");
    expect(decide(policy, "dynamodb:PartiQLUpdate", TABLE_ARN)).toBe("deny");
    expect(decide(policy, "dynamodb:DescribeTable", TABLE_ARN)).toBe("allow");
    // Other tables of the account stay governed by the deploy policies alone.
    expect(decide(policy, "dynamodb:Scan", `arn:aws:dynamodb:us-east-1:${TEST_ACCOUNT}:table/acme-dev-sessions`)).toBe("allow");
  });

  it("lets an apply role take and release its own lock items only, never another workspace's", () => {
    const policy = inlinePolicy(json, "acme-bootstrap-github-apply-dev", "terraform-state").Statement;
    for (const action of ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]) {
      for (const item of lockItems("dev")) {
        expect(decide(policy, action, TABLE_ARN, { "dynamodb:LeadingKeys": [item] }), `${action} ${item}`).toBe("allow");
      }
      for (const item of [...lockItems("prod"), `${BUCKET}/acme/other/terraform.tfstate`]) {
        expect(decide(policy, action, TABLE_ARN, { "dynamodb:LeadingKeys": [item] }), `${action} ${item}`).toBe("deny");
      }
    }
    expect(decide(policy, "dynamodb:DescribeTable", TABLE_ARN)).toBe("allow");
    // Actions that read many items are not granted at all.
    expect(decide(policy, "dynamodb:Scan", TABLE_ARN)).toBe("deny");
    expect(decide(policy, "dynamodb:BatchWriteItem", TABLE_ARN, { "dynamodb:LeadingKeys": lockItems("dev") })).toBe("implicit-deny");
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
      expect(statement(policy, "WorkspaceRoles")).toEqual({
        Sid: "WorkspaceRoles",
        Effect: "Allow",
        Action: [
          "iam:DeleteRole",
          "iam:GetRole",
          "iam:GetRolePolicy",
          "iam:ListAttachedRolePolicies",
          "iam:ListInstanceProfilesForRole",
          "iam:ListRolePolicies",
          "iam:ListRoleTags",
          "iam:PassRole",
          "iam:TagRole",
          "iam:UntagRole",
          "iam:UpdateAssumeRolePolicy",
          "iam:UpdateRole",
          "iam:UpdateRoleDescription",
        ],
        Resource: `arn:aws:iam::${TEST_ACCOUNT}:role/acme-${ws}-*`,
      });
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
        for (const action of [s.Action].flat()) {
          expect(action).toMatch(/^iam:[A-Za-z]+$/);
        }
      }
      expect(policy.Statement.map((s) => s.Sid)).toEqual([
        "WorkspaceRoles",
        "BoundedWorkspaceRoles",
        "WorkspacePolicies",
        "WorkspaceInstanceProfiles",
        "ServiceLinkedRoles",
        "DenyRoleChangesWithoutBoundary",
        "DenyBoundaryRemoval",
        "DenyBoundaryPolicyChanges",
      ]);
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

describe("GithubOidc permissions boundaries", () => {
  const { synth, json, construct } = build();
  const BOUNDED = [
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
  ];

  it("names the boundary <project>-<workspace>-boundary and computes its ARN without a data source", () => {
    expect(workspaceBoundaryName("acme", "dev")).toBe("acme-dev-boundary");
    expect(workspaceBoundaryName("acme", "prod")).toBe("acme-prod-boundary");
    expect(workspaceBoundaryArn("aws", TEST_ACCOUNT, "acme", "dev")).toBe(`arn:aws:iam::${TEST_ACCOUNT}:policy/acme-dev-boundary`);
    expect(workspaceBoundaryArn("aws-us-gov", "210987654321", "shop", "staging")).toBe("arn:aws-us-gov:iam::210987654321:policy/shop-staging-boundary");
  });

  it("creates one boundary policy per workspace, named as workspaceBoundaryName says", () => {
    expect(Object.values(resourcesOf(json, "aws_iam_policy")).map((p) => p.name).sort()).toEqual(["acme-dev-boundary", "acme-prod-boundary"]);
    expect(synth).toHaveResourceWithProperties(IamPolicy, { name: workspaceBoundaryName("acme", "dev") });
    expect(Object.values(resourcesOf(json, "aws_iam_policy")).every((p) => p.path === undefined)).toBe(true); // path "/", as the ARN assumes
  });

  it("writes the boundary: everything but IAM, PassRole of the workspace's roles, and denies on CI roles, state, locks, Organizations and Account", () => {
    expect(boundaryOf(json, "dev")).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Sid: "AllowAllButIam", Effect: "Allow", NotAction: "iam:*", Resource: "*" },
        { Sid: "AllowPassWorkspaceRoles", Effect: "Allow", Action: "iam:PassRole", Resource: `arn:aws:iam::${TEST_ACCOUNT}:role/acme-dev-*` },
        { Sid: "DenyCiRoles", Effect: "Deny", Action: "sts:AssumeRole", Resource: ciRoles },
        { Sid: "DenyTerraformState", Effect: "Deny", Action: "s3:*", Resource: [`arn:aws:s3:::${BUCKET}`, `arn:aws:s3:::${BUCKET}/*`] },
        { Sid: "DenyLockTables", Effect: "Deny", Action: "dynamodb:*", Resource: [TABLE_ARN, `${TABLE_ARN}/*`] },
        { Sid: "DenyOrganizationsAndAccount", Effect: "Deny", Action: ["organizations:*", "account:*"], Resource: "*" },
      ],
    });
    const prod = boundaryOf(json, "prod");
    expect(statement(prod, "AllowPassWorkspaceRoles").Resource).toBe(`arn:aws:iam::${TEST_ACCOUNT}:role/acme-prod-*`);
    // Every workspace's boundary protects the state of ALL workspaces and every CI role.
    expect(prod.Statement.filter((s) => s.Effect === "Deny")).toEqual(boundaryOf(json, "dev").Statement.filter((s) => s.Effect === "Deny"));
  });

  it("keeps iam:PassRole inside the boundary (the Scheduler passes task roles) and no other IAM action", () => {
    const boundary = boundaryOf(json, "dev").Statement;
    expect(decide(boundary, "iam:PassRole", `arn:aws:iam::${TEST_ACCOUNT}:role/acme-dev-worker-task`)).toBe("allow");
    expect(boundary.filter((s) => s.Effect === "Deny").flatMap((s) => [s.Action].flat())).not.toContain("iam:PassRole");
    for (const action of ["iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:CreatePolicyVersion", "iam:CreateAccessKey", "iam:GetRole"]) {
      expect(decide(boundary, action, `arn:aws:iam::${TEST_ACCOUNT}:role/acme-dev-x`), action).toBe("implicit-deny");
    }
    // Not another workspace's role, not the CI roles, not any other role of the account.
    for (const role of ["acme-prod-worker-task", "acme-bootstrap-github-apply-dev", "OrganizationAccountAccessRole"]) {
      expect(decide(boundary, "iam:PassRole", `arn:aws:iam::${TEST_ACCOUNT}:role/${role}`), role).toBe("implicit-deny");
    }
  });

  it("bounds an administrator role the apply role could create: no state, no locks, no IAM, no CI roles", () => {
    const admin = [{ Effect: "Allow", Action: "*", Resource: "*" }];
    const boundary = boundaryOf(json, "dev").Statement;
    const denied: Array<[string, string]> = [
      ["s3:GetObject", key("prod")],
      ["s3:PutObject", key("dev")],
      ["s3:DeleteObjectVersion", `${key("dev")}`],
      ["s3:PutBucketPolicy", `arn:aws:s3:::${BUCKET}`],
      ["dynamodb:PutItem", TABLE_ARN],
      ["dynamodb:DeleteTable", TABLE_ARN],
      ["sts:AssumeRole", ciRoles[1]],
      ["sts:AssumeRole", ciRoles[2]],
      ["sts:AssumeRole", ciRoles[0]],
      ["organizations:LeaveOrganization", "*"],
      ["account:PutAlternateContact", "*"],
    ];
    for (const [action, resource] of denied) expect(decideBounded(admin, boundary, action, resource), `${action} ${resource}`).toBe("deny");
    for (const action of ["iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:UpdateAssumeRolePolicy", "iam:DeleteRolePermissionsBoundary"]) {
      expect(decideBounded(admin, boundary, action, `arn:aws:iam::${TEST_ACCOUNT}:role/acme-dev-x`), action).toBe("implicit-deny");
    }
    // What applications need stays possible.
    expect(decideBounded(admin, boundary, "ecs:RunTask", `arn:aws:ecs:us-east-1:${TEST_ACCOUNT}:task-definition/acme-dev-job:1`)).toBe("allow");
    expect(decideBounded(admin, boundary, "s3:GetObject", "arn:aws:s3:::acme-dev-assets/index.html")).toBe("allow");
    expect(decideBounded(admin, boundary, "iam:PassRole", `arn:aws:iam::${TEST_ACCOUNT}:role/acme-dev-job-task`)).toBe("allow");
  });

  it("lets an apply role create and change its workspace's roles only with its own workspace's boundary", () => {
    for (const [ws, other] of [["dev", "prod"], ["prod", "dev"]]) {
      const policy = inlinePolicy(json, `acme-bootstrap-github-apply-${ws}`, "workspace-iam");
      expect(statement(policy, "BoundedWorkspaceRoles")).toEqual({
        Sid: "BoundedWorkspaceRoles",
        Effect: "Allow",
        Action: BOUNDED,
        Resource: `arn:aws:iam::${TEST_ACCOUNT}:role/acme-${ws}-*`,
        Condition: { StringEquals: { "iam:PermissionsBoundary": boundaryArn(ws) } },
      });
      // The condition names the ARN of the policy this construct creates for that workspace.
      expect(statement(policy, "BoundedWorkspaceRoles").Condition.StringEquals["iam:PermissionsBoundary"]).toBe(
        workspaceBoundaryArn("aws", TEST_ACCOUNT, "acme", ws),
      );
      // No unconditioned allow grants a way to change a role's permissions or boundary.
      const unconditioned = policy.Statement.filter((s) => s.Effect === "Allow" && !s.Condition).flatMap((s) => [s.Action].flat());
      for (const action of [...BOUNDED, "iam:DeleteRolePermissionsBoundary"]) expect(unconditioned).not.toContain(action);

      const role = `arn:aws:iam::${TEST_ACCOUNT}:role/acme-${ws}-api-task`;
      const boundary = { "iam:PermissionsBoundary": boundaryArn(ws) };
      for (const action of BOUNDED) {
        expect(decide(policy.Statement, action, role, boundary), `${action} with the boundary`).toBe("allow");
        expect(decide(policy.Statement, action, role), `${action} without a boundary`).toBe("deny");
        expect(decide(policy.Statement, action, role, { "iam:PermissionsBoundary": boundaryArn(other) }), `${action} with ${other}'s boundary`).toBe("deny");
      }
      expect(decide(policy.Statement, "iam:CreateRole", `arn:aws:iam::${TEST_ACCOUNT}:role/acme-${other}-api-task`, boundary)).toBe("implicit-deny");
      // Deleting, reading, passing, tagging and trust/description updates need no boundary (they
      // cannot widen a bounded role), and IAM sends no boundary key for them.
      for (const action of ["iam:DeleteRole", "iam:GetRole", "iam:PassRole", "iam:TagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRoleDescription", "iam:UpdateRole"]) {
        expect(decide(policy.Statement, action, role), action).toBe("allow");
        expect(decide(policy.Statement, action, role, boundary), `${action} (key never sent)`).toBe("allow");
      }
      // Service-linked roles cannot carry a boundary and keep their own condition.
      expect(
        decide(policy.Statement, "iam:CreateServiceLinkedRole", `arn:aws:iam::${TEST_ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS`, {
          "iam:AWSServiceName": "ecs.amazonaws.com",
        }),
      ).toBe("allow");
    }
  });

  it("denies removing the boundary and changing the boundary policy, whatever the deploy policies allow", () => {
    const policy = inlinePolicy(json, "acme-bootstrap-github-apply-dev", "workspace-iam");
    const roles = `arn:aws:iam::${TEST_ACCOUNT}:role/acme-dev-*`;
    expect(statement(policy, "DenyRoleChangesWithoutBoundary")).toEqual({
      Sid: "DenyRoleChangesWithoutBoundary",
      Effect: "Deny",
      Action: BOUNDED,
      Resource: roles,
      Condition: { StringNotEquals: { "iam:PermissionsBoundary": boundaryArn("dev") } },
    });
    expect(statement(policy, "DenyBoundaryRemoval")).toEqual({ Sid: "DenyBoundaryRemoval", Effect: "Deny", Action: "iam:DeleteRolePermissionsBoundary", Resource: roles });
    expect(statement(policy, "DenyBoundaryPolicyChanges")).toEqual({
      Sid: "DenyBoundaryPolicyChanges",
      Effect: "Deny",
      Action: [
        "iam:CreatePolicy",
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:TagPolicy",
        "iam:UntagPolicy",
      ],
      Resource: boundaryArn("dev"),
    });
    // Even next to a deploy policy granting all of IAM (a deny beats any allow).
    const withIamAdmin = [...policy.Statement, { Effect: "Allow", Action: "iam:*", Resource: "*" }];
    const bounded = { "iam:PermissionsBoundary": boundaryArn("dev") };
    expect(decide(withIamAdmin, "iam:DeleteRolePermissionsBoundary", `arn:aws:iam::${TEST_ACCOUNT}:role/acme-dev-api-task`, bounded)).toBe("deny");
    expect(decide(withIamAdmin, "iam:CreateRole", `arn:aws:iam::${TEST_ACCOUNT}:role/acme-dev-escalate`)).toBe("deny");
    for (const action of ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:CreatePolicy"]) {
      expect(decide(withIamAdmin, action, boundaryArn("dev")), action).toBe("deny");
    }
    // The boundary matches the workspace's policy prefix, so only the deny keeps it out of reach;
    // the workspace's other policies stay manageable.
    expect(decide(policy.Statement, "iam:CreatePolicyVersion", `arn:aws:iam::${TEST_ACCOUNT}:policy/acme-dev-reader`)).toBe("allow");
    expect(decide(policy.Statement.filter((s) => s.Sid !== "DenyBoundaryPolicyChanges"), "iam:CreatePolicyVersion", boundaryArn("dev"))).toBe("allow");
  });

  it("exposes each workspace's boundary ARN as a reference to its policy", () => {
    const out = synthConstruct((stack) => {
      const oidc = new GithubOidc(stack, "github", props());
      new TerraformOutput(stack, "boundary_policy_arns", { value: oidc.boundaryPolicyArns });
    }).json;
    const policyId = (ws: string) => logicalIdOf(out, "aws_iam_policy", (p) => p.name === `acme-${ws}-boundary`);
    expect(out.output?.boundary_policy_arns).toEqual({
      value: { dev: ref("aws_iam_policy", policyId("dev"), "arn"), prod: ref("aws_iam_policy", policyId("prod"), "arn") },
    });
    expect(Object.keys(construct.boundaryPolicyArns)).toEqual(["dev", "prod"]);
    expect(Object.keys(construct.boundaryPolicies)).toEqual(["dev", "prod"]);
  });

  it("follows the partition and covers every backend when workspaces keep separate state", () => {
    const gov = build({ region: "us-gov-west-1" }).json;
    expect(statement(inlinePolicy(gov, "acme-bootstrap-github-apply-dev", "workspace-iam"), "BoundedWorkspaceRoles").Condition).toEqual({
      StringEquals: { "iam:PermissionsBoundary": `arn:aws-us-gov:iam::${TEST_ACCOUNT}:policy/acme-dev-boundary` },
    });
    expect(statement(boundaryOf(gov, "dev"), "DenyCiRoles").Resource).toEqual(ciRoles.map((r) => r.replace("arn:aws:", "arn:aws-us-gov:")));

    const split = build({
      workspaces: [workspaces[0], { name: "prod", stateBucket: "acme-prod-state", lockTable: "acme-prod-locks", stateKeys: ["acme/prod/terraform.tfstate"] }],
    }).json;
    const prodTable = `arn:aws:dynamodb:us-east-1:${TEST_ACCOUNT}:table/acme-prod-locks`;
    for (const ws of ["dev", "prod"]) {
      expect(statement(boundaryOf(split, ws), "DenyTerraformState").Resource).toEqual([
        `arn:aws:s3:::${BUCKET}`,
        `arn:aws:s3:::${BUCKET}/*`,
        "arn:aws:s3:::acme-prod-state",
        "arn:aws:s3:::acme-prod-state/*",
      ]);
      expect(statement(boundaryOf(split, ws), "DenyLockTables").Resource).toEqual([TABLE_ARN, `${TABLE_ARN}/*`, prodTable, `${prodTable}/*`]);
    }
  });

  it("builds the same statements through the exported functions", () => {
    expect(workspaceBoundaryStatements("acme", "dev", workspaces, ciRoles, "aws", "us-east-1", TEST_ACCOUNT)).toEqual(boundaryOf(json, "dev").Statement);
    expect(workspaceIamStatements("acme", "prod", "aws", TEST_ACCOUNT)).toEqual(inlinePolicy(json, "acme-bootstrap-github-apply-prod", "workspace-iam").Statement);
  });
});

describe("GithubOidc with a workspace of two stacks (EKS: the AWS stack and the apps stack)", () => {
  const APPS = "staging-eks-apps";
  const eks = { name: "staging-eks", stateBucket: BUCKET, lockTable: TABLE, stateKeys: ["acme/staging-eks/terraform.tfstate", `acme/${APPS}/terraform.tfstate`], kubernetes: true };
  // Both workspaces in one account, so each apply role must be kept off the other's state explicitly.
  const { json } = build({ workspaces: [workspaces[0], eks] });
  const powerUser = { Effect: "Allow", NotAction: ["iam:*", "organizations:*", "account:*"], Resource: "*" };
  const stagingApply = inlinePolicy(json, "acme-bootstrap-github-apply-staging-eks", "terraform-state");
  const devApply = inlinePolicy(json, "acme-bootstrap-github-apply-dev", "terraform-state");
  const plan = inlinePolicy(json, "acme-bootstrap-github-plan", "terraform-state");

  it("gives the workspace's apply role the same statements on each of its keys", () => {
    expect(stagingApply.Statement.filter((s) => s.Effect === "Allow")).toEqual([
      {
        Sid: "ListState",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: `arn:aws:s3:::${BUCKET}`,
        Condition: { StringLike: { "s3:prefix": ["acme/staging-eks/terraform.tfstate*", `acme/${APPS}/terraform.tfstate*`] } },
      },
      { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: [key("staging-eks"), lock("staging-eks"), key(APPS), lock(APPS)] },
      { Sid: "WriteState", Effect: "Allow", Action: "s3:PutObject", Resource: [key("staging-eks"), lock("staging-eks"), key(APPS), lock(APPS)] },
      { Sid: "ReleaseLock", Effect: "Allow", Action: "s3:DeleteObject", Resource: [lock("staging-eks"), lock(APPS)] },
      { Sid: "LockTable", Effect: "Allow", Action: "dynamodb:DescribeTable", Resource: [TABLE_ARN] },
      {
        Sid: "ReadLockItems",
        Effect: "Allow",
        Action: "dynamodb:GetItem",
        Resource: [TABLE_ARN],
        Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": [...lockItems("staging-eks"), ...lockItems(APPS)] } },
      },
      {
        Sid: "WriteLockItems",
        Effect: "Allow",
        Action: ["dynamodb:PutItem", "dynamodb:DeleteItem"],
        Resource: [TABLE_ARN],
        Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": [...lockItems("staging-eks"), ...lockItems(APPS)] } },
      },
    ]);
    expect(statement(stagingApply, "DenyOtherWorkspacesState").Resource).toEqual([key("dev"), lock("dev")]);
    expect(statement(stagingApply, "DenyStateDeletion").Resource).toEqual([key("staging-eks"), key(APPS)]);
    expect(statement(stagingApply, "DenyOtherLockItems").Condition).toEqual({
      "ForAnyValue:StringNotEquals": { "dynamodb:LeadingKeys": [...lockItems("staging-eks"), ...lockItems(APPS)] },
    });
  });

  it("lets the workspace's apply role write the apps stack's state, lock file and lock items, even beside PowerUserAccess", () => {
    for (const statements of [stagingApply.Statement, [powerUser, ...stagingApply.Statement]]) {
      for (const action of ["s3:GetObject", "s3:PutObject"]) {
        for (const object of [key(APPS), lock(APPS), key("staging-eks"), lock("staging-eks")]) expect(decide(statements, action, object), `${action} ${object}`).toBe("allow");
      }
      expect(decide(statements, "s3:DeleteObject", lock(APPS))).toBe("allow");
      // Terraform never deletes a state object.
      expect(decide(statements, "s3:DeleteObject", key(APPS))).toBe("deny");
      expect(decide(statements, "s3:ListBucket", `arn:aws:s3:::${BUCKET}`, { "s3:prefix": `acme/${APPS}/terraform.tfstate` })).toBe("allow");
      for (const action of ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]) {
        for (const item of lockItems(APPS)) expect(decide(statements, action, TABLE_ARN, { "dynamodb:LeadingKeys": [item] }), `${action} ${item}`).toBe("allow");
        for (const item of lockItems("dev")) expect(decide(statements, action, TABLE_ARN, { "dynamodb:LeadingKeys": [item] }), `${action} ${item}`).toBe("deny");
      }
    }
  });

  it("denies another workspace's apply role the apps stack's state, lock file and lock items, whatever PowerUserAccess allows", () => {
    const statements = [powerUser, ...devApply.Statement];
    expect(statement(devApply, "DenyOtherWorkspacesState").Resource).toEqual([key("staging-eks"), lock("staging-eks"), key(APPS), lock(APPS)]);
    for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]) {
      for (const object of [key(APPS), lock(APPS)]) expect(decide(statements, action, object), `${action} ${object}`).toBe("deny");
    }
    for (const action of ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem"]) {
      for (const item of lockItems(APPS)) expect(decide(statements, action, TABLE_ARN, { "dynamodb:LeadingKeys": [item] }), `${action} ${item}`).toBe("deny");
    }
    // Its own state is untouched by the other workspace's second key.
    expect(decide(statements, "s3:PutObject", key("dev"))).toBe("allow");
    expect(decide(statements, "dynamodb:PutItem", TABLE_ARN, { "dynamodb:LeadingKeys": [lockItems("dev")[0]] })).toBe("allow");
  });

  it("lets the plan role read both stacks' state and take their locks, never write their state", () => {
    expect(statement(plan, "ReadState").Resource).toEqual([key("dev"), key("staging-eks"), key(APPS), lock("dev"), lock("staging-eks"), lock(APPS)]);
    expect(statement(plan, "ListState").Condition).toEqual({
      StringLike: { "s3:prefix": ["acme/dev/terraform.tfstate*", "acme/staging-eks/terraform.tfstate*", `acme/${APPS}/terraform.tfstate*`] },
    });
    for (const ws of ["staging-eks", APPS]) {
      expect(decide(plan.Statement, "s3:GetObject", key(ws))).toBe("allow");
      expect(decide(plan.Statement, "s3:PutObject", key(ws))).toBe("implicit-deny");
      expect(decide(plan.Statement, "s3:PutObject", lock(ws))).toBe("allow");
      const [lockId, digest] = lockItems(ws);
      expect(decide(plan.Statement, "dynamodb:PutItem", TABLE_ARN, { "dynamodb:LeadingKeys": [lockId] })).toBe("allow");
      expect(decide(plan.Statement, "dynamodb:GetItem", TABLE_ARN, { "dynamodb:LeadingKeys": [digest] })).toBe("allow");
      expect(decide(plan.Statement, "dynamodb:PutItem", TABLE_ARN, { "dynamodb:LeadingKeys": [digest] })).toBe("implicit-deny");
    }
  });

  it("keeps the policies of a one-key workspace as they were", () => {
    const alone = inlinePolicy(build().json, "acme-bootstrap-github-apply-dev", "terraform-state");
    expect(devApply.Statement.filter((s) => s.Sid !== "DenyOtherWorkspacesState")).toEqual(alone.Statement.filter((s) => s.Sid !== "DenyOtherWorkspacesState"));
    expect(statement(devApply, "ReleaseLock").Resource).toBe(lock("dev"));
    expect(statement(devApply, "DenyStateDeletion").Resource).toBe(key("dev"));
  });
});

describe("bootstrap stack of an EKS workspace", () => {
  const staging = environments().find((e) => e.compute === "eks")!;
  const dev = environments().find((e) => e.name === "dev")!;

  it("lists the state keys of both of its stacks, the AWS stack's first; an ECS workspace keeps one", () => {
    expect(workspaceStateKeys(staging)).toEqual([stateKey(staging), stateKey(staging, appsStackName(staging.name))]);
    expect(workspaceStateKeys(staging)).toEqual(["acme/staging-eks/terraform.tfstate", "acme/staging-eks-apps/terraform.tfstate"]);
    expect(workspaceStateKeys(dev)).toEqual(["acme/dev/terraform.tfstate"]);
  });

  it("gives the workspace's CI roles the apps stack's state", () => {
    const { json } = synthStack(new BootstrapStack(Testing.app(), { environments: [staging] }));
    const bucket = staging.state.bucket;
    const apps = `arn:aws:s3:::${bucket}/acme/staging-eks-apps/terraform.tfstate`;
    const apply = inlinePolicy(json, "acme-bootstrap-github-apply-staging-eks", "terraform-state").Statement;
    const planPolicy = inlinePolicy(json, "acme-bootstrap-github-plan", "terraform-state").Statement;
    const table = `arn:aws:dynamodb:${staging.state.region}:${staging.accountId}:table/${staging.state.lockTable}`;
    expect(decide(apply, "s3:PutObject", apps)).toBe("allow");
    expect(decide(apply, "s3:PutObject", `${apps}.tflock`)).toBe("allow");
    expect(decide(apply, "dynamodb:PutItem", table, { "dynamodb:LeadingKeys": [`${bucket}/acme/staging-eks-apps/terraform.tfstate`] })).toBe("allow");
    expect(decide(planPolicy, "s3:GetObject", apps)).toBe("allow");
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

  it("follows mainBranch and the workflow lists", () => {
    const { json } = build({ mainBranch: "trunk", applyWorkflows: ["release.yaml"], planWorkflows: ["plan.yml", "ci.yml"] });
    expect(trustOf(json, "acme-bootstrap-github-apply-dev").Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"]).toBe(
      "repo:acme-corp/platform:environment:dev:job_workflow_ref:acme-corp/platform/.github/workflows/release.yaml@refs/heads/trunk",
    );
    expect(trustOf(json, "acme-bootstrap-github-plan").Statement[0].Condition.StringLike["token.actions.githubusercontent.com:sub"]).toEqual([
      "repo:acme-corp/platform:pull_request:job_workflow_ref:acme-corp/platform/.github/workflows/plan.yml@refs/pull/*/merge",
      "repo:acme-corp/platform:pull_request:job_workflow_ref:acme-corp/platform/.github/workflows/ci.yml@refs/pull/*/merge",
    ]);
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
    expect(statement(inlinePolicy(gov, "acme-bootstrap-github-plan", "terraform-state"), "ReadLockItems").Resource).toEqual([
      `arn:aws-us-gov:dynamodb:us-gov-west-1:${TEST_ACCOUNT}:table/${TABLE}`,
    ]);
  });

  it("gives each state bucket its own list statement when workspaces use different backends", () => {
    const { json } = build({
      workspaces: [
        workspaces[0],
        { name: "prod", stateBucket: "acme-prod-state", lockTable: "acme-prod-locks", stateKeys: ["acme/prod/terraform.tfstate"] },
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

  it("refuses workflow lists that are empty or name something other than a workflow file", () => {
    refuse({ applyWorkflows: [] }, /^GithubOidc: applyWorkflows is empty: no workflow could assume the role$/);
    refuse({ planWorkflows: ["../ci.yml"] }, /planWorkflows: "\.\.\/ci\.yml" must be a workflow file name in \.github\/workflows/);
    refuse({ applyWorkflows: ["deploy*.yml"] }, /applyWorkflows: "deploy\*\.yml" must be a workflow file name/);
  });

  it("refuses half of the immutable ids, or ids that are not positive integers", () => {
    refuse({ repository: { owner: "acme", name: "platform", ownerId: 1 } }, /repository\.ownerId and repository\.id go together/);
    refuse({ repository: { owner: "acme", name: "platform", ownerId: 0, id: 5 } }, /repository\.ownerId 0 must be a positive integer/);
  });

  it("refuses a workspace listed twice", () => refuse({ workspaces: [workspaces[0], workspaces[0]] }, /GithubOidc: workspace "dev" is listed twice/));

  it("refuses workspace names whose IAM prefixes overlap", () =>
    refuse({ workspaces: [workspaces[0], { ...workspaces[1], name: "dev-eu", stateKeys: ["acme/dev-eu/terraform.tfstate"] }] }, /"dev-eu" starts with "dev-"/));

  it("refuses a workspace named like the stack owning the roles", () =>
    refuse({ workspaces: [{ ...workspaces[0], name: "bootstrap" }] }, /workspace "bootstrap" has the name of the stack/));

  it("refuses bad workspace names, buckets, tables and keys", () => {
    refuse({ workspaces: [{ ...workspaces[0], name: "Dev" }] }, /workspace "Dev" must start with a letter/);
    refuse({ workspaces: [{ ...workspaces[0], stateBucket: "Bad_Bucket" }] }, /stateBucket "Bad_Bucket" is not an S3 bucket name/);
    refuse({ workspaces: [{ ...workspaces[0], lockTable: "x" }] }, /lockTable "x" is not a DynamoDB table name/);
    refuse({ workspaces: [{ ...workspaces[0], stateKeys: ["/acme/dev.tfstate"] }] }, /workspace "dev": state key "\/acme\/dev.tfstate" must be a relative object key/);
    refuse({ workspaces: [{ ...workspaces[0], stateKeys: ["acme/*"] }] }, /without wildcards/);
    refuse({ workspaces: [{ ...workspaces[0], stateKeys: ["acme/dev/terraform.tfstate", "acme/dev-?/terraform.tfstate"] }] }, /state key "acme\/dev-\?\/terraform.tfstate" must be a relative object key without wildcards/);
    refuse({ workspaces: [{ ...workspaces[0], stateKeys: ["acme/dev/terraform.tfstate", ""] }] }, /workspace "dev": state key "" must be a relative object key/);
    refuse({ workspaces: [{ ...workspaces[0], stateKeys: [] }] }, /workspace "dev": stateKeys is empty/);
    refuse({ workspaces: [{ ...workspaces[0], stateKeys: ["acme/dev/terraform.tfstate", "acme/dev/terraform.tfstate"] }] }, /workspace "dev" lists the state key acme\/dev\/terraform.tfstate twice/);
  });

  it("refuses two workspaces sharing a state key in one bucket, whichever of their keys it is", () => {
    refuse({ workspaces: [workspaces[0], { ...workspaces[1], stateKeys: workspaces[0].stateKeys }] }, /share the state key/);
    refuse(
      { workspaces: [{ ...workspaces[0], stateKeys: ["acme/dev/terraform.tfstate", "acme/shared/terraform.tfstate"] }, { ...workspaces[1], stateKeys: ["acme/prod/terraform.tfstate", "acme/shared/terraform.tfstate"] }] },
      new RegExp(`workspaces "dev" and "prod" share the state key ${BUCKET}/acme/shared/terraform.tfstate`),
    );
    // The same key in two different buckets is two objects.
    expect(() =>
      build({ workspaces: [workspaces[0], { ...workspaces[1], stateBucket: "acme-prod-state", stateKeys: workspaces[0].stateKeys }] }),
    ).not.toThrow();
  });

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

describe("GithubOidc frontend deploy roles", () => {
  const frontendOf = (ws: string) => ({ bucketName: `acme-${ws}-frontend-${TEST_ACCOUNT}`, tagKey: "FrontendDeploy", tagValue: `acme-${ws}-frontend` });
  const { json, construct } = build({ workspaces: workspaces.map((w) => ({ ...w, frontend: frontendOf(w.name) })) });
  const providerRef = ref("aws_iam_openid_connect_provider", logicalIdOf(json, "aws_iam_openid_connect_provider", () => true), "arn");
  const sub = (context: string, workflow: string, gitRef: string) =>
    `repo:acme-corp/platform:${context}:job_workflow_ref:acme-corp/platform/.github/workflows/${workflow}@${gitRef}`;
  const admits = (name: string, subject: string) =>
    decide(trustOf(json, name).Statement, "sts:AssumeRoleWithWebIdentity", "*", {
      "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
      "token.actions.githubusercontent.com:sub": subject,
    }) === "allow";
  const policy = (ws: string) => inlinePolicy(json, `acme-bootstrap-github-frontend-${ws}`, "frontend-deploy").Statement;
  const distribution = `arn:aws:cloudfront::${TEST_ACCOUNT}:distribution/E2EXAMPLE123`;

  it("trusts each role to frontend.yml only, on main, in its own GitHub environment", () => {
    expect(trustOf(json, "acme-bootstrap-github-frontend-prod").Statement[0]).toEqual({
      Sid: "GithubActions",
      Effect: "Allow",
      Principal: { Federated: providerRef },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": sub("environment:prod", "frontend.yml", "refs/heads/main") },
      },
    });
    expect(admits("acme-bootstrap-github-frontend-prod", sub("environment:prod", "frontend.yml", "refs/heads/main"))).toBe(true);
    for (const refused of [
      sub("environment:prod", "frontend.yml", "refs/heads/feature"),
      sub("environment:dev", "frontend.yml", "refs/heads/main"),
      sub("environment:prod", "deploy.yml", "refs/heads/main"),
      sub("pull_request", "frontend.yml", "refs/pull/3/merge"),
    ]) {
      expect(admits("acme-bootstrap-github-frontend-prod", refused), refused).toBe(false);
    }
    // The apply roles do not trust the frontend workflow.
    expect(admits("acme-bootstrap-github-apply-prod", sub("environment:prod", "frontend.yml", "refs/heads/main"))).toBe(false);
    expect(resourcesOf(json, "aws_iam_role")[roleId(json, "acme-bootstrap-github-frontend-prod")].max_session_duration).toBe(3600);
  });

  it("may write and delete objects of its workspace's bucket and list it, nothing else in S3", () => {
    const bucket = `arn:aws:s3:::acme-prod-frontend-${TEST_ACCOUNT}`;
    expect(decide(policy("prod"), "s3:PutObject", `${bucket}/assets/app.3f2a.js`)).toBe("allow");
    expect(decide(policy("prod"), "s3:DeleteObject", `${bucket}/old.js`)).toBe("allow");
    expect(decide(policy("prod"), "s3:ListBucket", bucket)).toBe("allow");
    expect(decide(policy("prod"), "s3:PutObject", `arn:aws:s3:::acme-dev-frontend-${TEST_ACCOUNT}/x.js`)).toBe("implicit-deny");
    expect(decide(policy("prod"), "s3:PutObject", `arn:aws:s3:::acme-terraform-state-123456789012/acme/prod/terraform.tfstate`)).toBe("implicit-deny");
    expect(decide(policy("prod"), "s3:PutBucketPolicy", bucket)).toBe("implicit-deny");
    expect(decide(policy("prod"), "s3:GetObject", `${bucket}/index.html`)).toBe("implicit-deny");
  });

  it("may invalidate only the distribution tagged for its workspace", () => {
    const tagged = (value?: string): Record<string, string> => (value === undefined ? {} : { "aws:ResourceTag/FrontendDeploy": value });
    expect(decide(policy("prod"), "cloudfront:CreateInvalidation", distribution, tagged("acme-prod-frontend"))).toBe("allow");
    expect(decide(policy("prod"), "cloudfront:GetInvalidation", distribution, tagged("acme-prod-frontend"))).toBe("allow");
    expect(decide(policy("prod"), "cloudfront:CreateInvalidation", distribution, tagged("acme-dev-frontend"))).toBe("implicit-deny");
    expect(decide(policy("prod"), "cloudfront:CreateInvalidation", distribution, tagged())).toBe("implicit-deny");
    expect(decide(policy("prod"), "cloudfront:UpdateDistribution", distribution, tagged("acme-prod-frontend"))).toBe("implicit-deny");
    expect(decide(policy("prod"), "cloudfront:CreateInvalidation", `arn:aws:cloudfront::999999999999:distribution/E1`, tagged("acme-prod-frontend"))).toBe("implicit-deny");
  });

  it("exposes the role ARNs and puts the roles among the CI roles the workspace boundaries deny assuming", () => {
    expect(Object.keys(construct.frontendRoleArns)).toEqual(["dev", "prod"]);
    const deniedRoles = boundaryOf(json, "prod").Statement.flatMap((s) => (s.Effect === "Deny" && [s.Action].flat().includes("sts:AssumeRole") ? [s.Resource].flat() : []));
    expect(deniedRoles).toEqual(expect.arrayContaining([`arn:aws:iam::${TEST_ACCOUNT}:role/acme-bootstrap-github-frontend-prod`, `arn:aws:iam::${TEST_ACCOUNT}:role/acme-bootstrap-github-frontend-dev`]));
    // Without a frontend, no role.
    expect(build().construct.frontendRoleArns).toEqual({});
  });

  it("refuses a bucket name S3 would refuse and a workflow that is not a file name", () => {
    expect(() => build({ workspaces: [{ ...workspaces[0], frontend: { ...frontendOf("dev"), bucketName: "Not_A_Bucket" } }] })).toThrow(/frontend.bucketName "Not_A_Bucket" is not an S3 bucket name/);
    expect(() => build({ frontendWorkflow: "frontend" })).toThrow(/frontendWorkflow "frontend" is not a workflow file name/);
  });
});

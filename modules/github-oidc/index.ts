import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Construct } from "constructs";
import { partitionOf, policyDocument, type ConditionBlock } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName } from "../../src/lib/naming";
import { CI_SESSION_SECONDS, DEFAULT_APPLY_WORKFLOWS, DEFAULT_PLAN_WORKFLOWS, GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST, GITHUB_OIDC_URL, githubSubject } from "./subjects";
import { DEFAULT_FRONTEND_WORKFLOW, frontendDeployStatements } from "./frontend";
import type { GithubOidcProps } from "./props";
import { applyStateStatements, planStateStatements } from "./state";
import { boundaryDocument, workspaceBoundaryName, workspaceBoundaryStatements, workspaceIamStatements } from "./workspace-iam";
import { validate } from "./validate";

export * from "./frontend";
export * from "./props";
export { applyStateStatements, lockIds, lockItemKey, lockItemKeys, planStateStatements } from "./state";
export * from "./subjects";
export * from "./workspace-iam";

/**
 * GitHub Actions OpenID Connect access to the account, so CI needs no stored AWS keys:
 *
 * - the account's OIDC provider for `token.actions.githubusercontent.com` (audience `sts.amazonaws.com`);
 * - a PLAN role only pull-request jobs of the plan workflows can assume: read-only access to the
 *   account plus the state objects and locks of every workspace (it may write lock files and its
 *   workspaces' lock items, never state);
 * - one APPLY role per workspace, assumable only by a job of an apply workflow that runs from the
 *   main branch in the GitHub environment of that workspace (both are in the job's OIDC subject, see
 *   {@link GITHUB_SUBJECT_CLAIM_KEYS}): read/write on its own state and lock items, the deploy policies
 *   (`applyPolicyArns`) and IAM limited to roles, policies and instance profiles named
 *   `<project>-<workspace>-*`. Explicit denies keep it away from other workspaces' state and from
 *   the state bucket's and lock table's configuration, whatever the deploy policies allow;
 * - one PERMISSIONS BOUNDARY per workspace, the managed policy `<project>-<workspace>-boundary`
 *   ({@link workspaceBoundaryStatements}). The apply role may create or change a role only when the
 *   role carries that boundary (`iam:PermissionsBoundary` condition) and may never remove it or edit
 *   the boundary policy, so a role it creates, trusts itself in and assumes cannot reach IAM, any
 *   Terraform state or lock, the CI roles, Organizations or Account settings: no escalation around the
 *   denies above. The workspace stacks must set `permissions_boundary` to {@link workspaceBoundaryArn}
 *   on every role they create (service-linked roles take no boundary and stay allowed as before).
 *
 * Sessions last at most one hour.
 */
export class GithubOidc extends Construct {
  /** ARN of the GitHub OIDC provider (created here or passed in). */
  readonly providerArn: string;
  /** ARN of the pull-request plan role. */
  readonly planRoleArn: string;
  /** ARN of each workspace's apply role, by workspace name. */
  readonly applyRoleArns: Readonly<Record<string, string>>;
  /** ARN of the frontend deploy role of each workspace with a frontend, by workspace name. */
  readonly frontendRoleArns: Readonly<Record<string, string>>;
  /**
   * ARN of each workspace's permissions boundary, by workspace name (a reference to the policy this
   * construct creates; the same ARN {@link workspaceBoundaryArn} computes without it).
   */
  readonly boundaryPolicyArns: Readonly<Record<string, string>>;
  /** The provider, when this construct created it. */
  readonly provider?: IamOpenidConnectProvider;
  readonly planRole: IamRole;
  readonly applyRoles: Readonly<Record<string, IamRole>>;
  readonly boundaryPolicies: Readonly<Record<string, IamPolicy>>;

  constructor(scope: Construct, id: string, props: GithubOidcProps) {
    super(scope, id);
    validate(props);
    const partition = partitionOf(props.region);
    const { owner, name: repo } = props.repository;
    const mainBranch = props.mainBranch ?? "main";
    const roleName = (component: string) => physicalName(props.naming, component, { maxLength: NAME_LIMITS.iamRole });

    if (props.createProvider ?? true) {
      this.provider = new IamOpenidConnectProvider(this, "provider", {
        url: GITHUB_OIDC_URL,
        clientIdList: [GITHUB_OIDC_AUDIENCE],
        // No thumbprint_list: AWS verifies GitHub's certificate against its library of trusted root
        // CAs and ignores thumbprints for this issuer, and since provider 5.81 the argument is
        // optional (IAM records one itself).
      });
      this.providerArn = this.provider.arn;
    } else {
      this.providerArn = props.providerArn!;
    }

    // `StringLike` only where a subject holds a wildcard (a pull request's number).
    const trust = (subjects: string[], operator: "StringEquals" | "StringLike"): string =>
      policyDocument([
        {
          Sid: "GithubActions",
          Effect: "Allow",
          Principal: { Federated: this.providerArn },
          Action: "sts:AssumeRoleWithWebIdentity",
          // One object per operator: with StringEquals for both, the audience and the subject share it
          // (two `StringEquals` keys in a literal would keep only the last).
          Condition: mergeConditions(
            { StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE } },
            { [operator]: { [`${GITHUB_OIDC_HOST}:sub`]: subjects.length === 1 ? subjects[0] : subjects } },
          ),
        },
      ]);
    const subject = (context: string, workflow: string, ref: string) => githubSubject(props.repository, context, workflow, ref);
    const planWorkflows = props.planWorkflows ?? DEFAULT_PLAN_WORKFLOWS;
    const applyWorkflows = props.applyWorkflows ?? DEFAULT_APPLY_WORKFLOWS;
    const managedPolicy = (policy: string) => `arn:${partition}:iam::aws:policy/${policy}`;

    // Plan role: pull-request jobs of the plan workflows (a job that names a GitHub environment gets
    // another subject). GitHub runs them from the pull request's merge ref.
    this.planRole = new IamRole(this, "plan-role", {
      name: roleName("github-plan"),
      description: `Terraform plan for pull requests of ${owner}/${repo}: read-only, state locks only`,
      assumeRolePolicy: trust(
        planWorkflows.map((workflow) => subject("pull_request", workflow, "refs/pull/*/merge")),
        "StringLike",
      ),
      maxSessionDuration: CI_SESSION_SECONDS,
    });
    this.planRoleArn = this.planRole.arn;
    (props.planPolicyArns ?? [managedPolicy("ReadOnlyAccess")]).forEach((policyArn, i) => {
      new IamRolePolicyAttachment(this, `plan-policy-${i}`, { role: this.planRole.name, policyArn });
    });
    new IamRolePolicy(this, "plan-state", {
      name: "terraform-state",
      role: this.planRole.id,
      policy: policyDocument(planStateStatements(props.workspaces, partition, props.region, props.accountId)),
    });

    // Apply roles: one per workspace, for jobs of the apply workflows that run from the main branch in
    // that workspace's GitHub environment (both in the subject: neither alone is enough).
    const applyRoles: Record<string, IamRole> = {};
    const applyRoleArns: Record<string, string> = {};
    const boundaryPolicies: Record<string, IamPolicy> = {};
    const boundaryPolicyArns: Record<string, string> = {};
    // The CI roles by ARN, built from their names: the boundaries deny assuming them.
    const ciRoleArns = [
      roleName("github-plan"),
      ...props.workspaces.map((w) => roleName(`github-apply-${w.name}`)),
      ...props.workspaces.filter((w) => w.frontend).map((w) => roleName(`github-frontend-${w.name}`)),
    ].map(
      (name) => `arn:${partition}:iam::${props.accountId}:role/${name}`,
    );
    for (const workspace of props.workspaces) {
      const boundary = new IamPolicy(this, `boundary-${workspace.name}`, {
        name: workspaceBoundaryName(props.naming.project, workspace.name),
        description: `Permissions boundary of the roles of workspace ${workspace.name}: no IAM but passing its own roles, no Terraform state, no CI roles`,
        policy: boundaryDocument(
          workspaceBoundaryStatements(props.naming.project, workspace.name, props.workspaces, ciRoleArns, partition, props.region, props.accountId),
        ),
      });
      boundaryPolicies[workspace.name] = boundary;
      boundaryPolicyArns[workspace.name] = boundary.arn;

      const subjects = applyWorkflows.map((workflow) => subject(`environment:${workspace.name}`, workflow, `refs/heads/${mainBranch}`));
      const role = new IamRole(this, `apply-role-${workspace.name}`, {
        name: roleName(`github-apply-${workspace.name}`),
        description: `Terraform apply of workspace ${workspace.name} from ${owner}/${repo} (${mainBranch}, environment ${workspace.name})`,
        assumeRolePolicy: trust(subjects, "StringEquals"),
        maxSessionDuration: CI_SESSION_SECONDS,
      });
      (props.applyPolicyArns ?? [managedPolicy("PowerUserAccess")]).forEach((policyArn, i) => {
        new IamRolePolicyAttachment(this, `apply-${workspace.name}-policy-${i}`, { role: role.name, policyArn });
      });
      new IamRolePolicy(this, `apply-${workspace.name}-state`, {
        name: "terraform-state",
        role: role.id,
        policy: policyDocument(applyStateStatements(workspace, props.workspaces, partition, props.region, props.accountId)),
      });
      new IamRolePolicy(this, `apply-${workspace.name}-iam`, {
        name: "workspace-iam",
        role: role.id,
        policy: policyDocument(workspaceIamStatements(props.naming.project, workspace.name, partition, props.accountId, workspace.kubernetes)),
      });
      applyRoles[workspace.name] = role;
      applyRoleArns[workspace.name] = role.arn;
    }
    // Frontend deploy roles: jobs of the frontend workflow, from main, in the workspace's environment.
    const frontendWorkflow = props.frontendWorkflow ?? DEFAULT_FRONTEND_WORKFLOW;
    const frontendRoleArns: Record<string, string> = {};
    for (const workspace of props.workspaces) {
      if (!workspace.frontend) continue;
      const role = new IamRole(this, `frontend-role-${workspace.name}`, {
        name: roleName(`github-frontend-${workspace.name}`),
        description: `Frontend deploy of workspace ${workspace.name} from ${owner}/${repo} (${mainBranch}, environment ${workspace.name}): its bucket and distribution only`,
        assumeRolePolicy: trust([subject(`environment:${workspace.name}`, frontendWorkflow, `refs/heads/${mainBranch}`)], "StringEquals"),
        maxSessionDuration: CI_SESSION_SECONDS,
      });
      new IamRolePolicy(this, `frontend-${workspace.name}-deploy`, {
        name: "frontend-deploy",
        role: role.id,
        policy: policyDocument(frontendDeployStatements(workspace.frontend, partition, props.accountId)),
      });
      frontendRoleArns[workspace.name] = role.arn;
    }
    this.frontendRoleArns = frontendRoleArns;
    this.applyRoles = applyRoles;
    this.applyRoleArns = applyRoleArns;
    this.boundaryPolicies = boundaryPolicies;
    this.boundaryPolicyArns = boundaryPolicyArns;
  }
}

/** Condition blocks combined operator by operator (keys of the same operator are merged). */
function mergeConditions(...blocks: ConditionBlock[]): ConditionBlock {
  const merged: ConditionBlock = {};
  for (const block of blocks) {
    for (const [operator, keys] of Object.entries(block)) merged[operator] = { ...merged[operator], ...keys };
  }
  return merged;
}

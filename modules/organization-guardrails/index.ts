import { OrganizationsPolicy } from "@cdktf/provider-aws/lib/organizations-policy";
import { OrganizationsPolicyAttachment } from "@cdktf/provider-aws/lib/organizations-policy-attachment";
import { Construct } from "constructs";
import { policyDocument, type PolicyStatement } from "../../src/lib/iam";
import { physicalName, type NameContext } from "../../src/lib/naming";

export interface OrganizationGuardrailsProps {
  /** Name context of the stack (`<project>-organization`): the policy is `<project>-organization-deny-outside-assume-role`. */
  readonly naming: NameContext;
  /** The organization whose principals may still assume the accounts' roles (`o-...`). */
  readonly organizationId: string;
  /** Roots (`r-...`), organizational units (`ou-...`) or member accounts the policy is attached to. */
  readonly targetIds: readonly string[];
  /**
   * The GitHub Actions OIDC subjects (`sub` patterns, `*` wildcards) that may still assume roles
   * through GitHub's issuer, e.g. `repo:acme-corp/platform:*`: a token of any other repository is
   * refused whatever a role's trust policy says.
   * @default none (GitHub tokens are left to the trust policies)
   */
  readonly githubSubjects?: readonly string[];
}

/** Condition-key prefix of GitHub Actions' OIDC issuer (`token.actions.githubusercontent.com`). */
const GITHUB_ISSUER = "token.actions.githubusercontent.com";

const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;
const TARGET_ID = /^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|\d{12})$/;

/**
 * The resource control policy statement: no principal outside the organization may call
 * `sts:AssumeRole` on any role of the accounts it covers, whatever a role's trust policy says.
 *
 * - `StringNotEqualsIfExists` on `aws:PrincipalOrgID`: a caller without the key (no organization)
 *   is outside too.
 * - `BoolIfExists` on `aws:PrincipalIsAWSService`: AWS service principals (ECS tasks, Lambda,
 *   EventBridge Scheduler, EMR Serverless) keep assuming the roles that trust them.
 * - Only `sts:AssumeRole`: GitHub Actions' `sts:AssumeRoleWithWebIdentity` into the CI roles is a
 *   different action and stays governed by their trust policies.
 */
export function outsideOrganizationAssumeRoleDeny(organizationId: string): PolicyStatement {
  return {
    Sid: "DenyAssumeRoleFromOutsideOrganization",
    Effect: "Deny",
    Principal: "*",
    Action: "sts:AssumeRole",
    Resource: "*",
    Condition: {
      StringNotEqualsIfExists: { "aws:PrincipalOrgID": organizationId },
      BoolIfExists: { "aws:PrincipalIsAWSService": "false" },
    },
  };
}

/**
 * The resource control policy statement for GitHub Actions: a web-identity token from GitHub's
 * issuer whose subject matches none of `subjects` cannot assume any role. `Null: false` limits it to
 * GitHub's tokens (other identity providers, such as EKS service accounts, carry no such key).
 * Without it, a role whose trust policy names the account's GitHub provider with a loose subject
 * would admit any repository on GitHub.
 */
export function untrustedGithubTokenDeny(subjects: readonly string[]): PolicyStatement {
  return {
    Sid: "DenyGithubTokensOfOtherRepositories",
    Effect: "Deny",
    Principal: "*",
    Action: "sts:AssumeRoleWithWebIdentity",
    Resource: "*",
    Condition: {
      StringNotLike: { [`${GITHUB_ISSUER}:sub`]: [...subjects] },
      Null: { [`${GITHUB_ISSUER}:sub`]: "false" },
    },
  };
}

/**
 * Organization-level guardrail for the workspace accounts: a resource control policy (RCP) with
 * {@link outsideOrganizationAssumeRoleDeny}, attached to the given roots, OUs or accounts. It closes
 * what IAM cannot: a CI apply role may change the trust policy of its workspace's roles (IAM has no
 * condition key on a trust policy's content), so without it a run could make a role trusted by an
 * outside account or by another repository's GitHub Actions. RCPs apply to member accounts only, never to the management account, and the
 * organization must have the RESOURCE_CONTROL_POLICY type enabled on its root (README). With
 * `githubSubjects`, {@link untrustedGithubTokenDeny} also keeps GitHub tokens of other repositories
 * out, which a loose trust policy on the account's GitHub provider would otherwise admit.
 */
export class OrganizationGuardrails extends Construct {
  readonly policy: OrganizationsPolicy;
  /** ID of the resource control policy. */
  readonly policyId: string;

  constructor(scope: Construct, id: string, props: OrganizationGuardrailsProps) {
    super(scope, id);
    if (!ORGANIZATION_ID.test(props.organizationId)) {
      throw new Error(`OrganizationGuardrails: organizationId "${props.organizationId}" is not an AWS Organizations id (o-...)`);
    }
    if (props.targetIds.length === 0) {
      throw new Error("OrganizationGuardrails: targetIds is empty; attach the policy to at least one root, OU or account");
    }
    for (const target of props.targetIds) {
      if (!TARGET_ID.test(target)) {
        throw new Error(`OrganizationGuardrails: target "${target}" is not a root (r-...), an organizational unit (ou-...) or an account id`);
      }
    }
    if (new Set(props.targetIds).size !== props.targetIds.length) {
      throw new Error("OrganizationGuardrails: targetIds lists a target twice");
    }
    for (const subject of props.githubSubjects ?? []) {
      if (!/^repo:[^:*]+:/.test(subject)) {
        throw new Error(`OrganizationGuardrails: GitHub subject "${subject}" must name one repository (repo:<owner>/<name>:...)`);
      }
    }
    this.policy = new OrganizationsPolicy(this, "deny-outside-assume-role", {
      name: physicalName(props.naming, "deny-outside-assume-role", { maxLength: 128 }),
      description: `No principal outside ${props.organizationId} may assume roles of the workspace accounts`,
      type: "RESOURCE_CONTROL_POLICY",
      content: policyDocument([
        outsideOrganizationAssumeRoleDeny(props.organizationId),
        ...(props.githubSubjects?.length ? [untrustedGithubTokenDeny(props.githubSubjects)] : []),
      ]),
    });
    this.policyId = this.policy.id;
    props.targetIds.forEach((targetId) => {
      new OrganizationsPolicyAttachment(this, `attachment-${targetId}`, { policyId: this.policy.id, targetId });
    });
  }
}

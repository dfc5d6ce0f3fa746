import { LocalBackend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { githubRepoClaim } from "../../modules/github-oidc";
import { OrganizationGuardrails } from "../../modules/organization-guardrails";
import type { EnvironmentConfig } from "../config/schema";
import { platformProvider } from "../lib/provider";

/** Name of the stack, the `Environment` tag of what it creates and its name context. */
export const ORGANIZATION_STACK = "organization";

export interface OrganizationStackProps {
  /** The organization of the workspace accounts (`organization` in the environments, the same in each). */
  readonly organization: NonNullable<EnvironmentConfig["organization"]>;
  readonly project: string;
  /** The repository whose GitHub Actions deploy the workspaces (`github`): its tokens alone may assume roles through GitHub's issuer. @default none */
  readonly github?: EnvironmentConfig["github"];
  /** Region of the provider (Organizations is a global service; any commercial region works). */
  readonly region: string;
}

/**
 * The organization-level guardrails of the workspace accounts, applied once with credentials of the
 * organization's management account (local state, like the bootstrap stacks): the resource control
 * policy of modules/organization-guardrails, attached to `organization.targetIds`: no principal
 * outside the organization assumes a role, and no GitHub token but the platform repository's.
 */
export class OrganizationStack extends TerraformStack {
  readonly guardrails: OrganizationGuardrails;

  constructor(scope: Construct, props: OrganizationStackProps) {
    super(scope, ORGANIZATION_STACK);
    new LocalBackend(this, { path: "terraform.tfstate" });
    platformProvider(this, {
      project: props.project,
      environment: ORGANIZATION_STACK,
      region: props.region,
      accountId: props.organization.managementAccountId,
    });
    this.guardrails = new OrganizationGuardrails(this, "guardrails", {
      naming: { project: props.project, environment: ORGANIZATION_STACK },
      organizationId: props.organization.id,
      targetIds: props.organization.targetIds,
      githubSubjects: props.github
        ? [
            `${githubRepoClaim({
              owner: props.github.owner,
              name: props.github.repository,
              ownerId: props.github.immutableIds?.owner,
              id: props.github.immutableIds?.repository,
            })}:*`,
          ]
        : undefined,
    });
    new TerraformOutput(this, "resource_control_policy_id", {
      value: this.guardrails.policyId,
      description: "Resource control policy denying sts:AssumeRole to principals outside the organization",
    });
  }
}

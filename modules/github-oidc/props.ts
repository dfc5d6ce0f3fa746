/** What `GithubOidc` takes. */
import type { NameContext } from "../../src/lib/naming";
import type { GithubOidcFrontend } from "./frontend";
import type { GithubRepository } from "./subjects";

/** One Terraform workspace whose state the CI roles use. */
export interface GithubOidcWorkspace {
  /** Workspace name (`dev`, `prod`): also the name of the GitHub environment its apply jobs use. */
  readonly name: string;
  /** S3 bucket that holds the workspace's state. */
  readonly stateBucket: string;
  /** DynamoDB lock table of the workspace's backend. */
  readonly lockTable: string;
  /**
   * State object keys of the workspace's stacks in `stateBucket`, the workspace's own stack first
   * (`<project>/<env>/terraform.tfstate` in this platform), then any other stack that keeps its state
   * under the same backend (an EKS workspace's apps stack: `<project>/<env>-apps/terraform.tfstate`).
   * The workspace's apply role reads and writes each of them and its lock file and lock items; the plan
   * role reads them; every other workspace's apply role is denied them.
   */
  readonly stateKeys: readonly string[];
  /**
   * The workspace runs an EKS Auto Mode cluster: its boundary lets the cluster role manage the
   * instance profiles of the nodes it launches, and its apply role may create EKS's service-linked role.
   * @default false
   */
  readonly kubernetes?: boolean;
  /**
   * The workspace's frontend: a deploy role for the frontend workflow that may only write this
   * bucket and invalidate this distribution. @default none (no frontend deploy role)
   */
  readonly frontend?: GithubOidcFrontend;
}

export interface GithubOidcProps {
  /** Name context of the stack that owns the CI roles: the project with environment `bootstrap`. */
  readonly naming: NameContext;
  /** Region of the state backend (the lock tables live there). */
  readonly region: string;
  /** Account of the roles, the state backend and the workspaces. */
  readonly accountId: string;
  /**
   * The GitHub repository whose workflows may assume the roles, spelled exactly as GitHub shows it:
   * the `sub` claim is compared case-sensitively.
   */
  readonly repository: GithubRepository;
  /** One entry per workspace (for example dev and prod); each gets its own apply role. */
  readonly workspaces: readonly GithubOidcWorkspace[];
  /** The only branch whose workflow runs may assume the apply roles. @default "main" */
  readonly mainBranch?: string;
  /**
   * Workflow files (in `.github/workflows/`) whose jobs may assume the apply roles, when they run
   * from `mainBranch` in the workspace's GitHub environment.
   * @default ["deploy.yml", "image.yml"]
   */
  readonly applyWorkflows?: readonly string[];
  /**
   * Workflow file whose jobs, from `mainBranch` in the workspace's GitHub environment, may assume the
   * workspace's frontend deploy role. @default "frontend.yml"
   */
  readonly frontendWorkflow?: string;
  /**
   * Workflow files whose pull-request jobs (no GitHub environment) may assume the plan role.
   * @default ["ci.yml"]
   */
  readonly planWorkflows?: readonly string[];
  /**
   * Create the account's OIDC provider for GitHub. An account holds one provider per URL: set `false`
   * when it already exists and pass its ARN as `providerArn`.
   * @default true
   */
  readonly createProvider?: boolean;
  /**
   * ARN of the existing GitHub OIDC provider; required when `createProvider` is false, refused otherwise.
   * @default the provider this construct creates
   */
  readonly providerArn?: string;
  /**
   * Managed policies of the plan role. It must refresh every resource of every workspace, so it
   * needs broad read access; `ReadOnlyAccess` also reads data (S3 objects, DynamoDB items), so swap in
   * a narrower read policy if pull-request authors must not see data.
   * @default [`arn:<partition>:iam::aws:policy/ReadOnlyAccess`]
   */
  readonly planPolicyArns?: readonly string[];
  /**
   * Managed policies of every apply role: what Terraform may create, change and destroy.
   *
   * Trade-off: the default `PowerUserAccess` (everything but IAM, Organizations and Account) lets the
   * platform deploy any service its modules use without maintaining a list per module, at the price
   * of a broad role: what protects it is who can run code on the main branch and in the GitHub
   * environment (branch protection, required reviewers on prod). The IAM this construct adds cannot
   * widen it: every role the apply role creates or changes must carry the workspace's permissions
   * boundary ({@link workspaceBoundaryArn}), which keeps those roles out of IAM, the Terraform state
   * and the CI roles whatever policies they hold. Teams that want a tighter role pass their own
   * customer-managed policy here; the explicit denies of this construct hold against any of them.
   * @default [`arn:<partition>:iam::aws:policy/PowerUserAccess`]
   */
  readonly applyPolicyArns?: readonly string[];
}

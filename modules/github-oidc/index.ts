import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { partitionOf, policyDocument, type PolicyStatement } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";

/** Issuer of GitHub Actions OIDC tokens (the `iss` claim). */
export const GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com";
/** Host part of the issuer: the prefix of the `:aud` and `:sub` condition keys in trust policies. */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
/** `arn:<partition>:iam::<account>:oidc-provider/token.actions.githubusercontent.com`: the one GitHub provider an account can hold. */
export function githubProviderArn(partition: string, accountId: string): string {
  return `arn:${partition}:iam::${accountId}:oidc-provider/${GITHUB_OIDC_HOST}`;
}

/** Audience `aws-actions/configure-aws-credentials` requests by default. */
export const GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com";
/**
 * The claims GitHub builds the OIDC `sub` of this repository's jobs from, once the repository's
 * subject template is customized (README "CI roles": a one-time `gh api` call). With them a subject
 * names the job's context (`environment:prod` or `pull_request`) AND the workflow file with the ref
 * it ran from, e.g. `repo:acme-corp/platform:environment:prod:job_workflow_ref:acme-corp/platform/.github/workflows/deploy.yml@refs/heads/main`,
 * so a trust policy can require both the environment and the branch. The trust policies below
 * match only subjects of this form.
 */
export const GITHUB_SUBJECT_CLAIM_KEYS = ["repo", "context", "job_workflow_ref"] as const;
/** Workflow files whose jobs may assume the apply roles: the deploy and the image rollout. */
export const DEFAULT_APPLY_WORKFLOWS = ["deploy.yml", "image.yml"] as const;
/** Workflow files whose pull-request jobs may assume the plan role. */
export const DEFAULT_PLAN_WORKFLOWS = ["ci.yml"] as const;

/**
 * The `sub` claim of a job in `context` (`environment:<name>`, `pull_request`) of a workflow file
 * of the repository that ran from `ref`, in the form {@link GITHUB_SUBJECT_CLAIM_KEYS} gives.
 */
export function githubSubject(repository: GithubRepository, context: string, workflow: string, ref: string): string {
  const path = `${repository.owner}/${repository.name}`;
  return `${githubRepoClaim(repository)}:${context}:job_workflow_ref:${path}/.github/workflows/${workflow}@${ref}`;
}

/**
 * `repo:<owner>/<name>`, the start of every OIDC subject of the repository's jobs; repositories with
 * immutable subject claims append the numeric ids to the names (`repo:<owner>@<id>/<name>@<id>`).
 */
export function githubRepoClaim(repository: GithubRepository): string {
  const { owner, name, ownerId, id } = repository;
  return ownerId === undefined ? `repo:${owner}/${name}` : `repo:${owner}@${ownerId}/${name}@${id}`;
}

/** A GitHub repository, spelled exactly as GitHub shows it (subjects are compared case-sensitively). */
export interface GithubRepository {
  readonly owner: string;
  readonly name: string;
  /**
   * Numeric id of the owner, for repositories whose OIDC subjects carry immutable ids (GitHub's
   * default for newer repositories: `repo:owner@<id>/name@<id>`).
   * Set together with `id`. @default names only
   */
  readonly ownerId?: number;
  /** Numeric id of the repository; set together with `ownerId`. @default names only */
  readonly id?: number;
}

/** Longest session a CI role hands out, in seconds. */
export const CI_SESSION_SECONDS = 3600;

/**
 * Services the apply roles may create service-linked roles for (`iam:CreateServiceLinkedRole` with an
 * `iam:AWSServiceName` condition): the ones the platform's modules need on a first deploy into a
 * fresh account. Add a service here when a module starts using one that needs its own linked role.
 */
export const SERVICE_LINKED_ROLE_SERVICES = [
  "ecs.amazonaws.com", // ECS clusters and services (AWSServiceRoleForECS)
  "ecs.application-autoscaling.amazonaws.com", // ECS service target tracking / step scaling
  "rds.amazonaws.com", // Aurora (AWSServiceRoleForRDS)
  "rds.application-autoscaling.amazonaws.com", // Aurora reader autoscaling
  "elasticloadbalancing.amazonaws.com", // Application Load Balancer
  "autoscaling.amazonaws.com", // EC2 Auto Scaling (capacity providers)
  "ops.emr-serverless.amazonaws.com", // EMR Serverless applications (data pipeline)
] as const;

/** One Terraform workspace whose state the CI roles use. */
export interface GithubOidcWorkspace {
  /** Workspace name (`dev`, `prod`): also the name of the GitHub environment its apply jobs use. */
  readonly name: string;
  /** S3 bucket that holds the workspace's state. */
  readonly stateBucket: string;
  /** DynamoDB lock table of the workspace's backend. */
  readonly lockTable: string;
  /** State object key, `<project>/<env>/terraform.tfstate` in this platform. */
  readonly stateKey: string;
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

// GitHub user and organization names: letters, digits and single hyphens, not at either end, 1-39 characters.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
// Repository names: letters, digits, '.', '_' and '-', at most 100 characters.
const REPOSITORY = /^[A-Za-z0-9._-]{1,100}$/;
// Workspace names follow the environment-name rule of the config schema.
const WORKSPACE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const TABLE = /^[A-Za-z0-9_.-]{3,255}$/;
const BRANCH = /^[A-Za-z0-9._/-]+$/;
const WORKFLOW_FILE = /^[A-Za-z0-9._-]+\.ya?ml$/;
const POLICY_ARN = /^arn:aws(?:-[a-z]+)*:iam::(?:aws|\d{12}):policy\/\S+$/;
const PROVIDER_ARN = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;

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
          Condition: {
            StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: GITHUB_OIDC_AUDIENCE },
            [operator]: { [`${GITHUB_OIDC_HOST}:sub`]: subjects.length === 1 ? subjects[0] : subjects },
          },
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
    const ciRoleArns = [roleName("github-plan"), ...props.workspaces.map((w) => roleName(`github-apply-${w.name}`))].map(
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
        policy: policyDocument(workspaceIamStatements(props.naming.project, workspace.name, partition, props.accountId)),
      });
      applyRoles[workspace.name] = role;
      applyRoleArns[workspace.name] = role.arn;
    }
    this.applyRoles = applyRoles;
    this.applyRoleArns = applyRoleArns;
    this.boundaryPolicies = boundaryPolicies;
    this.boundaryPolicyArns = boundaryPolicyArns;
  }
}

/** `<project>-<workspace>-`: the name prefix of every IAM role and policy a workspace creates. */
export function workspaceIamPrefix(project: string, workspace: string): string {
  return `${physicalName({ project, environment: workspace }, "")}-`;
}

/** `<project>-<workspace>-boundary`: name of the managed policy that bounds every role of a workspace. */
export function workspaceBoundaryName(project: string, workspace: string): string {
  return `${workspaceIamPrefix(project, workspace)}boundary`;
}

/**
 * `arn:<partition>:iam::<account>:policy/<project>-<workspace>-boundary`: what a workspace stack sets
 * as `permissions_boundary` on every role it creates (computed, so it needs no data source). The
 * apply role of the workspace can create and change only roles that carry exactly this ARN.
 */
export function workspaceBoundaryArn(partition: string, accountId: string, project: string, workspace: string): string {
  return `arn:${partition}:iam::${accountId}:policy/${workspaceBoundaryName(project, workspace)}`;
}

/** A boundary statement: a {@link PolicyStatement}, or its `NotAction` form, which that type does not model. */
export type BoundaryStatement = PolicyStatement | (Omit<PolicyStatement, "Action"> & { readonly NotAction: string | string[] });

/** Renders boundary statements the way `policyDocument` renders a {@link PolicyStatement} list. */
function boundaryDocument(statements: readonly BoundaryStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements }, null, 2);
}

const s3Arn = (partition: string, bucket: string, key?: string) => `arn:${partition}:s3:::${bucket}${key === undefined ? "" : `/${key}`}`;
const tableArn = (partition: string, region: string, accountId: string, table: string) =>
  `arn:${partition}:dynamodb:${region}:${accountId}:table/${table}`;
const unique = <T>(items: T[]) => [...new Set(items)];
/** S3-native locking (`use_lockfile`) writes the lock next to the state as `<key>.tflock`. */
const lockKey = (key: string) => `${key}.tflock`;

/** s3:ListBucket per state bucket, limited by `s3:prefix` to the workspaces' state keys. */
function listStatements(workspaces: readonly GithubOidcWorkspace[], partition: string): PolicyStatement[] {
  const buckets = unique(workspaces.map((w) => w.stateBucket));
  return buckets.map((bucket, i) => ({
    Sid: buckets.length === 1 ? "ListState" : `ListState${i}`,
    Effect: "Allow",
    Action: "s3:ListBucket",
    Resource: s3Arn(partition, bucket),
    Condition: {
      StringLike: { "s3:prefix": workspaces.filter((w) => w.stateBucket === bucket).map((w) => `${w.stateKey}*`) },
    },
  }));
}

/** The `LockID` of a workspace's lock in the lock table: `<bucket>/<key>`. */
export function lockItemKey(workspace: GithubOidcWorkspace): string {
  return `${workspace.stateBucket}/${workspace.stateKey}`;
}

/**
 * The items Terraform's S3 backend keeps in the lock table for a workspace: the lock
 * ({@link lockItemKey}) and the digest of the state it last wrote, `<bucket>/<key>-md5`.
 */
export function lockItemKeys(workspace: GithubOidcWorkspace): string[] {
  return [lockItemKey(workspace), `${lockItemKey(workspace)}-md5`];
}

/** Item actions, each of which names the partition keys (`dynamodb:LeadingKeys`) it touches. */
const LOCK_ITEM_ACTIONS = [
  "dynamodb:BatchGetItem",
  "dynamodb:BatchWriteItem",
  "dynamodb:ConditionCheckItem",
  "dynamodb:DeleteItem",
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:Query",
  "dynamodb:UpdateItem",
];
/** Table-wide item reads and writes that name no partition key, so no LeadingKeys condition can hold them. */
const KEYLESS_ITEM_ACTIONS = ["dynamodb:PartiQLDelete", "dynamodb:PartiQLInsert", "dynamodb:PartiQLSelect", "dynamodb:PartiQLUpdate", "dynamodb:Scan"];

/**
 * The lock table, limited to the workspaces' own items: `dynamodb:LeadingKeys` is the partition key
 * (`LockID`) of every item a GetItem, PutItem or DeleteItem touches. Reads cover the lock and the
 * digest; `writableKeys` are the items the role may put and delete (the plan role: the locks only,
 * it never writes state, so never a digest). DescribeTable reads no item and gets its own statement,
 * so the item statements never hold for a request without the key.
 */
function lockTableStatements(
  workspaces: readonly GithubOidcWorkspace[],
  writableKeys: readonly string[],
  partition: string,
  region: string,
  accountId: string,
): PolicyStatement[] {
  const tables = unique(workspaces.map((w) => tableArn(partition, region, accountId, w.lockTable)));
  return [
    { Sid: "LockTable", Effect: "Allow", Action: "dynamodb:DescribeTable", Resource: tables },
    {
      Sid: "ReadLockItems",
      Effect: "Allow",
      Action: "dynamodb:GetItem",
      Resource: tables,
      Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": workspaces.flatMap(lockItemKeys) } },
    },
    {
      Sid: "WriteLockItems",
      Effect: "Allow",
      Action: ["dynamodb:PutItem", "dynamodb:DeleteItem"],
      Resource: tables,
      Condition: { "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": [...writableKeys] } },
    },
  ];
}

/** Plan role: read every workspace's state and lock items; write and delete only the lock files and locks. */
export function planStateStatements(
  workspaces: readonly GithubOidcWorkspace[],
  partition: string,
  region: string,
  accountId: string,
): PolicyStatement[] {
  const keys = workspaces.map((w) => s3Arn(partition, w.stateBucket, w.stateKey));
  const locks = workspaces.map((w) => s3Arn(partition, w.stateBucket, lockKey(w.stateKey)));
  return [
    ...listStatements(workspaces, partition),
    { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: [...keys, ...locks] },
    { Sid: "LockFiles", Effect: "Allow", Action: ["s3:PutObject", "s3:DeleteObject"], Resource: locks },
    ...lockTableStatements(workspaces, workspaces.map(lockItemKey), partition, region, accountId),
  ];
}

/**
 * Apply role of one workspace: read and write its own state, take and release its own lock; and,
 * because the deploy policies may grant S3 and DynamoDB broadly, explicit denies on the other
 * workspaces' state, on deleting state versions, and on reconfiguring the state bucket and lock table.
 */
export function applyStateStatements(
  workspace: GithubOidcWorkspace,
  all: readonly GithubOidcWorkspace[],
  partition: string,
  region: string,
  accountId: string,
): PolicyStatement[] {
  const key = s3Arn(partition, workspace.stateBucket, workspace.stateKey);
  const lock = s3Arn(partition, workspace.stateBucket, lockKey(workspace.stateKey));
  const others = all.filter((w) => w.name !== workspace.name);
  const buckets = unique(all.map((w) => w.stateBucket));
  const lockTables = unique(all.map((w) => tableArn(partition, region, accountId, w.lockTable)));
  const statements: PolicyStatement[] = [
    ...listStatements([workspace], partition),
    { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: [key, lock] },
    { Sid: "WriteState", Effect: "Allow", Action: "s3:PutObject", Resource: [key, lock] },
    { Sid: "ReleaseLock", Effect: "Allow", Action: "s3:DeleteObject", Resource: lock },
    ...lockTableStatements([workspace], lockItemKeys(workspace), partition, region, accountId),
  ];
  if (others.length > 0) {
    statements.push({
      Sid: "DenyOtherWorkspacesState",
      Effect: "Deny",
      // A deny: every S3 action on the other workspaces' state objects and lock files.
      Action: "s3:*",
      Resource: others.flatMap((w) => [s3Arn(partition, w.stateBucket, w.stateKey), s3Arn(partition, w.stateBucket, lockKey(w.stateKey))]),
    });
  }
  statements.push(
    {
      Sid: "DenyStateDeletion",
      Effect: "Deny",
      // Terraform never deletes its state object, nor any object version (versioning is the recovery path).
      Action: "s3:DeleteObject",
      Resource: key,
    },
    {
      Sid: "DenyStateVersionDeletion",
      Effect: "Deny",
      Action: "s3:DeleteObjectVersion",
      Resource: buckets.map((b) => s3Arn(partition, b, "*")),
    },
    {
      Sid: "DenyStateBucketChanges",
      Effect: "Deny",
      Action: [
        "s3:DeleteBucket",
        "s3:DeleteBucketPolicy",
        "s3:PutBucketAcl",
        "s3:PutBucketOwnershipControls",
        "s3:PutBucketPolicy",
        "s3:PutBucketPublicAccessBlock",
        "s3:PutBucketVersioning",
        "s3:PutEncryptionConfiguration",
        "s3:PutLifecycleConfiguration",
      ],
      Resource: buckets.map((b) => s3Arn(partition, b)),
    },
    {
      Sid: "DenyOtherLockItems",
      Effect: "Deny",
      // The deploy policies (PowerUserAccess) allow every DynamoDB action: any item other than this
      // workspace's lock and digest is out of reach, whatever they grant. A request without the key
      // (DescribeTable) is not matched by ForAnyValue.
      Action: LOCK_ITEM_ACTIONS,
      Resource: lockTables,
      Condition: { "ForAnyValue:StringNotEquals": { "dynamodb:LeadingKeys": lockItemKeys(workspace) } },
    },
    {
      Sid: "DenyKeylessLockTableAccess",
      Effect: "Deny",
      Action: KEYLESS_ITEM_ACTIONS,
      Resource: lockTables,
    },
    {
      Sid: "DenyLockTableChanges",
      Effect: "Deny",
      Action: ["dynamodb:DeleteTable", "dynamodb:UpdateContinuousBackups", "dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive"],
      Resource: lockTables,
    },
  );
  return statements;
}

/**
 * The permissions boundary of one workspace's roles (the managed policy {@link workspaceBoundaryName}).
 * A boundary grants nothing: it is the most a role may do, whatever policies the role holds. Roles of
 * the workspace's applications (ECS task and execution roles, Lambda and Scheduler roles, the EMR job
 * role) never administer IAM or touch Terraform state, so for them the limit costs nothing; for a role
 * the apply role creates, trusts itself in and assumes, it closes the way around the apply role's
 * denies.
 *
 * - Everything outside IAM is inside the limit (`NotAction: iam:*`, the form of `PowerUserAccess`).
 *   The IAM part is an allow-list rather than a deny, because an explicit deny of `iam:*` would also
 *   beat the one IAM action the applications need and a deny with `NotAction` would deny every other
 *   service: every IAM action, reads included and actions IAM adds later alike, is outside the limit
 *   except `iam:PassRole` on the workspace's own roles.
 * - `iam:PassRole` stays ALLOWED on purpose: the EventBridge Scheduler role passes the task roles to
 *   ECS and the data pipeline's Lambda passes the job role to EMR Serverless. It is limited to roles
 *   named `<project>-<workspace>-*` (all of them carry this boundary), so a bounded role cannot hand a
 *   service any other role of the account.
 * - Explicit denies, which also beat resource policies that name the role or its sessions: assuming
 *   the CI roles, any S3 action on the state buckets and their objects and any DynamoDB action on the
 *   lock tables of ALL workspaces, and Organizations and Account.
 */
export function workspaceBoundaryStatements(
  project: string,
  workspace: string,
  all: readonly GithubOidcWorkspace[],
  ciRoleArns: readonly string[],
  partition: string,
  region: string,
  accountId: string,
): BoundaryStatement[] {
  const buckets = unique(all.map((w) => w.stateBucket));
  const tables = unique(all.map((w) => tableArn(partition, region, accountId, w.lockTable)));
  return [
    { Sid: "AllowAllButIam", Effect: "Allow", NotAction: "iam:*", Resource: "*" },
    {
      Sid: "AllowPassWorkspaceRoles",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: `arn:${partition}:iam::${accountId}:role/${workspaceIamPrefix(project, workspace)}*`,
    },
    { Sid: "DenyCiRoles", Effect: "Deny", Action: "sts:AssumeRole", Resource: [...ciRoleArns] },
    {
      Sid: "DenyTerraformState",
      Effect: "Deny",
      Action: "s3:*",
      Resource: buckets.flatMap((b) => [s3Arn(partition, b), s3Arn(partition, b, "*")]),
    },
    { Sid: "DenyLockTables", Effect: "Deny", Action: "dynamodb:*", Resource: tables.flatMap((t) => [t, `${t}/*`]) },
    { Sid: "DenyOrganizationsAndAccount", Effect: "Deny", Action: ["organizations:*", "account:*"], Resource: "*" },
  ];
}

/**
 * Role actions that take the `iam:PermissionsBoundary` condition key (Service Authorization
 * Reference, IAM): for `CreateRole` and `PutRolePermissionsBoundary` the key is the boundary in the
 * request, for the others the boundary the role already has (absent when it has none, so the
 * condition fails). The apply role may call them only on roles bounded by its workspace's boundary.
 * `DeleteRole` takes the key too but stays unconditioned (deleting a role grants nothing), as do the
 * reads, `PassRole` and tagging, which do not take it.
 */
export const BOUNDED_ROLE_ACTIONS = [
  "iam:AttachRolePolicy",
  "iam:CreateRole",
  "iam:DeleteRolePolicy",
  "iam:DetachRolePolicy",
  "iam:PutRolePermissionsBoundary",
  "iam:PutRolePolicy",
] as const;

/** What the workspace may never do to its boundary policy (it matches the `<project>-<workspace>-*` policies it manages). */
export const BOUNDARY_POLICY_CHANGES = [
  "iam:CreatePolicy",
  "iam:CreatePolicyVersion",
  "iam:DeletePolicy",
  "iam:DeletePolicyVersion",
  "iam:SetDefaultPolicyVersion",
  "iam:TagPolicy",
  "iam:UntagPolicy",
] as const;

/**
 * IAM for one workspace's deploys: the roles, customer-managed policies and instance profiles its
 * modules create, all named `<project>-<workspace>-*`, plus the service-linked roles of
 * {@link SERVICE_LINKED_ROLE_SERVICES}. Creating or changing a role's permissions or trust needs the
 * workspace's permissions boundary on the role ({@link BOUNDED_ROLE_ACTIONS}); explicit denies keep
 * the boundary on the roles and the boundary policy as the bootstrap stack wrote it, whatever the
 * deploy policies allow.
 */
export function workspaceIamStatements(project: string, workspace: string, partition: string, accountId: string): PolicyStatement[] {
  const prefix = workspaceIamPrefix(project, workspace);
  const iam = (kind: string, name: string) => `arn:${partition}:iam::${accountId}:${kind}/${name}`;
  const roles = iam("role", `${prefix}*`);
  const boundary = workspaceBoundaryArn(partition, accountId, project, workspace);
  return [
    {
      Sid: "WorkspaceRoles",
      Effect: "Allow",
      // Reads, deletion, passing to services, tags, trust and description changes: none of them can
      // widen a role's permissions, which the boundary caps (every role is created with it and it
      // cannot be removed). IAM does not send iam:PermissionsBoundary for UpdateAssumeRolePolicy,
      // UpdateRole or UpdateRoleDescription, so they cannot be conditioned on it.
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
      Resource: roles,
    },
    {
      Sid: "BoundedWorkspaceRoles",
      Effect: "Allow",
      Action: [...BOUNDED_ROLE_ACTIONS],
      Resource: roles,
      Condition: { StringEquals: { "iam:PermissionsBoundary": boundary } },
    },
    {
      Sid: "WorkspacePolicies",
      Effect: "Allow",
      Action: [
        "iam:CreatePolicy",
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
        "iam:ListPolicyTags",
        "iam:ListPolicyVersions",
        "iam:TagPolicy",
        "iam:UntagPolicy",
      ],
      Resource: iam("policy", `${prefix}*`),
    },
    {
      Sid: "WorkspaceInstanceProfiles",
      Effect: "Allow",
      Action: [
        "iam:AddRoleToInstanceProfile",
        "iam:CreateInstanceProfile",
        "iam:DeleteInstanceProfile",
        "iam:GetInstanceProfile",
        "iam:ListInstanceProfileTags",
        "iam:RemoveRoleFromInstanceProfile",
        "iam:TagInstanceProfile",
        "iam:UntagInstanceProfile",
      ],
      Resource: iam("instance-profile", `${prefix}*`),
    },
    {
      Sid: "ServiceLinkedRoles",
      Effect: "Allow",
      // Service-linked roles cannot take a permissions boundary; their policies are AWS's own.
      Action: "iam:CreateServiceLinkedRole",
      Resource: iam("role", "aws-service-role/*"),
      Condition: { StringEquals: { "iam:AWSServiceName": [...SERVICE_LINKED_ROLE_SERVICES] } },
    },
    {
      Sid: "DenyRoleChangesWithoutBoundary",
      Effect: "Deny",
      // The same condition as an explicit deny, so a broader deploy policy cannot bypass it either.
      Action: [...BOUNDED_ROLE_ACTIONS],
      Resource: roles,
      Condition: { StringNotEquals: { "iam:PermissionsBoundary": boundary } },
    },
    { Sid: "DenyBoundaryRemoval", Effect: "Deny", Action: "iam:DeleteRolePermissionsBoundary", Resource: roles },
    { Sid: "DenyBoundaryPolicyChanges", Effect: "Deny", Action: [...BOUNDARY_POLICY_CHANGES], Resource: boundary },
  ];
}

function fail(message: string): never {
  throw new Error(`GithubOidc: ${message}`);
}

function validate(props: GithubOidcProps): void {
  const { owner, name } = props.repository;
  if (!OWNER.test(owner)) {
    fail(`repository.owner "${owner}" is not a GitHub user or organization name (letters, digits and single hyphens, not at either end, at most 39 characters)`);
  }
  if (!REPOSITORY.test(name) || name === "." || name === ".." || name.toLowerCase().endsWith(".git")) {
    fail(`repository.name "${name}" is not a GitHub repository name (letters, digits, '.', '_', '-', at most 100 characters, no ".git" suffix)`);
  }
  const { ownerId, id } = props.repository;
  if ((ownerId === undefined) !== (id === undefined)) {
    fail("repository.ownerId and repository.id go together (immutable subject claims carry both)");
  }
  for (const [field, value] of [
    ["ownerId", ownerId],
    ["id", id],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
      fail(`repository.${field} ${value} must be a positive integer (GitHub's numeric id)`);
    }
  }
  if (!/^\d{12}$/.test(props.accountId)) {
    fail(`accountId "${props.accountId}" must be a 12-digit AWS account id`);
  }
  if (!/^[a-z]{2}(?:-[a-z]+)+-\d$/.test(props.region)) {
    fail(`region "${props.region}" is not an AWS region name`);
  }
  const mainBranch = props.mainBranch ?? "main";
  if (!BRANCH.test(mainBranch) || mainBranch.includes("..") || /^[/.]|[/.]$/.test(mainBranch) || mainBranch.startsWith("refs/")) {
    fail(`mainBranch "${mainBranch}" must be a plain branch name such as "main" (no "refs/" prefix, wildcards or spaces)`);
  }
  for (const [field, files] of [
    ["applyWorkflows", props.applyWorkflows],
    ["planWorkflows", props.planWorkflows],
  ] as const) {
    if (files !== undefined && files.length === 0) {
      fail(`${field} is empty: no workflow could assume the role`);
    }
    for (const file of files ?? []) {
      if (!WORKFLOW_FILE.test(file)) {
        fail(`${field}: "${file}" must be a workflow file name in .github/workflows, such as "deploy.yml"`);
      }
    }
  }
  if (props.workspaces.length === 0) {
    fail("at least one workspace is required");
  }
  const seen = new Set<string>();
  for (const w of props.workspaces) {
    if (!WORKSPACE.test(w.name)) {
      fail(`workspace "${w.name}" must start with a letter and use lower-case letters, digits and single hyphens`);
    }
    if (seen.has(w.name)) {
      fail(`workspace "${w.name}" is listed twice`);
    }
    seen.add(w.name);
    if (w.name === props.naming.environment) {
      fail(`workspace "${w.name}" has the name of the stack that owns the CI roles; its IAM prefix would cover them`);
    }
    if (!BUCKET.test(w.stateBucket)) {
      fail(`workspace "${w.name}": stateBucket "${w.stateBucket}" is not an S3 bucket name`);
    }
    if (!TABLE.test(w.lockTable)) {
      fail(`workspace "${w.name}": lockTable "${w.lockTable}" is not a DynamoDB table name`);
    }
    if (w.stateKey.length === 0 || w.stateKey.startsWith("/") || /[*?]/.test(w.stateKey)) {
      fail(`workspace "${w.name}": stateKey "${w.stateKey}" must be a relative object key without wildcards`);
    }
  }
  for (const a of props.workspaces) {
    for (const b of props.workspaces) {
      if (a !== b && b.name.startsWith(`${a.name}-`)) {
        fail(`workspace "${b.name}" starts with "${a.name}-": the IAM prefix ${workspaceIamPrefix(props.naming.project, a.name)}* of "${a.name}" would cover its roles`);
      }
      if (a !== b && a.stateBucket === b.stateBucket && a.stateKey === b.stateKey) {
        fail(`workspaces "${a.name}" and "${b.name}" share the state key ${a.stateBucket}/${a.stateKey}`);
      }
    }
  }
  const createProvider = props.createProvider ?? true;
  if (createProvider && props.providerArn !== undefined) {
    fail("providerArn is only used with createProvider: false (this construct creates the provider otherwise)");
  }
  if (!createProvider) {
    if (props.providerArn === undefined) {
      fail("createProvider: false needs providerArn, the ARN of the account's existing GitHub OIDC provider");
    }
    if (!Token.isUnresolved(props.providerArn) && !PROVIDER_ARN.test(props.providerArn)) {
      fail(`providerArn "${props.providerArn}" is not the ARN of a token.actions.githubusercontent.com OIDC provider`);
    }
  }
  for (const [field, arns] of [
    ["planPolicyArns", props.planPolicyArns],
    ["applyPolicyArns", props.applyPolicyArns],
  ] as const) {
    for (const arn of arns ?? []) {
      if (!Token.isUnresolved(arn) && !POLICY_ARN.test(arn)) {
        fail(`${field}: "${arn}" is not an IAM policy ARN`);
      }
    }
    if (arns && new Set(arns).size !== arns.length) {
      fail(`${field} lists a policy twice`);
    }
    // IAM's default quota is 10 managed policies per role.
    if (arns && arns.length > 10) {
      fail(`${field} has ${arns.length} policies; a role holds at most 10 managed policies by default`);
    }
  }
}

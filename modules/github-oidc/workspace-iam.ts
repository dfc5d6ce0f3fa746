/** What a workspace's apply role may do in IAM, and the permissions boundary every role of the workspace carries. */
import { type PolicyStatement } from "../../src/lib/iam";
import { physicalName } from "../../src/lib/naming";
import type { GithubOidcWorkspace } from "./props";
import { s3Arn, tableArn, unique } from "./state";

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
  "dynamodb.application-autoscaling.amazonaws.com", // DynamoDB provisioned-capacity target tracking
  "elasticloadbalancing.amazonaws.com", // Application Load Balancer
  "autoscaling.amazonaws.com", // EC2 Auto Scaling (capacity providers)
  "ops.emr-serverless.amazonaws.com", // EMR Serverless applications (data pipeline)
] as const;

/**
 * The IAM actions an EKS Auto Mode cluster role uses (`AmazonEKSComputePolicy`) on the instance
 * profiles of the nodes it launches; a Kubernetes workspace's boundary leaves them to that policy.
 */
export const EKS_AUTO_MODE_INSTANCE_PROFILE_ACTIONS = [
  "iam:AddRoleToInstanceProfile",
  "iam:CreateInstanceProfile",
  "iam:DeleteInstanceProfile",
  "iam:GetInstanceProfile",
  "iam:RemoveRoleFromInstanceProfile",
  "iam:TagInstanceProfile",
] as const;

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
export function boundaryDocument(statements: readonly BoundaryStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements }, null, 2);
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
  const kubernetes = all.find((w) => w.name === workspace)?.kubernetes ?? false;
  return [
    { Sid: "AllowAllButIam", Effect: "Allow", NotAction: "iam:*", Resource: "*" },
    {
      Sid: "AllowPassWorkspaceRoles",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: `arn:${partition}:iam::${accountId}:role/${workspaceIamPrefix(project, workspace)}*`,
    },
    // EKS Auto Mode: the cluster role creates the nodes' instance profiles (holding the workspace's node role).
    ...(kubernetes
      ? [
          {
            Sid: "AllowEksAutoModeInstanceProfiles",
            Effect: "Allow" as const,
            Action: [...EKS_AUTO_MODE_INSTANCE_PROFILE_ACTIONS],
            Resource: `arn:${partition}:iam::${accountId}:instance-profile/*`,
          },
          {
            // Auto Mode's load balancing creates Elastic Load Balancing's linked role if the account has none yet.
            Sid: "AllowEksAutoModeLoadBalancerLinkedRole",
            Effect: "Allow" as const,
            Action: "iam:CreateServiceLinkedRole",
            Resource: `arn:${partition}:iam::${accountId}:role/aws-service-role/elasticloadbalancing.amazonaws.com/*`,
            Condition: { StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } },
          },
        ]
      : []),
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
export function workspaceIamStatements(project: string, workspace: string, partition: string, accountId: string, kubernetes = false): PolicyStatement[] {
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
      Condition: { StringEquals: { "iam:AWSServiceName": [...SERVICE_LINKED_ROLE_SERVICES, ...(kubernetes ? ["eks.amazonaws.com"] : [])] } },
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

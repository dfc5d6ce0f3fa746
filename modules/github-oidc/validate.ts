/** The checks `GithubOidc` runs on its props before it builds anything. */
import { Token } from "cdktf";
import type { GithubOidcProps } from "./props";
import { workspaceIamPrefix } from "./workspace-iam";

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

function fail(message: string): never {
  throw new Error(`GithubOidc: ${message}`);
}

export function validate(props: GithubOidcProps): void {
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
  if (props.frontendWorkflow !== undefined && !WORKFLOW_FILE.test(props.frontendWorkflow)) {
    fail(`frontendWorkflow "${props.frontendWorkflow}" is not a workflow file name such as frontend.yml`);
  }
  for (const w of props.workspaces) {
    if (w.frontend && !Token.isUnresolved(w.frontend.bucketName) && !BUCKET.test(w.frontend.bucketName)) {
      fail(`workspace "${w.name}": frontend.bucketName "${w.frontend.bucketName}" is not an S3 bucket name`);
    }
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
    if (w.stateKeys.length === 0) {
      fail(`workspace "${w.name}": stateKeys is empty; it needs at least the state key of its own stack`);
    }
    for (const key of w.stateKeys) {
      if (key.length === 0 || key.startsWith("/") || /[*?]/.test(key)) {
        fail(`workspace "${w.name}": state key "${key}" must be a relative object key without wildcards`);
      }
    }
    const duplicate = w.stateKeys.find((key, i) => w.stateKeys.indexOf(key) !== i);
    if (duplicate !== undefined) {
      fail(`workspace "${w.name}" lists the state key ${duplicate} twice`);
    }
  }
  for (const a of props.workspaces) {
    for (const b of props.workspaces) {
      if (a !== b && b.name.startsWith(`${a.name}-`)) {
        fail(`workspace "${b.name}" starts with "${a.name}-": the IAM prefix ${workspaceIamPrefix(props.naming.project, a.name)}* of "${a.name}" would cover its roles`);
      }
      const shared = a !== b && a.stateBucket === b.stateBucket ? a.stateKeys.find((key) => b.stateKeys.includes(key)) : undefined;
      if (shared !== undefined) {
        fail(`workspaces "${a.name}" and "${b.name}" share the state key ${a.stateBucket}/${shared}`);
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

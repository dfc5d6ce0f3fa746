/** GitHub Actions OIDC: the issuer, the subjects the trust policies match, and the provider ARN. */

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

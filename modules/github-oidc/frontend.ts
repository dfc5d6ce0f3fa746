/** What the frontend deploy role of a workspace may do: write its app bucket, invalidate its distribution. */
import type { PolicyStatement } from "../../src/lib/iam";

/** Workflow file whose jobs may assume the frontend deploy roles. */
export const DEFAULT_FRONTEND_WORKFLOW = "frontend.yml";

/** A workspace's frontend, named without references (names are deterministic, see `src/lib/naming.ts`). */
export interface GithubOidcFrontend {
  /** The app bucket (`StaticSite`'s, `<project>-<env>-frontend-<account>`). */
  readonly bucketName: string;
  /**
   * The distribution's id is generated, so the role is scoped by the tag the distribution carries:
   * `<tagKey> = <tagValue>` (`StaticSite` tags it `FrontendDeploy = <project>-<env>-frontend`).
   */
  readonly tagKey: string;
  readonly tagValue: string;
}

/**
 * The deploy tool's permissions: list the bucket (to find files the new build no longer has), put
 * and delete its objects, and create and read invalidations of distributions carrying the tag.
 *
 * CloudFront's `distribution` resource type supports the `aws:ResourceTag/${TagKey}` condition key
 * (Service Authorization Reference, "Actions, resources, and condition keys for Amazon CloudFront");
 * if a request carried no tag context the `StringEquals` condition would fail, so the statement
 * can only refuse more, never allow another distribution. Within the workspace's own account
 * (one account per environment) only the apply role could tag another distribution so.
 */
export function frontendDeployStatements(frontend: GithubOidcFrontend, partition: string, accountId: string): PolicyStatement[] {
  const bucketArn = `arn:${partition}:s3:::${frontend.bucketName}`;
  return [
    { Sid: "ListAppBucket", Effect: "Allow", Action: "s3:ListBucket", Resource: bucketArn },
    { Sid: "WriteAppObjects", Effect: "Allow", Action: ["s3:PutObject", "s3:DeleteObject"], Resource: `${bucketArn}/*` },
    {
      Sid: "InvalidateAppDistribution",
      Effect: "Allow",
      Action: ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
      Resource: `arn:${partition}:cloudfront::${accountId}:distribution/*`,
      Condition: { StringEquals: { [`aws:ResourceTag/${frontend.tagKey}`]: frontend.tagValue } },
    },
  ];
}

import { OrganizationsPolicyAttachment } from "@cdktf/provider-aws/lib/organizations-policy-attachment";
import { describe, expect, it } from "vitest";
import { OrganizationGuardrails } from "../modules/organization-guardrails";
import { decide } from "./iam-model";
import { logicalIdOf, onlyResource, ref, resourcesOf, synthConstruct } from "./helpers";

const ORG = "o-a1b2c3d4e5";
const naming = { project: "acme", environment: "organization" };
const build = (targetIds: string[] = ["r-a1b2", "ou-a1b2-abcdefgh"], organizationId = ORG, githubSubjects?: string[]) =>
  synthConstruct((stack) => new OrganizationGuardrails(stack, "guardrails", { naming, organizationId, targetIds, githubSubjects }));

describe("OrganizationGuardrails", () => {
  const { synth, json } = build();
  const policy = onlyResource(json, "aws_organizations_policy");
  const statements = JSON.parse(policy.content).Statement as Array<Record<string, any>>;
  const ROLE = "arn:aws:iam::444455556666:role/acme-prod-web-task";
  const assume = (context: Record<string, string>) => decide(statements, "sts:AssumeRole", ROLE, context);

  it("creates a resource control policy with exactly the documented statement", () => {
    expect(policy).toMatchObject({ name: "acme-organization-deny-outside-assume-role", type: "RESOURCE_CONTROL_POLICY" });
    expect(statements).toEqual([
      {
        Sid: "DenyAssumeRoleFromOutsideOrganization",
        Effect: "Deny",
        Principal: "*",
        Action: "sts:AssumeRole",
        Resource: "*",
        Condition: {
          StringNotEqualsIfExists: { "aws:PrincipalOrgID": ORG },
          BoolIfExists: { "aws:PrincipalIsAWSService": "false" },
        },
      },
    ]);
  });

  it("denies principals of other organizations or none, and leaves the organization's and AWS services' alone", () => {
    expect(assume({ "aws:PrincipalOrgID": "o-zzzzzzzzzz", "aws:PrincipalIsAWSService": "false" })).toBe("deny");
    // A principal in no organization has no aws:PrincipalOrgID: outside too.
    expect(assume({ "aws:PrincipalIsAWSService": "false" })).toBe("deny");
    // A deny-only policy grants nothing by itself: what is not denied is left to IAM.
    expect(assume({ "aws:PrincipalOrgID": ORG, "aws:PrincipalIsAWSService": "false" })).toBe("implicit-deny");
    expect(assume({ "aws:PrincipalIsAWSService": "true" })).toBe("implicit-deny");
    // GitHub Actions' web-identity federation into the CI roles is another action.
    expect(decide(statements, "sts:AssumeRoleWithWebIdentity", ROLE, {})).toBe("implicit-deny");
  });

  it("with GitHub subjects, refuses GitHub tokens of any other repository, and leaves other identity providers alone", () => {
    const { json: gh } = build(["r-a1b2"], ORG, ["repo:acme-corp/platform:*"]);
    const withGithub = JSON.parse(onlyResource(gh, "aws_organizations_policy").content).Statement as Array<Record<string, any>>;
    expect(withGithub[1]).toEqual({
      Sid: "DenyGithubTokensOfOtherRepositories",
      Effect: "Deny",
      Principal: "*",
      Action: "sts:AssumeRoleWithWebIdentity",
      Resource: "*",
      Condition: {
        StringNotLike: { "token.actions.githubusercontent.com:sub": ["repo:acme-corp/platform:*"] },
        Null: { "token.actions.githubusercontent.com:sub": "false" },
      },
    });
    const web = (context: Record<string, string>) => decide(withGithub, "sts:AssumeRoleWithWebIdentity", ROLE, context);
    const sub = "token.actions.githubusercontent.com:sub";
    expect(web({ [sub]: "repo:acme-corp/platform:environment:prod:job_workflow_ref:acme-corp/platform/.github/workflows/deploy.yml@refs/heads/main" })).toBe("implicit-deny");
    expect(web({ [sub]: "repo:attacker/platform:environment:prod" })).toBe("deny");
    expect(web({ [sub]: "repo:acme-corp/platform-fork:pull_request" })).toBe("deny");
    // An EKS service account's token has no GitHub subject key.
    expect(web({ "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:app:web" })).toBe("implicit-deny");
    // Without subjects, the policy has the organization statement only.
    expect(statements).toHaveLength(1);
    expect(() => build(["r-a1b2"], ORG, ["repo:*"])).toThrow('OrganizationGuardrails: GitHub subject "repo:*" must name one repository (repo:<owner>/<name>:...)');
  });

  it("attaches the policy to every target", () => {
    const id = logicalIdOf(json, "aws_organizations_policy", () => true);
    const attachments = Object.values(resourcesOf(json, "aws_organizations_policy_attachment"));
    expect(attachments.map((a) => a.target_id).sort()).toEqual(["ou-a1b2-abcdefgh", "r-a1b2"]);
    expect(synth).toHaveResourceWithProperties(OrganizationsPolicyAttachment, { policy_id: ref("aws_organizations_policy", id, "id"), target_id: "r-a1b2" });
  });

  it("refuses a bad organization id, no targets, a bad or repeated target", () => {
    expect(() => build(["r-a1b2"], "org-1")).toThrow('OrganizationGuardrails: organizationId "org-1" is not an AWS Organizations id (o-...)');
    expect(() => build([])).toThrow("OrganizationGuardrails: targetIds is empty; attach the policy to at least one root, OU or account");
    expect(() => build(["root"])).toThrow('OrganizationGuardrails: target "root" is not a root (r-...), an organizational unit (ou-...) or an account id');
    expect(() => build(["r-a1b2", "r-a1b2"])).toThrow("OrganizationGuardrails: targetIds lists a target twice");
  });
});

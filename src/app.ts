import { App, Aspects, TerraformStack } from "cdktf";
import { workspaceBoundaryArn } from "../modules/github-oidc";
import { PermissionsBoundaryAspect } from "./aspects/permissions-boundary";
import { POLICY_RULES, PolicyAspect, type PolicyResult } from "./aspects/policy";
import { partitionOf } from "./lib/iam";
import { resolveStacks } from "./lib/synthesis";
import type { EnvironmentConfig } from "./config/schema";
import { AppsStack } from "./stacks/apps";
import { BootstrapStack } from "./stacks/bootstrap";
import { OrganizationStack } from "./stacks/organization";
import { WorkspaceStack } from "./stacks/workspace";

export interface PlatformApp {
  readonly app: App;
  /** One per AWS account, in the order the accounts first appear among the environments. */
  readonly bootstraps: BootstrapStack[];
  readonly workspaces: WorkspaceStack[];
  /** One `<name>-apps` stack (Helm releases, Kubernetes manifests) per `compute: "eks"` workspace. */
  readonly apps: AppsStack[];
  /** The organization's guardrails, when the environments name an organization. */
  readonly organization?: OrganizationStack;
  /** Every stack with whether production-only policy rules apply to it, and its policy aspect. */
  readonly stacks: ReadonlyArray<{ stack: TerraformStack; production: boolean; policy: PolicyAspect }>;
}

/**
 * Builds every stack from already-validated environments and attaches the policy pack to each, so
 * any synthesis (`npm run synth`, `cdktf synth`, tests) fails on a violation.
 */
export function buildApp(environments: readonly EnvironmentConfig[], outdir?: string): PlatformApp {
  const app = new App({ outdir, skipValidation: false });
  const accounts = [...new Set(environments.map((e) => e.accountId))];
  const bootstraps = accounts.map((account) => new BootstrapStack(app, { environments: environments.filter((e) => e.accountId === account) }));
  const workspaces = environments.map((config) => new WorkspaceStack(app, config));
  const apps = workspaces.flatMap((w) => (w.eks ? [new AppsStack(app, w.config, w.eks.handoff)] : []));
  const [first] = environments;
  const organization = first?.organization
    ? new OrganizationStack(app, { organization: first.organization, project: first.project, region: first.region, github: first.github })
    : undefined;
  // The state backends are held to production rules: every workspace depends on it.
  const stacks = [
    ...bootstraps.map((b) => ({ stack: b as TerraformStack, production: true })),
    ...(organization ? [{ stack: organization as TerraformStack, production: true }] : []),
    ...workspaces.map((w) => ({ stack: w as TerraformStack, production: w.config.stage === "production" })),
    ...apps.map((a) => ({ stack: a as TerraformStack, production: a.config.stage === "production" })),
  ].map((entry) => ({ ...entry, policy: new PolicyAspect(POLICY_RULES, entry.production) }));
  for (const { stack, policy } of stacks) {
    Aspects.of(stack).add(policy);
  }
  // With CI roles in place (github configured), CI may only create workspace roles that carry the
  // workspace's permissions boundary; every role in a workspace stack gets it. Applied now, to the
  // finished stacks, so the policy pack and every synthesis see exactly what is deployed.
  for (const workspace of workspaces) {
    const { config } = workspace;
    if (config.github) {
      const boundary = workspaceBoundaryArn(partitionOf(config.region), config.accountId, config.project, config.name);
      const aspect = new PermissionsBoundaryAspect(boundary);
      workspace.node.findAll().forEach((node) => aspect.visit(node));
    }
  }
  return { app, bootstraps, workspaces, apps, organization, stacks };
}

/** Evaluates the policy pack over every stack of the app without synthesizing. */
export function checkPolicies(platform: PlatformApp): PolicyResult[] {
  return platform.stacks.flatMap(({ stack, policy }) => policy.evaluate(stack));
}

/**
 * Finishes every stack for synthesis and checks the policy pack on exactly the JSON that
 * `platform.app.synth()` will then write: each stack is resolved once ({@link resolveStacks})
 * instead of three times (the check, cdktf's preparing pass, the written pass). Returns the
 * violations; when there are none, `platform.app.synth()` writes the checked JSON. Nothing is
 * written here.
 */
export function finalizeAndCheck(platform: PlatformApp): PolicyResult[] {
  // cdktf applies aspects while writing, after this point: any that could change a stack must have
  // run already (as the permissions boundary does in buildApp), or the written JSON would miss it.
  const stacks = new Set<TerraformStack>(platform.stacks.map(({ stack }) => stack));
  for (const node of platform.app.node.findAll()) {
    if (TerraformStack.isStack(node) && !stacks.has(node)) {
      throw new Error(`finalizeAndCheck: stack ${node.node.path} is not one of the platform's stacks`);
    }
    if (Aspects.of(node).all.some((aspect) => !(aspect instanceof PolicyAspect))) {
      throw new Error(`finalizeAndCheck: ${node.node.path} has an aspect other than the policy pack; apply it in buildApp before synthesis`);
    }
  }
  const resolved = resolveStacks(platform.stacks.map(({ stack }) => stack));
  const violations: PolicyResult[] = [];
  for (const { stack, policy } of platform.stacks) {
    const json = resolved.get(stack)!;
    violations.push(...policy.evaluate(stack, json).filter((r) => r.outcome === "fail"));
    // The stack is final: prepared above, and the aspects that change stacks were applied in buildApp.
    stack.prepareStack = () => undefined;
    stack.toTerraform = () => json;
    policy.markVerified(stack);
  }
  return violations;
}

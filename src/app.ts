import { App, Aspects, type TerraformStack } from "cdktf";
import { POLICY_RULES, PolicyAspect, evaluateStack, type PolicyResult } from "./aspects/policy";
import type { EnvironmentConfig } from "./config/schema";
import { BootstrapStack } from "./stacks/bootstrap";
import { WorkspaceStack } from "./stacks/workspace";

export interface PlatformApp {
  readonly app: App;
  readonly bootstrap: BootstrapStack;
  readonly workspaces: WorkspaceStack[];
  /** Every stack with whether production-only policy rules apply to it. */
  readonly stacks: ReadonlyArray<{ stack: TerraformStack; production: boolean }>;
}

/**
 * Builds every stack from already-validated environments and attaches the policy pack to each, so
 * any synthesis (`npm run synth`, `cdktf synth`, tests) fails on a violation.
 */
export function buildApp(environments: readonly EnvironmentConfig[], outdir?: string): PlatformApp {
  const app = new App({ outdir, skipValidation: false });
  const bootstrap = new BootstrapStack(app, { environments });
  const workspaces = environments.map((config) => new WorkspaceStack(app, config));
  // The state backend is held to production rules: every workspace depends on it.
  const stacks = [
    { stack: bootstrap as TerraformStack, production: true },
    ...workspaces.map((w) => ({ stack: w as TerraformStack, production: w.config.stage === "production" })),
  ];
  for (const { stack, production } of stacks) {
    Aspects.of(stack).add(new PolicyAspect(POLICY_RULES, production));
  }
  return { app, bootstrap, workspaces, stacks };
}

/** Evaluates the policy pack over every stack of the app without synthesizing. */
export function checkPolicies(platform: PlatformApp): PolicyResult[] {
  return platform.stacks.flatMap(({ stack, production }) => evaluateStack(POLICY_RULES, stack, production));
}

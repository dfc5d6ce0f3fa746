import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { environmentSources } from "../environments";
import { buildApp, checkPolicies } from "./app";
import { formatViolation } from "./aspects/policy";
import { ConfigError, loadEnvironments } from "./config/load";

function fail(lines: string[]): void {
  for (const line of lines) {
    process.stderr.write(`error: ${line}\n`);
  }
  process.exitCode = 1;
}

/**
 * Entry point for `npm run synth` and `cdktf synth`: validates every environment, builds the stacks,
 * checks the policy pack, and only then writes cdktf.out, so bad config or a policy violation
 * leaves no partial output.
 */
function main(): void {
  // cdktf captures a stack trace for every token it creates; resolving each through source maps
  // (which tsx turns on) costs more than the whole synthesis. PLATFORM_SOURCE_MAPS=1 keeps them.
  if (process.env.PLATFORM_SOURCE_MAPS !== "1") {
    process.setSourceMapsEnabled(false);
  }
  let environments;
  try {
    environments = loadEnvironments(environmentSources);
  } catch (error) {
    if (error instanceof ConfigError) {
      return fail([...error.problems]);
    }
    throw error;
  }
  const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out";
  const outdirExisted = existsSync(outdir);
  const platform = buildApp(environments, outdir);
  const violations = checkPolicies(platform).filter((r) => r.outcome === "fail");
  if (violations.length > 0) {
    // cdktf's App creates the output folder up front; leave nothing behind for a refused run.
    if (!outdirExisted) rmSync(outdir, { recursive: true, force: true });
    return fail(violations.map(formatViolation));
  }
  // Start from empty stack folders: a JSON synth after an HCL one (or the reverse) must not leave
  // both cdk.tf and cdk.tf.json side by side, which Terraform would load together.
  const stacks = join(outdir, "stacks");
  rmSync(stacks, { recursive: true, force: true });
  mkdirSync(stacks, { recursive: true });
  platform.app.synth();
}

main();

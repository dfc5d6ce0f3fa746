import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { environmentSources } from "../environments";
import { buildApp, finalizeAndCheck } from "./app";
import { formatViolation } from "./aspects/policy";
import { ConfigError, loadEnvironments } from "./config/load";
import { disableTokenCreationTraces } from "./lib/synthesis";

/** What synthesis writes into a stack folder; everything else there (state, .terraform/) is the user's. */
const GENERATED = ["cdk.tf", "cdk.tf.json", "metadata.json", "assets"];

/**
 * Removes earlier generated files from every stack folder, so a JSON synth after an HCL one (or the
 * reverse) never leaves cdk.tf and cdk.tf.json side by side, which Terraform would load together.
 * Terraform state, lock files and `.terraform/` stay: the bootstrap stack keeps its local state here.
 */
function removeGeneratedFiles(stacksDir: string): void {
  if (!existsSync(stacksDir)) return;
  for (const stack of readdirSync(stacksDir)) {
    for (const file of GENERATED) {
      rmSync(join(stacksDir, stack, file), { recursive: true, force: true });
    }
  }
}

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
  // cdktf captures a full stack trace for every token it creates (about a third of a synthesis),
  // only to print it if the token later fails to resolve. Off by default: such a failure still
  // names the construct that holds the token. PLATFORM_TOKEN_TRACES=1 captures them again, and
  // PLATFORM_SOURCE_MAPS=1 maps them to TypeScript lines when run from sources (`npx tsx src/main.ts`).
  if (process.env.PLATFORM_TOKEN_TRACES !== "1") {
    disableTokenCreationTraces();
  }
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
  let platform;
  try {
    platform = buildApp(environments, outdir);
  } catch (error) {
    // A module refused its props (a rule the schema cannot see). Same contract as bad config:
    // one line, no stack trace, nothing written.
    if (!outdirExisted) rmSync(outdir, { recursive: true, force: true });
    return fail([(error as Error).message.split("\n")[0]]);
  }
  let violations;
  try {
    violations = finalizeAndCheck(platform);
  } catch (error) {
    // A token that cannot be resolved: its construct path and the reason, on one line.
    if (!outdirExisted) rmSync(outdir, { recursive: true, force: true });
    return fail([(error as Error).message.split("\n")[0]]);
  }
  if (violations.length > 0) {
    // cdktf's App creates the output folder up front; leave nothing behind for a refused run.
    if (!outdirExisted) rmSync(outdir, { recursive: true, force: true });
    return fail(violations.map(formatViolation));
  }
  removeGeneratedFiles(join(outdir, "stacks"));
  platform.app.synth();
}

main();

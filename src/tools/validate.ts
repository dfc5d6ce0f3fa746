/**
 * `npm run validate`: synthesizes every stack into cdktf.out and runs real Terraform on each
 * (init from the local provider mirror, validate, offline plan). Fails when Terraform or the mirror
 * is missing, unlike the test tier, which skips with a message.
 */
import { join } from "node:path";
import { environmentSources } from "../../environments";
import { buildApp } from "../app";
import { ConfigError, loadEnvironments } from "../config/load";
import { checkStacks, synthesizedStacks, terraformUnavailableReason } from "./terraform";

async function main(): Promise<number> {
  const unavailable = terraformUnavailableReason();
  if (unavailable) {
    console.error(`error: cannot run Terraform: ${unavailable}`);
    return 1;
  }
  let environments;
  try {
    environments = loadEnvironments(environmentSources);
  } catch (error) {
    if (error instanceof ConfigError) {
      error.problems.forEach((p) => console.error(`error: ${p}`));
      return 1;
    }
    throw error;
  }
  const outdir = join(process.cwd(), "cdktf.out");
  buildApp(environments, outdir).app.synth();
  const results = await checkStacks(synthesizedStacks(outdir));
  let failed = 0;
  for (const r of results) {
    if (r.skipped) {
      console.log(`skip  ${r.stack.padEnd(10)} ${r.skipped}`);
    } else if (r.planSkipped) {
      console.log(`ok    ${r.stack.padEnd(10)} init+validate ${r.seconds.toFixed(1)}s; no plan: ${r.planSkipped}`);
    } else if (r.ok) {
      console.log(`ok    ${r.stack.padEnd(10)} init+validate+plan ${r.seconds.toFixed(1)}s, ${r.toAdd} to add`);
    } else {
      failed++;
      console.log(`FAIL  ${r.stack.padEnd(10)} ${r.failedStep} failed:\n${r.output}`);
    }
  }
  const skipped = results.filter((r) => r.skipped).length;
  console.log(`${results.length - failed - skipped} passed, ${skipped} skipped, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

main().then((code) => {
  process.exitCode = code;
});

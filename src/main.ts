import { environmentSources } from "../environments";
import { buildApp } from "./app";
import { ConfigError, loadEnvironments } from "./config/load";

/**
 * Entry point for `npm run synth` and `cdktf synth`: validates every environment before any
 * construct exists, so bad config writes nothing to cdktf.out.
 */
function main(): void {
  let environments;
  try {
    environments = loadEnvironments(environmentSources);
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) {
        process.stderr.write(`error: ${problem}\n`);
      }
      process.exitCode = 1;
      return;
    }
    throw error;
  }
  buildApp(environments).app.synth();
}

main();

/**
 * The ingestion Lambda's bundle: `handler/index.ts` built by the shared synth-time bundler
 * (src/lib/lambda-bundle.ts: esbuild, deterministic, cached in memory and on disk).
 */
import { buildLambdaBundle, bundleLambdaCode, lambdaBundle, type LambdaBundle, type LambdaBundleSpec } from "../../src/lib/lambda-bundle";

export { BUNDLE_FILE, ESBUILD_TARGET, LAMBDA_RUNTIME, PACKAGE_FILE, type LambdaBundle } from "../../src/lib/lambda-bundle";

/** The handler entry point, relative to the repository root. */
export const HANDLER_ENTRY = "modules/data-pipeline/handler/index.ts";

const SPEC: LambdaBundleSpec = { entry: HANDLER_ENTRY, label: "data-pipeline" };

/** Runs esbuild on the ingestion handler (nothing written): the bundle text and the input files it read. */
export function bundleHandlerCode(): { code: string; inputs: string[] } {
  return bundleLambdaCode(HANDLER_ENTRY);
}

/** Always runs esbuild and writes the ingestion bundle under `outRoot`; {@link handlerBundle} is the cached form. */
export function buildHandlerBundle(outRoot?: string): LambdaBundle {
  return buildLambdaBundle(SPEC, outRoot);
}

/** The ingestion handler's bundle: built (or taken from the disk cache) on first use, then reused for the process. */
export function handlerBundle(): LambdaBundle {
  return lambdaBundle(SPEC);
}

/**
 * The synthesis `npm run bench` scales: the repository's environments with every worker and
 * scheduled task repeated `factor` times (validated as usual), synthesized like `npm run synth`.
 * Prints the number of resources written. Usage: scale-synth <factor>
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { environmentSources } from "../../environments";
import { buildApp, finalizeAndCheck } from "../app";
import { loadEnvironments } from "../config/load";
import { disableTokenCreationTraces } from "../lib/synthesis";

process.setSourceMapsEnabled(false);
if (process.env.PLATFORM_TOKEN_TRACES !== "1") disableTokenCreationTraces();
const factor = Number(process.argv[2] ?? 1);
const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out";
const repeat = <T extends { name: string }>(items: readonly T[]): T[] =>
  Array.from({ length: factor }, (_, i) => items.map((item) => ({ ...item, name: i === 0 ? item.name : `${item.name}-${i}` }))).flat();
const sources = environmentSources.map((source) => {
  const data = source.data as { workers?: Array<{ name: string }>; scheduledTasks?: Array<{ name: string }> };
  return { ...source, data: { ...data, workers: repeat(data.workers ?? []), scheduledTasks: repeat(data.scheduledTasks ?? []) } };
});
const platform = buildApp(loadEnvironments(sources as typeof environmentSources), outdir);
const violations = finalizeAndCheck(platform);
if (violations.length > 0) throw new Error(`${violations.length} policy violations`);
platform.app.synth();
let resources = 0;
for (const stack of readdirSync(join(outdir, "stacks"))) {
  const json = JSON.parse(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8"));
  for (const byType of Object.values(json.resource ?? {})) resources += Object.keys(byType as object).length;
}
console.log(resources);

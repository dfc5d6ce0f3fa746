/**
 * `npm run cost`: the monthly estimate of every stack from the synthesized JSON, by tier and by
 * resource kind, with the price table and usage assumptions in src/lib/cost/. Options:
 *   --workspace <name>   only this stack (repeatable)
 *   --items              every priced line with its quantity and unit price
 *   --json               machine-readable output (for CI)
 *   --markdown           a step-summary table; with --baseline <file> (a --json output) the change against it
 * Exits 1 when a workspace's estimate exceeds its `budgets.monthlyUsd`, or a resource is not priced.
 */
import { readFileSync } from "node:fs";
import { estimatePlatform, formatMarkdown, formatReport, type StackEstimate } from "../lib/cost";
import { synthesizePlatform, type StackModel } from "../lib/stack-model";

interface Options {
  workspaces: string[];
  items: boolean;
  json: boolean;
  markdown: boolean;
  baseline?: string;
}

function parse(argv: readonly string[]): Options | string {
  const options: Options = { workspaces: [], items: false, json: false, markdown: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--items") options.items = true;
    else if (arg === "--json") options.json = true;
    else if (arg === "--markdown") options.markdown = true;
    else if ((arg === "--workspace" || arg === "--baseline") && argv[i + 1] && !argv[i + 1].startsWith("--")) {
      if (arg === "--workspace") options.workspaces.push(argv[++i]);
      else options.baseline = argv[++i];
    } else return `unknown or incomplete argument ${arg}`;
  }
  if (options.json && options.markdown) return "choose one of --json and --markdown";
  if (options.baseline && !options.markdown) return "--baseline needs --markdown";
  return options;
}

/** Runs the command on `models` (the repository's stacks unless given); returns the exit code. */
export function main(argv: readonly string[], models?: readonly StackModel[]): number {
  const options = parse(argv);
  if (typeof options === "string") {
    console.error(`error: ${options} (usage: npm run cost -- [--workspace <name>] [--items] [--json | --markdown [--baseline <file>]])`);
    return 2;
  }
  models ??= synthesizePlatform();
  const all = models;
  const unknown = options.workspaces.filter((w) => !all.some((m) => m.name === w));
  if (unknown.length > 0) {
    console.error(`error: no stack ${unknown.join(", ")} (stacks: ${all.map((m) => m.name).join(", ")})`);
    return 2;
  }
  const estimates = estimatePlatform(options.workspaces.length > 0 ? all.filter((m) => options.workspaces.includes(m.name)) : all);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ currency: "USD", stacks: estimates }, null, 2)}\n`);
  } else if (options.markdown) {
    let baseline: StackEstimate[] | undefined;
    if (options.baseline) {
      try {
        baseline = (JSON.parse(readFileSync(options.baseline, "utf8")) as { stacks: StackEstimate[] }).stacks;
      } catch (error) {
        console.error(`error: ${options.baseline}: not a cost --json output (${(error as Error).message})`);
        return 2;
      }
    }
    process.stdout.write(formatMarkdown(estimates, baseline));
  } else {
    process.stdout.write(formatReport(estimates, { items: options.items }));
  }
  let status = 0;
  for (const e of estimates) {
    if (e.overBudget) {
      console.error(`error: ${e.stack}: estimate $${e.monthly.toFixed(2)} exceeds the budget of $${e.budget!.toFixed(2)} (budgets.monthlyUsd)`);
      status = 1;
    }
    for (const n of e.notPriced) {
      console.error(`error: ${e.stack}: ${n.address} is not priced: ${n.reason}`);
      status = 1;
    }
  }
  return status;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

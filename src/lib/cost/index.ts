import type { StackModel } from "../stack-model";
import { resolveAssumptions } from "./assumptions";
import { estimateStack, type StackEstimate } from "./estimate";

export { DEFAULT_COST_ASSUMPTIONS, resolveAssumptions, type CostAssumptions } from "./assumptions";
export { estimateStack, FREE_TYPES, PRICERS, PRICES, priceOf, runsPerMonth, type LineItem, type StackEstimate } from "./estimate";

/** The region a stack's AWS provider deploys to. */
function regionOf(model: StackModel): string {
  return model.config?.region ?? String(model.json.provider?.aws?.[0]?.region ?? "us-east-1");
}

/**
 * Estimates every stack: workspaces with their own assumptions (defaults plus `costAssumptions`)
 * and budget, the account-level stacks (bootstrap, organization) with the defaults.
 */
export function estimatePlatform(models: readonly StackModel[]): StackEstimate[] {
  return models.map((m) => estimateStack(m, resolveAssumptions(m.config?.costAssumptions), regionOf(m), m.config?.budgets?.monthlyUsd));
}

const usd = (n: number) => `$${n.toFixed(2)}`;

/** The people-readable report: per stack its total, budget, and the totals by tier and by kind. */
export function formatReport(estimates: readonly StackEstimate[], options: { items?: boolean } = {}): string {
  const out: string[] = [];
  for (const e of estimates) {
    const budget = e.budget === undefined ? "no budget" : `budget ${usd(e.budget)}${e.overBudget ? " EXCEEDED" : ""}`;
    out.push(`${e.stack} (${e.region}): ${usd(e.monthly)} per month, ${budget}`);
    const table = (title: string, rows: Record<string, number>) => {
      out.push(`  by ${title}:`);
      const width = Math.max(...Object.keys(rows).map((k) => k.length), 4);
      for (const [k, v] of Object.entries(rows)) out.push(`    ${k.padEnd(width)}  ${usd(v).padStart(10)}`);
    };
    table("tier", e.byTier);
    table("kind", e.byKind);
    if (e.auroraAtMinimum) out.push(`  Aurora capacity: ${usd(e.auroraAtMinimum.assumed)} at the assumed average, ${usd(e.auroraAtMinimum.monthly)} at the minimum`);
    if (options.items) {
      out.push("  items:");
      for (const i of e.items) {
        out.push(`    ${usd(i.monthly).padStart(9)}  ${i.address}: ${i.item}: ${+i.quantity.toFixed(4)} ${i.unit} x $${+i.unitPrice.toFixed(7)}${i.note ? ` (${i.note})` : ""}`);
      }
    }
    for (const n of e.notPriced) out.push(`  not priced: ${n.address}: ${n.reason}`);
    out.push("");
  }
  return out.join("\n");
}

/** Markdown for a CI step summary: totals per stack and the change against a baseline. */
export function formatMarkdown(estimates: readonly StackEstimate[], baseline?: readonly Pick<StackEstimate, "stack" | "monthly" | "byTier">[]): string {
  const out = ["### Monthly cost estimate", "", "| stack | estimate | change vs main | budget |", "| --- | ---: | ---: | --- |"];
  for (const e of estimates) {
    const before = baseline?.find((b) => b.stack === e.stack);
    const change = !baseline ? "n/a" : !before ? "new" : `${e.monthly - before.monthly >= 0 ? "+" : "-"}${usd(Math.abs(e.monthly - before.monthly))}`;
    const budget = e.budget === undefined ? "" : `${usd(e.budget)}${e.overBudget ? " **exceeded**" : ""}`;
    out.push(`| ${e.stack} | ${usd(e.monthly)} | ${change} | ${budget} |`);
  }
  for (const e of estimates) {
    const before = baseline?.find((b) => b.stack === e.stack);
    const tiers = [...new Set([...Object.keys(e.byTier), ...Object.keys(before?.byTier ?? {})])];
    const changed = tiers.filter((t) => Math.abs((e.byTier[t] ?? 0) - (before?.byTier[t] ?? 0)) >= 0.005);
    if (!before || changed.length === 0) continue;
    out.push("", `<details><summary>${e.stack}: change by tier</summary>`, "", "| tier | main | this change |", "| --- | ---: | ---: |");
    for (const t of changed) out.push(`| ${t} | ${usd(before.byTier[t] ?? 0)} | ${usd(e.byTier[t] ?? 0)} |`);
    out.push("", "</details>");
  }
  const unpriced = estimates.flatMap((e) => e.notPriced.map((n) => `- ${e.stack}: \`${n.address}\`: ${n.reason}`));
  if (unpriced.length > 0) out.push("", "Not priced:", "", ...unpriced);
  return `${out.join("\n")}\n`;
}

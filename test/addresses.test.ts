import { Testing } from "cdktf";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildApp } from "../src/app";
import { environments, synthStack, type SynthJson } from "./helpers";

/**
 * Terraform addresses are the identity of deployed resources: an address that disappears from a
 * stack is a resource Terraform destroys (and, if it reappears under another name, recreates) on
 * the next apply. The fixture lists every address of the repository's stacks; each must still be
 * synthesized. New addresses are fine. To retire one on purpose, add a `moved` block (renames) or
 * accept the destroy, then regenerate: `UPDATE_ADDRESSES=1 npx vitest run test/addresses.test.ts`.
 */
const FIXTURE = join(__dirname, "fixtures", "terraform-addresses.json");

/** Resource and data-source addresses, plus the outputs and variables callers depend on (CI reads outputs). */
function addresses(json: SynthJson & { variable?: Record<string, unknown> }): string[] {
  const of = (prefix: string, block?: Record<string, Record<string, unknown>>) =>
    Object.entries(block ?? {}).flatMap(([type, items]) => Object.keys(items).map((id) => `${prefix}${type}.${id}`));
  const names = (prefix: string, block?: Record<string, unknown>) => Object.keys(block ?? {}).map((name) => `${prefix}${name}`);
  return [...of("", json.resource), ...of("data.", json.data), ...names("output.", json.output), ...names("var.", json.variable)].sort();
}

const { stacks } = buildApp(environments(), Testing.app().outdir);
const current: Record<string, string[]> = Object.fromEntries(stacks.map(({ stack }) => [stack.node.id, addresses(synthStack(stack).json)]));

if (process.env.UPDATE_ADDRESSES === "1") {
  // Rewriting the fixture and comparing against it would always pass: never in CI.
  if (process.env.CI) throw new Error("UPDATE_ADDRESSES is refused in CI: regenerate the fixture locally and review its diff");
  writeFileSync(FIXTURE, `${JSON.stringify(current, null, 2)}\n`);
}
const recorded = JSON.parse(readFileSync(FIXTURE, "utf8")) as Record<string, string[]>;

describe("Terraform addresses are kept", () => {
  it("every recorded stack is still synthesized", () => {
    expect(Object.keys(current)).toEqual(expect.arrayContaining(Object.keys(recorded)));
  });

  it.each(Object.keys(recorded))("%s: every recorded address still exists (none would be destroyed or replaced)", (stack) => {
    const missing = recorded[stack].filter((address) => !current[stack]?.includes(address));
    expect(missing).toEqual([]);
  });
});

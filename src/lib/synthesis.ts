import { TerraformElement, TerraformOutput, TerraformStack } from "cdktf";
import { resolve } from "cdktf/lib/_tokens";
import { deepMerge } from "cdktf/lib/util";
import type { IConstruct } from "constructs";

/** The synthesized JSON of one stack, as cdktf writes it to `cdk.tf.json`. */
export type StackJson = Record<string, any>;

/** The parts of a cdktf 0.21 stack this module reads that its typings keep private. */
interface StackInternals {
  ensureBackendExists(): unknown;
  readonly rawOverrides: Record<string, unknown>;
  readonly cdktfVersion: string;
}

/** A stack's Terraform elements in construct order, not descending into nested stacks (as cdktf does). */
function elementsOf(node: IConstruct, into: TerraformElement[] = []): TerraformElement[] {
  if (TerraformElement.isTerraformElement(node)) into.push(node);
  for (const child of node.node.children) {
    if (!TerraformStack.isStack(child)) elementsOf(child, into);
  }
  return into;
}

/** Resolves one element's fragment, naming the element when one of its tokens fails. */
function resolveElement(stack: TerraformStack, element: TerraformElement, preparing: boolean): StackJson {
  try {
    return resolve(stack, element.toTerraform(), preparing);
  } catch (error) {
    (error as Error).message = `${element.node.path}: ${(error as Error).message}`;
    throw error;
  }
}

/**
 * cdktf's `TerraformStack.toTerraform()` assembled from fragments already resolved: the stack
 * metadata and output map under `//`, every fragment merged in construct order, then the stack's
 * overrides, the whole resolved once more (as cdktf does, for tokens in overrides and metadata).
 */
function assemble(stack: TerraformStack, elements: readonly TerraformElement[], fragments: readonly StackJson[]): StackJson {
  const internals = stack as unknown as StackInternals;
  const metadata: Record<string, unknown> = {
    version: internals.cdktfVersion,
    stackName: stack.node.id,
    backend: "local",
    cloud: undefined,
    ...(Object.keys(internals.rawOverrides).length > 0 ? { overrides: { stack: Object.keys(internals.rawOverrides) } } : {}),
  };
  for (const element of elements) deepMerge(metadata, resolve(stack, element.toMetadata()));
  const outputs: Record<string, unknown> = {};
  for (const element of elements) {
    if (!TerraformOutput.isTerraformOutput(element)) continue;
    const nested = element.node.path
      .split("/")
      .reduceRight<Record<string, unknown>>((inner, part) => ({ [part]: Object.keys(inner).length === 0 ? element.friendlyUniqueId : inner }), {});
    deepMerge(outputs, nested);
  }
  const tf: StackJson = { "//": { metadata, outputs } };
  for (const fragment of fragments) deepMerge(tf, fragment);
  deepMerge(tf, internals.rawOverrides);
  return resolve(stack, tf);
}

/**
 * The JSON of every stack, each resolved in one pass instead of cdktf's two (a preparing pass that
 * may add cross-stack references, then the pass that is written). The preparing pass is kept and
 * its result used: it differs from the second pass only where it creates cross-stack references,
 * and the stacks where it creates any (their element count changes: the referenced stack gains
 * outputs, the referencing one a remote state) fall back to cdktf's own `toTerraform()`; the other
 * stacks neither reference nor are referenced, so their preparing pass is final. A token that fails to resolve is reported with the path of the
 * construct holding it (`dev/web-task/task-definition: Resolution error: ...`).
 *
 * Written for cdktf 0.21 (the last release); `test/synthesis.test.ts` checks the result equals
 * `toTerraform()` for every stack of the app.
 */
export function resolveStacks(stacks: readonly TerraformStack[]): Map<TerraformStack, StackJson> {
  for (const stack of stacks) (stack as unknown as StackInternals).ensureBackendExists();
  const elements = new Map(stacks.map((stack) => [stack, elementsOf(stack)]));
  const fragments = new Map(stacks.map((stack) => [stack, elements.get(stack)!.map((e) => resolveElement(stack, e, true))]));
  const changed = new Set(stacks.filter((stack) => elementsOf(stack).length !== elements.get(stack)!.length));
  return new Map(
    stacks.map((stack) => [stack, changed.has(stack) ? stack.toTerraform() : assemble(stack, elements.get(stack)!, fragments.get(stack)!)]),
  );
}

/**
 * Makes cdktf record no creation stack for the tokens created from now on. cdktf captures a full
 * stack trace for every token (about a third of a synthesis) only to print it if the token later
 * fails to resolve; {@link resolveStacks} names the failing construct instead. cdktf's tokens read
 * the capture function from its module's exports at each creation, so replacing it there takes
 * effect everywhere.
 */
export function disableTokenCreationTraces(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const traces = require("cdktf/lib/tokens/private/stack-trace") as { captureStackTrace: () => string[] };
  traces.captureStackTrace = () => [];
}

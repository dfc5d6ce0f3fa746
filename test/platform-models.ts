import { synthesizePlatform, type StackModel } from "../src/lib/stack-model";

let cached: StackModel[] | undefined;

/**
 * The repository's stacks synthesized once per test worker (the diagram and cost suites share it):
 * the same models `npm run diagram` and `npm run cost` read. Treat them as read-only.
 */
export function platformModels(): StackModel[] {
  cached ??= synthesizePlatform();
  return cached;
}

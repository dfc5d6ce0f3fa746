import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The nearest folder at or above `start` holding `cdktf.json`: the repository root. */
export function findRepositoryRoot(start: string): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "cdktf.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no cdktf.json in ${start} or any folder above it`);
  }
}

/**
 * The repository root, wherever the code runs from: the TypeScript sources (`src/lib/`) or the
 * precompiled app (`.build/`). Files the platform ships (the Spark job, the Lambda handler's
 * sources) are found from here, so the synthesized output does not depend on how the app was run.
 */
export const REPO_ROOT = findRepositoryRoot(__dirname);

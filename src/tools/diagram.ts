/**
 * `npm run diagram`: writes docs/diagrams/<workspace>.md (Mermaid flowchart and detail tables) and
 * docs/diagrams/<workspace>.svg (laid out by Graphviz) for every workspace, from the synthesized
 * stacks. `--check` writes nothing and exits 1 when a committed diagram differs from the code.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { diagramFiles } from "../lib/diagram";
import { REPO_ROOT } from "../lib/paths";
import { synthesizePlatform } from "../lib/stack-model";

export async function main(argv: readonly string[]): Promise<number> {
  const unknown = argv.filter((a) => a !== "--check");
  if (unknown.length > 0) {
    console.error(`error: unknown argument ${unknown[0]} (usage: npm run diagram [-- --check])`);
    return 2;
  }
  const check = argv.includes("--check");
  let stale = 0;
  for (const file of await diagramFiles(synthesizePlatform())) {
    const target = join(REPO_ROOT, file.path);
    const current = existsSync(target) ? readFileSync(target, "utf8") : undefined;
    if (current === file.content) continue;
    stale++;
    if (check) {
      console.error(`stale: ${file.path} (run npm run diagram)`);
    } else {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, file.content);
      console.log(`wrote ${file.path}`);
    }
  }
  if (stale === 0) console.log("diagrams are current");
  return check && stale > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

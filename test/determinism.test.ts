import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildApp, finalizeAndCheck } from "../src/app";
import { environments } from "./helpers";

const root = resolve(__dirname, "..");
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * `npm run synth` (the precompiled app) in a fresh process with its own empty temporary folder, so
 * nothing is reused: the Lambda bundle is built by esbuild and zipped again, as on another machine.
 */
function synthInFreshProcess(): string {
  const dir = mkdtempSync(join(tmpdir(), "platform-determinism-"));
  dirs.push(dir);
  const scratch = join(dir, "tmp");
  mkdirSync(scratch);
  const result = spawnSync(process.execPath, ["src/tools/run-app.cjs"], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_OUTDIR: join(dir, "out"), TMPDIR: scratch },
  });
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  return join(dir, "out");
}

function files(dir: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path)] = readFileSync(path);
    }
  };
  walk(dir);
  return out;
}

/** The same synthesis from the TypeScript sources, in this process (the way the entry point does it). */
function synthFromSources(): string {
  const dir = mkdtempSync(join(tmpdir(), "platform-determinism-"));
  dirs.push(dir);
  const platform = buildApp(environments(), join(dir, "out"));
  expect(finalizeAndCheck(platform)).toEqual([]);
  platform.app.synth();
  return join(dir, "out");
}

describe("deterministic synthesis", () => {
  it("gives byte-identical output, Lambda package included, from the precompiled app in a fresh process and from the sources", () => {
    const first = files(synthInFreshProcess());
    const second = files(synthFromSources());
    expect(Object.keys(first)).toContain("stacks/dev/cdk.tf.json");
    expect(Object.keys(first).some((f) => f.endsWith("function.zip"))).toBe(true);
    expect(Object.keys(second)).toEqual(Object.keys(first));
    for (const [path, bytes] of Object.entries(first)) {
      expect(second[path].equals(bytes), path).toBe(true);
    }
  });
});

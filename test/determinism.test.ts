import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildApp } from "../src/app";
import { environments } from "./helpers";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function synthTo(): string {
  const dir = mkdtempSync(join(tmpdir(), "platform-determinism-"));
  dirs.push(dir);
  buildApp(environments(), dir).app.synth();
  return dir;
}

function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out[relative(dir, path)] = readFileSync(path, "utf8");
    }
  };
  walk(dir);
  return out;
}

describe("deterministic synthesis", () => {
  it("gives byte-identical output for two runs", () => {
    const first = files(synthTo());
    const second = files(synthTo());
    expect(Object.keys(first)).toContain("stacks/dev/cdk.tf.json");
    expect(Object.keys(second)).toEqual(Object.keys(first));
    for (const [path, text] of Object.entries(first)) {
      expect(second[path], path).toBe(text);
    }
  });
});

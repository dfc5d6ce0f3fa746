import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HANDLER_ENTRY, handlerBundle } from "../modules/data-pipeline/bundle";
import { buildLambdaBundle, BUNDLE_FILE, lambdaBundle } from "../src/lib/lambda-bundle";

const FIXTURE = "test/fixtures/data-api-handler.ts";
const scratch: string[] = [];
afterAll(() => scratch.forEach((d) => rmSync(d, { recursive: true, force: true })));
const scratchDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "lambda-bundle-"));
  scratch.push(dir);
  return dir;
};

describe("the shared Lambda bundler", () => {
  it("bundles each entry into its own labelled, content-addressed folder, deterministically", () => {
    const root = scratchDir();
    const fixture = buildLambdaBundle({ entry: FIXTURE, label: "data-api" }, root);
    const again = buildLambdaBundle({ entry: FIXTURE, label: "data-api" }, scratchDir());
    expect(again.sha256).toBe(fixture.sha256);
    expect(again.packageSha256Base64).toBe(fixture.packageSha256Base64);
    const pipeline = buildLambdaBundle({ entry: HANDLER_ENTRY, label: "data-pipeline" }, root);
    expect(pipeline.sha256).not.toBe(fixture.sha256);
    const names = readdirSync(root);
    expect(names).toEqual(expect.arrayContaining([`data-api-lambda-${fixture.sha256.slice(0, 16)}`, `data-pipeline-lambda-${pipeline.sha256.slice(0, 16)}`]));
    // One cache manifest per entry, named by its label.
    expect(names.filter((n) => n.endsWith(".json")).map((n) => n.replace(/-[0-9a-f]{12}\.json$/, "")).sort()).toEqual(["data-api-lambda", "data-pipeline-lambda"]);
    expect(names).toHaveLength(4);
    // The fixture's bundle carries its own code (and the config schema it imports), not the pipeline's.
    const code = readFileSync(join(fixture.directory, BUNDLE_FILE), "utf8");
    expect(code).toContain("STORE_CONFIG");
    expect(code).not.toContain("EMR_APPLICATION_ID");
  });

  it("gives the pipeline the same bundle through its own entry point as through the shared one", () => {
    expect(lambdaBundle({ entry: HANDLER_ENTRY, label: "data-pipeline" }).sha256).toBe(handlerBundle().sha256);
  });

  it("refuses an entry that does not exist, naming it", () => {
    expect(() => buildLambdaBundle({ entry: "test/fixtures/no-such-handler.ts", label: "x" }, scratchDir())).toThrow(
      "LambdaBundle: the handler entry test/fixtures/no-such-handler.ts does not exist",
    );
  });
});

import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(__dirname, "..");
const scratch: string[] = [];

/** A copy of the app (sources only, dependencies linked) in which a test may break an environment file. */
function copyOfApp(): string {
  const dir = mkdtempSync(join(tmpdir(), "platform-cli-"));
  scratch.push(dir);
  for (const entry of ["src", "modules", "environments", "package.json", "package-lock.json", "tsconfig.json", "cdktf.json"]) {
    cpSync(join(root, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

/** `npm run synth` in a copy: the precompiled app, rebuilt when the copy's sources differ. */
function synth(dir: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ["src/tools/run-app.cjs"], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1", ...env },
  });
}

function edit(dir: string, file: string, from: string, to: string): void {
  const path = join(dir, file);
  const text = readFileSync(path, "utf8");
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

afterAll(() => scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe("synth entry point", () => {
  it("writes a bootstrap stack per account, the organization stack, dev, prod, staging-eks and its apps stack", () => {
    const dir = copyOfApp();
    const result = synth(dir);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(readdirSync(join(dir, "cdktf.out", "stacks")).sort()).toEqual(["bootstrap-111122223333", "bootstrap-444455556666", "bootstrap-555566667777", "dev", "organization", "prod", "staging-eks", "staging-eks-apps"]);
    const dev = JSON.parse(readFileSync(join(dir, "cdktf.out", "stacks", "dev", "cdk.tf.json"), "utf8"));
    expect(dev.terraform.backend.s3.key).toBe("acme/dev/terraform.tfstate");
  });

  it("replaces earlier output instead of mixing it (HCL after JSON leaves no cdk.tf.json behind)", () => {
    const dir = copyOfApp();
    expect(synth(dir).status).toBe(0);
    const hcl = synth(dir, { SYNTH_HCL_OUTPUT: "true" });
    expect(hcl.status).toBe(0);
    expect(readdirSync(join(dir, "cdktf.out", "stacks", "dev")).filter((f) => f.startsWith("cdk.tf"))).toEqual(["cdk.tf"]);
  });

  it("reports a module's refusal as one line, exit code 1, no stack trace and no output", () => {
    const dir = copyOfApp();
    edit(dir, "environments/dev.ts", "    alertEmails: [],", "    alertEmails: [],\n    thresholds: { cpuPercent: 150 },");
    const result = synth(dir);
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: PlatformMonitoring: .*cpuPercent/);
    expect(existsSync(join(dir, "cdktf.out"))).toBe(false);
  });

  it("never deletes Terraform state kept in a stack folder (bootstrap uses a local backend)", () => {
    const dir = copyOfApp();
    expect(synth(dir).status).toBe(0);
    const bootstrap = join(dir, "cdktf.out", "stacks", "bootstrap-111122223333");
    writeFileSync(join(bootstrap, "terraform.tfstate"), '{"version":4}');
    mkdirSync(join(bootstrap, ".terraform"));
    writeFileSync(join(bootstrap, ".terraform.lock.hcl"), "# lock");
    expect(synth(dir).status).toBe(0);
    expect(readFileSync(join(bootstrap, "terraform.tfstate"), "utf8")).toBe('{"version":4}');
    expect(existsSync(join(bootstrap, ".terraform"))).toBe(true);
    expect(existsSync(join(bootstrap, ".terraform.lock.hcl"))).toBe(true);
    expect(existsSync(join(bootstrap, "cdk.tf.json"))).toBe(true);
  });

  it("refuses bad config with one line per problem, exit code 1, no stack trace and no output", () => {
    const dir = copyOfApp();
    edit(dir, "environments/dev.ts", `cidr: "10.10.0.0/16"`, `cidr: "10.0.0.0/8"`);
    edit(dir, "environments/prod.ts", `natStrategy: "per-az"`, `natStrategy: "triple"`);
    const result = synth(dir);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([
      "error: environments/dev.ts: network.cidr: prefix /8 is outside the /16-/23 range the VPC layout supports",
      'error: environments/prod.ts: network.natStrategy: "triple" is not one of "single", "per-az"',
    ]);
    expect(existsSync(join(dir, "cdktf.out"))).toBe(false);
  });

  it("reports source that does not compile as one line with its location, exit code 1 and no output", () => {
    const dir = copyOfApp();
    writeFileSync(join(dir, "src", "lib", "naming.ts"), `${readFileSync(join(dir, "src", "lib", "naming.ts"), "utf8")}\nexport const broken = ;\n`);
    const result = synth(dir);
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^error: src\/lib\/naming\.ts:\d+:\d+: Unexpected ";"$/)]);
    expect(existsSync(join(dir, "cdktf.out"))).toBe(false);
  });
});

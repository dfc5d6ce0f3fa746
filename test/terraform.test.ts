import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, finalizeAndCheck } from "../src/app";
import {
  checkStack,
  checkStacks,
  missingFromMirror,
  planNeedsCluster,
  providerMirror,
  requiredProviders,
  synthesizedStacks,
  terraformUnavailableReason,
  type StackCheck,
} from "../src/tools/terraform";
import { environments } from "./helpers";

/**
 * Real Terraform: every synthesized stack must pass `terraform init` (from the local provider mirror)
 * and an offline `terraform plan`, which validates the configuration against the provider schema
 * first (the checks of `terraform validate`; the last test shows plan refusing what validate
 * would). `npm run validate` also runs `validate` as its own step.
 */
const unavailable = terraformUnavailableReason();
if (unavailable) {
  // Visible in the test output; `npm run validate` fails outright in the same situation.
  console.warn(`Terraform tier skipped: ${unavailable}`);
}

describe("which stacks the Terraform tier can check", () => {
  const appsStack = {
    terraform: {
      required_providers: {
        aws: { source: "aws", version: "5.100.0" },
        helm: { source: "helm", version: "3.1.1" },
        kubernetes: { source: "kubernetes", version: "2.38.0" },
        random: { source: "hashicorp/random", version: "3.7.2" },
      },
    },
  };

  it("reads each provider's registry address from required_providers", () => {
    expect(requiredProviders(appsStack)).toEqual({
      aws: "registry.terraform.io/hashicorp/aws",
      helm: "registry.terraform.io/hashicorp/helm",
      kubernetes: "registry.terraform.io/hashicorp/kubernetes",
      random: "registry.terraform.io/hashicorp/random",
    });
  });

  it("names the providers a mirror lacks, and the stacks whose plan needs their cluster", () => {
    const mirror = mkdtempSync(join(tmpdir(), "mirror-"));
    try {
      mkdirSync(join(mirror, "registry.terraform.io", "hashicorp", "aws"), { recursive: true });
      expect(missingFromMirror(appsStack, mirror)).toEqual(["helm", "kubernetes", "random"]);
      mkdirSync(join(mirror, "registry.terraform.io", "hashicorp", "helm"), { recursive: true });
      expect(missingFromMirror(appsStack, mirror)).toEqual(["kubernetes", "random"]);
      expect(missingFromMirror({ terraform: { required_providers: { aws: { source: "aws" } } } }, mirror)).toEqual([]);
    } finally {
      rmSync(mirror, { recursive: true, force: true });
    }
    expect(planNeedsCluster(appsStack)).toBe("plan needs the cluster (helm and kubernetes providers read its API while planning)");
    expect(planNeedsCluster({ terraform: { required_providers: { aws: { source: "aws" } } } })).toBeUndefined();
  });
});

describe.skipIf(unavailable !== undefined)("terraform validate and offline plan", () => {
  const outdir = mkdtempSync(join(tmpdir(), "platform-tf-"));
  let results: Record<string, StackCheck> = {};

  beforeAll(async () => {
    // What `npm run synth` writes: the JSON the policy pack checked.
    const platform = buildApp(environments(), outdir);
    expect(finalizeAndCheck(platform)).toEqual([]);
    platform.app.synth();
    const checks = await checkStacks(synthesizedStacks(outdir), 2, { validate: false });
    results = Object.fromEntries(checks.map((c) => [c.stack, c]));
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const STACKS = ["bootstrap-111122223333", "bootstrap-444455556666", "bootstrap-555566667777", "dev", "organization", "prod", "staging-eks"];
  const WORKSPACES = ["dev", "prod", "staging-eks"];
  /** Stacks whose providers the offline mirror lacks: reported as skipped, with the reason. */
  const SKIPPED = ["staging-eks-apps"];
  it("checks every synthesized stack", () => {
    expect(Object.keys(results).sort()).toEqual([...STACKS, ...SKIPPED].sort());
  });

  it.each(STACKS)("%s passes init and plan (validation included)", (stack) => {
    const result = results[stack];
    expect(result.failedStep, `${result.failedStep} failed:\n${result.output}`).toBeUndefined();
    expect(result.ok).toBe(true);
  });

  it("plans every synthesized resource", () => {
    const declared = (stack: string) => {
      const json = JSON.parse(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8"));
      return Object.values(json.resource as Record<string, object>).reduce((n, byName) => n + Object.keys(byName).length, 0);
    };
    // The bootstrap and organization stacks have no count/for_each: one planned instance per declared resource.
    for (const stack of STACKS.filter((s) => !WORKSPACES.includes(s))) {
      expect(results[stack].toAdd, stack).toBe(declared(stack));
    }
    // Workspaces expand for_each blocks (certificate validation records), so at least as many.
    for (const stack of WORKSPACES) {
      expect(results[stack].toAdd, stack).toBeGreaterThanOrEqual(declared(stack));
    }
    // prod has a third AZ, a NAT gateway per AZ, HTTPS, WAF, trail and backups.
    expect(results.prod.toAdd).toBeGreaterThan(results.dev.toAdd!);
  });

  it("reports an EKS workspace's apps stack as skipped: its providers are not in the offline mirror", () => {
    const result = results["staging-eks-apps"];
    expect(result).toMatchObject({ ok: true, skipped: `providers helm, kubernetes, random absent from the provider mirror at ${providerMirror()}` });
    expect(result.toAdd).toBeUndefined();
  });

  it("plan refuses what validate refuses: a value outside the range the provider schema allows", async () => {
    const dir = join(outdir, "broken");
    mkdirSync(dir);
    const stack = {
      terraform: { required_providers: { aws: { source: "aws", version: "5.100.0" } } },
      provider: { aws: [{ region: "us-east-1" }] },
      resource: { aws_sqs_queue: { jobs: { name: "jobs", visibility_timeout_seconds: 999999 } } },
    };
    writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(stack));
    const result = await checkStack(dir, "broken", { validate: false });
    expect(result.failedStep).toBe("plan");
    expect(result.output).toContain("expected visibility_timeout_seconds to be in the range (0 - 43200), got 999999");
  });
});

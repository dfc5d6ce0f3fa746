import { Aspects, Lazy, TerraformOutput, TerraformStack, Testing } from "cdktf";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { describe, expect, it } from "vitest";
import { buildApp, finalizeAndCheck } from "../src/app";
import { resolveStacks } from "../src/lib/synthesis";
import { environments } from "./helpers";

describe("resolveStacks (one resolution pass)", () => {
  it("gives exactly what cdktf's own toTerraform() gives, for every stack of the app", () => {
    const ours = buildApp(environments(), Testing.app().outdir);
    const reference = buildApp(environments(), Testing.app().outdir);
    const resolved = resolveStacks(ours.stacks.map((s) => s.stack));
    // As cdktf's synth does: every stack prepared before any is written (preparing one stack may add
    // cross-stack outputs to another, as an EKS workspace's apps stack does to its AWS stack).
    for (const { stack } of reference.stacks) stack.prepareStack();
    for (const [i, { stack }] of reference.stacks.entries()) {
      expect(JSON.stringify(resolved.get(ours.stacks[i].stack)), stack.node.id).toBe(JSON.stringify(stack.toTerraform()));
    }
  });

  it("names the construct holding a token that cannot be resolved", () => {
    const stack = new TerraformStack(Testing.app(), "broken");
    new SqsQueue(stack, "jobs", {
      name: Lazy.stringValue({
        produce: () => {
          throw new Error("no name yet");
        },
      }),
    });
    expect(() => resolveStacks([stack])).toThrow(/^broken\/jobs: Resolution error: no name yet\./);
  });

  it("falls back to cdktf's two passes when the first adds cross-stack references", () => {
    const app = Testing.app();
    const producer = new TerraformStack(app, "producer");
    const consumer = new TerraformStack(app, "consumer");
    const queue = new SqsQueue(producer, "jobs", { name: "jobs" });
    new TerraformOutput(consumer, "queue_url", { value: queue.url });
    const resolved = resolveStacks([producer, consumer]);
    // The consumer reads the producer's output through remote state, as cdktf synthesizes it.
    expect(Object.keys(resolved.get(consumer)!.data.terraform_remote_state)).toEqual([expect.stringContaining("cross-stack-reference-input-producer")]);
    expect(JSON.stringify(resolved.get(consumer))).not.toContain("aws_sqs_queue.jobs");
    expect(Object.keys(resolved.get(producer)!.output)).toEqual([expect.stringContaining("cross-stack-output-aws_sqs_queue")]);
  });
});

describe("finalizeAndCheck", () => {
  it("writes byte for byte what cdktf's own synthesis writes (JSON, manifest, assets)", () => {
    const ours = Testing.app().outdir;
    const theirs = Testing.app().outdir;
    const platform = buildApp(environments(), ours);
    expect(finalizeAndCheck(platform)).toEqual([]);
    platform.app.synth();
    buildApp(environments(), theirs).app.synth();
    const files = (dir: string): string[] =>
      readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => statSync(join(dir, f)).isFile()).sort();
    expect(files(ours)).toEqual(files(theirs));
    for (const file of files(ours)) {
      expect(readFileSync(join(ours, file)).equals(readFileSync(join(theirs, file))), file).toBe(true);
    }
  });

  it("refuses an aspect other than the policy pack, which cdktf would apply after the check", () => {
    const platform = buildApp(environments(), Testing.app().outdir);
    Aspects.of(platform.workspaces[0]).add({ visit: () => undefined });
    expect(() => finalizeAndCheck(platform)).toThrow(/^finalizeAndCheck: dev has an aspect other than the policy pack/);
  });
});

import { Lazy, TerraformOutput, TerraformStack, Testing } from "cdktf";
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
    for (const [i, { stack }] of reference.stacks.entries()) {
      stack.prepareStack();
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
    expect(JSON.stringify(resolved.get(consumer))).toContain("terraform_remote_state");
    expect(JSON.stringify(resolved.get(consumer))).not.toContain("aws_sqs_queue.jobs");
    expect(Object.keys(resolved.get(producer)!.output)).toEqual([expect.stringContaining("cross-stack-output-aws_sqs_queue")]);
  });
});

describe("finalizeAndCheck", () => {
  it("writes the JSON the policy pack checked, without resolving the stacks again", () => {
    const platform = buildApp(environments(), Testing.app().outdir);
    expect(finalizeAndCheck(platform)).toEqual([]);
    const dev = platform.workspaces[0];
    const checked = dev.toTerraform();
    // The same object every time: no further resolution.
    expect(dev.toTerraform()).toBe(checked);
  });
});

import { describe, expect, it } from "vitest";
import { testContext } from "../helpers";

describe("tierContext", () => {
  it("carries the workspace's identity and stage", () => {
    const { ctx } = testContext({ environment: "prod" });
    expect([ctx.naming, ctx.region, ctx.accountId, ctx.stage, ctx.disposable, ctx.logRetentionDays, ctx.configFile]).toEqual([
      { project: "acme", environment: "prod" },
      "us-east-1",
      expect.stringMatching(/^\d{12}$/),
      "production",
      false,
      365,
      "environments/prod.ts",
    ]);
    expect(testContext().ctx.disposable).toBe(true);
  });

  it("declares stack outputs and refuses one declared twice, naming both tiers", () => {
    const { ctx, synth } = testContext();
    ctx.output("NetworkTier", "vpc_id", "vpc-123", "VPC id");
    expect(() => ctx.output("WebTier", "vpc_id", "vpc-456", "VPC id")).toThrow('WebTier: stack output "vpc_id" is already declared by NetworkTier');
    expect(synth().output).toEqual({ vpc_id: { value: "vpc-123", description: "VPC id" } });
  });
});

import { describe, expect, it } from "vitest";
import type { EnvironmentConfig } from "../../src/config/schema";
import { NetworkTier } from "../../src/tiers/network";
import { ref, resolved, resourcesOf, testContext } from "../helpers";

function network(mutate?: (config: EnvironmentConfig) => void) {
  const t = testContext({ mutate });
  const tier = new NetworkTier(t.ctx, { availabilityZones: t.config.availabilityZones, network: t.config.network, ecr: t.config.ecr });
  return { ...t, tier, json: t.synth() };
}

describe("NetworkTier", () => {
  const { json, ctx, tier } = network();

  it("builds the VPC with three subnet tiers over the configured AZs and the configured range", () => {
    const vpcs = Object.values(resourcesOf(json, "aws_vpc"));
    expect(vpcs.map((v) => v.cidr_block)).toEqual(["10.10.0.0/16"]);
    const zones = Object.values(resourcesOf(json, "aws_subnet")).map((s) => s.availability_zone_id);
    expect(zones.filter((z) => z === "use1-az1")).toHaveLength(3);
    expect(zones.filter((z) => z === "use1-az2")).toHaveLength(3);
    expect(zones).toHaveLength(6);
    // Zone IDs leave the zone name to AWS: no subnet sets it.
    expect(Object.values(resourcesOf(json, "aws_subnet")).map((s) => s.availability_zone)).toEqual(Array(6).fill(undefined));
  });

  it("creates the configured repositories, destroyable in a development workspace", () => {
    const repos = Object.values(resourcesOf(json, "aws_ecr_repository"));
    expect(repos.map((r) => [r.name, r.force_delete])).toEqual([["acme-dev-web", true]]);
    const { json: prod } = network((c) => (c.stage = "production"));
    expect(Object.values(resourcesOf(prod, "aws_ecr_repository"))[0].force_delete).toBe(false);
  });

  it("gives the image of a repository at the image_tag variable", () => {
    const t = network();
    const repoId = Object.keys(resourcesOf(t.json, "aws_ecr_repository"))[0];
    expect(resolved(t.stack, t.tier.image("web"))).toBe(`${ref("aws_ecr_repository", repoId, "repository_url")}:\${var.image_tag}`);
    expect(resolved(t.stack, t.tier.repository("web").arn)).toBe(ref("aws_ecr_repository", repoId, "arn"));
  });

  it("refuses a repository that is not configured, naming the tier", () => {
    expect(() => tier.repository("api")).toThrow(/^NetworkTier: no ECR repository "api" in ecr.repositories$/);
  });

  it("declares the network and registry outputs and registers nothing with the monitoring", () => {
    expect(Object.keys(json.output ?? {}).sort()).toEqual([
      "database_subnet_group_name",
      "database_subnet_ids",
      "ecr_repository_arns",
      "ecr_repository_urls",
      "private_subnet_ids",
      "public_subnet_ids",
      "vpc_id",
    ]);
    const registered = ctx.monitoring.registered();
    expect(Object.values(registered).filter((v) => v !== undefined && !(Array.isArray(v) && v.length === 0))).toEqual([]);
  });
});

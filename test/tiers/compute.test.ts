import { describe, expect, it } from "vitest";
import { ComputeTier } from "../../src/tiers/compute";
import { DatabaseTier } from "../../src/tiers/database";
import { NetworkTier } from "../../src/tiers/network";
import { onlyResource, ref, resourcesOf, securityGroupRef, testContext } from "../helpers";

function compute(options: Parameters<typeof testContext>[0] = {}) {
  const t = testContext(options);
  const { availabilityZones } = t.config;
  const network = new NetworkTier(t.ctx, { availabilityZones, network: t.config.network, ecr: t.config.ecr });
  const database = new DatabaseTier(t.ctx, { database: t.config.database, network });
  const tier = new ComputeTier(t.ctx, { services: t.config.services, migrateCommand: t.config.database.migrateCommand, network, database });
  return { ...t, tier, json: t.synth() };
}

const container = (json: ReturnType<typeof compute>["json"], family: string) =>
  JSON.parse(Object.values(resourcesOf(json, "aws_ecs_task_definition")).find((t) => t.family === family)!.container_definitions)[0];

describe("ComputeTier", () => {
  const { json, ctx } = compute();

  it("creates the cluster with the service's capacity as its default strategy (dev: Spot only)", () => {
    expect(onlyResource(json, "aws_ecs_cluster").name).toBe("acme-dev-cluster");
    const providers = onlyResource(json, "aws_ecs_cluster_capacity_providers");
    expect(providers.default_capacity_provider_strategy).toEqual([
      expect.objectContaining({ capacity_provider: "FARGATE_SPOT", weight: 1 }),
    ]);
  });

  it("the migration task runs the configured command with the application image, database settings and service environment", () => {
    const repo = Object.keys(resourcesOf(json, "aws_ecr_repository"))[0];
    const cluster = Object.keys(resourcesOf(json, "aws_rds_cluster"))[0];
    const migrate = container(json, "acme-dev-migrate");
    expect(migrate.image).toBe(`${ref("aws_ecr_repository", repo, "repository_url")}:\${var.image_tag}`);
    expect(migrate.command).toEqual(["python", "manage.py", "migrate", "--noinput"]);
    expect(migrate.stopTimeout).toBe(120);
    const env = Object.fromEntries(migrate.environment.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ APP_ENV: "dev", LOG_LEVEL: "debug", DB_HOST: ref("aws_rds_cluster", cluster, "endpoint"), DB_NAME: "app" });
    expect(migrate.secrets.map((s: { name: string }) => s.name)).toEqual(["DB_PASSWORD", "DB_USERNAME"]);
  });

  it("the migration security group has no ingress and reaches the database on 5432", () => {
    const migrate = securityGroupRef(json, "acme-dev-migrate");
    const db = securityGroupRef(json, "acme-dev-db");
    const ingress = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule"));
    expect(ingress.filter((r) => r.security_group_id === migrate)).toEqual([]);
    expect(ingress.filter((r) => r.security_group_id === db).map((r) => r.referenced_security_group_id)).toEqual([migrate]);
  });

  it("declares the cluster and migration outputs and registers nothing (services register their own alarms)", () => {
    expect(json.output?.migrate_task_definition.value).toBe("acme-dev-migrate");
    expect(Object.keys(json.output ?? {})).toEqual(expect.arrayContaining(["cluster_name", "cluster_arn", "migrate_task_definition", "migrate_security_group_id"]));
    const registered = ctx.monitoring.registered();
    // Only the database tier below it registered something.
    expect(Object.entries(registered).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)).map(([k]) => k)).toEqual(["database"]);
  });

  it("takes the image from the repository the service names", () => {
    const { json: two } = compute({
      mutate: (c) => {
        c.ecr.repositories.push({ ...c.ecr.repositories[0], name: "api" });
        c.services[0].repository = "api";
      },
    });
    const api = Object.entries(resourcesOf(two, "aws_ecr_repository")).find(([, r]) => r.name === "acme-dev-api")![0];
    expect(container(two, "acme-dev-migrate").image).toBe(`${ref("aws_ecr_repository", api, "repository_url")}:\${var.image_tag}`);
  });
});

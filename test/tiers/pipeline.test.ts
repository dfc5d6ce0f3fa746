import { describe, expect, it } from "vitest";
import { PipelineTier } from "../../src/tiers/pipeline";
import { foundationTiers, ref, resolved, resourcesOf, securityGroupRef, testContext } from "../helpers";

function pipeline(options: Parameters<typeof testContext>[0] = {}) {
  const t = testContext(options);
  const { network, database } = foundationTiers(t.ctx, t.config);
  const build = () => new PipelineTier(t.ctx, { dataPipeline: t.config.dataPipeline!, availabilityZones: t.config.availabilityZones, network, database });
  return { ...t, build };
}

describe("PipelineTier", () => {
  it("admits the Spark jobs to the database and hands them the managed secret", () => {
    const t = pipeline();
    t.build();
    const json = t.synth();
    const db = securityGroupRef(json, "acme-dev-db");
    const ingest = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).filter((r) => r.security_group_id === db && r.description === "PostgreSQL from the ingest Spark jobs");
    expect(ingest).toHaveLength(1);
    expect(JSON.stringify(json.resource.aws_iam_role_policy)).toContain("master_user_secret[0].secret_arn");
  });

  it("registers its queue, function and EMR application", () => {
    const t = pipeline();
    t.build();
    const json = t.synth();
    const registered = resolved(t.stack, t.ctx.monitoring.registered());
    const fn = Object.keys(resourcesOf(json, "aws_lambda_function"))[0];
    const app = Object.keys(resourcesOf(json, "aws_emrserverless_application"))[0];
    expect(registered.queues.map((q) => q.name)).toEqual(["ingest"]);
    expect(registered.functions).toEqual([{ name: "ingest", functionName: ref("aws_lambda_function", fn, "function_name") }]);
    expect(registered.emrApplications).toEqual([
      { name: "ingest", applicationId: ref("aws_emrserverless_application", app, "id"), applicationName: ref("aws_emrserverless_application", app, "name") },
    ]);
    expect(Object.keys(json.output?.data_pipeline.value as object).sort()).toEqual([
      "artifacts_bucket",
      "dead_letter_queue_url",
      "emr_application_id",
      "function_name",
      "ingest_queue_url",
      "landing_bucket",
    ]);
  });

  it("gives the Spark workers only the private subnets of zones EMR Serverless runs in", () => {
    const emrSubnets = (options: Parameters<typeof testContext>[0]) => {
      const t = pipeline(options);
      t.build();
      const json = t.synth();
      const app = Object.values(resourcesOf(json, "aws_emrserverless_application"))[0];
      const zoneOf = Object.fromEntries(Object.entries(resourcesOf(json, "aws_subnet")).map(([id, s]) => [ref("aws_subnet", id, "id"), `${s.tags.Tier}:${s.availability_zone_id}`]));
      return app.network_configuration.subnet_ids.map((id: string) => zoneOf[id]);
    };
    expect(emrSubnets({ environment: "prod" })).toEqual(["private:use1-az1", "private:use1-az2", "private:use1-az4"]);
    expect(emrSubnets({ environment: "prod", mutate: (c) => (c.availabilityZones = ["use1-az1", "use1-az3", "use1-az6"]) })).toEqual([
      "private:use1-az1",
      "private:use1-az6",
    ]);
  });

  it("refuses zones that leave EMR Serverless fewer than two, naming the tier", () => {
    const t = pipeline({ mutate: (c) => (c.availabilityZones = ["use1-az1", "use1-az3"]) });
    expect(t.build).toThrow(/^PipelineTier: EMR Serverless needs at least 2 zones it supports, and use1-az3 is not among/);
  });

  it("refuses credentials the Spark jobs cannot read, in one line naming the tier", () => {
    const t = pipeline({ mutate: (c) => (c.database.passwordSource = "ssm") });
    expect(t.build).toThrow(/^PipelineTier: the Spark jobs read the database credentials from Secrets Manager; dataPipeline needs database.passwordSource "managed"$/);
  });
});

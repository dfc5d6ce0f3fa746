import { describe, expect, it } from "vitest";
import { TaskSecurityGroup } from "../../modules/ecs-task";
import { DatabaseTier } from "../../src/tiers/database";
import { NetworkTier } from "../../src/tiers/network";
import { onlyResource, ref, resolved, resourcesOf, securityGroupRef, testContext } from "../helpers";

function database(options: Parameters<typeof testContext>[0] = {}) {
  const t = testContext(options);
  const { availabilityZones } = t.config;
  const network = new NetworkTier(t.ctx, { availabilityZones, network: t.config.network, ecr: t.config.ecr });
  const tier = new DatabaseTier(t.ctx, { database: t.config.database, network });
  return { ...t, network, tier };
}

describe("DatabaseTier", () => {
  it("puts the cluster in the network tier's database subnet group", () => {
    const { synth } = database();
    const json = synth();
    const group = Object.keys(resourcesOf(json, "aws_db_subnet_group"))[0];
    expect(onlyResource(json, "aws_rds_cluster").db_subnet_group_name).toBe(ref("aws_db_subnet_group", group, "name"));
  });

  it("registers the cluster: Serverless v2 without readers in dev, with readers in prod, provisioned when configured", () => {
    const dev = database();
    const clusterId = Object.keys(resourcesOf(dev.synth(), "aws_rds_cluster"))[0];
    expect(resolved(dev.stack, dev.ctx.monitoring.registered().database)).toEqual({
      clusterIdentifier: ref("aws_rds_cluster", clusterId, "id"),
      serverless: true,
      hasReaders: false,
    });
    expect(database({ environment: "prod" }).ctx.monitoring.registered().database).toMatchObject({ serverless: true, hasReaders: true });
    const provisioned = database({ environment: "prod", mutate: (c) => (c.database.instanceClass = "db.r6g.large") });
    expect(provisioned.ctx.monitoring.registered().database).toMatchObject({ serverless: false, hasReaders: true });
    expect(onlyResource(provisioned.synth(), "aws_rds_cluster").serverlessv2_scaling_configuration).toBeUndefined();
  });

  it("redeployOnRotation() redeploys the registered services after the managed secret rotates; with SSM credentials nothing rotates", () => {
    const { tier, synth } = database();
    expect(tier.rotationRedeploy).toBeUndefined();
    const service = (name: string) => ({ name, clusterName: "acme-dev", clusterArn: "arn:aws:ecs:us-east-1:111122223333:cluster/acme-dev", serviceName: `acme-dev-${name}` });
    tier.redeployOnRotation(service("web"));
    tier.redeployOnRotation(service("worker-default"));
    expect(tier.rotationRedeploy?.serviceNames).toEqual(["web", "worker-default"]);
    const json = synth();
    const cluster = Object.keys(resourcesOf(json, "aws_rds_cluster"))[0];
    const rule = onlyResource(json, "aws_cloudwatch_event_rule");
    expect(JSON.parse(rule.event_pattern).resources).toEqual([`\${aws_rds_cluster.${cluster}.master_user_secret[0].secret_arn}`]);
    expect(json.output?.rotation_redeploy_state_machine).toBeDefined();

    const ssm = database({ mutate: (c) => (c.database.passwordSource = "ssm") });
    ssm.tier.redeployOnRotation(service("web"));
    expect(ssm.tier.rotationRedeploy).toBeUndefined();
    expect(ssm.synth().resource.aws_sfn_state_machine).toBeUndefined();
  });

  it("places the instances in the database subnets' zones, read from the subnets (zones are configured by ID)", () => {
    const json = database({ environment: "prod" }).synth();
    const dbSubnets = Object.entries(resourcesOf(json, "aws_subnet")).filter(([, s]) => s.tags.Tier === "database");
    const zones = Object.values(resourcesOf(json, "aws_rds_cluster_instance")).map((i) => i.availability_zone);
    expect(zones).toEqual(dbSubnets.slice(0, 2).map(([id]) => ref("aws_subnet", id, "availability_zone")));
    expect(dbSubnets.map(([, s]) => s.availability_zone_id)).toEqual(["use1-az1", "use1-az2", "use1-az4"]);
  });

  it("passes database.engineUpgrade to the cluster: drift ignored by default, minor and major upgrades applied", () => {
    const cluster = (engineUpgrade: "none" | "minor" | "major") =>
      onlyResource(database({ mutate: (c) => Object.assign(c.database, { engineUpgrade, engineVersion: engineUpgrade === "major" ? "17.4" : "16.6" }) }).synth(), "aws_rds_cluster");
    expect(cluster("none")).toMatchObject({ lifecycle: { ignore_changes: ["engine_version"] }, allow_major_version_upgrade: false });
    expect(cluster("minor")).toMatchObject({ apply_immediately: true, allow_major_version_upgrade: false });
    expect(cluster("minor").lifecycle).toBeUndefined();
    expect(cluster("major")).toMatchObject({ engine_version: "17.4", apply_immediately: true, allow_major_version_upgrade: true });
  });

  it("connect() admits a task group on the PostgreSQL port and opens its egress to the database, nothing wider", () => {
    const { ctx, tier, network, synth } = database();
    const tasks = new TaskSecurityGroup(ctx.scope, "reports-sg", { naming: ctx.naming, component: "reports", vpcId: network.network.vpcId, description: "Reports" });
    tier.connect("reports", tasks);
    const json = synth();
    const db = securityGroupRef(json, "acme-dev-db");
    const reports = securityGroupRef(json, "acme-dev-reports");
    const ingress = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).filter((r) => r.security_group_id === db);
    expect(ingress).toEqual([expect.objectContaining({ referenced_security_group_id: reports, from_port: 5432, to_port: 5432, description: "PostgreSQL from reports tasks" })]);
    const egress = Object.values(resourcesOf(json, "aws_vpc_security_group_egress_rule")).filter((r) => r.security_group_id === reports);
    expect(egress.map((r) => `${r.referenced_security_group_id ?? r.cidr_ipv4}:${r.from_port}`).sort()).toEqual(["0.0.0.0/0:443", `${db}:5432`].sort());
  });

  it("declares the database outputs; credentials are the managed secret, or the SSM parameter name", () => {
    const json = database().synth();
    expect(Object.keys(json.output ?? {}).filter((k) => k.startsWith("database_") && !k.includes("subnet")).sort()).toEqual([
      "database_credentials",
      "database_name",
      "database_port",
      "database_reader_endpoint",
      "database_security_group_id",
      "database_writer_endpoint",
    ]);
    const clusterId = Object.keys(resourcesOf(json, "aws_rds_cluster"))[0];
    expect(json.output?.database_credentials.value).toBe(`\${aws_rds_cluster.${clusterId}.master_user_secret[0].secret_arn}`);
    const ssm = database({ mutate: (c) => (c.database.passwordSource = "ssm") }).synth();
    const parameter = Object.keys(resourcesOf(ssm, "aws_ssm_parameter"))[0];
    expect(ssm.output?.database_credentials.value).toBe(ref("aws_ssm_parameter", parameter, "name"));
  });
});

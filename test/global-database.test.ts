import { Testing, TerraformStack } from "cdktf";
import { describe, expect, it } from "vitest";
import { AuroraPostgres } from "../modules/aurora";
import { AuroraGlobalDatabase } from "../modules/aurora-global";
import { buildApp, finalizeAndCheck } from "../src/app";
import { checkEnvironment } from "../src/config/load";
import type { EnvironmentConfig } from "../src/config/schema";
import { platformProvider } from "../src/lib/provider";
import { environments, logicalIdOf, onlyResource, rawEnvironment, ref, resourcesOf, synthStack, TEST_ACCOUNT, testNaming } from "./helpers";

// The pipeline's Spark jobs need managed credentials, so this workspace has no pipeline (nor replicated buckets).
const GLOBAL_DR = { region: "us-west-2", mode: "global-database", replicateBuckets: [], secondaryReaders: 1, secondaryCidr: "10.30.0.0/16", secondaryAvailabilityZones: ["usw2-az1", "usw2-az2"] };

/** prod with `disasterRecovery.mode: "global-database"` (and the ssm password source it needs), validated by the schema. */
function globalProd(mutate: (env: Record<string, any>) => void = () => {}): EnvironmentConfig {
  const data = rawEnvironment("prod");
  data.database = { ...data.database, passwordSource: "ssm" };
  data.dataPipeline = { ...data.dataPipeline, enabled: false };
  data.disasterRecovery = { ...data.disasterRecovery, ...GLOBAL_DR };
  mutate(data);
  const { config, problems } = checkEnvironment({ file: "environments/prod.ts", data });
  expect(problems).toEqual([]);
  return config!;
}

function synthWorkspace(config: EnvironmentConfig) {
  const others = environments().filter((e) => e.name !== config.name);
  const platform = buildApp([...others, config]);
  const stack = platform.workspaces.find((w) => w.config.name === config.name)!;
  return { platform, stack, json: synthStack(stack).json };
}

describe("disaster recovery (global-database)", () => {
  const { platform, json } = synthWorkspace(globalProd());
  const cluster = (name: string) => logicalIdOf(json, "aws_rds_cluster", (c) => c.cluster_identifier === name);
  const primary = cluster("acme-prod-db");
  const secondary = cluster("acme-prod-db-dr");
  const clusters = resourcesOf(json, "aws_rds_cluster");

  it("accepts a valid global-database config (no 'not built' refusal)", () => {
    const data = rawEnvironment("prod");
    data.database.passwordSource = "ssm";
    data.dataPipeline.enabled = false;
    data.disasterRecovery = { ...data.disasterRecovery, ...GLOBAL_DR };
    expect(checkEnvironment({ file: "environments/prod.ts", data }).problems).toEqual([]);
  });

  it("creates the global cluster from the existing primary, which ignores the global_cluster_identifier RDS reports", () => {
    const global = onlyResource(json, "aws_rds_global_cluster");
    expect(global).toMatchObject({
      global_cluster_identifier: "acme-prod-db-global",
      source_db_cluster_identifier: ref("aws_rds_cluster", primary, "arn"),
      force_destroy: true,
      deletion_protection: true,
      lifecycle: { ignore_changes: ["source_db_cluster_identifier"] },
    });
    expect(global.provider).toBeUndefined();
    expect(global.engine).toBeUndefined();
    // The primary is not re-created with a global_cluster_identifier (that would replace it): it ignores the value.
    expect(clusters[primary].global_cluster_identifier).toBeUndefined();
    expect(clusters[primary].lifecycle.ignore_changes).toEqual(["engine_version", "global_cluster_identifier"]);
    expect(clusters[primary].manage_master_user_password).toBeUndefined();
  });

  it("joins a secondary cluster in the DR region through the aws.dr alias, encrypted with a key there, without master credentials", () => {
    const globalId = logicalIdOf(json, "aws_rds_global_cluster", () => true);
    const s = clusters[secondary];
    const key = logicalIdOf(json, "aws_kms_key", (k) => k.description?.includes("acme-prod-db-dr"));
    expect(resourcesOf(json, "aws_kms_key")[key]).toMatchObject({ provider: "aws.dr", enable_key_rotation: true });
    expect(s).toMatchObject({
      provider: "aws.dr",
      global_cluster_identifier: ref("aws_rds_global_cluster", globalId, "id"),
      engine: "aurora-postgresql",
      engine_version: ref("aws_rds_global_cluster", globalId, "engine_version_actual"),
      storage_encrypted: true,
      kms_key_id: ref("aws_kms_key", key, "arn"),
      iam_database_authentication_enabled: true,
      enabled_cloudwatch_logs_exports: ["postgresql"],
      deletion_protection: true,
      skip_final_snapshot: false,
      lifecycle: { ignore_changes: ["engine_version", "replication_source_identifier"] },
    });
    for (const field of ["master_username", "master_password", "manage_master_user_password", "database_name"]) expect(s[field], field).toBeUndefined();
    expect(s.depends_on).toEqual(expect.arrayContaining([`aws_rds_cluster.${primary}`]));
    // Same parameter-group family as the primary, in the DR region.
    const groups = resourcesOf(json, "aws_rds_cluster_parameter_group");
    const primaryGroup = Object.values(groups).find((g) => g.provider === undefined)!;
    const drGroup = Object.values(groups).find((g) => g.provider === "aws.dr")!;
    expect(drGroup.family).toBe(primaryGroup.family);
    expect(drGroup.parameter).toEqual(primaryGroup.parameter);
  });

  it("puts the secondary in an isolated DR VPC (subnets in the configured zones, no internet or NAT gateway, flow logs)", () => {
    const dr = (type: string) => Object.values(resourcesOf(json, type)).filter((r) => r.provider === "aws.dr");
    expect(dr("aws_vpc")).toMatchObject([{ cidr_block: "10.30.0.0/16" }]);
    expect(dr("aws_subnet").map((s) => [s.availability_zone_id, s.cidr_block, s.map_public_ip_on_launch])).toEqual([
      ["usw2-az1", "10.30.128.0/20", false],
      ["usw2-az2", "10.30.144.0/20", false],
    ]);
    expect(dr("aws_internet_gateway")).toEqual([]);
    expect(dr("aws_nat_gateway")).toEqual([]);
    expect(dr("aws_route")).toEqual([]);
    expect(dr("aws_flow_log")).toHaveLength(1);
    const subnetGroup = dr("aws_db_subnet_group");
    expect(subnetGroup).toMatchObject([{ name: "acme-prod-dr-database" }]);
    expect(dr("aws_security_group")).toMatchObject([{ name: "acme-prod-db-dr" }]);
    expect(dr("aws_vpc_security_group_ingress_rule")).toEqual([]);
  });

  it("adds secondaryReaders reader instances to the secondary, in the DR region", () => {
    const readers = Object.values(resourcesOf(json, "aws_rds_cluster_instance")).filter((i) => i.provider === "aws.dr");
    expect(readers).toMatchObject([{ identifier: "acme-prod-db-dr-1", cluster_identifier: ref("aws_rds_cluster", secondary, "id"), publicly_accessible: false }]);
  });

  it("builds a headless secondary with secondaryReaders 0", () => {
    const headless = synthWorkspace(globalProd((e) => (e.disasterRecovery.secondaryReaders = 0))).json;
    expect(Object.values(resourcesOf(headless, "aws_rds_cluster_instance")).filter((i) => i.provider === "aws.dr")).toEqual([]);
    expect(Object.values(resourcesOf(headless, "aws_rds_cluster")).filter((c) => c.provider === "aws.dr")).toHaveLength(1);
  });

  it("alarms on AuroraGlobalDBReplicationLag of the secondary, in the DR region, notifying an alerts topic there", () => {
    const alarm = Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm")).find((a) => a.metric_name === "AuroraGlobalDBReplicationLag")!;
    const topic = logicalIdOf(json, "aws_sns_topic", (t) => t.name === "acme-prod-alerts-dr");
    expect(resourcesOf(json, "aws_sns_topic")[topic].provider).toBe("aws.dr");
    expect(alarm).toMatchObject({
      provider: "aws.dr",
      alarm_name: "acme-prod-db-global-replication-lag",
      namespace: "AWS/RDS",
      dimensions: { DBClusterIdentifier: ref("aws_rds_cluster", secondary, "id") },
      threshold: 5000,
      alarm_actions: [ref("aws_sns_topic", topic, "arn")],
      ok_actions: [ref("aws_sns_topic", topic, "arn")],
    });
    const emails = Object.values(resourcesOf(json, "aws_sns_topic_subscription")).filter((s) => s.provider === "aws.dr");
    expect(emails.map((s) => s.endpoint)).toEqual(["platform-alerts@example.com"]);
  });

  it("passes the policy pack, and every stateful resource of the primary region stays covered by the backup selection", () => {
    expect(finalizeAndCheck(platform).map((r) => `${r.rule.id} ${r.stackName} ${r.detail}`)).toEqual([]);
    const selection = onlyResource(json, "aws_backup_selection").resources as string[];
    expect(selection).toContain(ref("aws_rds_cluster", primary, "arn"));
    // No DR vault in this mode: the global database is the copy of the database in the DR region.
    expect(Object.values(resourcesOf(json, "aws_backup_vault")).filter((v) => v.provider === "aws.dr")).toEqual([]);
  });
});

describe("AuroraGlobalDatabase invariants", () => {
  const build = (primaryPassword: "ssm" | "managed", props: Partial<ConstructorParameters<typeof AuroraGlobalDatabase>[2]> = {}) => () => {
    const stack = new TerraformStack(Testing.app(), "t");
    platformProvider(stack, { project: "acme", environment: "test", region: "us-east-1", accountId: TEST_ACCOUNT });
    const provider = platformProvider(stack, { project: "acme", environment: "test", region: "us-west-2", accountId: TEST_ACCOUNT, alias: "dr" });
    const primary = new AuroraPostgres(stack, "db", {
      naming: testNaming, vpcId: "vpc-1", dbSubnetGroupName: "db", availabilityZones: ["us-east-1a", "us-east-1b"],
      passwordSource: primaryPassword, globalDatabasePrimary: primaryPassword === "ssm",
    });
    new AuroraGlobalDatabase(stack, "global", {
      naming: testNaming, accountId: TEST_ACCOUNT, primary, primaryRegion: "us-east-1", region: "us-west-2", provider,
      cidr: "10.30.0.0/16", availabilityZones: ["us-west-2a", "us-west-2b"], ...props,
    });
  };

  it.each<[string, () => void, string]>([
    ["a primary with RDS-managed passwords", build("managed"), 'AuroraGlobalDatabase: the primary must use passwordSource "ssm": RDS-managed master passwords are not supported in a global database'],
    ["the DR region equal to the primary's", build("ssm", { region: "us-east-1" }), "AuroraGlobalDatabase: region is the primary's own (us-east-1); the secondary cluster goes to another region"],
    ["16 readers", build("ssm", { readers: 16 }), "AuroraGlobalDatabase: readers must be a whole number from 0 to 15, got 16"],
    ["zones of another region", build("ssm", { availabilityZones: ["us-east-1a", "us-east-1b"] }), "IsolatedNetwork: availabilityZones:"],
  ])("refuses %s", (_, run, message) => {
    expect(run).toThrow(message);
  });

  it("refuses globalDatabasePrimary with RDS-managed passwords in the primary itself", () => {
    const stack = new TerraformStack(Testing.app(), "t");
    expect(
      () => new AuroraPostgres(stack, "db", { naming: testNaming, vpcId: "v", dbSubnetGroupName: "d", availabilityZones: ["us-east-1a", "us-east-1b"], globalDatabasePrimary: true }),
    ).toThrow('AuroraPostgres: globalDatabasePrimary needs passwordSource "ssm": RDS-managed master passwords are not supported in a global database');
  });

  it("builds without throwing for a valid primary", () => {
    expect(build("ssm")).not.toThrow();
  });
});


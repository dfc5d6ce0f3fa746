import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster";
import { RdsClusterParameterGroup } from "@cdktf/provider-aws/lib/rds-cluster-parameter-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { Password } from "@cdktf/provider-random/lib/password";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TerraformOutput, type TerraformStack } from "cdktf";
import { describe, expect, it } from "vitest";
import {
  AuroraPostgres,
  RDS_PASSWORD_SPECIALS,
  auroraPostgresFamily,
  instanceAvailabilityZone,
  type AuroraPostgresProps,
} from "../modules/aurora";
import { onlyResource, ref, resourcesOf, synthConstruct, testNaming, type SynthJson } from "./helpers";

const KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555";
const WEB_SG = "sg-0123456789abcdef0";
const WORKER_SG = "sg-0fedcba9876543210";

const base: AuroraPostgresProps = {
  naming: testNaming,
  vpcId: "vpc-0123456789abcdef0",
  dbSubnetGroupName: "acme-test-database",
  availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
};

/**
 * Synthesizes one cluster. The credential and environment fields are rendered as stack outputs so
 * tests can check the Terraform references they resolve to.
 */
function aurora(overrides: Partial<AuroraPostgresProps> = {}, extra?: (db: AuroraPostgres, stack: TerraformStack) => void) {
  let db!: AuroraPostgres;
  const result = synthConstruct((stack) => {
    db = new AuroraPostgres(stack, "aurora", { ...base, ...overrides });
    new TerraformOutput(stack, "container_secrets", { value: db.containerSecrets });
    new TerraformOutput(stack, "container_environment", { value: db.containerEnvironment });
    new TerraformOutput(stack, "credential_read_grants", { value: db.credentialReadGrants });
    new TerraformOutput(stack, "fields", {
      value: {
        clusterIdentifier: db.clusterIdentifier,
        clusterArn: db.clusterArn,
        writerEndpoint: db.writerEndpoint,
        readerEndpoint: db.readerEndpoint,
        securityGroupId: db.securityGroupId,
        // Outputs cannot hold null: an absent field stays absent.
        ...(db.secretArn ? { secretArn: db.secretArn } : {}),
        ...(db.passwordParameterName ? { passwordParameterName: db.passwordParameterName } : {}),
        ...(db.passwordParameterArn ? { passwordParameterArn: db.passwordParameterArn } : {}),
      },
    });
    extra?.(db, stack);
  });
  return { ...result, db };
}

function idOf(json: SynthJson, type: string): string {
  const ids = Object.keys(resourcesOf(json, type));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0];
}

function output(json: SynthJson, name: string): any {
  return json.output?.[name]?.value;
}

/** Instances in writer-first order (instance-1, instance-2, ...). */
function instances(json: SynthJson): Array<Record<string, any>> {
  return Object.entries(resourcesOf(json, "aws_rds_cluster_instance"))
    .sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }))
    .map(([, r]) => r);
}

describe("AuroraPostgres cluster", () => {
  const { synth, json } = aurora();
  const cluster = onlyResource(json, "aws_rds_cluster");
  const clusterRef = (attribute: string) => ref("aws_rds_cluster", idOf(json, "aws_rds_cluster"), attribute);

  it("is a pinned, encrypted Aurora PostgreSQL 16 cluster with IAM auth on 5432", () => {
    expect(synth).toHaveResourceWithProperties(RdsCluster, {
      cluster_identifier: "acme-test-db",
      engine: "aurora-postgresql",
      engine_mode: "provisioned",
      engine_version: "16.6",
      storage_encrypted: true,
      iam_database_authentication_enabled: true,
      port: 5432,
      database_name: "app",
      master_username: "app_admin",
      db_subnet_group_name: "acme-test-database",
      allow_major_version_upgrade: false,
    });
    // AWS-managed key unless one is given.
    expect(cluster.kms_key_id).toBeUndefined();
  });

  it("ignores engine_version drift from automatic minor upgrades, and applies it only on a deliberate upgrade", () => {
    // Default: the version is where a new cluster starts; a running 16.8 never plans back to 16.6.
    expect(cluster.lifecycle).toEqual({ ignore_changes: ["engine_version"] });
    expect(cluster.apply_immediately).toBeUndefined();
    expect(cluster.allow_major_version_upgrade).toBe(false);

    const minor = onlyResource(aurora({ engineVersion: "16.8", applyEngineVersion: true }).json, "aws_rds_cluster");
    expect(minor.lifecycle).toBeUndefined();
    expect(minor).toMatchObject({ engine_version: "16.8", apply_immediately: true, allow_major_version_upgrade: false });

    const major = aurora({ engineVersion: "17.4", applyEngineVersion: true, allowMajorVersionUpgrade: true }).json;
    expect(onlyResource(major, "aws_rds_cluster")).toMatchObject({
      engine_version: "17.4",
      apply_immediately: true,
      allow_major_version_upgrade: true,
    });
    expect(onlyResource(major, "aws_rds_cluster").lifecycle).toBeUndefined();
    // The new family's group is created before the cluster moves to it.
    expect(onlyResource(major, "aws_rds_cluster_parameter_group")).toMatchObject({ family: "aurora-postgresql17" });
  });

  it("requires TLS through a cluster parameter group of the version's family", () => {
    const groupId = idOf(json, "aws_rds_cluster_parameter_group");
    expect(synth).toHaveResourceWithProperties(RdsClusterParameterGroup, {
      name: "acme-test-db-aurora-postgresql16",
      family: "aurora-postgresql16",
      parameter: [{ name: "rds.force_ssl", value: "1", apply_method: "immediate" }],
      lifecycle: { create_before_destroy: true },
    });
    expect(cluster.db_cluster_parameter_group_name).toBe(ref("aws_rds_cluster_parameter_group", groupId, "name"));

    const v15 = aurora({ engineVersion: "15.10" }).json;
    expect(onlyResource(v15, "aws_rds_cluster").engine_version).toBe("15.10");
    expect(onlyResource(v15, "aws_rds_cluster_parameter_group")).toMatchObject({
      family: "aurora-postgresql15",
      name: "acme-test-db-aurora-postgresql15",
    });
  });

  it("exports PostgreSQL logs to a log group it creates first, with retention", () => {
    const groupId = idOf(json, "aws_cloudwatch_log_group");
    expect(synth).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: "/aws/rds/cluster/acme-test-db/postgresql",
      retention_in_days: 365,
    });
    expect(cluster.enabled_cloudwatch_logs_exports).toEqual(["postgresql"]);
    expect(cluster.depends_on).toEqual([`aws_cloudwatch_log_group.${groupId}`]);

    const short = aurora({ logRetentionDays: 30 }).json;
    expect(onlyResource(short, "aws_cloudwatch_log_group").retention_in_days).toBe(30);
  });

  it("keeps 14 days of backups in fixed windows and copies tags to snapshots", () => {
    expect(cluster).toMatchObject({
      backup_retention_period: 14,
      preferred_backup_window: "03:00-04:00",
      preferred_maintenance_window: "sun:04:30-sun:05:30",
      copy_tags_to_snapshot: true,
    });
    const custom = onlyResource(
      aurora({ backupRetentionDays: 35, preferredBackupWindow: "01:00-01:30", preferredMaintenanceWindow: "sat:22:00-sat:23:00" }).json,
      "aws_rds_cluster",
    );
    expect(custom).toMatchObject({
      backup_retention_period: 35,
      preferred_backup_window: "01:00-01:30",
      preferred_maintenance_window: "sat:22:00-sat:23:00",
    });
  });

  it("is deletion-protected and takes a named final snapshot by default", () => {
    expect(cluster).toMatchObject({
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: "acme-test-db-final",
    });
  });

  it("dev relaxation: no deletion protection and no final snapshot, only when asked", () => {
    const dev = onlyResource(aurora({ deletionProtection: false, skipFinalSnapshot: true }).json, "aws_rds_cluster");
    expect(dev.deletion_protection).toBe(false);
    expect(dev.skip_final_snapshot).toBe(true);
    expect(dev).not.toHaveProperty("final_snapshot_identifier");
    // Storage encryption is not something a relaxation turns off.
    expect(dev.storage_encrypted).toBe(true);
  });

  it("uses a customer-managed key for storage, the master secret and Performance Insights", () => {
    const { json: kms } = aurora({ kmsKeyArn: KMS_KEY });
    expect(onlyResource(kms, "aws_rds_cluster")).toMatchObject({
      storage_encrypted: true,
      kms_key_id: KMS_KEY,
      master_user_secret_kms_key_id: KMS_KEY,
    });
    for (const instance of instances(kms)) {
      expect(instance.performance_insights_kms_key_id).toBe(KMS_KEY);
    }
    expect(output(kms, "credential_read_grants").kmsKeyArns).toEqual([KMS_KEY]);
    expect(output(json, "credential_read_grants").kmsKeyArns).toEqual([]);
  });

  it("scales Serverless v2 between 0.5 and 4 ACUs by default", () => {
    expect(cluster.serverlessv2_scaling_configuration).toEqual({ min_capacity: 0.5, max_capacity: 4 });
    const custom = aurora({ serverless: { minCapacity: 0, maxCapacity: 256 } }).json;
    expect(onlyResource(custom, "aws_rds_cluster").serverlessv2_scaling_configuration).toEqual({
      min_capacity: 0,
      max_capacity: 256,
    });
  });

  it("provisioned instance classes get no Serverless v2 configuration", () => {
    const { json: provisioned } = aurora({ instanceClass: "db.r6g.large" });
    expect(onlyResource(provisioned, "aws_rds_cluster")).not.toHaveProperty("serverlessv2_scaling_configuration");
    expect(instances(provisioned).map((i) => i.instance_class)).toEqual(["db.r6g.large", "db.r6g.large"]);
  });

  it("exposes its identifiers and endpoints as references to the cluster", () => {
    expect(output(json, "fields")).toMatchObject({
      clusterIdentifier: clusterRef("id"),
      clusterArn: clusterRef("arn"),
      writerEndpoint: clusterRef("endpoint"),
      readerEndpoint: clusterRef("reader_endpoint"),
      securityGroupId: ref("aws_security_group", idOf(json, "aws_security_group"), "id"),
    });
  });
});

describe("AuroraPostgres instances", () => {
  it("creates a writer and one reader by default, in different AZs", () => {
    const { json } = aurora();
    const clusterId = idOf(json, "aws_rds_cluster");
    const [writer, reader, ...rest] = instances(json);
    expect(rest).toEqual([]);
    expect(writer).toMatchObject({ identifier: "acme-test-db-1", availability_zone: "eu-west-1a", promotion_tier: 0 });
    expect(reader).toMatchObject({ identifier: "acme-test-db-2", availability_zone: "eu-west-1b", promotion_tier: 1 });
    expect(writer.availability_zone).not.toBe(reader.availability_zone);
    for (const instance of [writer, reader]) {
      expect(instance).toMatchObject({
        cluster_identifier: ref("aws_rds_cluster", clusterId, "id"),
        engine: ref("aws_rds_cluster", clusterId, "engine"),
        instance_class: "db.serverless",
        publicly_accessible: false,
        auto_minor_version_upgrade: true,
        db_subnet_group_name: "acme-test-database",
      });
      // The instances run the cluster's version: only the cluster carries one.
      expect(instance).not.toHaveProperty("engine_version");
    }
  });

  it("spreads more instances than zones round-robin, writer first", () => {
    const { json } = aurora({ instanceCount: 5 });
    expect(instances(json).map((i) => [i.identifier, i.availability_zone, i.promotion_tier])).toEqual([
      ["acme-test-db-1", "eu-west-1a", 0],
      ["acme-test-db-2", "eu-west-1b", 1],
      ["acme-test-db-3", "eu-west-1c", 2],
      ["acme-test-db-4", "eu-west-1a", 3],
      ["acme-test-db-5", "eu-west-1b", 4],
    ]);
    expect(instanceAvailabilityZone(["x", "y"], 3)).toBe("y");
  });

  it("allows a single writer in a single zone", () => {
    const { json } = aurora({ instanceCount: 1, availabilityZones: ["eu-west-1a"] });
    expect(instances(json).map((i) => i.availability_zone)).toEqual(["eu-west-1a"]);
  });

  it("turns Performance Insights on with 7-day retention, or off", () => {
    for (const instance of instances(aurora().json)) {
      expect(instance.performance_insights_enabled).toBe(true);
      expect(instance.performance_insights_retention_period).toBe(7);
    }
    for (const instance of instances(aurora({ performanceInsights: false }).json)) {
      expect(instance.performance_insights_enabled).toBe(false);
      expect(instance).not.toHaveProperty("performance_insights_retention_period");
      expect(instance).not.toHaveProperty("performance_insights_kms_key_id");
    }
  });
});

describe("AuroraPostgres security group", () => {
  it("is the cluster's only security group, with no inline rules and no egress", () => {
    const { synth, json } = aurora();
    expect(synth).toHaveResourceWithProperties(SecurityGroup, {
      name: "acme-test-db",
      vpc_id: "vpc-0123456789abcdef0",
      tags: { Name: "acme-test-db" },
    });
    const sg = onlyResource(json, "aws_security_group");
    expect(sg.description).toMatch(/5432/);
    expect(sg).not.toHaveProperty("ingress");
    expect(sg).not.toHaveProperty("egress");
    expect(onlyResource(json, "aws_rds_cluster").vpc_security_group_ids).toEqual([
      ref("aws_security_group", idOf(json, "aws_security_group"), "id"),
    ]);
    expect(json.resource.aws_vpc_security_group_ingress_rule).toBeUndefined();
    expect(json.resource.aws_vpc_security_group_egress_rule).toBeUndefined();
    expect(json.resource.aws_security_group_rule).toBeUndefined();
  });

  it("opens 5432 only to the referenced security groups, through allowFrom and allowedSecurityGroups", () => {
    const { json } = aurora({ allowedSecurityGroups: { web: WEB_SG } }, (db) => {
      db.allowFrom("worker", WORKER_SG, "PostgreSQL from the Celery workers");
    });
    const sgRef = ref("aws_security_group", idOf(json, "aws_security_group"), "id");
    const rules = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule"));
    expect(rules).toHaveLength(2);
    expect(rules).toEqual(
      expect.arrayContaining([
        {
          security_group_id: sgRef,
          referenced_security_group_id: WEB_SG,
          ip_protocol: "tcp",
          from_port: 5432,
          to_port: 5432,
          description: "PostgreSQL from web",
        },
        {
          security_group_id: sgRef,
          referenced_security_group_id: WORKER_SG,
          ip_protocol: "tcp",
          from_port: 5432,
          to_port: 5432,
          description: "PostgreSQL from the Celery workers",
        },
      ]),
    );
    for (const rule of rules) {
      expect(rule).not.toHaveProperty("cidr_ipv4");
      expect(rule).not.toHaveProperty("cidr_ipv6");
      expect(rule).not.toHaveProperty("prefix_list_id");
    }
  });

  it("accepts a security group id that is a Terraform reference", () => {
    const { json } = aurora({}, (db, stack) => {
      const app = new SecurityGroup(stack, "app-sg", { name: "acme-test-app", description: "app", vpcId: base.vpcId });
      db.allowFrom("app", app.id, "PostgreSQL from the app");
    });
    const appSg = Object.entries(resourcesOf(json, "aws_security_group")).find(([, r]) => r.name === "acme-test-app")![0];
    expect(onlyResource(json, "aws_vpc_security_group_ingress_rule").referenced_security_group_id).toBe(
      ref("aws_security_group", appSg, "id"),
    );
  });
});

describe("AuroraPostgres credentials: managed (default)", () => {
  const { json, db } = aurora();
  const cluster = onlyResource(json, "aws_rds_cluster");
  const secretArn = ref("aws_rds_cluster", idOf(json, "aws_rds_cluster"), "master_user_secret[0].secret_arn");

  it("lets RDS manage the master password in Secrets Manager", () => {
    expect(cluster.manage_master_user_password).toBe(true);
    expect(cluster).not.toHaveProperty("master_password");
    expect(cluster).not.toHaveProperty("master_user_secret_kms_key_id");
    expect(json.resource.random_password).toBeUndefined();
    expect(json.resource.aws_ssm_parameter).toBeUndefined();
    expect(json.provider?.random).toBeUndefined();
  });

  it("exposes the secret ARN and ECS secrets reading its username and password keys", () => {
    expect(output(json, "fields").secretArn).toBe(secretArn);
    expect(output(json, "fields")).not.toHaveProperty("passwordParameterName");
    expect(output(json, "fields")).not.toHaveProperty("passwordParameterArn");
    expect(output(json, "container_secrets")).toEqual([
      { name: "DB_USERNAME", valueFrom: `${secretArn}:username::` },
      { name: "DB_PASSWORD", valueFrom: `${secretArn}:password::` },
    ]);
    expect(output(json, "credential_read_grants")).toEqual({
      secretsManagerArns: [secretArn],
      ssmParameterArns: [],
      kmsKeyArns: [],
    });
  });

  it("exposes host, reader host, port and database as plain environment", () => {
    const clusterId = idOf(json, "aws_rds_cluster");
    expect(output(json, "container_environment")).toEqual({
      DB_HOST: ref("aws_rds_cluster", clusterId, "endpoint"),
      DB_READER_HOST: ref("aws_rds_cluster", clusterId, "reader_endpoint"),
      DB_PORT: "5432",
      DB_NAME: "app",
    });
    expect(db.port).toBe(5432);
    expect(db.databaseName).toBe("app");
  });
});

describe("AuroraPostgres credentials: ssm", () => {
  const { synth, json } = aurora({ passwordSource: "ssm", databaseName: "orders", masterUsername: "orders_admin" });
  const passwordId = idOf(json, "random_password");
  const parameterId = idOf(json, "aws_ssm_parameter");
  const cluster = onlyResource(json, "aws_rds_cluster");

  it("generates a 32-character password from characters RDS accepts", () => {
    expect(synth).toHaveResourceWithProperties(Password, {
      length: 32,
      special: true,
      override_special: RDS_PASSWORD_SPECIALS,
    });
    for (const forbidden of ["/", "@", '"', " "]) {
      expect(RDS_PASSWORD_SPECIALS).not.toContain(forbidden);
    }
  });

  it("stores it as a SecureString parameter and gives it to the cluster", () => {
    const result = ref("random_password", passwordId, "result");
    expect(synth).toHaveResourceWithProperties(SsmParameter, {
      name: "/acme/test/database/master-password",
      type: "SecureString",
      value: result,
    });
    expect(onlyResource(json, "aws_ssm_parameter")).not.toHaveProperty("key_id");
    expect(cluster.master_password).toBe(result);
    expect(cluster).not.toHaveProperty("manage_master_user_password");
    expect(cluster.master_username).toBe("orders_admin");
  });

  it("exposes the parameter and ECS entries: password as a secret, username as environment", () => {
    const arn = ref("aws_ssm_parameter", parameterId, "arn");
    expect(output(json, "fields")).not.toHaveProperty("secretArn");
    expect(output(json, "fields")).toMatchObject({
      passwordParameterName: ref("aws_ssm_parameter", parameterId, "name"),
      passwordParameterArn: arn,
    });
    expect(output(json, "container_secrets")).toEqual([{ name: "DB_PASSWORD", valueFrom: arn }]);
    expect(output(json, "container_environment")).toMatchObject({
      DB_USERNAME: "orders_admin",
      DB_NAME: "orders",
      DB_PORT: "5432",
    });
    expect(output(json, "credential_read_grants")).toEqual({ secretsManagerArns: [], ssmParameterArns: [arn], kmsKeyArns: [] });
  });

  it("encrypts the parameter with the customer-managed key when given", () => {
    const kms = aurora({ passwordSource: "ssm", kmsKeyArn: KMS_KEY }).json;
    expect(onlyResource(kms, "aws_ssm_parameter").key_id).toBe(KMS_KEY);
    expect(onlyResource(kms, "aws_rds_cluster")).not.toHaveProperty("master_user_secret_kms_key_id");
  });

  it("adds the random provider to the stack exactly once", () => {
    expect(synth).toHaveProvider(RandomProvider);
    expect(json.provider?.random).toHaveLength(1);

    const two = synthConstruct((stack) => {
      new AuroraPostgres(stack, "orders", { ...base, passwordSource: "ssm" });
      new AuroraPostgres(stack, "reports", {
        ...base,
        naming: { project: "acme", environment: "reports" },
        passwordSource: "ssm",
      });
    }).json;
    expect(Object.keys(resourcesOf(two, "random_password"))).toHaveLength(2);
    expect(two.provider?.random).toHaveLength(1);
  });

  it("reuses a random provider the stack already has", () => {
    const existing = synthConstruct((stack) => {
      new RandomProvider(stack, "my-random", { alias: "mine" });
      new AuroraPostgres(stack, "aurora", { ...base, passwordSource: "ssm" });
    }).json;
    expect(existing.provider?.random).toEqual([{ alias: "mine" }]);
  });
});

describe("AuroraPostgres reader autoscaling", () => {
  it("is off by default", () => {
    const { json } = aurora();
    expect(json.resource.aws_appautoscaling_target).toBeUndefined();
    expect(json.resource.aws_appautoscaling_policy).toBeUndefined();
  });

  it("tracks the readers' average CPU between the given reader counts", () => {
    const { synth, json } = aurora({ readerAutoscaling: { minReaders: 1, maxReaders: 5, targetCpuPercent: 60 } });
    const clusterId = idOf(json, "aws_rds_cluster");
    const targetId = idOf(json, "aws_appautoscaling_target");
    expect(synth).toHaveResourceWithProperties(AppautoscalingTarget, {
      service_namespace: "rds",
      scalable_dimension: "rds:cluster:ReadReplicaCount",
      resource_id: `cluster:${ref("aws_rds_cluster", clusterId, "id")}`,
      min_capacity: 1,
      max_capacity: 5,
    });
    expect(onlyResource(json, "aws_appautoscaling_target").depends_on.sort()).toEqual(
      Object.keys(resourcesOf(json, "aws_rds_cluster_instance"))
        .map((id) => `aws_rds_cluster_instance.${id}`)
        .sort(),
    );
    expect(synth).toHaveResourceWithProperties(AppautoscalingPolicy, {
      name: "acme-test-db-reader-cpu",
      policy_type: "TargetTrackingScaling",
      service_namespace: ref("aws_appautoscaling_target", targetId, "service_namespace"),
      scalable_dimension: ref("aws_appautoscaling_target", targetId, "scalable_dimension"),
      resource_id: ref("aws_appautoscaling_target", targetId, "resource_id"),
      target_tracking_scaling_policy_configuration: {
        predefined_metric_specification: { predefined_metric_type: "RDSReaderAverageCPUUtilization" },
        target_value: 60,
        scale_in_cooldown: 300,
        scale_out_cooldown: 300,
      },
    });
  });
});

describe("AuroraPostgres helpers", () => {
  it("derives the parameter group family from the major version", () => {
    expect(auroraPostgresFamily("16.6")).toBe("aurora-postgresql16");
    expect(auroraPostgresFamily("17.4")).toBe("aurora-postgresql17");
  });
});

describe("AuroraPostgres refuses invalid props", () => {
  const cases: Array<[string, Partial<AuroraPostgresProps>, RegExp]> = [
    ["no instances", { instanceCount: 0 }, /instanceCount must be a whole number from 1 to 16, got 0/],
    ["too many instances", { instanceCount: 17 }, /instanceCount must be a whole number from 1 to 16, got 17/],
    ["a fractional instance count", { instanceCount: 1.5 }, /instanceCount must be a whole number from 1 to 16, got 1.5/],
    ["no zones", { availabilityZones: [] }, /availabilityZones needs at least one zone/],
    ["duplicate zones", { availabilityZones: ["eu-west-1a", "eu-west-1a"] }, /availabilityZones has duplicates/],
    ["a reader with one zone", { availabilityZones: ["eu-west-1a"] }, /needs at least 2 zones when instanceCount > 1/],
    ["an unknown instance class", { instanceClass: "r6g.large" }, /instanceClass must look like "db.r6g.large"/],
    ["min ACU above max ACU", { serverless: { minCapacity: 8, maxCapacity: 4 } }, /serverless.minCapacity \(8\) is greater than serverless.maxCapacity \(4\)/],
    ["a negative min ACU", { serverless: { minCapacity: -0.5, maxCapacity: 4 } }, /serverless.minCapacity must be 0 to 256 ACUs in steps of 0.5, got -0.5/],
    ["an ACU off the 0.5 grid", { serverless: { minCapacity: 0.5, maxCapacity: 4.3 } }, /serverless.maxCapacity must be 0 to 256 ACUs in steps of 0.5, got 4.3/],
    ["max ACU above 256", { serverless: { minCapacity: 1, maxCapacity: 512 } }, /serverless.maxCapacity must be 0 to 256 ACUs in steps of 0.5, got 512/],
    ["max ACU below 1", { serverless: { minCapacity: 0, maxCapacity: 0.5 } }, /serverless.maxCapacity must be at least 1 ACU, got 0.5/],
    ["serverless config missing its capacities", { serverless: {} as never }, /serverless.minCapacity and serverless.maxCapacity are required numbers when instanceClass is db.serverless/],
    ["serverless config on a provisioned class", { instanceClass: "db.r6g.large", serverless: { minCapacity: 1, maxCapacity: 4 } }, /serverless scaling applies only to instanceClass db.serverless, not db.r6g.large/],
    ["a major upgrade that would not be applied", { allowMajorVersionUpgrade: true }, /allowMajorVersionUpgrade needs applyEngineVersion/],
    ["an engine version without a minor", { engineVersion: "16" }, /engineVersion must be "major.minor" \(for example "16.6"\), got "16"/],
    ["a database name with a hyphen", { databaseName: "my-db" }, /databaseName must start with a letter/],
    ["a master user starting with a digit", { masterUsername: "1admin" }, /masterUsername must start with a letter/],
    ["zero backup days", { backupRetentionDays: 0 }, /backupRetentionDays must be a whole number from 1 to 35, got 0/],
    ["36 backup days", { backupRetentionDays: 36 }, /backupRetentionDays must be a whole number from 1 to 35, got 36/],
    ["a malformed backup window", { preferredBackupWindow: "3am-4am" }, /preferredBackupWindow must be "hh:mm-hh:mm" in UTC, got "3am-4am"/],
    ["a malformed maintenance window", { preferredMaintenanceWindow: "sunday 04:30" }, /preferredMaintenanceWindow must be "ddd:hh:mm-ddd:hh:mm" in UTC/],
    ["a log retention CloudWatch does not offer", { logRetentionDays: 42 }, /logRetentionDays must be one of CloudWatch's retention periods \(1, 3, .*\), got 42/],
    ["an unknown password source", { passwordSource: "vault" as never }, /passwordSource must be "managed" or "ssm", got "vault"/],
    ["min readers above max readers", { readerAutoscaling: { minReaders: 4, maxReaders: 2, targetCpuPercent: 60 } }, /readerAutoscaling.minReaders \(4\) is greater than readerAutoscaling.maxReaders \(2\)/],
    ["negative min readers", { readerAutoscaling: { minReaders: -1, maxReaders: 2, targetCpuPercent: 60 } }, /readerAutoscaling.minReaders must be a whole number from 0 to 15, got -1/],
    ["16 max readers", { readerAutoscaling: { minReaders: 1, maxReaders: 16, targetCpuPercent: 60 } }, /readerAutoscaling.maxReaders must be a whole number from 1 to 15, got 16/],
    ["a CPU target of 100", { readerAutoscaling: { minReaders: 1, maxReaders: 2, targetCpuPercent: 100 } }, /readerAutoscaling.targetCpuPercent must be between 0 and 100 \(exclusive\), got 100/],
    ["a project name starting with a digit", { naming: { project: "1acme", environment: "test" } }, /the cluster identifier must start with a letter, got "1acme-test-db"/],
  ];

  it.each(cases)("refuses %s", (_name, overrides, message) => {
    expect(() => aurora(overrides)).toThrow(message);
    expect(() => aurora(overrides)).toThrow(/^AuroraPostgres: /);
  });

  it("refuses an allowFrom id used twice", () => {
    expect(() =>
      aurora({ allowedSecurityGroups: { web: WEB_SG } }, (db) => db.allowFrom("web", WORKER_SG, "again")),
    ).toThrow(/AuroraPostgres: allowFrom id "web" is already used/);
  });

  it("refuses an allowFrom id that cannot name a construct", () => {
    expect(() => aurora({}, (db) => db.allowFrom("web/app", WEB_SG, "web"))).toThrow(
      /AuroraPostgres: allowFrom id must be letters, digits, - and _, got "web\/app"/,
    );
  });

  it("refuses an allowFrom rule without a source or a description", () => {
    expect(() => aurora({}, (db) => db.allowFrom("web", "", "web"))).toThrow(
      /AuroraPostgres: allowFrom\("web"\) needs a source security group id/,
    );
    expect(() => aurora({}, (db) => db.allowFrom("web", WEB_SG, "  "))).toThrow(
      /AuroraPostgres: allowFrom\("web"\) needs a description/,
    );
  });

  it("refuses an allowFrom description EC2 would reject", () => {
    expect(() => aurora({}, (db) => db.allowFrom("web", WEB_SG, "web's \"tasks\""))).toThrow(
      /AuroraPostgres: allowFrom\("web"\) description may hold at most 255 of/,
    );
    expect(() => aurora({}, (db) => db.allowFrom("web", WEB_SG, "x".repeat(256)))).toThrow(/description may hold at most 255/);
  });
});

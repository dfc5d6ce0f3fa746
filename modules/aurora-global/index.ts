import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster";
import { RdsClusterInstance } from "@cdktf/provider-aws/lib/rds-cluster-instance";
import { RdsClusterParameterGroup } from "@cdktf/provider-aws/lib/rds-cluster-parameter-group";
import { RdsGlobalCluster } from "@cdktf/provider-aws/lib/rds-global-cluster";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import type { TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { AURORA_POSTGRES_PORT, instanceAvailabilityZone, type AuroraPostgres } from "../aurora";
import { IsolatedNetwork } from "../vpc";
import { KEY_USE_ACTIONS, keyAdministrationStatement, partitionOf, policyDocument, regionalServicePrincipal } from "../../src/lib/iam";
import { LOG_RETENTION_DAYS } from "../../src/lib/logs";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";

/** Most reader instances of a secondary cluster (Aurora: 15 replicas per cluster). */
export const MAX_SECONDARY_READERS = 15;

export interface AuroraGlobalDatabaseProps {
  readonly naming: NameContext;
  readonly accountId: string;
  /**
   * The primary cluster, built with `globalDatabasePrimary: true` (so its `global_cluster_identifier`
   * is ignored) and `passwordSource: "ssm"`. Its engine version, parameter group family, instance
   * class, Serverless v2 range and backup retention are reused for the secondary.
   */
  readonly primary: AuroraPostgres;
  /** The primary's region: the secondary must be in another one. */
  readonly primaryRegion: string;
  /** Region of the secondary cluster (the disaster-recovery region). */
  readonly region: string;
  /** Provider of `region` (the stack's `aws.dr` alias). */
  readonly provider: TerraformProvider;
  /** IPv4 CIDR of the secondary's isolated VPC, /16 to /24. */
  readonly cidr: string;
  /** Zones of the secondary's subnets in `region` (2 to 4), names or zone IDs. */
  readonly availabilityZones: readonly string[];
  /** Reader instances of the secondary cluster; 0 is headless (storage only, no compute). @default 0 */
  readonly readers?: number;
  /** Deletion protection on the global cluster and the secondary cluster. @default true */
  readonly deletionProtection?: boolean;
  /** Retention of the secondary's PostgreSQL log group and its VPC's flow logs, in days (a CloudWatch value). @default 365 */
  readonly logRetentionDays?: number;
}

function fail(message: string): never {
  throw new Error(`AuroraGlobalDatabase: ${message}`);
}

/**
 * An Aurora global database made from an existing primary cluster: the `aws_rds_global_cluster`
 * is created from the primary with `source_db_cluster_identifier` (the primary is not replaced; it
 * ignores the `global_cluster_identifier` RDS then reports), and a secondary `aws_rds_cluster` in the
 * second region joins it through `global_cluster_identifier`. The secondary, through `provider`:
 * in an {@link IsolatedNetwork} (isolated subnets, DB subnet group, flow logs), its own security
 * group with no rules, storage encrypted with a KMS key of its region, a parameter group of the
 * primary's family with TLS required, IAM authentication, PostgreSQL logs exported to a log group
 * with retention, no master user or password (a secondary gets them from the primary), and 0
 * (headless) to 15 reader instances with Performance Insights. Deletion protection on the global and the secondary cluster.
 */
export class AuroraGlobalDatabase extends Construct {
  readonly globalCluster: RdsGlobalCluster;
  /** The global cluster identifier (`<project>-<env>-db-global`). */
  readonly globalClusterIdentifier: string;
  readonly network: IsolatedNetwork;
  readonly kmsKey: KmsKey;
  readonly securityGroup: SecurityGroup;
  readonly parameterGroup: RdsClusterParameterGroup;
  readonly logGroup: CloudwatchLogGroup;
  readonly secondary: RdsCluster;
  /** The secondary cluster identifier (a reference to its `id`): the `DBClusterIdentifier` of its metrics. */
  readonly secondaryClusterIdentifier: string;
  readonly secondaryClusterArn: string;
  readonly readers: RdsClusterInstance[];

  constructor(scope: Construct, id: string, props: AuroraGlobalDatabaseProps) {
    super(scope, id);
    const { naming, primary, provider, region } = props;
    const readers = props.readers ?? 0;
    const logRetentionDays = props.logRetentionDays ?? 365;
    const deletionProtection = props.deletionProtection ?? true;
    if (region === props.primaryRegion) fail(`region is the primary's own (${region}); the secondary cluster goes to another region`);
    if (!Number.isInteger(readers) || readers < 0 || readers > MAX_SECONDARY_READERS) {
      fail(`readers must be a whole number from 0 to ${MAX_SECONDARY_READERS}, got ${readers}`);
    }
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
      fail(`logRetentionDays must be one of CloudWatch's retention periods (${LOG_RETENTION_DAYS.join(", ")}), got ${logRetentionDays}`);
    }
    if (primary.passwordParameterName === undefined) {
      fail('the primary must use passwordSource "ssm": RDS-managed master passwords are not supported in a global database');
    }
    const dbName = (component: string) => physicalName(naming, component, { maxLength: NAME_LIMITS.dbIdentifier });
    const on = { provider };
    const partition = partitionOf(region);

    // The global cluster, from the existing primary: no engine, version or database name of its own
    // (they come from the source cluster; `engine` conflicts with source_db_cluster_identifier), and
    // force_destroy so a destroy removes the members first.
    this.globalClusterIdentifier = dbName("db-global");
    this.globalCluster = new RdsGlobalCluster(this, "global-cluster", {
      globalClusterIdentifier: this.globalClusterIdentifier,
      sourceDbClusterIdentifier: primary.clusterArn,
      forceDestroy: true,
      deletionProtection,
      // The provider cannot read source_db_cluster_identifier back (no API returns it), and after a
      // switchover or failover the source is no longer the writer: never plan a change for it.
      lifecycle: { ignoreChanges: ["source_db_cluster_identifier"] },
    });

    this.network = new IsolatedNetwork(this, "network", {
      naming,
      accountId: props.accountId,
      region,
      provider,
      cidr: props.cidr,
      availabilityZones: props.availabilityZones,
      namePrefix: "dr",
      flowLogRetentionDays: logRetentionDays,
    });

    // A cross-region secondary needs a key of its own region (a KMS key never leaves its region).
    const keyName = physicalName(naming, "db-dr");
    this.kmsKey = new KmsKey(this, "key", {
      ...on,
      description: `Encrypts the storage of Aurora secondary cluster ${dbName("db-dr")} in ${region}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument([
        keyAdministrationStatement(partition, props.accountId),
        {
          Sid: "AllowUseThroughRds",
          Effect: "Allow",
          Principal: { AWS: `arn:${partition}:iam::${props.accountId}:root` },
          Action: [...KEY_USE_ACTIONS, "kms:CreateGrant", "kms:ListGrants", "kms:DescribeKey"],
          Resource: "*",
          Condition: { StringEquals: { "kms:CallerAccount": props.accountId, "kms:ViaService": regionalServicePrincipal("rds", region) } },
        },
      ]),
    });
    new KmsAlias(this, "key-alias", { ...on, name: `alias/${keyName}`, targetKeyId: this.kmsKey.keyId });

    const secondaryIdentifier = dbName("db-dr");
    const securityGroupName = physicalName(naming, "db-dr", { maxLength: NAME_LIMITS.securityGroup });
    this.securityGroup = new SecurityGroup(this, "security-group", {
      ...on,
      name: securityGroupName,
      description: `Aurora secondary ${secondaryIdentifier}: no ingress until a workspace in ${region} is admitted`,
      vpcId: this.network.vpcId,
      tags: { Name: securityGroupName },
    });

    const family = primary.parameterGroupFamily;
    this.parameterGroup = new RdsClusterParameterGroup(this, "parameter-group", {
      ...on,
      name: dbName(`db-dr-${family}`),
      family,
      description: `Cluster parameters of ${secondaryIdentifier}: TLS required`,
      parameter: [{ name: "rds.force_ssl", value: "1", applyMethod: "immediate" }],
      lifecycle: { createBeforeDestroy: true },
    });

    this.logGroup = new CloudwatchLogGroup(this, "log-group", {
      ...on,
      name: `/aws/rds/cluster/${secondaryIdentifier}/postgresql`,
      retentionInDays: logRetentionDays,
    });

    const serverless = primary.serverless;
    this.secondary = new RdsCluster(this, "secondary", {
      ...on,
      clusterIdentifier: secondaryIdentifier,
      globalClusterIdentifier: this.globalCluster.id,
      engine: "aurora-postgresql",
      engineMode: "provisioned",
      // The version the global cluster runs now (the primary's, after any automatic minor upgrade):
      // a secondary must join on the primary's version.
      engineVersion: this.globalCluster.engineVersionActual,
      // No database_name, master_username or master_password: a secondary gets them from the primary.
      port: AURORA_POSTGRES_PORT,
      dbSubnetGroupName: this.network.dbSubnetGroupName,
      vpcSecurityGroupIds: [this.securityGroup.id],
      dbClusterParameterGroupName: this.parameterGroup.name,
      storageEncrypted: true,
      kmsKeyId: this.kmsKey.arn,
      iamDatabaseAuthenticationEnabled: true,
      enabledCloudwatchLogsExports: ["postgresql"],
      copyTagsToSnapshot: true,
      backupRetentionPeriod: primary.backupRetentionDays,
      deletionProtection,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: `${secondaryIdentifier}-final`,
      serverlessv2ScalingConfiguration: serverless ? { minCapacity: serverless.minCapacity, maxCapacity: serverless.maxCapacity } : undefined,
      // Joining needs an available primary (instances included), as in the provider's example.
      dependsOn: [this.logGroup, primary.cluster, ...primary.instances],
      // Upgrades go through the global cluster, which moves every member (provider docs, "Upgrading
      // Engine Versions"); RDS reports a replication source for a member, which is not configured here.
      lifecycle: { ignoreChanges: ["engine_version", "replication_source_identifier"] },
    });
    this.secondaryClusterIdentifier = this.secondary.id;
    this.secondaryClusterArn = this.secondary.arn;

    this.readers = Array.from({ length: readers }, (_, i) => {
      return new RdsClusterInstance(this, `reader-${i + 1}`, {
        ...on,
        identifier: dbName(`db-dr-${i + 1}`),
        clusterIdentifier: this.secondary.id,
        instanceClass: primary.instanceClass,
        engine: this.secondary.engine,
        availabilityZone: instanceAvailabilityZone(this.network.subnetAvailabilityZones, i),
        dbSubnetGroupName: this.network.dbSubnetGroupName,
        promotionTier: Math.min(i, 15),
        publiclyAccessible: false,
        autoMinorVersionUpgrade: true,
        // The free 7-day retention, encrypted with the secondary's key, as on the primary's instances.
        performanceInsightsEnabled: true,
        performanceInsightsRetentionPeriod: 7,
        performanceInsightsKmsKeyId: this.kmsKey.arn,
      });
    });
  }
}

import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster";
import { RdsClusterInstance } from "@cdktf/provider-aws/lib/rds-cluster-instance";
import { RdsClusterParameterGroup } from "@cdktf/provider-aws/lib/rds-cluster-parameter-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Password } from "@cdktf/provider-random/lib/password";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { TerraformProvider, TerraformStack } from "cdktf";
import { Construct } from "constructs";
import type { ContainerSecret, SecretReadGrants } from "../ecs-task";
import { LOG_RETENTION_DAYS } from "../../src/lib/logs";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";

/** The port every Aurora PostgreSQL cluster of the platform listens on. */
export const AURORA_POSTGRES_PORT = 5432;

/** The pinned default engine version (an Aurora PostgreSQL 16 minor release). */
export const DEFAULT_AURORA_POSTGRES_VERSION = "16.6";

/** The instance class that makes an instance Aurora Serverless v2. */
export const SERVERLESS_INSTANCE_CLASS = "db.serverless";

/**
 * Characters `random_password` may use besides letters and digits: every printable symbol RDS
 * accepts in a master password (RDS forbids `/`, `@`, `"` and space; `'`, `\`, backquote, `;`, `|`,
 * `^`, `~` and `,` are left out too so the value survives shells, URLs and connection strings).
 */
export const RDS_PASSWORD_SPECIALS = "!#$%&*()-_=+[]{}<>:?";

/** Aurora Serverless v2 capacity range of the cluster, in ACUs (steps of 0.5). */
export interface AuroraServerlessScaling {
  /** Lowest capacity; 0 lets the cluster auto-pause (needs a recent minor version). */
  readonly minCapacity: number;
  /** Highest capacity, 1 to 256. */
  readonly maxCapacity: number;
}

/** Application Auto Scaling of Aurora replicas on the readers' average CPU. */
export interface AuroraReaderAutoscaling {
  /** Fewest Aurora replicas (0 to 15); the readers Terraform creates count toward it. */
  readonly minReaders: number;
  /** Most Aurora replicas (1 to 15). */
  readonly maxReaders: number;
  /** Average reader CPU utilisation (percent) the policy keeps the cluster at. */
  readonly targetCpuPercent: number;
}

/**
 * Where the master password lives. `managed`: RDS generates it and keeps it in Secrets Manager
 * (rotated by RDS, never in Terraform state). `ssm`: Terraform generates it with `random_password`
 * and stores it as a SecureString parameter (it is then also in Terraform state).
 */
export type AuroraPasswordSource = "managed" | "ssm";


export interface AuroraPostgresProps {
  readonly naming: NameContext;
  /** VPC the cluster's security group belongs to. */
  readonly vpcId: string;
  /** DB subnet group over the isolated database subnets (`Network.databaseSubnetGroupName`). */
  readonly dbSubnetGroupName: string;
  /**
   * Zones the instances are spread over, round-robin: instance `i` (0 is the writer) goes to zone
   * `i % n`, so the writer and the first reader are in different zones. Zone names, or references
   * that resolve to them at apply time (`Network.databaseSubnetAvailabilityZones`, which works when
   * the zones are configured by ID).
   */
  readonly availabilityZones: readonly string[];
  /**
   * Aurora PostgreSQL engine version, `major.minor`: the version a new cluster is created with. The
   * cluster parameter group family is derived from its major version (`aurora-postgresql<major>`).
   * Automatic minor upgrades stay on, so the running cluster moves past this version; Terraform
   * ignores that difference (see {@link applyEngineVersion}), and this value is then the oldest
   * version the cluster can be running.
   * @default "16.6"
   */
  readonly engineVersion?: string;
  /**
   * Make Terraform move the running cluster to `engineVersion`, applied immediately: a deliberate
   * upgrade (a minor one, or a major one with `allowMajorVersionUpgrade`). Off, the cluster's
   * `engine_version` is in `lifecycle.ignore_changes`, so an automatic minor upgrade never makes a
   * plan try to go back (RDS refuses downgrades). Turn it off again once the upgrade is applied.
   * @default false
   */
  readonly applyEngineVersion?: boolean;
  /**
   * Allow `applyEngineVersion` to move the cluster to a new major version.
   * @default false
   */
  readonly allowMajorVersionUpgrade?: boolean;
  /** Name of the database created with the cluster. @default "app" */
  readonly databaseName?: string;
  /** Master user name. @default "app_admin" */
  readonly masterUsername?: string;
  /** Number of instances: one writer plus `instanceCount - 1` readers (1 to 16). @default 2 */
  readonly instanceCount?: number;
  /** Instance class of every instance; `db.serverless` is Aurora Serverless v2. @default "db.serverless" */
  readonly instanceClass?: string;
  /**
   * Serverless v2 capacity range; only valid when `instanceClass` is `db.serverless`.
   * @default { minCapacity: 0.5, maxCapacity: 4 }
   */
  readonly serverless?: AuroraServerlessScaling;
  /** Days automated backups are kept (1 to 35). @default 14 */
  readonly backupRetentionDays?: number;
  /** Daily UTC backup window, `hh:mm-hh:mm`. @default "03:00-04:00" */
  readonly preferredBackupWindow?: string;
  /** Weekly UTC maintenance window, `ddd:hh:mm-ddd:hh:mm`. @default "sun:04:30-sun:05:30" */
  readonly preferredMaintenanceWindow?: string;
  /** Refuse to delete the cluster while this is on. @default true */
  readonly deletionProtection?: boolean;
  /**
   * Delete the cluster without a final snapshot. When false the final snapshot is named
   * `<cluster identifier>-final`.
   * @default false
   */
  readonly skipFinalSnapshot?: boolean;
  /** Performance Insights on every instance, with the free 7-day retention. @default true */
  readonly performanceInsights?: boolean;
  /** Retention of the `/aws/rds/cluster/<id>/postgresql` log group, in days (a CloudWatch value). @default 365 */
  readonly logRetentionDays?: number;
  /**
   * Customer-managed KMS key for storage, the master secret or parameter, and Performance Insights.
   * Storage is always encrypted.
   * @default the AWS-managed keys (`aws/rds`, `aws/secretsmanager`, `aws/ssm`)
   */
  readonly kmsKeyArn?: string;
  /** Where the master password is kept, see {@link AuroraPasswordSource}. @default "managed" */
  readonly passwordSource?: AuroraPasswordSource;
  /**
   * Turn on the cluster's HTTP endpoint: the RDS Data API (Aurora PostgreSQL 13.11, 14.8, 15.3,
   * 16.1, 17.4 or a later minor of the major, Serverless v2 or provisioned).
   * @default false
   */
  readonly enableHttpEndpoint?: boolean;
  /** Scale Aurora replicas on reader CPU with Application Auto Scaling. @default off */
  readonly readerAutoscaling?: AuroraReaderAutoscaling;
  /**
   * Security groups allowed to connect on 5432, by a short id (each becomes an {@link AuroraPostgres.allowFrom} rule).
   * @default {} (no ingress)
   */
  readonly allowedSecurityGroups?: Readonly<Record<string, string>>;
  /**
   * The cluster becomes the primary of an Aurora global database (modules/aurora-global creates the
   * global cluster from it with `source_db_cluster_identifier`). RDS then reports the global
   * cluster's id in `global_cluster_identifier`, which this cluster does not configure (that would
   * be a cycle), so it is added to `lifecycle.ignore_changes` (the pattern of the AWS provider's
   * aws_rds_global_cluster docs, "New Global Cluster From Existing DB Cluster"). Needs
   * `passwordSource: "ssm"`: RDS-managed master passwords are not supported in a global database.
   * @default false
   */
  readonly globalDatabasePrimary?: boolean;
}

const DEFAULT_SERVERLESS: AuroraServerlessScaling = { minCapacity: 0.5, maxCapacity: 4 };
const MAX_INSTANCES = 16;
const MAX_REPLICAS = 15;
const BACKUP_WINDOW = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/;
const MAINTENANCE_WINDOW = /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/;
/** Characters EC2 accepts in a security group rule description. */
const RULE_DESCRIPTION = /^[A-Za-z0-9. _\-:/()#,@[\]+=&;{}!$*]*$/;
const POSTGRES_IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

function fail(message: string): never {
  throw new Error(`AuroraPostgres: ${message}`);
}

function isInteger(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/** The parameter group family of an Aurora PostgreSQL version: `16.6` -> `aurora-postgresql16`. */
export function auroraPostgresFamily(engineVersion: string): string {
  const match = /^(\d+)\.\d+$/.exec(engineVersion);
  if (!match) {
    fail(`engineVersion must be "major.minor" (for example "16.6"), got "${engineVersion}"`);
  }
  return `aurora-postgresql${match[1]}`;
}

/** The zone of instance `index` (0 is the writer): round-robin over the zones. */
export function instanceAvailabilityZone(availabilityZones: readonly string[], index: number): string {
  return availabilityZones[index % availabilityZones.length];
}

function validateServerless(scaling: AuroraServerlessScaling): void {
  const { minCapacity, maxCapacity } = scaling;
  if (typeof minCapacity !== "number" || typeof maxCapacity !== "number" || !Number.isFinite(minCapacity) || !Number.isFinite(maxCapacity)) {
    fail("serverless.minCapacity and serverless.maxCapacity are required numbers when instanceClass is db.serverless");
  }
  for (const [field, value] of [["minCapacity", minCapacity], ["maxCapacity", maxCapacity]] as const) {
    if (value < 0 || value > 256 || !Number.isInteger(value * 2)) {
      fail(`serverless.${field} must be 0 to 256 ACUs in steps of 0.5, got ${value}`);
    }
  }
  if (minCapacity > maxCapacity) {
    fail(`serverless.minCapacity (${minCapacity}) is greater than serverless.maxCapacity (${maxCapacity})`);
  }
  if (maxCapacity < 1) {
    fail(`serverless.maxCapacity must be at least 1 ACU, got ${maxCapacity}`);
  }
}

function validateReaderAutoscaling(scaling: AuroraReaderAutoscaling): void {
  const { minReaders, maxReaders, targetCpuPercent } = scaling;
  if (!isInteger(minReaders, 0, MAX_REPLICAS)) {
    fail(`readerAutoscaling.minReaders must be a whole number from 0 to ${MAX_REPLICAS}, got ${minReaders}`);
  }
  if (!isInteger(maxReaders, 1, MAX_REPLICAS)) {
    fail(`readerAutoscaling.maxReaders must be a whole number from 1 to ${MAX_REPLICAS}, got ${maxReaders}`);
  }
  if (minReaders > maxReaders) {
    fail(`readerAutoscaling.minReaders (${minReaders}) is greater than readerAutoscaling.maxReaders (${maxReaders})`);
  }
  if (!(targetCpuPercent > 0 && targetCpuPercent < 100)) {
    fail(`readerAutoscaling.targetCpuPercent must be between 0 and 100 (exclusive), got ${targetCpuPercent}`);
  }
}

/**
 * An Aurora PostgreSQL cluster in the isolated database subnets: encrypted storage, IAM database
 * authentication, TLS enforced by a cluster parameter group (`rds.force_ssl = 1`), PostgreSQL logs
 * exported to a log group with retention, backups, deletion protection and a final snapshot, and
 * Performance Insights. Instances are spread over the zones (writer first). The cluster has its own
 * security group with no rules: callers open 5432 to other security groups with {@link allowFrom}.
 * The master password is managed by RDS in Secrets Manager, or generated and kept in SSM.
 */
export class AuroraPostgres extends Construct {
  readonly cluster: RdsCluster;
  readonly instances: RdsClusterInstance[];
  readonly securityGroup: SecurityGroup;
  readonly parameterGroup: RdsClusterParameterGroup;
  readonly logGroup: CloudwatchLogGroup;
  /** The cluster identifier (a reference to the cluster's `id`). */
  readonly clusterIdentifier: string;
  readonly clusterArn: string;
  /** Writer (cluster) endpoint host name. */
  readonly writerEndpoint: string;
  /** Load-balanced reader endpoint host name. */
  readonly readerEndpoint: string;
  readonly port: number;
  readonly databaseName: string;
  readonly masterUsername: string;
  readonly securityGroupId: string;
  readonly logGroupName: string;
  /** Secrets Manager secret holding `username` and `password` (`managed` only). */
  readonly secretArn?: string;
  /** SecureString parameter holding the master password (`ssm` only). */
  readonly passwordParameterName?: string;
  readonly passwordParameterArn?: string;
  /** ECS task-definition `secrets` entries for the credentials. */
  readonly containerSecrets: ContainerSecret[];
  /** ECS task-definition `environment` entries: DB_HOST, DB_READER_HOST, DB_PORT, DB_NAME (and DB_USERNAME with `ssm`). */
  readonly containerEnvironment: Readonly<Record<string, string>>;
  /** The ARNs an ECS execution role must read to inject {@link containerSecrets}. */
  /** Exactly what an ECS execution role must read to inject {@link containerSecrets}. */
  readonly credentialReadGrants: SecretReadGrants;
  readonly autoscalingTarget?: AppautoscalingTarget;
  readonly autoscalingPolicy?: AppautoscalingPolicy;
  /** The configured engine version (`major.minor`), the version a new cluster is created with. */
  readonly engineVersion: string;
  /** The cluster parameter group family (`aurora-postgresql<major>`). */
  readonly parameterGroupFamily: string;
  /** Instance class of every instance. */
  readonly instanceClass: string;
  /** Serverless v2 capacity range (`db.serverless` only). */
  readonly serverless?: AuroraServerlessScaling;
  /** Days automated backups are kept. */
  readonly backupRetentionDays: number;

  constructor(scope: Construct, id: string, props: AuroraPostgresProps) {
    super(scope, id);
    const { naming, availabilityZones: azs } = props;
    const engineVersion = props.engineVersion ?? DEFAULT_AURORA_POSTGRES_VERSION;
    const family = auroraPostgresFamily(engineVersion);
    const databaseName = props.databaseName ?? "app";
    const masterUsername = props.masterUsername ?? "app_admin";
    const instanceCount = props.instanceCount ?? 2;
    const instanceClass = props.instanceClass ?? SERVERLESS_INSTANCE_CLASS;
    const isServerless = instanceClass === SERVERLESS_INSTANCE_CLASS;
    const backupRetentionDays = props.backupRetentionDays ?? 14;
    const preferredBackupWindow = props.preferredBackupWindow ?? "03:00-04:00";
    const preferredMaintenanceWindow = props.preferredMaintenanceWindow ?? "sun:04:30-sun:05:30";
    const logRetentionDays = props.logRetentionDays ?? 365;
    const passwordSource = props.passwordSource ?? "managed";
    const performanceInsights = props.performanceInsights ?? true;
    const skipFinalSnapshot = props.skipFinalSnapshot ?? false;

    // Validation: every problem is reported before any resource is created.
    if (!isInteger(instanceCount, 1, MAX_INSTANCES)) {
      fail(`instanceCount must be a whole number from 1 to ${MAX_INSTANCES}, got ${instanceCount}`);
    }
    if (azs.length === 0) {
      fail("availabilityZones needs at least one zone");
    }
    if (new Set(azs).size !== azs.length) {
      fail(`availabilityZones has duplicates: ${azs.join(", ")}`);
    }
    if (instanceCount > 1 && azs.length < 2) {
      fail("availabilityZones needs at least 2 zones when instanceCount > 1, so the writer and a reader are in different zones");
    }
    if (!/^db\.[a-z0-9]+(\.[a-z0-9]+)?$/.test(instanceClass)) {
      fail(`instanceClass must look like "db.r6g.large" or be "db.serverless", got "${instanceClass}"`);
    }
    if (isServerless) {
      validateServerless(props.serverless ?? DEFAULT_SERVERLESS);
    } else if (props.serverless) {
      fail(`serverless scaling applies only to instanceClass db.serverless, not ${instanceClass}`);
    }
    if (!POSTGRES_IDENTIFIER.test(databaseName)) {
      fail(`databaseName must start with a letter and hold only letters, digits and _ (at most 63), got "${databaseName}"`);
    }
    if (!POSTGRES_IDENTIFIER.test(masterUsername)) {
      fail(`masterUsername must start with a letter and hold only letters, digits and _ (at most 63), got "${masterUsername}"`);
    }
    if (!isInteger(backupRetentionDays, 1, 35)) {
      fail(`backupRetentionDays must be a whole number from 1 to 35, got ${backupRetentionDays}`);
    }
    if (!BACKUP_WINDOW.test(preferredBackupWindow)) {
      fail(`preferredBackupWindow must be "hh:mm-hh:mm" in UTC, got "${preferredBackupWindow}"`);
    }
    if (!MAINTENANCE_WINDOW.test(preferredMaintenanceWindow)) {
      fail(`preferredMaintenanceWindow must be "ddd:hh:mm-ddd:hh:mm" in UTC, got "${preferredMaintenanceWindow}"`);
    }
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
      fail(`logRetentionDays must be one of CloudWatch's retention periods (${LOG_RETENTION_DAYS.join(", ")}), got ${logRetentionDays}`);
    }
    if (passwordSource !== "managed" && passwordSource !== "ssm") {
      fail(`passwordSource must be "managed" or "ssm", got "${String(passwordSource)}"`);
    }
    if (props.readerAutoscaling) {
      validateReaderAutoscaling(props.readerAutoscaling);
    }
    const globalDatabasePrimary = props.globalDatabasePrimary ?? false;
    if (globalDatabasePrimary && passwordSource === "managed") {
      fail('globalDatabasePrimary needs passwordSource "ssm": RDS-managed master passwords are not supported in a global database');
    }
    const applyEngineVersion = props.applyEngineVersion ?? false;
    const allowMajorVersionUpgrade = props.allowMajorVersionUpgrade ?? false;
    if (allowMajorVersionUpgrade && !applyEngineVersion) {
      fail("allowMajorVersionUpgrade needs applyEngineVersion: otherwise changes of engineVersion are ignored and no upgrade happens");
    }

    const dbName = (component: string) => physicalName(naming, component, { maxLength: NAME_LIMITS.dbIdentifier });
    const clusterIdentifier = dbName("db");
    if (!/^[a-z]/.test(clusterIdentifier)) {
      fail(`the cluster identifier must start with a letter, got "${clusterIdentifier}" (check naming.project)`);
    }
    this.port = AURORA_POSTGRES_PORT;
    this.engineVersion = engineVersion;
    this.parameterGroupFamily = family;
    this.instanceClass = instanceClass;
    this.backupRetentionDays = backupRetentionDays;
    this.databaseName = databaseName;
    this.masterUsername = masterUsername;

    // Security group with no inline rules and no egress: ingress comes only from allowFrom().
    const securityGroupName = physicalName(naming, "db", { maxLength: NAME_LIMITS.securityGroup });
    this.securityGroup = new SecurityGroup(this, "security-group", {
      name: securityGroupName,
      description: `Aurora PostgreSQL ${clusterIdentifier}: ${AURORA_POSTGRES_PORT} from allowed security groups only`,
      vpcId: props.vpcId,
      tags: { Name: securityGroupName },
    });
    this.securityGroupId = this.securityGroup.id;

    this.parameterGroup = new RdsClusterParameterGroup(this, "parameter-group", {
      name: dbName(`db-${family}`),
      family,
      description: `Cluster parameters of ${clusterIdentifier}: TLS required`,
      parameter: [{ name: "rds.force_ssl", value: "1", applyMethod: "immediate" }],
      // The name carries the family, so a major upgrade creates the new group before the old one goes.
      lifecycle: { createBeforeDestroy: true },
    });

    // Created before the cluster so RDS writes into a group whose retention is managed here.
    this.logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: `/aws/rds/cluster/${clusterIdentifier}/postgresql`,
      retentionInDays: logRetentionDays,
    });
    this.logGroupName = this.logGroup.name;

    let password: Password | undefined;
    if (passwordSource === "ssm") {
      this.ensureRandomProvider();
      password = new Password(this, "master-password", {
        length: 32,
        special: true,
        overrideSpecial: RDS_PASSWORD_SPECIALS,
        minLower: 1,
        minUpper: 1,
        minNumeric: 1,
        minSpecial: 1,
      });
    }

    const serverless = isServerless ? (props.serverless ?? DEFAULT_SERVERLESS) : undefined;
    this.serverless = serverless;
    const ignoreChanges = [...(applyEngineVersion ? [] : ["engine_version"]), ...(globalDatabasePrimary ? ["global_cluster_identifier"] : [])];
    this.cluster = new RdsCluster(this, "cluster", {
      clusterIdentifier,
      engine: "aurora-postgresql",
      engineMode: "provisioned",
      engineVersion,
      allowMajorVersionUpgrade,
      // A deliberate upgrade is applied now, not in the maintenance window: a major upgrade also
      // swaps the parameter group, and the old group can only be deleted once the cluster left it.
      applyImmediately: applyEngineVersion ? true : undefined,
      databaseName,
      masterUsername,
      manageMasterUserPassword: passwordSource === "managed" ? true : undefined,
      masterUserSecretKmsKeyId: passwordSource === "managed" ? props.kmsKeyArn : undefined,
      masterPassword: password?.result,
      port: AURORA_POSTGRES_PORT,
      dbSubnetGroupName: props.dbSubnetGroupName,
      vpcSecurityGroupIds: [this.securityGroup.id],
      dbClusterParameterGroupName: this.parameterGroup.name,
      storageEncrypted: true,
      kmsKeyId: props.kmsKeyArn,
      iamDatabaseAuthenticationEnabled: true,
      enableHttpEndpoint: props.enableHttpEndpoint ? true : undefined,
      enabledCloudwatchLogsExports: ["postgresql"],
      copyTagsToSnapshot: true,
      backupRetentionPeriod: backupRetentionDays,
      preferredBackupWindow,
      preferredMaintenanceWindow,
      deletionProtection: props.deletionProtection ?? true,
      skipFinalSnapshot,
      finalSnapshotIdentifier: skipFinalSnapshot ? undefined : `${clusterIdentifier}-final`,
      serverlessv2ScalingConfiguration: serverless
        ? { minCapacity: serverless.minCapacity, maxCapacity: serverless.maxCapacity }
        : undefined,
      dependsOn: [this.logGroup],
      // Why ignore_changes, checked against aws_rds_cluster in AWS provider 5.100
      // (internal/service/rds/cluster.go, compareActualEngineVersion): on read the provider keeps
      // the configured engine_version only when the running version equals it or extends it after a
      // "." (configured "16", running "16.8"); otherwise it stores the running version, so a pinned
      // "16.6" shows a diff to 16.6 after RDS upgraded the cluster to 16.8, and RDS refuses that
      // downgrade on every apply. A major-only version ("16") hides the diff, but the provider's
      // update sends engine_version with every other ModifyDBCluster whenever it differs from
      // engine_version_actual (its retry of deferred upgrades), so unrelated changes would ask RDS
      // for version "16". With ignore_changes the planned value is the refreshed state, which equals
      // the running version, so no apply asks for a version change unless applyEngineVersion is on.
      lifecycle: ignoreChanges.length > 0 ? { ignoreChanges } : undefined,
    });
    this.clusterIdentifier = this.cluster.id;
    this.clusterArn = this.cluster.arn;
    this.writerEndpoint = this.cluster.endpoint;
    this.readerEndpoint = this.cluster.readerEndpoint;

    // Instance 0 is the writer candidate (promotion tier 0); readers follow round-robin over the zones.
    this.instances = Array.from({ length: instanceCount }, (_, i) => {
      return new RdsClusterInstance(this, `instance-${i + 1}`, {
        identifier: dbName(`db-${i + 1}`),
        clusterIdentifier: this.cluster.id,
        instanceClass,
        engine: this.cluster.engine,
        // No engine_version: "Amazon Aurora: Not applicable. The version number of the database
        // engine to be used by the DB instance is managed by the DB cluster" (CreateDBInstance,
        // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).
        availabilityZone: instanceAvailabilityZone(azs, i),
        dbSubnetGroupName: props.dbSubnetGroupName,
        promotionTier: i === 0 ? 0 : Math.min(i, 15),
        publiclyAccessible: false,
        autoMinorVersionUpgrade: true,
        performanceInsightsEnabled: performanceInsights,
        performanceInsightsRetentionPeriod: performanceInsights ? 7 : undefined,
        performanceInsightsKmsKeyId: performanceInsights ? props.kmsKeyArn : undefined,
      });
    });

    // Credentials and how ECS consumes them.
    const kmsKeyArns = props.kmsKeyArn ? [props.kmsKeyArn] : [];
    const environment: Record<string, string> = {
      DB_HOST: this.writerEndpoint,
      DB_READER_HOST: this.readerEndpoint,
      DB_PORT: String(AURORA_POSTGRES_PORT),
      DB_NAME: databaseName,
    };
    if (passwordSource === "managed") {
      const secretArn = this.cluster.masterUserSecret.get(0).secretArn;
      this.secretArn = secretArn;
      this.containerSecrets = [
        { name: "DB_USERNAME", valueFrom: `${secretArn}:username::` },
        { name: "DB_PASSWORD", valueFrom: `${secretArn}:password::` },
      ];
      this.credentialReadGrants = { secretsManagerArns: [secretArn], ssmParameterArns: [], kmsKeyArns };
    } else {
      const parameter = new SsmParameter(this, "master-password-parameter", {
        name: `/${naming.project}/${naming.environment}/database/master-password`,
        description: `Master password of Aurora cluster ${clusterIdentifier} (user ${masterUsername})`,
        type: "SecureString",
        tier: "Standard",
        value: password!.result,
        keyId: props.kmsKeyArn,
      });
      this.passwordParameterName = parameter.name;
      this.passwordParameterArn = parameter.arn;
      this.containerSecrets = [{ name: "DB_PASSWORD", valueFrom: parameter.arn }];
      environment.DB_USERNAME = masterUsername;
      this.credentialReadGrants = { secretsManagerArns: [], ssmParameterArns: [parameter.arn], kmsKeyArns };
    }
    this.containerEnvironment = environment;

    if (props.readerAutoscaling) {
      const scaling = props.readerAutoscaling;
      this.autoscalingTarget = new AppautoscalingTarget(this, "reader-autoscaling-target", {
        serviceNamespace: "rds",
        scalableDimension: "rds:cluster:ReadReplicaCount",
        resourceId: `cluster:${this.cluster.id}`,
        minCapacity: scaling.minReaders,
        maxCapacity: scaling.maxReaders,
        // Aurora Auto Scaling needs the cluster's instances to be available before it registers.
        dependsOn: this.instances,
      });
      this.autoscalingPolicy = new AppautoscalingPolicy(this, "reader-autoscaling-policy", {
        name: physicalName(naming, "db-reader-cpu"),
        policyType: "TargetTrackingScaling",
        serviceNamespace: this.autoscalingTarget.serviceNamespace,
        scalableDimension: this.autoscalingTarget.scalableDimension,
        resourceId: this.autoscalingTarget.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          predefinedMetricSpecification: { predefinedMetricType: "RDSReaderAverageCPUUtilization" },
          targetValue: scaling.targetCpuPercent,
          scaleInCooldown: 300,
          scaleOutCooldown: 300,
        },
      });
    }

    for (const [ruleId, sourceSecurityGroupId] of Object.entries(props.allowedSecurityGroups ?? {})) {
      this.allowFrom(ruleId, sourceSecurityGroupId, `PostgreSQL from ${ruleId}`);
    }
  }

  /**
   * Allows TCP 5432 into the cluster from one security group (the only way in: no CIDR ingress).
   * `id` must be unique per cluster; it names the rule's construct.
   */
  allowFrom(id: string, sourceSecurityGroupId: string, description: string): VpcSecurityGroupIngressRule {
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(id)) {
      fail(`allowFrom id must be letters, digits, - and _, got "${id}"`);
    }
    if (this.node.tryFindChild(`ingress-${id}`)) {
      fail(`allowFrom id "${id}" is already used`);
    }
    if (!sourceSecurityGroupId) {
      fail(`allowFrom("${id}") needs a source security group id`);
    }
    if (!description || description.trim() === "") {
      fail(`allowFrom("${id}") needs a description`);
    }
    if (description.length > 255 || !RULE_DESCRIPTION.test(description)) {
      fail(`allowFrom("${id}") description may hold at most 255 of a-z A-Z 0-9 space . _ - : / ( ) # , @ [ ] + = & ; { } ! $ *`);
    }
    return new VpcSecurityGroupIngressRule(this, `ingress-${id}`, {
      securityGroupId: this.securityGroup.id,
      referencedSecurityGroupId: sourceSecurityGroupId,
      ipProtocol: "tcp",
      fromPort: AURORA_POSTGRES_PORT,
      toPort: AURORA_POSTGRES_PORT,
      description,
    });
  }

  /** Adds the random provider to the stack unless the stack already has one. */
  private ensureRandomProvider(): void {
    const stack = TerraformStack.of(this);
    const present = stack.node.children.some(
      (child) =>
        child instanceof RandomProvider ||
        (child instanceof TerraformProvider && child.terraformResourceType === RandomProvider.tfResourceType),
    );
    if (!present) {
      new RandomProvider(stack, "random");
    }
  }
}

import { AuroraPostgres } from "../../modules/aurora";
import type { TaskSecurityGroup } from "../../modules/ecs-task";
import { RotationRedeploy, type RedeployedService } from "../../modules/rotation-redeploy";
import type { EnvironmentConfig } from "../config/schema";
import type { TierContext } from "./context";
import type { NetworkTier } from "./network";

/** The config slices the database tier reads, and the tiers it builds on. */
export interface DatabaseTierProps {
  /** `database`: engine, size, protection and credentials of the Aurora cluster. */
  readonly database: EnvironmentConfig["database"];
  /** The VPC, its isolated database subnet group, and the zones of those subnets (instances are spread over them in order). */
  readonly network: NetworkTier;
  /**
   * The cluster is the primary of an Aurora global database (`disasterRecovery.mode` is
   * `global-database`; the recovery tier creates the global cluster from it).
   * @default false
   */
  readonly globalDatabasePrimary?: boolean;
  /** The data API reaches the cluster through the RDS Data API: its HTTP endpoint is turned on. @default false */
  readonly dataApi?: boolean;
}

const OWNER = "DatabaseTier";

/**
 * Database: the Aurora PostgreSQL cluster (modules/aurora) in the isolated subnets, reachable only
 * from security groups admitted with {@link DatabaseTier.connect} (task groups) or
 * {@link DatabaseTier.admit}. With RDS-managed credentials (rotated every 7 days), the services
 * registered with {@link DatabaseTier.redeployOnRotation} are redeployed after each rotation
 * (modules/rotation-redeploy). Registers the cluster with the monitoring. Outputs: `database_writer_endpoint`, `database_reader_endpoint`, `database_port`,
 * `database_name`, `database_security_group_id`, `database_credentials`.
 */
export class DatabaseTier {
  readonly database: AuroraPostgres;
  /** The redeploy on credential rotation, once a service is registered (managed credentials only). */
  rotationRedeploy?: RotationRedeploy;
  private readonly ctx: TierContext;

  constructor(ctx: TierContext, props: DatabaseTierProps) {
    this.ctx = ctx;
    const db = props.database;
    const { network } = props.network;
    const serverless = db.instanceClass === "db.serverless";
    this.database = new AuroraPostgres(ctx.scope, "database", {
      naming: ctx.naming,
      vpcId: network.vpcId,
      dbSubnetGroupName: network.databaseSubnetGroupName,
      // References to the subnets' zones: they resolve at apply time when zones are given by ID.
      availabilityZones: network.databaseSubnetAvailabilityZones,
      engineVersion: db.engineVersion,
      applyEngineVersion: db.engineUpgrade !== "none",
      allowMajorVersionUpgrade: db.engineUpgrade === "major",
      databaseName: db.databaseName,
      masterUsername: db.masterUsername,
      instanceCount: db.instanceCount,
      instanceClass: db.instanceClass,
      // Capacity units apply to Serverless v2 only; a provisioned class has a fixed size.
      serverless: serverless ? { minCapacity: db.minCapacity, maxCapacity: db.maxCapacity } : undefined,
      backupRetentionDays: db.backupRetentionDays,
      deletionProtection: db.deletionProtection,
      skipFinalSnapshot: db.skipFinalSnapshot,
      performanceInsights: db.performanceInsights,
      logRetentionDays: ctx.logRetentionDays,
      passwordSource: db.passwordSource,
      readerAutoscaling: db.readerAutoscaling,
      globalDatabasePrimary: props.globalDatabasePrimary,
      enableHttpEndpoint: props.dataApi,
    });
    const cluster = this.database;
    ctx.monitoring.setDatabase(OWNER, {
      clusterIdentifier: cluster.clusterIdentifier,
      serverless,
      hasReaders: db.instanceCount > 1,
    });

    ctx.output(OWNER, "database_writer_endpoint", cluster.writerEndpoint, "Aurora writer endpoint");
    ctx.output(OWNER, "database_reader_endpoint", cluster.readerEndpoint, "Aurora reader endpoint");
    ctx.output(OWNER, "database_port", cluster.port, "PostgreSQL port");
    ctx.output(OWNER, "database_name", cluster.databaseName, "Database name");
    ctx.output(OWNER, "database_security_group_id", cluster.securityGroupId, "Security group of the database");
    ctx.output(
      OWNER,
      "database_credentials",
      cluster.secretArn ?? cluster.passwordParameterName,
      "Secrets Manager ARN (managed) or SSM parameter name (ssm) of the master credentials",
    );
  }

  /**
   * Lets a group of tasks reach PostgreSQL: database ingress from it and its egress to the database.
   * `id` names the client in rule ids and descriptions (`web`, `worker-default`, `task-report`).
   */
  connect(id: string, tasks: TaskSecurityGroup): void {
    this.admit(id, tasks.securityGroupId, `PostgreSQL from ${id} tasks`);
    tasks.allowEgressTo("database", this.database.securityGroupId, this.database.port, "PostgreSQL to the database");
  }

  /**
   * Redeploys `service` (whose tasks get the credentials as ECS secrets at start) after each rotation
   * of the RDS-managed secret, so it never keeps a stale password. With `passwordSource: "ssm"`
   * nothing rotates the password and nothing is created.
   */
  redeployOnRotation(service: RedeployedService): void {
    const secretArn = this.database.secretArn;
    if (secretArn === undefined) return;
    if (!this.rotationRedeploy) {
      const { ctx } = this;
      this.rotationRedeploy = new RotationRedeploy(ctx.scope, "database-rotation-redeploy", {
        naming: ctx.naming,
        region: ctx.region,
        accountId: ctx.accountId,
        secretArn,
        logRetentionDays: ctx.logRetentionDays,
      });
      ctx.monitoring.addStateMachine(OWNER, {
        name: "rotation-redeploy",
        stateMachineArn: this.rotationRedeploy.stateMachineArn,
        ruleName: this.rotationRedeploy.rule.name,
      });
      ctx.output(OWNER, "rotation_redeploy_state_machine", this.rotationRedeploy.stateMachineArn, "State machine that redeploys the services after the database credentials rotate");
    }
    this.rotationRedeploy.addService(service);
  }

  /** Admits a security group that manages its own egress (the pipeline's Spark jobs) on the PostgreSQL port. */
  admit(id: string, securityGroupId: string, description: string): void {
    this.database.allowFrom(id, securityGroupId, description);
  }
}

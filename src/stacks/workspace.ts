import { TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../config/schema";
import { useRemoteState } from "../lib/backend";
import { platformProvider } from "../lib/provider";
import { AccessTier } from "../tiers/access";
import { ComputeTier } from "../tiers/compute";
import { tierContext } from "../tiers/context";
import { DatabaseTier } from "../tiers/database";
import { EdgeTier } from "../tiers/edge";
import { FrontendTier } from "../tiers/frontend";
import { NetworkTier } from "../tiers/network";
import { OperationsTier } from "../tiers/operations";
import { PipelineTier } from "../tiers/pipeline";
import { RecoveryTier } from "../tiers/recovery";
import { SchedulesTier } from "../tiers/schedules";
import { ServicesTier } from "../tiers/services";
import { WorkersTier } from "../tiers/workers";

/**
 * One workspace (environment): the provider and remote state, then the platform's tiers in
 * dependency order, each reading its slice of the validated config (see `src/tiers/`). The
 * operations tier comes last: it builds the alarms and dashboard from what the others registered.
 */
export class WorkspaceStack extends TerraformStack {
  readonly config: EnvironmentConfig;
  readonly network: NetworkTier;
  readonly database: DatabaseTier;
  readonly compute: ComputeTier;
  readonly edge: EdgeTier;
  readonly services: ServicesTier;
  /** None unless `frontend.enabled`. */
  readonly frontend?: FrontendTier;
  readonly workers: WorkersTier;
  readonly schedules: SchedulesTier;
  /** None when `dataPipeline` is absent or not enabled. */
  readonly pipeline?: PipelineTier;
  readonly operations: OperationsTier;
  /** None unless `access.enabled`. */
  readonly access?: AccessTier;
  /** None unless `disasterRecovery` is set. */
  readonly recovery?: RecoveryTier;

  constructor(scope: Construct, config: EnvironmentConfig) {
    super(scope, config.name);
    this.config = config;
    const providerProps = { project: config.project, environment: config.name, region: config.region, accountId: config.accountId, tags: config.tags };
    platformProvider(this, providerProps);
    useRemoteState(this, config);
    const ctx = tierContext(this, config);
    const { availabilityZones } = config;

    const network = (this.network = new NetworkTier(ctx, { availabilityZones, network: config.network, ecr: config.ecr }));
    const database = (this.database = new DatabaseTier(ctx, {
      database: config.database,
      network,
      globalDatabasePrimary: config.disasterRecovery?.mode === "global-database",
    }));
    const compute = (this.compute = new ComputeTier(ctx, { services: config.services, migrateCommand: config.database.migrateCommand, network, database }));
    const edge = (this.edge = new EdgeTier(ctx, { loadBalancer: config.loadBalancer, domain: config.domain, firewall: config.operations, network, behindCloudFront: config.frontend.enabled }));
    const services = (this.services = new ServicesTier(ctx, { services: config.services, network, database, compute, edge }));
    if (config.frontend.enabled && config.domain) {
      // CloudFront's certificate, web ACL, log delivery and metrics are in us-east-1, whatever the workspace's region.
      const edgeProvider = platformProvider(this, { ...providerProps, region: "us-east-1", alias: "edge" });
      this.frontend = new FrontendTier(ctx, { frontend: config.frontend, domain: config.domain, firewall: config.operations, edgeProvider, edge });
    }
    this.workers = new WorkersTier(ctx, { workers: config.workers, producers: services.producers, network, database, compute });
    this.schedules = new SchedulesTier(ctx, { scheduledTasks: config.scheduledTasks, network, database, compute });
    if (config.dataPipeline?.enabled) {
      this.pipeline = new PipelineTier(ctx, { dataPipeline: config.dataPipeline, availabilityZones, network, database });
    }
    if (config.access.enabled) this.access = new AccessTier(ctx, { access: config.access, network, database, compute });
    const dr = config.disasterRecovery;
    if (dr) {
      const provider = platformProvider(this, { ...providerProps, region: dr.region, alias: "dr" });
      this.recovery = new RecoveryTier(ctx, { disasterRecovery: dr, provider, pipeline: this.pipeline, database });
    }
    this.operations = new OperationsTier(ctx, {
      operations: config.operations,
      database,
      budgets: config.budgets,
      sharesAccountWith: config.sharesAccountWith,
      recovery: this.recovery,
    });
  }
}

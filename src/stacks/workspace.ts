import { TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { EnvironmentConfig } from "../config/schema";
import { useRemoteState } from "../lib/backend";
import { platformProvider } from "../lib/provider";
import { AccessTier } from "../tiers/access";
import { ComputeTier } from "../tiers/compute";
import { tierContext } from "../tiers/context";
import { DataApiTier } from "../tiers/data-api";
import { DatabaseTier } from "../tiers/database";
import { EdgeTier } from "../tiers/edge";
import { EksTier } from "../tiers/eks";
import { ExternalServicesTier } from "../tiers/external-services";
import { FrontendTier } from "../tiers/frontend";
import { NetworkTier } from "../tiers/network";
import { OperationsTier } from "../tiers/operations";
import { PipelineTier } from "../tiers/pipeline";
import { RecoveryTier } from "../tiers/recovery";
import { SchedulesTier } from "../tiers/schedules";
import { ServicesTier } from "../tiers/services";
import { TablesTier } from "../tiers/tables";
import { WorkersTier } from "../tiers/workers";
import { ciApplyRoleArn } from "./bootstrap";

/**
 * One workspace (environment): the provider and remote state, then the platform's tiers in
 * dependency order, each reading its slice of the validated config (see `src/tiers/`). The
 * operations tier comes last: it builds the alarms and dashboard from what the others registered.
 * With `compute: "ecs"` the application runs on ECS (compute, edge, services, workers, schedules);
 * with `compute: "eks"` the EKS tier replaces them, and its `handoff` configures the `<name>-apps` stack.
 */
export class WorkspaceStack extends TerraformStack {
  readonly config: EnvironmentConfig;
  readonly network: NetworkTier;
  readonly database: DatabaseTier;
  /** ECS only (`compute: "ecs"`). */
  readonly compute?: ComputeTier;
  /** ECS only. */
  readonly edge?: EdgeTier;
  readonly tables: TablesTier;
  readonly externalServices: ExternalServicesTier;
  /** None when `dataApi` is absent. */
  readonly dataApi?: DataApiTier;
  /** ECS only. */
  readonly services?: ServicesTier;
  /** ECS only, and none unless `frontend.enabled`. */
  readonly frontend?: FrontendTier;
  /** ECS only (on EKS the queues are in the EKS tier). */
  readonly workers?: WorkersTier;
  /** ECS only. */
  readonly schedules?: SchedulesTier;
  /**
   * EKS only (`compute: "eks"`): the cluster and what runs on it; `eks.handoff` is what the
   * `<name>-apps` stack is built from (`new AppsStack(app, config, workspace.eks.handoff)`).
   */
  readonly eks?: EksTier;
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

    const network = (this.network = new NetworkTier(ctx, { availabilityZones, network: config.network, ecr: config.ecr, compute: config.compute }));
    const database = (this.database = new DatabaseTier(ctx, {
      database: config.database,
      network,
      globalDatabasePrimary: config.disasterRecovery?.mode === "global-database",
      dataApi: config.dataApi?.stores.some((s) => s.kind === "aurora") ?? false,
    }));
    const tables = (this.tables = new TablesTier(ctx, { tables: config.tables }));
    const externalServices = (this.externalServices = new ExternalServicesTier(ctx, { externalServices: config.externalServices }));
    if (config.dataApi) this.dataApi = new DataApiTier(ctx, { dataApi: config.dataApi, database, tables, externalServices });
    if (config.eks) {
      this.eks = new EksTier(ctx, {
        eks: config.eks,
        services: config.services,
        workers: config.workers,
        firewall: config.operations,
        certificateArn: config.loadBalancer.certificateArn,
        ciApplyRoleArn: config.github ? ciApplyRoleArn(config) : undefined,
        network,
        database,
      });
    } else {
      const compute = (this.compute = new ComputeTier(ctx, { services: config.services, migrateCommand: config.database.migrateCommand, network, database }));
      const edge = (this.edge = new EdgeTier(ctx, { loadBalancer: config.loadBalancer, domain: config.domain, firewall: config.operations, network, behindCloudFront: config.frontend.enabled }));
      const services = (this.services = new ServicesTier(ctx, { services: config.services, network, database, compute, edge, tables, externalServices, dataApi: this.dataApi }));
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
    }
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
      tables,
      dataApi: this.dataApi,
    });
  }
}

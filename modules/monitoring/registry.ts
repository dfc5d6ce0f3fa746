import type { Construct } from "constructs";
import { DEFAULT_SCHEDULE_GROUP, PlatformMonitoring, type PlatformMonitoringProps } from "./index";
import type {
  MonitoredBackupVault,
  MonitoredDatabase,
  MonitoredDistribution,
  MonitoredEmrApplication,
  MonitoredFunction,
  MonitoredGlobalDatabase,
  MonitoredHttpApi,
  MonitoredKubernetesCluster,
  MonitoredLoadBalancer,
  MonitoredQueue,
  MonitoredSchedule,
  MonitoredService,
  MonitoredStateMachine,
  MonitoredTable,
  MonitoredTargetGroup,
} from "./types";

/** The props of {@link PlatformMonitoring} that say what to watch; the registry collects these. */
type Watched = "distribution" | "loadBalancer" | "targetGroups" | "services" | "database" | "globalDatabase" | "queues" | "functions" | "schedules" | "emrApplications" | "stateMachines" | "backupVaults" | "tables" | "httpApis" | "clusters";

/** What a registry holds: the watched-resource props of {@link PlatformMonitoring}. */
export type MonitoredResources = Required<Pick<PlatformMonitoringProps, Exclude<Watched, "distribution" | "loadBalancer" | "database" | "globalDatabase">>> &
  Pick<PlatformMonitoringProps, "distribution" | "loadBalancer" | "database" | "globalDatabase">;

/** Everything else {@link PlatformMonitoring} takes: naming, account, alert e-mails, thresholds, windows. */
export type MonitoringSettings = Omit<PlatformMonitoringProps, Watched>;

function fail(message: string): never {
  throw new Error(`MonitoringRegistry: ${message}`);
}

/**
 * What a workspace watches, registered by whoever creates each resource, where it is created, then
 * built once into one {@link PlatformMonitoring} (alerts topic, alarms, dashboard). Entries keep the order they
 * were registered in, which is the dashboard's order. A name registered twice in one kind is refused
 * with both owners named, and nothing may be registered once the monitoring is built.
 *
 * `owner` names who registers (for example `"ServicesTier"`), and is used only in those messages.
 */
export class MonitoringRegistry {
  private loadBalancer?: MonitoredLoadBalancer;
  private database?: MonitoredDatabase;
  private globalDatabase?: MonitoredGlobalDatabase;
  private distribution?: MonitoredDistribution;
  private readonly services: MonitoredService[] = [];
  private readonly targetGroups: MonitoredTargetGroup[] = [];
  private readonly queues: MonitoredQueue[] = [];
  private readonly functions: MonitoredFunction[] = [];
  private readonly schedules: MonitoredSchedule[] = [];
  private readonly emrApplications: MonitoredEmrApplication[] = [];
  private readonly stateMachines: MonitoredStateMachine[] = [];
  private readonly backupVaults: MonitoredBackupVault[] = [];
  private readonly tables: MonitoredTable[] = [];
  private readonly httpApis: MonitoredHttpApi[] = [];
  private readonly clusters: MonitoredKubernetesCluster[] = [];
  /** `<kind> "<name>"` -> owner. */
  private readonly owners = new Map<string, string>();
  private built?: PlatformMonitoring;

  /** The public load balancer and the target group its alarms watch (one per workspace). */
  setLoadBalancer(owner: string, loadBalancer: MonitoredLoadBalancer): void {
    this.claim(owner, "load balancer", "");
    this.loadBalancer = loadBalancer;
  }

  /** Another public service's target group: its 5xx, response-time and unhealthy-host alarms. */
  addTargetGroup(owner: string, targetGroup: MonitoredTargetGroup): void {
    this.claim(owner, "target group", targetGroup.name);
    this.targetGroups.push(targetGroup);
  }

  /** The Aurora cluster (one per workspace). */
  setDatabase(owner: string, database: MonitoredDatabase): void {
    this.claim(owner, "database", "");
    this.database = database;
  }

  /** The secondary cluster of the Aurora global database (one per workspace): replication-lag alarm in its region. */
  setGlobalDatabase(owner: string, globalDatabase: MonitoredGlobalDatabase): void {
    this.claim(owner, "global database", "");
    this.globalDatabase = globalDatabase;
  }

  /** The frontend's CloudFront distribution (one per workspace): 5xx-rate and origin-latency alarms in us-east-1. */
  setDistribution(owner: string, distribution: MonitoredDistribution): void {
    this.claim(owner, "distribution", "");
    this.distribution = distribution;
  }

  /** An ECS service: CPU, memory and running-task alarms. */
  addService(owner: string, service: MonitoredService): void {
    this.claim(owner, "service", service.name);
    this.services.push(service);
  }

  /** A work queue with its dead-letter queue: oldest-message and dead-letter alarms. */
  addQueue(owner: string, queue: MonitoredQueue): void {
    this.claim(owner, "queue", queue.name);
    this.queues.push(queue);
  }

  /** A Lambda function: error and throttle alarms. */
  addFunction(owner: string, fn: MonitoredFunction): void {
    this.claim(owner, "function", fn.name);
    this.functions.push(fn);
  }

  /** An EventBridge Scheduler schedule: its group's target-error and dropped-invocation alarms. */
  addSchedule(owner: string, schedule: MonitoredSchedule): void {
    this.claim(owner, "schedule", `${schedule.scheduleGroup ?? DEFAULT_SCHEDULE_GROUP}/${schedule.name}`);
    this.schedules.push(schedule);
  }

  /** An EMR Serverless application: failed-job alarm. */
  addEmrApplication(owner: string, application: MonitoredEmrApplication): void {
    this.claim(owner, "EMR application", application.name);
    this.emrApplications.push(application);
  }

  /** A state machine an EventBridge rule starts: unsuccessful-execution and not-started alarms. */
  addStateMachine(owner: string, machine: MonitoredStateMachine): void {
    this.claim(owner, "state machine", machine.name);
    this.stateMachines.push(machine);
  }

  /** An AWS Backup vault: failed backup jobs, and failed copy jobs when it copies to another region. */
  addBackupVault(owner: string, vault: MonitoredBackupVault): void {
    this.claim(owner, "backup vault", vault.name);
    this.backupVaults.push(vault);
  }

  /** A DynamoDB table: throttled requests and system errors. */
  addTable(owner: string, table: MonitoredTable): void {
    this.claim(owner, "table", table.name);
    this.tables.push(table);
  }

  /** An API Gateway HTTP API: 5xx responses and p99 latency. */
  addHttpApi(owner: string, api: MonitoredHttpApi): void {
    this.claim(owner, "HTTP API", api.name);
    this.httpApis.push(api);
  }

  /** An EKS cluster: API server error, unschedulable-pod and etcd-size alarms. */
  addCluster(owner: string, cluster: MonitoredKubernetesCluster): void {
    this.claim(owner, "cluster", cluster.name);
    this.clusters.push(cluster);
  }

  /** Everything registered so far, each kind in registration order (copies). */
  registered(): MonitoredResources {
    return {
      distribution: this.distribution,
      loadBalancer: this.loadBalancer,
      services: [...this.services],
      targetGroups: [...this.targetGroups],
      database: this.database,
      globalDatabase: this.globalDatabase,
      queues: [...this.queues],
      functions: [...this.functions],
      schedules: [...this.schedules],
      emrApplications: [...this.emrApplications],
      stateMachines: [...this.stateMachines],
      backupVaults: [...this.backupVaults],
      tables: [...this.tables],
      httpApis: [...this.httpApis],
      clusters: [...this.clusters],
    };
  }

  /** Builds the workspace's monitoring from everything registered; callable once. */
  build(scope: Construct, id: string, settings: MonitoringSettings): PlatformMonitoring {
    if (this.built) fail("the monitoring is already built; build it once, after everything is registered");
    this.built = new PlatformMonitoring(scope, id, { ...settings, ...this.registered() });
    return this.built;
  }

  private claim(owner: string, kind: string, name: string): void {
    const what = name ? `${kind} "${name}"` : `the ${kind}`;
    if (this.built) fail(`${owner} registers ${what} after the monitoring was built; every registration must come before build()`);
    const key = `${kind}:${name}`;
    const earlier = this.owners.get(key);
    if (earlier !== undefined) fail(`${owner} registers ${what}, which ${earlier} already registered`);
    this.owners.set(key, owner);
  }
}

import { FargateCluster } from "../../modules/ecs-alb";
import { EcsEc2Capacity } from "../../modules/ec2-capacity";
import { FargateTask, TaskSecurityGroup, type TaskImageProps } from "../../modules/ecs-task";
import type { EnvironmentConfig } from "../config/schema";
import type { TierContext } from "./context";
import type { DatabaseTier } from "./database";
import type { NetworkTier } from "./network";

/** The config slices the compute tier reads, and the tiers it builds on. */
export interface ComputeTierProps {
  /**
   * `services`: the first one's `repository` and `environment` are the application image and
   * settings of the workers, scheduled tasks and the migrate task, and its Fargate `capacity` is
   * the cluster's default strategy; a Service Connect namespace exists when a service calls another.
   */
  readonly services: EnvironmentConfig["services"];
  /** `database.migrateCommand`: what the one-off migration task runs. */
  readonly migrateCommand: EnvironmentConfig["database"]["migrateCommand"];
  /** The VPC and subnets, and the application image. */
  readonly network: NetworkTier;
  /** The database: its connection settings and `connect()`. */
  readonly database: DatabaseTier;
}

const OWNER = "ComputeTier";

/**
 * Compute: the ECS cluster with its Fargate and Fargate Spot capacity providers and, when services
 * call each other, its Service Connect namespace (modules/ecs-alb); the EC2 capacity of services
 * that run on EC2 ({@link ComputeTier.ec2Capacity}, modules/ec2-capacity); the image settings tasks
 * share ({@link ComputeTier.taskImage}, {@link ComputeTier.appTask}); and the one-off migration task
 * definition (modules/ecs-task) run with `aws ecs run-task`. Registers no alarms (the services on
 * the cluster register theirs). Outputs: `cluster_name`, `cluster_arn`, `migrate_task_definition`,
 * `migrate_security_group_id`, `service_connect_namespace` (with Service Connect).
 */
export class ComputeTier {
  readonly cluster: FargateCluster;
  /**
   * What the workers, scheduled tasks and the migrate task share: the first service's image (its
   * repository at `image_tag`), region, log retention, the database connection as environment and
   * its credentials as ECS secrets, and the first service's `environment`.
   */
  readonly appTask: TaskImageProps;
  readonly migrateTask: FargateTask;
  /** The EC2 capacity of each service that runs on EC2, by service name. */
  readonly ec2Capacities = new Map<string, EcsEc2Capacity>();
  readonly migrateSecurityGroup: TaskSecurityGroup;

  private readonly ctx: TierContext;
  private readonly props: ComputeTierProps;

  constructor(ctx: TierContext, props: ComputeTierProps) {
    this.ctx = ctx;
    this.props = props;
    const { network } = props.network;
    const [application] = props.services;
    if (!application) throw new Error(`${OWNER}: at least one service is needed (the schema guarantees one)`);
    this.cluster = new FargateCluster(ctx.scope, "cluster", {
      naming: ctx.naming,
      execLogRetentionDays: ctx.logRetentionDays,
      defaultCapacity: application.capacity,
      serviceConnect: props.services.some((s) => s.calls.length > 0),
    });
    this.appTask = this.taskImage(application.repository, application.environment, true);

    this.migrateTask = new FargateTask(ctx.scope, "migrate-task", {
      ...this.appTask,
      component: "migrate",
      cpu: 256,
      memory: 512,
      command: props.migrateCommand,
      stopTimeoutSeconds: 120,
    });
    this.migrateSecurityGroup = new TaskSecurityGroup(ctx.scope, "migrate-sg", {
      naming: ctx.naming,
      component: "migrate",
      vpcId: network.vpcId,
      description: "One-off migration tasks: no ingress",
    });
    props.database.connect("migrate", this.migrateSecurityGroup);

    ctx.output(OWNER, "cluster_name", this.cluster.clusterName, "ECS cluster name");
    ctx.output(OWNER, "cluster_arn", this.cluster.clusterArn, "ECS cluster ARN");
    ctx.output(OWNER, "migrate_task_definition", this.migrateTask.family, "Task definition family of the one-off migration task");
    ctx.output(OWNER, "migrate_security_group_id", this.migrateSecurityGroup.securityGroupId, "Security group to pass to `aws ecs run-task` for migrations");
    if (this.cluster.serviceConnectNamespace) {
      ctx.output(OWNER, "service_connect_namespace", this.cluster.serviceConnectNamespace.arn, "Cloud Map namespace of ECS Service Connect");
    }
  }

  /**
   * The image settings of a task: the image of `repository` at `image_tag`, region, log retention,
   * `environment`, and with `database` the connection settings as environment and the credentials
   * as ECS secrets.
   */
  taskImage(repository: string, environment: Readonly<Record<string, string>>, database: boolean): TaskImageProps {
    const { ctx } = this;
    const db = this.props.database.database;
    return {
      naming: ctx.naming,
      region: ctx.region,
      accountId: ctx.accountId,
      image: this.props.network.image(repository),
      repositoryArn: this.props.network.repository(repository).arn,
      logRetentionDays: ctx.logRetentionDays,
      environment: { ...(database ? db.containerEnvironment : {}), ...environment },
      ...(database ? { secrets: db.containerSecrets, secretReadGrants: db.credentialReadGrants } : {}),
    };
  }

  /** ARN of the cluster's Service Connect namespace; only when a service calls another. */
  serviceConnectNamespaceArn(): string {
    const namespace = this.cluster.serviceConnectNamespace;
    if (!namespace) throw new Error(`${OWNER}: no Service Connect namespace: no service calls another`);
    return namespace.arn;
  }

  /**
   * The EC2 capacity of service `name`: its Auto Scaling group and ECS capacity provider
   * (modules/ec2-capacity) in the private subnets, associated with the cluster.
   */
  ec2Capacity(name: string, spec: NonNullable<EnvironmentConfig["services"][number]["ec2"]>): EcsEc2Capacity {
    const { ctx } = this;
    const capacity = new EcsEc2Capacity(ctx.scope, `${name}-capacity`, {
      naming: ctx.naming,
      component: name,
      region: ctx.region,
      accountId: ctx.accountId,
      vpcId: this.props.network.network.vpcId,
      subnetIds: this.props.network.network.privateSubnetIds,
      clusterName: this.cluster.clusterName,
      instanceTypes: spec.instanceTypes,
      architecture: spec.architecture,
      minInstances: spec.minInstances,
      maxInstances: spec.maxInstances,
      onDemandBase: spec.onDemandBase,
      onDemandPercentAboveBase: spec.onDemandPercentAboveBase,
      targetCapacityPercent: spec.targetCapacityPercent,
      rootVolumeGiB: spec.rootVolumeGiB,
    });
    this.cluster.addCapacityProvider(capacity.capacityProviderName);
    this.ec2Capacities.set(name, capacity);
    return capacity;
  }
}

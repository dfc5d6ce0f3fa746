import { FargateCluster } from "../../modules/ecs-alb";
import { FargateTask, TaskSecurityGroup, type TaskImageProps } from "../../modules/ecs-task";
import type { EnvironmentConfig } from "../config/schema";
import type { TierContext } from "./context";
import type { DatabaseTier } from "./database";
import type { NetworkTier } from "./network";

/** The config slices the compute tier reads, and the tiers it builds on. */
export interface ComputeTierProps {
  /**
   * `service`: its `repository` is the application image every task runs, its `environment` is given
   * to every task, and its `capacity` is the cluster's default capacity-provider strategy.
   */
  readonly service: EnvironmentConfig["service"];
  /** `database.migrateCommand`: what the one-off migration task runs. */
  readonly migrateCommand: EnvironmentConfig["database"]["migrateCommand"];
  /** The VPC and subnets, and the application image. */
  readonly network: NetworkTier;
  /** The database: its connection settings and `connect()`. */
  readonly database: DatabaseTier;
}

const OWNER = "ComputeTier";

/**
 * Compute: the ECS cluster with its Fargate and Fargate Spot capacity providers (modules/ecs-alb),
 * the application image settings every task shares ({@link ComputeTier.appTask}), and the one-off
 * migration task definition (modules/ecs-task) run with `aws ecs run-task`. Registers no alarms (the
 * services on the cluster register theirs). Outputs: `cluster_name`, `cluster_arn`,
 * `migrate_task_definition`, `migrate_security_group_id`.
 */
export class ComputeTier {
  readonly cluster: FargateCluster;
  /**
   * What every application task shares: the image (the service's repository at `image_tag`), region,
   * log retention, the database connection as environment and its credentials as ECS secrets, and
   * `service.environment`.
   */
  readonly appTask: TaskImageProps;
  readonly migrateTask: FargateTask;
  readonly migrateSecurityGroup: TaskSecurityGroup;

  constructor(ctx: TierContext, props: ComputeTierProps) {
    const { network } = props.network;
    const db = props.database.database;
    this.cluster = new FargateCluster(ctx.scope, "cluster", {
      naming: ctx.naming,
      execLogRetentionDays: ctx.logRetentionDays,
      defaultCapacity: props.service.capacity,
    });
    this.appTask = {
      naming: ctx.naming,
      region: ctx.region,
      accountId: ctx.accountId,
      image: props.network.image(props.service.repository),
      repositoryArn: props.network.repository(props.service.repository).arn,
      logRetentionDays: ctx.logRetentionDays,
      environment: { ...db.containerEnvironment, ...props.service.environment },
      secrets: db.containerSecrets,
      secretReadGrants: db.credentialReadGrants,
    };

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
  }
}

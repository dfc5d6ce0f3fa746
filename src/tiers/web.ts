import { FargateTask } from "../../modules/ecs-task";
import { WebService } from "../../modules/ecs-alb";
import { suppressPolicy } from "../aspects/policy";
import type { EnvironmentConfig } from "../config/schema";
import type { ComputeTier } from "./compute";
import type { TierContext } from "./context";
import type { DatabaseTier } from "./database";
import type { EdgeTier } from "./edge";
import type { NetworkTier } from "./network";

/** The config slice the web tier reads, and the tiers it builds on. */
export interface WebTierProps {
  /** `service`: size, command, health check, scaling and capacity of the web service. */
  readonly service: EnvironmentConfig["service"];
  /** The VPC and its private subnets. */
  readonly network: NetworkTier;
  /** The database: its connection settings and `connect()`. */
  readonly database: DatabaseTier;
  /** The cluster and the application task settings (`appTask`). */
  readonly compute: ComputeTier;
  /** The public load balancer the service registers with. */
  readonly edge: EdgeTier;
}

const OWNER = "WebTier";

/**
 * Web: the application's web service, a Fargate task definition (modules/ecs-task) and an ECS
 * service in the private subnets behind the edge tier's load balancer, with target-tracking scaling
 * (modules/ecs-alb); connected to the database. Registers the load balancer with its target group
 * and the web service with the monitoring. Outputs: `web_service_name`, `web_security_group_id`.
 */
export class WebTier {
  readonly task: FargateTask;
  readonly service: WebService;
  /** Short name of the service (`service.name`), used in names, rule ids and alarms. */
  readonly name: string;

  constructor(ctx: TierContext, props: WebTierProps) {
    const svc = props.service;
    const { network } = props.network;
    const { cluster, appTask } = props.compute;
    const { loadBalancer } = props.edge;
    this.name = svc.name;
    this.task = new FargateTask(ctx.scope, "web-task", {
      ...appTask,
      component: svc.name,
      cpu: svc.cpu,
      memory: svc.memory,
      command: svc.command,
      containerPort: svc.containerPort,
      readonlyRootFilesystem: svc.readonlyRootFilesystem,
      enableExecuteCommand: svc.enableExecuteCommand,
      execLogGroupArn: cluster.execLogGroupArn,
    });
    this.service = new WebService(ctx.scope, "web", {
      naming: ctx.naming,
      component: svc.name,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      clusterName: cluster.clusterName,
      clusterArn: cluster.clusterArn,
      loadBalancer,
      task: this.task,
      desiredCount: svc.desiredCount,
      healthCheck: svc.healthCheck,
      deregistrationDelaySeconds: svc.deregistrationDelaySeconds,
      healthCheckGracePeriodSeconds: svc.healthCheckGracePeriodSeconds,
      capacity: svc.capacity,
      enableExecuteCommand: svc.enableExecuteCommand,
      dependsOn: [cluster.capacityProviders],
      scaling: {
        minCount: svc.minCount,
        maxCount: svc.maxCount,
        cpuTargetPercent: svc.cpuTargetPercent,
        memoryTargetPercent: svc.memoryTargetPercent,
        requestsPerTarget: svc.requestsPerTarget,
        scaleInCooldownSeconds: svc.scaleInCooldownSeconds,
        scaleOutCooldownSeconds: svc.scaleOutCooldownSeconds,
      },
    });
    if (!svc.readonlyRootFilesystem) {
      suppressPolicy(this.task.taskDefinition, "CKV_AWS_336", `${ctx.configFile} sets service.readonlyRootFilesystem = false`);
    }
    props.database.connect(svc.name, this.service.tasksSecurityGroup);
    props.database.redeployOnRotation({ name: svc.name, clusterName: cluster.clusterName, clusterArn: cluster.clusterArn, serviceName: this.service.serviceName });

    ctx.monitoring.setLoadBalancer(OWNER, { arnSuffix: loadBalancer.arnSuffix, targetGroupArnSuffix: this.service.targetGroup.arnSuffix });
    ctx.monitoring.addService(OWNER, {
      name: svc.name,
      clusterName: cluster.clusterName,
      serviceName: this.service.serviceName,
      minRunning: svc.minCount,
    });

    ctx.output(OWNER, "web_service_name", this.service.serviceName, "ECS service of the web tier");
    ctx.output(OWNER, "web_security_group_id", this.service.securityGroupId, "Security group of the web tasks");
  }
}

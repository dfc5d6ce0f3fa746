import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { LbListenerRule } from "@cdktf/provider-aws/lib/lb-listener-rule";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";
import { TaskSecurityGroup, type FargateTask } from "../ecs-task";
import { capacityProviderStrategy, type CapacityStrategy } from "./cluster";
import type { PublicLoadBalancer } from "./load-balancer";

export interface HealthCheckOptions {
  /** Path the load balancer requests. @default "/health" */
  readonly path?: string;
  /** HTTP codes that count as healthy. @default "200-399" */
  readonly matcher?: string;
  /** Consecutive successes to become healthy. @default 2 */
  readonly healthyThreshold?: number;
  /** Consecutive failures to become unhealthy. @default 3 */
  readonly unhealthyThreshold?: number;
  /** Seconds between checks. @default 15 */
  readonly intervalSeconds?: number;
  /** Seconds before a check times out. @default 5 */
  readonly timeoutSeconds?: number;
}

export interface ServiceScaling {
  /** Fewest tasks. @default 1 */
  readonly minCount?: number;
  /** Most tasks. @default 4 */
  readonly maxCount?: number;
  /** Target average CPU, percent. @default 80 */
  readonly cpuTargetPercent?: number;
  /** Target average memory, percent. @default none (no memory policy) */
  readonly memoryTargetPercent?: number;
  /** Target ALB requests per task per minute. @default none (no request-count policy) */
  readonly requestsPerTarget?: number;
  /** Seconds after a scale-in before another. @default 300 */
  readonly scaleInCooldownSeconds?: number;
  /** Seconds after a scale-out before another. @default 60 */
  readonly scaleOutCooldownSeconds?: number;
}

/** Starts an ECS service's target-tracking autoscaling: the scalable target, then policies. */
export function serviceScalableTarget(scope: Construct, clusterName: string, serviceName: string, min: number, max: number) {
  if (min > max) {
    throw new Error(`autoscaling: minCount ${min} is above maxCount ${max}`);
  }
  return new AppautoscalingTarget(scope, "scaling-target", {
    serviceNamespace: "ecs",
    resourceId: `service/${clusterName}/${serviceName}`,
    scalableDimension: "ecs:service:DesiredCount",
    minCapacity: min,
    maxCapacity: max,
  });
}

export interface WebServiceProps {
  readonly naming: NameContext;
  /** Component name, e.g. `web`: service `<project>-<env>-web`. */
  readonly component: string;
  readonly vpcId: string;
  /** Private subnets the tasks run in (no public IPs). */
  readonly subnetIds: readonly string[];
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly loadBalancer: PublicLoadBalancer;
  /** The task to run; it must declare a `containerPort`. */
  readonly task: FargateTask;
  /** Tasks at first deployment; autoscaling owns the count afterwards. @default scaling.minCount */
  readonly desiredCount?: number;
  readonly healthCheck?: HealthCheckOptions;
  /** Seconds a deregistering target keeps draining. @default 30 */
  readonly deregistrationDelaySeconds?: number;
  /** Seconds ECS ignores failing health checks after a task starts. @default 60 */
  readonly healthCheckGracePeriodSeconds?: number;
  /** Lowest healthy share during a deployment, percent. @default 100 */
  readonly minHealthyPercent?: number;
  /** Most tasks during a deployment, percent of desired. @default 200 */
  readonly maxPercent?: number;
  /** On-demand / Spot split. @default Spot only */
  readonly capacity?: CapacityStrategy;
  readonly scaling?: ServiceScaling;
  /** Listener-rule path patterns routed to this service. @default ["/*"] */
  readonly pathPatterns?: readonly string[];
  /** Listener-rule priority (lower wins). @default 100 */
  readonly listenerPriority?: number;
  /** Allow `aws ecs execute-command` into tasks (the task must grant it too). @default false */
  readonly enableExecuteCommand?: boolean;
  /** Resources the service must be created after, e.g. the cluster's capacity providers. @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * A Fargate service behind the public load balancer: target group of type `ip`, a listener rule,
 * tasks in private subnets with their own security group (ingress only from the load balancer on
 * the container port; egress HTTPS), circuit breaker with rollback, Spot-aware capacity strategy,
 * `desired_count` left to autoscaling after creation, and target tracking on CPU (plus optional
 * memory and request-count policies).
 */
export class WebService extends Construct {
  readonly service: EcsService;
  readonly serviceName: string;
  readonly securityGroup: SecurityGroup;
  readonly securityGroupId: string;
  readonly tasksSecurityGroup: TaskSecurityGroup;
  readonly targetGroup: LbTargetGroup;
  readonly scalingPolicyNames: string[] = [];

  constructor(scope: Construct, id: string, props: WebServiceProps) {
    super(scope, id);
    const { task, loadBalancer } = props;
    const port = task.containerPort;
    if (!port) {
      throw new Error(`WebService ${props.component}: the task must declare a containerPort`);
    }
    const scaling = props.scaling ?? {};
    const minCount = scaling.minCount ?? 1;
    const maxCount = scaling.maxCount ?? 4;
    if (minCount > maxCount) {
      throw new Error(`WebService ${props.component}: minCount ${minCount} is above maxCount ${maxCount}`);
    }
    const desiredCount = props.desiredCount ?? minCount;
    if (desiredCount < minCount || desiredCount > maxCount) {
      throw new Error(`WebService ${props.component}: desiredCount ${desiredCount} is outside ${minCount}-${maxCount}`);
    }
    const health = props.healthCheck ?? {};
    const healthPath = health.path ?? "/health";
    if (!healthPath.startsWith("/")) {
      throw new Error(`WebService ${props.component}: healthCheck.path must start with "/", got "${healthPath}"`);
    }
    const name = physicalName(props.naming, props.component);

    this.tasksSecurityGroup = new TaskSecurityGroup(this, "tasks", {
      naming: props.naming,
      component: props.component,
      vpcId: props.vpcId,
      description: `Tasks of ${name}: ingress only from the load balancer`,
    });
    this.securityGroup = this.tasksSecurityGroup.securityGroup;
    this.securityGroupId = this.securityGroup.id;
    new VpcSecurityGroupIngressRule(this, "from-alb", {
      securityGroupId: this.securityGroup.id,
      description: "Traffic from the load balancer",
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: loadBalancer.securityGroupId,
    });
    new VpcSecurityGroupEgressRule(this, "alb-to-tasks", {
      securityGroupId: loadBalancer.securityGroupId,
      description: `To ${name} tasks`,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: this.securityGroup.id,
    });

    this.targetGroup = new LbTargetGroup(this, "target-group", {
      name: physicalName(props.naming, props.component, { maxLength: NAME_LIMITS.albOrTargetGroup }),
      targetType: "ip",
      port,
      protocol: "HTTP",
      vpcId: props.vpcId,
      deregistrationDelay: String(props.deregistrationDelaySeconds ?? 30),
      healthCheck: {
        enabled: true,
        path: healthPath,
        matcher: health.matcher ?? "200-399",
        healthyThreshold: health.healthyThreshold ?? 2,
        unhealthyThreshold: health.unhealthyThreshold ?? 3,
        interval: health.intervalSeconds ?? 15,
        timeout: health.timeoutSeconds ?? 5,
        protocol: "HTTP",
      },
    });
    const rule = new LbListenerRule(this, "listener-rule", {
      listenerArn: loadBalancer.applicationListener.arn,
      priority: props.listenerPriority ?? 100,
      action: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
      condition: [{ pathPattern: { values: [...(props.pathPatterns ?? ["/*"])] } }],
    });

    this.service = new EcsService(this, "service", {
      name,
      cluster: props.clusterArn,
      taskDefinition: task.taskDefinitionArn,
      desiredCount,
      capacityProviderStrategy: capacityProviderStrategy(props.capacity),
      networkConfiguration: {
        subnets: [...props.subnetIds],
        securityGroups: [this.securityGroup.id],
        assignPublicIp: false,
      },
      loadBalancer: [{ targetGroupArn: this.targetGroup.arn, containerName: task.containerName, containerPort: port }],
      healthCheckGracePeriodSeconds: props.healthCheckGracePeriodSeconds ?? 60,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      deploymentMinimumHealthyPercent: props.minHealthyPercent ?? 100,
      deploymentMaximumPercent: props.maxPercent ?? 200,
      enableExecuteCommand: props.enableExecuteCommand ?? false,
      enableEcsManagedTags: true,
      propagateTags: "SERVICE",
      waitForSteadyState: false,
      // Autoscaling owns the task count once the service exists.
      lifecycle: { ignoreChanges: ["desired_count"] },
      // The target group must be attached to the load balancer before the service registers tasks.
      dependsOn: [rule, ...(props.dependsOn ?? [])],
    });
    this.serviceName = this.service.name;

    const target = serviceScalableTarget(this, props.clusterName, this.service.name, minCount, maxCount);
    const cooldowns = {
      scaleInCooldown: scaling.scaleInCooldownSeconds ?? 300,
      scaleOutCooldown: scaling.scaleOutCooldownSeconds ?? 60,
    };
    const track = (key: string, metric: string, value: number, resourceLabel?: string) => {
      const policyName = physicalName(props.naming, `${props.component}-${key}-tracking`);
      new AppautoscalingPolicy(this, `scale-on-${key}`, {
        name: policyName,
        policyType: "TargetTrackingScaling",
        serviceNamespace: target.serviceNamespace,
        resourceId: target.resourceId,
        scalableDimension: target.scalableDimension,
        targetTrackingScalingPolicyConfiguration: {
          targetValue: value,
          ...cooldowns,
          predefinedMetricSpecification: {
            predefinedMetricType: metric,
            ...(resourceLabel ? { resourceLabel } : {}),
          },
        },
      });
      this.scalingPolicyNames.push(policyName);
    };
    track("cpu", "ECSServiceAverageCPUUtilization", scaling.cpuTargetPercent ?? 80);
    if (scaling.memoryTargetPercent !== undefined) {
      track("memory", "ECSServiceAverageMemoryUtilization", scaling.memoryTargetPercent);
    }
    if (scaling.requestsPerTarget !== undefined) {
      track("requests", "ALBRequestCountPerTarget", scaling.requestsPerTarget, `${loadBalancer.arnSuffix}/${this.targetGroup.arnSuffix}`);
    }
  }

  /** Opens egress from the tasks to another security group (for example the database) on one port. */
  allowEgressTo(id: string, destinationSecurityGroupId: string, port: number, description: string): void {
    this.tasksSecurityGroup.allowEgressTo(id, destinationSecurityGroupId, port, description);
  }
}

import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service";
import { LbListenerRule, type LbListenerRuleCondition } from "@cdktf/provider-aws/lib/lb-listener-rule";
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

/** How the public load balancer's listener reaches a service. */
export interface ServiceRoute {
  /** Listener-rule priority, 1 to 50000 (lower wins), unique on the listener. */
  readonly priority: number;
  /** Request paths routed to the service. @default none */
  readonly pathPatterns?: readonly string[];
  /** Host headers routed to the service. @default none */
  readonly hostHeaders?: readonly string[];
}

/** ECS Service Connect for a service: its namespace, and the port it publishes if others call it. */
export interface ServiceConnectOptions {
  /** ARN of the Cloud Map namespace (the cluster's Service Connect namespace). */
  readonly namespaceArn: string;
  /**
   * Publish the task's named port (`FargateTask.portName`) under `discoveryName`, reachable by
   * clients as `http://<discoveryName>:<task port>`. @default none (a client only)
   */
  readonly publish?: { readonly discoveryName: string };
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
  /**
   * The public load balancer, with the route its listener takes to this service. Without it the
   * service is internal: no target group, no ingress from the load balancer.
   * @default none (internal)
   */
  readonly loadBalancer?: PublicLoadBalancer;
  /** The listener rule (with `loadBalancer`). @default `{ priority: 100, pathPatterns: ["/*"] }` */
  readonly route?: ServiceRoute;
  /** ECS Service Connect. @default off */
  readonly serviceConnect?: ServiceConnectOptions;
  /**
   * Run the tasks on this EC2 capacity provider (the task must be `compatibility: "EC2"`) instead
   * of Fargate; tasks are spread over availability zones. @default Fargate (see `capacity`)
   */
  readonly ec2CapacityProvider?: string;
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
  /** Allow `aws ecs execute-command` into tasks (the task must grant it too). @default false */
  readonly enableExecuteCommand?: boolean;
  /** Resources the service must be created after, e.g. the cluster's capacity providers. @default [] */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * The services this one calls through Service Connect. Running tasks cannot resolve an endpoint
   * that appeared after they started, so the service is deployed after them, and redeployed when
   * this list changes. @default []
   */
  readonly callees?: readonly WebService[];
}

/**
 * An ECS service of the application: tasks in private subnets with their own security group
 * (egress HTTPS; ingress only from the load balancer and from the services admitted with
 * {@link WebService.allowFrom}), circuit breaker with rollback, Fargate (Spot-aware strategy) or an
 * EC2 capacity provider, `desired_count` left to autoscaling after creation, target tracking on CPU
 * (plus optional memory and request-count policies). Public services get a target group of type
 * `ip` and a listener rule on the public load balancer; with `serviceConnect` the service joins the
 * namespace as a client and, with `publish`, serves its named port there.
 */
export class WebService extends Construct {
  readonly service: EcsService;
  readonly serviceName: string;
  readonly securityGroup: SecurityGroup;
  readonly securityGroupId: string;
  readonly tasksSecurityGroup: TaskSecurityGroup;
  /** The target group, for public services. */
  readonly targetGroup?: LbTargetGroup;
  /** The port the tasks listen on. */
  readonly port: number;
  readonly scalingPolicyNames: string[] = [];

  constructor(scope: Construct, id: string, props: WebServiceProps) {
    super(scope, id);
    const { task, loadBalancer } = props;
    const port = task.containerPort;
    if (!port) {
      throw new Error(`WebService ${props.component}: the task must declare a containerPort`);
    }
    this.port = port;
    if (props.route && !loadBalancer) {
      throw new Error(`WebService ${props.component}: route needs the loadBalancer it is a rule of`);
    }
    if (props.serviceConnect?.publish && !task.portName) {
      throw new Error(`WebService ${props.component}: serviceConnect.publish needs a task with a portName`);
    }
    if (props.ec2CapacityProvider && props.capacity) {
      throw new Error(`WebService ${props.component}: capacity is the Fargate split; an EC2 capacity provider takes the whole service`);
    }
    if (props.scaling?.requestsPerTarget !== undefined && !loadBalancer) {
      throw new Error(`WebService ${props.component}: requestsPerTarget scales on load-balancer requests; an internal service has none`);
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
      description: loadBalancer ? `Tasks of ${name}: ingress only from the load balancer and admitted services` : `Tasks of ${name}: ingress only from admitted services`,
    });
    this.securityGroup = this.tasksSecurityGroup.securityGroup;
    this.securityGroupId = this.securityGroup.id;

    let rule: LbListenerRule | undefined;
    if (loadBalancer) {
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
      const route = props.route ?? { priority: 100, pathPatterns: ["/*"] };
      const conditions: LbListenerRuleCondition[] = [
        ...(route.pathPatterns?.length ? [{ pathPattern: { values: [...route.pathPatterns] } }] : []),
        ...(route.hostHeaders?.length ? [{ hostHeader: { values: [...route.hostHeaders] } }] : []),
      ];
      if (conditions.length === 0) {
        throw new Error(`WebService ${props.component}: route needs pathPatterns, hostHeaders or both`);
      }
      // Behind CloudFront: only requests carrying the secret origin header match the rule.
      const header = loadBalancer.requiredHeader;
      if (header) {
        const values = (route.pathPatterns?.length ?? 0) + (route.hostHeaders?.length ?? 0) + 1;
        if (values > 5) {
          throw new Error(`WebService ${props.component}: the route's ${values - 1} path and host values and the required header exceed the 5 values of a listener rule`);
        }
        conditions.push({ httpHeader: { httpHeaderName: header.name, values: [header.value] } });
      }
      rule = new LbListenerRule(this, "listener-rule", {
        listenerArn: loadBalancer.applicationListener.arn,
        priority: route.priority,
        action: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
        condition: conditions,
      });
    }

    const connect = props.serviceConnect;
    this.service = new EcsService(this, "service", {
      name,
      cluster: props.clusterArn,
      taskDefinition: task.taskDefinitionArn,
      desiredCount,
      capacityProviderStrategy: props.ec2CapacityProvider
        ? [{ capacityProvider: props.ec2CapacityProvider, base: 0, weight: 1 }]
        : capacityProviderStrategy(props.capacity),
      // On EC2 capacity, spread the tasks over the zones first, then over the instances.
      ...(props.ec2CapacityProvider
        ? {
            orderedPlacementStrategy: [
              { type: "spread", field: "attribute:ecs.availability-zone" },
              { type: "spread", field: "instanceId" },
            ],
          }
        : {}),
      networkConfiguration: {
        subnets: [...props.subnetIds],
        securityGroups: [this.securityGroup.id],
        assignPublicIp: false,
      },
      ...(this.targetGroup ? { loadBalancer: [{ targetGroupArn: this.targetGroup.arn, containerName: task.containerName, containerPort: port }] } : {}),
      // The grace period applies to the load balancer's and the container's health checks.
      ...(this.targetGroup || task.hasHealthCheck ? { healthCheckGracePeriodSeconds: props.healthCheckGracePeriodSeconds ?? 60 } : {}),
      ...(props.callees?.length
        ? { forceNewDeployment: true, triggers: { service_connect_callees: props.callees.map((c) => c.node.id).sort().join(",") } }
        : {}),
      ...(connect
        ? {
            serviceConnectConfiguration: {
              enabled: true,
              namespace: connect.namespaceArn,
              ...(connect.publish
                ? {
                    service: [
                      {
                        portName: task.portName!,
                        discoveryName: connect.publish.discoveryName,
                        clientAlias: { port, dnsName: connect.publish.discoveryName },
                      },
                    ],
                  }
                : {}),
              // The Service Connect proxy logs next to the application's.
              logConfiguration: {
                logDriver: "awslogs",
                options: { "awslogs-group": task.logGroup.name, "awslogs-region": task.region, "awslogs-stream-prefix": "service-connect" },
              },
            },
          }
        : {}),
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
      dependsOn: [...(rule ? [rule] : []), ...(props.callees ?? []).map((c) => c.service), ...(props.dependsOn ?? [])],
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
    if (scaling.requestsPerTarget !== undefined && loadBalancer && this.targetGroup) {
      track("requests", "ALBRequestCountPerTarget", scaling.requestsPerTarget, `${loadBalancer.arnSuffix}/${this.targetGroup.arnSuffix}`);
    }
  }

  /**
   * Admits a caller's tasks (a Service Connect client) on the service's port: ingress here, and the
   * caller's egress to this service. `id` names the caller in rule ids and descriptions.
   */
  allowFrom(id: string, caller: TaskSecurityGroup): void {
    new VpcSecurityGroupIngressRule(this, `from-${id}`, {
      securityGroupId: this.securityGroup.id,
      description: `Service Connect from ${id}`,
      ipProtocol: "tcp",
      fromPort: this.port,
      toPort: this.port,
      referencedSecurityGroupId: caller.securityGroupId,
    });
    caller.allowEgressTo(`service-${this.node.id}`, this.securityGroup.id, this.port, `Service Connect to ${this.node.id}`);
  }

  /** Opens egress from the tasks to another security group (for example the database) on one port. */
  allowEgressTo(id: string, destinationSecurityGroupId: string, port: number, description: string): void {
    this.tasksSecurityGroup.allowEgressTo(id, destinationSecurityGroupId, port, description);
  }
}

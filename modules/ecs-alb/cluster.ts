import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
import { ServiceDiscoveryHttpNamespace } from "@cdktf/provider-aws/lib/service-discovery-http-namespace";
import { Lazy } from "cdktf";
import { Construct } from "constructs";
import { physicalName, type NameContext } from "../../src/lib/naming";

/** How tasks are split between on-demand Fargate and Fargate Spot. */
export interface CapacityStrategy {
  /** Tasks that always run on on-demand FARGATE before weights apply. @default 0 */
  readonly onDemandBase?: number;
  /** Relative share of on-demand FARGATE beyond the base. @default 0 */
  readonly onDemandWeight?: number;
  /** Relative share of FARGATE_SPOT. @default 1 */
  readonly spotWeight?: number;
}

/** The ECS `capacity_provider_strategy` blocks for a strategy (providers with weight and base 0 left out). */
export function capacityProviderStrategy(strategy: CapacityStrategy = {}) {
  const onDemandBase = strategy.onDemandBase ?? 0;
  const onDemandWeight = strategy.onDemandWeight ?? 0;
  const spotWeight = strategy.spotWeight ?? 1;
  if (onDemandWeight + spotWeight === 0) {
    throw new Error("capacity strategy: at least one of onDemandWeight and spotWeight must be above 0");
  }
  const blocks: Array<{ capacityProvider: string; base?: number; weight: number }> = [];
  if (onDemandBase > 0 || onDemandWeight > 0) {
    blocks.push({ capacityProvider: "FARGATE", base: onDemandBase, weight: onDemandWeight });
  }
  if (spotWeight > 0) {
    blocks.push({ capacityProvider: "FARGATE_SPOT", weight: spotWeight });
  }
  return blocks;
}

export interface FargateClusterProps {
  readonly naming: NameContext;
  /** Container Insights level. @default "enhanced" */
  readonly containerInsights?: "enabled" | "enhanced" | "disabled";
  /** Retention of the ECS Exec session log group, in days. @default 365 */
  readonly execLogRetentionDays?: number;
  /** Strategy for services that do not set their own. @default Spot only */
  readonly defaultCapacity?: CapacityStrategy;
  /**
   * Create a Cloud Map HTTP namespace `<project>-<env>` for ECS Service Connect and make it the
   * cluster's default. @default false
   */
  readonly serviceConnect?: boolean;
}

/**
 * An ECS cluster: Container Insights, FARGATE and FARGATE_SPOT capacity providers (plus the EC2
 * capacity providers added with {@link FargateCluster.addCapacityProvider}), ECS Exec sessions logged
 * to a CloudWatch log group, and optionally a Service Connect namespace.
 */
export class FargateCluster extends Construct {
  readonly cluster: EcsCluster;
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly execLogGroupName: string;
  /**
   * ARN of the ECS Exec session log group. Tasks run with ECS Exec on this cluster need it as
   * `FargateTask`'s `execLogGroupArn`, or their sessions cannot be logged here.
   */
  readonly execLogGroupArn: string;
  /**
   * The capacity-provider association. Services with a capacity provider strategy must be created
   * after it (pass it in their `dependsOn`), or ECS refuses the strategy.
   */
  readonly capacityProviders: EcsClusterCapacityProviders;
  /** The Service Connect namespace, with `serviceConnect`. */
  readonly serviceConnectNamespace?: ServiceDiscoveryHttpNamespace;
  private readonly extraCapacityProviders: string[] = [];

  constructor(scope: Construct, id: string, props: FargateClusterProps) {
    super(scope, id);
    const name = physicalName(props.naming, "cluster");
    const execLogs = new CloudwatchLogGroup(this, "exec-logs", {
      name: `/ecs/${name}/exec`,
      retentionInDays: props.execLogRetentionDays ?? 365,
    });
    this.execLogGroupName = execLogs.name;
    this.execLogGroupArn = execLogs.arn;
    if (props.serviceConnect) {
      this.serviceConnectNamespace = new ServiceDiscoveryHttpNamespace(this, "service-connect", {
        name: physicalName(props.naming, ""),
        description: `Service Connect namespace of ${physicalName(props.naming, "")}`,
      });
    }
    this.cluster = new EcsCluster(this, "cluster", {
      name,
      ...(this.serviceConnectNamespace ? { serviceConnectDefaults: { namespace: this.serviceConnectNamespace.arn } } : {}),
      setting: [{ name: "containerInsights", value: props.containerInsights ?? "enhanced" }],
      configuration: {
        executeCommandConfiguration: {
          logging: "OVERRIDE",
          logConfiguration: { cloudWatchLogGroupName: execLogs.name },
        },
      },
    });
    this.clusterName = this.cluster.name;
    this.clusterArn = this.cluster.arn;
    this.capacityProviders = new EcsClusterCapacityProviders(this, "capacity-providers", {
      clusterName: this.cluster.name,
      capacityProviders: Lazy.listValue({ produce: () => ["FARGATE", "FARGATE_SPOT", ...this.extraCapacityProviders] }),
      defaultCapacityProviderStrategy: capacityProviderStrategy(props.defaultCapacity),
    });
  }

  /** Associates an EC2 capacity provider (by name) with the cluster, next to FARGATE and FARGATE_SPOT. */
  addCapacityProvider(name: string): void {
    this.extraCapacityProviders.push(name);
  }
}

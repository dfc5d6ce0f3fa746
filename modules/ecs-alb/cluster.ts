import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
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
}

/**
 * An ECS cluster for Fargate: Container Insights, FARGATE and FARGATE_SPOT capacity providers, and
 * ECS Exec sessions logged to a CloudWatch log group.
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

  constructor(scope: Construct, id: string, props: FargateClusterProps) {
    super(scope, id);
    const name = physicalName(props.naming, "cluster");
    const execLogs = new CloudwatchLogGroup(this, "exec-logs", {
      name: `/ecs/${name}/exec`,
      retentionInDays: props.execLogRetentionDays ?? 365,
    });
    this.execLogGroupName = execLogs.name;
    this.execLogGroupArn = execLogs.arn;
    this.cluster = new EcsCluster(this, "cluster", {
      name,
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
      capacityProviders: ["FARGATE", "FARGATE_SPOT"],
      defaultCapacityProviderStrategy: capacityProviderStrategy(props.defaultCapacity),
    });
  }
}

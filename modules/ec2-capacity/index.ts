import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { EcsCapacityProvider } from "@cdktf/provider-aws/lib/ecs-capacity-provider";
import type { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import type { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { Construct } from "constructs";
import { physicalName, type NameContext } from "../../src/lib/naming";
import { Ec2LaunchTemplate, instanceTypeProblem, type Ec2Architecture } from "../ec2-launch-template";
import { TaskSecurityGroup } from "../ecs-task";

/**
 * Systems Manager public parameters holding the current ECS-optimized Amazon Linux 2023 AMI, per
 * architecture (Amazon ECS Developer Guide, "Retrieving Amazon ECS-optimized Linux AMI metadata").
 * The launch template resolves them when an instance launches (`resolve:ssm:`), so nothing looks
 * the AMI up at plan time and new instances always get the current image.
 */
export const ECS_OPTIMIZED_AMI_PARAMETERS = {
  x86_64: "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
  arm64: "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id",
} as const;

export interface EcsEc2CapacityProps {
  readonly naming: NameContext;
  /** Component name: group, launch template, capacity provider and roles `<project>-<env>-<component>-...`. */
  readonly component: string;
  readonly region: string;
  readonly accountId: string;
  readonly vpcId: string;
  /** Private subnets the instances run in (one per zone; no public IPs). */
  readonly subnetIds: readonly string[];
  /** The cluster the instances register with. */
  readonly clusterName: string;
  /** Instance types, most preferred first. */
  readonly instanceTypes: readonly string[];
  /** Architecture of the instance types (selects the AMI). @default "x86_64" */
  readonly architecture?: Ec2Architecture;
  /** Fewest instances. @default 0 */
  readonly minInstances?: number;
  /** Most instances. */
  readonly maxInstances: number;
  /** Instances that are always on-demand. @default 0 */
  readonly onDemandBase?: number;
  /** On-demand share above the base, percent; the rest is Spot (capacity rebalancing on). @default 100 */
  readonly onDemandPercentAboveBase?: number;
  /** Capacity ECS managed scaling keeps in use, percent. @default 100 */
  readonly targetCapacityPercent?: number;
  /** Encrypted gp3 root volume size, GiB. @default 30 */
  readonly rootVolumeGiB?: number;
}

/**
 * EC2 capacity for ECS tasks: an Auto Scaling group behind an ECS capacity provider.
 *
 * - Launch template, instance role and profile: an {@link Ec2LaunchTemplate} (modules/ec2-launch-template)
 *   with the ECS-optimized Amazon Linux 2023 AMI resolved at launch ({@link ECS_OPTIMIZED_AMI_PARAMETERS}),
 *   IMDSv2 required with a hop limit of 1 (tasks use awsvpc and, with `ECS_AWSVPC_BLOCK_IMDS`, cannot
 *   reach the instance's credentials), an encrypted gp3 root volume, no key pair, detailed
 *   monitoring, the agent configuration in user data, and a security group ({@link TaskSecurityGroup})
 *   with no inbound rule and HTTPS out only (the ECS, ECR and Systems Manager endpoints).
 * - Instance role: the AWS managed policy of the ECS container agent
 *   (`AmazonEC2ContainerServiceforEC2Role`, kept managed: AWS maintains the agent's actions) and the
 *   launch-template module's least-privilege Session Manager statements (instead of SSH), nothing
 *   else; images are pulled with each task's execution role.
 * - Group: the private subnets, scale-in protection (for managed termination protection),
 *   `AmazonECSManaged` tag, a mixed-instances policy (price-capacity-optimized Spot with capacity
 *   rebalancing when `onDemandPercentAboveBase` is below 100), and an instance refresh whenever the
 *   launch template changes. The desired count belongs to ECS managed scaling.
 * - Capacity provider: managed scaling to `targetCapacityPercent`, managed termination protection
 *   (no instance with tasks is terminated by scale-in) and managed draining.
 */
export class EcsEc2Capacity extends Construct {
  /** The launch template with its instance role and profile. */
  readonly template: Ec2LaunchTemplate;
  readonly launchTemplate: LaunchTemplate;
  readonly autoScalingGroup: AutoscalingGroup;
  readonly capacityProvider: EcsCapacityProvider;
  /** Name of the capacity provider, for the cluster's association and service strategies. */
  readonly capacityProviderName: string;
  readonly instanceRole: IamRole;
  readonly securityGroup: TaskSecurityGroup;

  constructor(scope: Construct, id: string, props: EcsEc2CapacityProps) {
    super(scope, id);
    const fail = (message: string): never => {
      throw new Error(`EcsEc2Capacity ${props.component}: ${message}`);
    };
    const min = props.minInstances ?? 0;
    const onDemandBase = props.onDemandBase ?? 0;
    const onDemandPercent = props.onDemandPercentAboveBase ?? 100;
    const target = props.targetCapacityPercent ?? 100;
    if (props.instanceTypes.length === 0) fail("instanceTypes is empty");
    if (min > props.maxInstances) fail(`minInstances ${min} is above maxInstances ${props.maxInstances}`);
    if (onDemandPercent < 0 || onDemandPercent > 100) fail(`onDemandPercentAboveBase ${onDemandPercent} is outside 0-100`);
    if (target < 1 || target > 100) fail(`targetCapacityPercent ${target} is outside 1-100`);
    if (props.subnetIds.length === 0) fail("subnetIds is empty");
    const architecture = props.architecture ?? "x86_64";
    for (const type of props.instanceTypes) {
      const problem = instanceTypeProblem(type, architecture);
      if (problem) fail(problem);
    }
    // ECS refuses capacity-provider names that start with these.
    const providerName = physicalName(props.naming, `${props.component}-capacity`);
    if (/^(aws|ecs|fargate)/i.test(providerName)) fail(`capacity provider name "${providerName}" may not start with "aws", "ecs" or "fargate"; choose another project name`);
    const spot = onDemandPercent < 100;
    const capacityName = physicalName(props.naming, `${props.component}-capacity`);

    this.securityGroup = new TaskSecurityGroup(this, "security-group", {
      naming: props.naming,
      component: `${props.component}-capacity`,
      vpcId: props.vpcId,
      description: `Container instances of ${capacityName}: no ingress, HTTPS out`,
    });

    const agentConfig = [
      `ECS_CLUSTER=${props.clusterName}`,
      // Tasks use awsvpc: keep them away from the instance's metadata and credentials.
      "ECS_AWSVPC_BLOCK_IMDS=true",
      "ECS_ENABLE_TASK_IAM_ROLE=true",
      ...(spot ? ["ECS_ENABLE_SPOT_INSTANCE_DRAINING=true"] : []),
    ];
    this.template = new Ec2LaunchTemplate(this, "template", {
      naming: props.naming,
      component: `${props.component}-capacity`,
      region: props.region,
      accountId: props.accountId,
      architecture,
      amiParameter: ECS_OPTIMIZED_AMI_PARAMETERS[architecture],
      // With Spot the group's overrides choose the type.
      instanceType: spot ? null : props.instanceTypes[0],
      securityGroupIds: [this.securityGroup.securityGroupId],
      rootVolumeSizeGiB: props.rootVolumeGiB ?? 30,
      metadataHopLimit: 1,
      detailedMonitoring: true,
      userData: ["cat >> /etc/ecs/ecs.config <<'EOF'", ...agentConfig, "EOF"],
      managedPolicies: ["service-role/AmazonEC2ContainerServiceforEC2Role"],
    });
    this.launchTemplate = this.template.launchTemplate;
    this.instanceRole = this.template.role;

    this.autoScalingGroup = new AutoscalingGroup(this, "group", {
      name: capacityName,
      vpcZoneIdentifier: [...props.subnetIds],
      minSize: min,
      maxSize: props.maxInstances,
      // ECS managed termination protection needs scale-in protection on the group's instances.
      protectFromScaleIn: true,
      // Scale-in protection would keep `terraform destroy` waiting forever; a destroy ends the instances
      // (the services on them are destroyed first).
      forceDelete: true,
      capacityRebalance: spot,
      healthCheckType: "EC2",
      mixedInstancesPolicy: {
        instancesDistribution: {
          onDemandBaseCapacity: onDemandBase,
          onDemandPercentageAboveBaseCapacity: onDemandPercent,
          spotAllocationStrategy: "price-capacity-optimized",
        },
        launchTemplate: {
          launchTemplateSpecification: { launchTemplateId: this.template.launchTemplateId, version: this.launchTemplate.latestVersion.toString() },
          override: props.instanceTypes.map((instanceType) => ({ instanceType })),
        },
      },
      // Every launch-template change (a new version) replaces the instances, a share at a time;
      // instances protected from scale-in are refreshed too.
      instanceRefresh: {
        strategy: "Rolling",
        // Replacements launch before instances are terminated (up to twice the group), so a small group keeps its capacity.
        preferences: { minHealthyPercentage: 100, maxHealthyPercentage: 200, scaleInProtectedInstances: "Refresh", standbyInstances: "Terminate" },
      },
      tag: [
        { key: "AmazonECSManaged", value: "", propagateAtLaunch: true },
        { key: "Name", value: capacityName, propagateAtLaunch: true },
      ],
      // ECS managed scaling owns the desired count.
      lifecycle: { ignoreChanges: ["desired_capacity"] },
    });

    this.capacityProvider = new EcsCapacityProvider(this, "capacity-provider", {
      name: capacityName,
      autoScalingGroupProvider: {
        autoScalingGroupArn: this.autoScalingGroup.arn,
        managedTerminationProtection: "ENABLED",
        managedDraining: "ENABLED",
        managedScaling: { status: "ENABLED", targetCapacity: target, minimumScalingStepSize: 1, maximumScalingStepSize: 10 },
      },
    });
    this.capacityProviderName = this.capacityProvider.name;
  }
}

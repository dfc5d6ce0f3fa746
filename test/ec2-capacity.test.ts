import { AutoscalingGroup } from "@cdktf/provider-aws/lib/autoscaling-group";
import { EcsCapacityProvider } from "@cdktf/provider-aws/lib/ecs-capacity-provider";
import { describe, expect, it } from "vitest";
import { ECS_OPTIMIZED_AMI_PARAMETERS, EcsEc2Capacity, type EcsEc2CapacityProps } from "../modules/ec2-capacity";
import { sessionManagerInstanceStatements } from "../modules/ec2-launch-template";
import { TEST_ACCOUNT, onlyResource, ref, resourcesOf, synthConstruct, testNaming } from "./helpers";

function capacity(overrides: Partial<EcsEc2CapacityProps> = {}) {
  return synthConstruct((stack) => {
    new EcsEc2Capacity(stack, "api-capacity", {
      naming: testNaming,
      component: "api",
      region: "eu-west-1",
      accountId: TEST_ACCOUNT,
      vpcId: "vpc-123",
      subnetIds: ["subnet-a", "subnet-b"],
      clusterName: "acme-test-cluster",
      instanceTypes: ["m7g.large", "m6g.large"],
      architecture: "arm64",
      minInstances: 1,
      maxInstances: 4,
      ...overrides,
    });
  });
}

describe("EcsEc2Capacity", () => {
  const { synth, json } = capacity();
  const template = onlyResource(json, "aws_launch_template");
  const templateId = Object.keys(resourcesOf(json, "aws_launch_template"))[0];

  it("launches the current ECS-optimized AMI for the architecture, resolved at launch", () => {
    expect(template.image_id).toBe("resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id");
    expect(onlyResource(capacity({ architecture: "x86_64", instanceTypes: ["m7i.large"] }).json, "aws_launch_template").image_id).toBe(
      `resolve:ssm:${ECS_OPTIMIZED_AMI_PARAMETERS.x86_64}`,
    );
    expect(json.data).toBeUndefined();
  });

  it("requires IMDSv2 with one hop, encrypts a gp3 root volume, has no key pair and no inbound rule", () => {
    expect(template.metadata_options).toEqual({ http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1, instance_metadata_tags: "disabled" });
    expect(template.block_device_mappings).toEqual([
      { device_name: "/dev/xvda", ebs: { volume_size: 30, volume_type: "gp3", encrypted: "true", delete_on_termination: "true" } },
    ]);
    expect(template.key_name).toBeUndefined();
    expect(template.monitoring).toEqual({ enabled: true });
    expect(template).not.toHaveProperty("network_interfaces");
    expect(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).toEqual({});
    expect(Object.values(resourcesOf(json, "aws_vpc_security_group_egress_rule"))).toEqual([
      expect.objectContaining({ from_port: 443, to_port: 443, ip_protocol: "tcp", cidr_ipv4: "0.0.0.0/0" }),
    ]);
  });

  it("joins the cluster, keeps tasks away from the instance's credentials, and drains Spot instances", () => {
    const userData = template.user_data as string;
    const script = /^\$\{base64encode\("(.*)"\)\}$/s.exec(userData)![1].replace(/\\n/g, "\n");
    expect(script).toContain("ECS_CLUSTER=acme-test-cluster");
    expect(script).toContain("ECS_AWSVPC_BLOCK_IMDS=true");
    expect(script).not.toContain("ECS_ENABLE_SPOT_INSTANCE_DRAINING");
    const spot = onlyResource(capacity({ onDemandPercentAboveBase: 0 }).json, "aws_launch_template").user_data as string;
    expect(spot).toContain("ECS_ENABLE_SPOT_INSTANCE_DRAINING=true");
  });

  it("gives the instances the ECS agent's managed policy and the launch template's least-privilege Session Manager statements, nothing else", () => {
    const role = Object.keys(resourcesOf(json, "aws_iam_role"))[0];
    expect(JSON.parse(onlyResource(json, "aws_iam_role").assume_role_policy).Statement).toEqual([
      { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    expect(Object.values(resourcesOf(json, "aws_iam_role_policy_attachment")).map((a) => [a.role, a.policy_arn])).toEqual([
      [ref("aws_iam_role", role, "name"), "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"],
    ]);
    // No AmazonSSMManagedInstanceCore: Session Manager needs only the heartbeat and the message channels.
    const inline = onlyResource(json, "aws_iam_role_policy");
    expect(inline.role).toBe(ref("aws_iam_role", role, "id"));
    expect(JSON.parse(inline.policy).Statement).toEqual(sessionManagerInstanceStatements("aws", "eu-west-1", TEST_ACCOUNT));
    expect(template.iam_instance_profile).toEqual({ arn: ref("aws_iam_instance_profile", Object.keys(resourcesOf(json, "aws_iam_instance_profile"))[0], "arn") });
  });

  it("scales in the private subnets, protected from scale-in, ECS-managed, refreshed on every template change", () => {
    expect(synth).toHaveResourceWithProperties(AutoscalingGroup, {
      name: "acme-test-api-capacity",
      vpc_zone_identifier: ["subnet-a", "subnet-b"],
      min_size: 1,
      max_size: 4,
      protect_from_scale_in: true,
      force_delete: true,
      capacity_rebalance: false,
      instance_refresh: { strategy: "Rolling", preferences: { min_healthy_percentage: 100, max_healthy_percentage: 200, scale_in_protected_instances: "Refresh", standby_instances: "Terminate" } },
      lifecycle: { ignore_changes: ["desired_capacity"] },
    });
    const group = onlyResource(json, "aws_autoscaling_group");
    expect(group.tag).toContainEqual({ key: "AmazonECSManaged", value: "", propagate_at_launch: true });
    expect(group.mixed_instances_policy.launch_template).toEqual({
      launch_template_specification: { launch_template_id: ref("aws_launch_template", templateId, "id"), version: ref("aws_launch_template", templateId, "latest_version") },
      override: [{ instance_type: "m7g.large" }, { instance_type: "m6g.large" }],
    });
    expect(group.mixed_instances_policy.instances_distribution).toEqual({
      on_demand_base_capacity: 0,
      on_demand_percentage_above_base_capacity: 100,
      spot_allocation_strategy: "price-capacity-optimized",
    });
  });

  it("mixes in Spot below 100% on-demand, with capacity rebalancing", () => {
    const group = onlyResource(capacity({ onDemandBase: 2, onDemandPercentAboveBase: 25 }).json, "aws_autoscaling_group");
    expect(group.capacity_rebalance).toBe(true);
    expect(group.mixed_instances_policy.instances_distribution).toMatchObject({ on_demand_base_capacity: 2, on_demand_percentage_above_base_capacity: 25 });
  });

  it("backs a capacity provider with managed scaling, termination protection and draining", () => {
    const group = Object.keys(resourcesOf(json, "aws_autoscaling_group"))[0];
    expect(synth).toHaveResourceWithProperties(EcsCapacityProvider, {
      name: "acme-test-api-capacity",
      auto_scaling_group_provider: {
        auto_scaling_group_arn: ref("aws_autoscaling_group", group, "arn"),
        managed_termination_protection: "ENABLED",
        managed_draining: "ENABLED",
        managed_scaling: { status: "ENABLED", target_capacity: 100, minimum_scaling_step_size: 1, maximum_scaling_step_size: 10 },
      },
    });
  });

  it("sets the instance type in the template only when the group runs no Spot (the overrides choose otherwise)", () => {
    expect(template.instance_type).toBe("m7g.large");
    expect(onlyResource(capacity({ onDemandPercentAboveBase: 50 }).json, "aws_launch_template")).not.toHaveProperty("instance_type");
  });

  it("refuses instance types of the other architecture", () => {
    expect(() => capacity({ instanceTypes: ["m7g.large", "m7i.large"] })).toThrow("EcsEc2Capacity api: instanceType m7i.large does not run arm64");
    expect(() => capacity({ architecture: "x86_64" })).toThrow("EcsEc2Capacity api: instanceType m7g.large does not run x86_64");
  });

  it("refuses no instance types, min above max, a share or target out of range, and no subnets", () => {
    expect(() => capacity({ instanceTypes: [] })).toThrow("EcsEc2Capacity api: instanceTypes is empty");
    expect(() => capacity({ minInstances: 5 })).toThrow("EcsEc2Capacity api: minInstances 5 is above maxInstances 4");
    expect(() => capacity({ onDemandPercentAboveBase: 101 })).toThrow("EcsEc2Capacity api: onDemandPercentAboveBase 101 is outside 0-100");
    expect(() => capacity({ targetCapacityPercent: 0 })).toThrow("EcsEc2Capacity api: targetCapacityPercent 0 is outside 1-100");
    expect(() => capacity({ subnetIds: [] })).toThrow("EcsEc2Capacity api: subnetIds is empty");
  });
});

import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { describe, expect, it } from "vitest";
import { ACCESS_HOST_TAG, AccessHost, DeveloperRole, PORT_FORWARDING_DOCUMENT, SESSION_PREFERENCES_DOCUMENT } from "../modules/access-host";
import { Ec2LaunchTemplate } from "../modules/ec2-launch-template";
import { decide } from "./iam-model";
import { TEST_ACCOUNT, onlyResource, ref, resourcesOf, synthConstruct, testNaming } from "./helpers";

const base = { naming: testNaming, region: "us-east-1", accountId: TEST_ACCOUNT };
const statementsOf = (policy: string) => JSON.parse(policy).Statement as Array<Record<string, any>>;

describe("Ec2LaunchTemplate", () => {
  const build = (extra: Partial<ConstructorParameters<typeof Ec2LaunchTemplate>[2]> = {}) =>
    synthConstruct((stack) => new Ec2LaunchTemplate(stack, "lt", { ...base, component: "capacity", securityGroupIds: ["sg-1"], ...extra }));

  it("defaults to a hardened Graviton template: AMI from SSM at launch, IMDSv2 with hop limit 1, encrypted gp3 root, no key pair", () => {
    const { json, synth } = build();
    const lt = onlyResource(json, "aws_launch_template");
    expect(lt.image_id).toBe("resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64");
    expect(lt.instance_type).toBe("t4g.nano");
    expect(lt.metadata_options).toEqual({ http_endpoint: "enabled", http_tokens: "required", http_put_response_hop_limit: 1, instance_metadata_tags: "disabled" });
    expect(lt.block_device_mappings).toEqual([{ device_name: "/dev/xvda", ebs: { volume_size: 8, volume_type: "gp3", encrypted: "true", delete_on_termination: "true" } }]);
    expect(lt).not.toHaveProperty("key_name");
    expect(lt).not.toHaveProperty("network_interfaces");
    expect(lt).not.toHaveProperty("user_data");
    expect(lt.vpc_security_group_ids).toEqual(["sg-1"]);
    const profileId = Object.keys(resourcesOf(json, "aws_iam_instance_profile"))[0];
    expect(lt.iam_instance_profile).toEqual({ arn: ref("aws_iam_instance_profile", profileId, "arn") });
    expect(synth).toHaveResourceWithProperties(IamRole, { name: "acme-test-capacity" });
    expect(synth).toHaveResourceWithProperties(LaunchTemplate, { update_default_version: true });
  });

  it("gives the instance role Session Manager only: heartbeat from this account's instances, message channels", () => {
    const { json } = build();
    const statements = statementsOf(onlyResource(json, "aws_iam_role_policy").policy);
    expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      "ssm:UpdateInstanceInformation",
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]);
    const instance = { "ec2:SourceInstanceARN": `arn:aws:ec2:us-east-1:${TEST_ACCOUNT}:instance/i-0abc` };
    expect(decide(statements, "ssm:UpdateInstanceInformation", "*", instance)).toBe("allow");
    // Credentials used off the instance carry no ec2:SourceInstanceARN.
    expect(decide(statements, "ssm:UpdateInstanceInformation", "*", {})).toBe("implicit-deny");
    expect(decide(statements, "ssm:GetParameter", "*", instance)).toBe("implicit-deny");
  });

  it("takes what an ECS capacity provider needs: ECS AMI, hop limit 2, user data, extra role statements, no fixed type", () => {
    const { json } = build({
      amiParameter: "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id",
      instanceType: null,
      metadataHopLimit: 2,
      rootVolumeSizeGiB: 30,
      userData: ["echo ECS_CLUSTER=acme-test >> /etc/ecs/ecs.config"],
      rolePolicyStatements: [{ Sid: "Ecs", Effect: "Allow", Action: "ecs:RegisterContainerInstance", Resource: "arn:aws:ecs:us-east-1:123456789012:cluster/acme-test" }],
    });
    const lt = onlyResource(json, "aws_launch_template");
    expect(lt.image_id).toBe("resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id");
    expect(lt.metadata_options.http_put_response_hop_limit).toBe(2);
    expect(lt).not.toHaveProperty("instance_type");
    expect(lt.block_device_mappings[0].ebs.volume_size).toBe(30);
    expect(lt.user_data).toContain("base64encode");
    expect(lt.user_data).toContain("ECS_CLUSTER=acme-test");
    const actions = statementsOf(onlyResource(json, "aws_iam_role_policy").policy).flatMap((s) => [s.Action].flat());
    expect(actions).toContain("ecs:RegisterContainerInstance");
  });

  it("sets no instance type when asked (null: the Auto Scaling group chooses) and attaches the AWS managed policies named", () => {
    const { json } = build({ instanceType: null, managedPolicies: ["service-role/AmazonEC2ContainerServiceforEC2Role"] });
    expect(onlyResource(json, "aws_launch_template")).not.toHaveProperty("instance_type");
    const role = Object.keys(resourcesOf(json, "aws_iam_role"))[0];
    expect(Object.values(resourcesOf(json, "aws_iam_role_policy_attachment")).map((a) => [a.role, a.policy_arn])).toEqual([
      [ref("aws_iam_role", role, "name"), "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role"],
    ]);
    expect(resourcesOf(build().json, "aws_iam_role_policy_attachment")).toEqual({});
    expect(() => build({ managedPolicies: ["arn:aws:iam::aws:policy/AdministratorAccess"] })).toThrow('managedPolicies takes a path and name after "policy/"');
  });

  it("refuses an instance type of the other architecture, a hop limit of 3 and an empty security group list", () => {
    expect(() => build({ instanceType: "t3.micro" })).toThrow("Ec2LaunchTemplate: instanceType t3.micro does not run arm64");
    expect(() => build({ architecture: "x86_64", instanceType: "m7g.large" })).toThrow("does not run x86_64");
    expect(() => build({ metadataHopLimit: 3 as never })).toThrow("Ec2LaunchTemplate: metadataHopLimit must be 1 or 2");
    expect(() => build({ securityGroupIds: [] })).toThrow("Ec2LaunchTemplate: securityGroupIds needs at least one");
  });
});

describe("AccessHost", () => {
  const build = (extra: Partial<ConstructorParameters<typeof AccessHost>[2]> = {}) =>
    synthConstruct((stack) => new AccessHost(stack, "access", { ...base, vpcId: "vpc-1", subnetIds: ["subnet-a", "subnet-b"], ...extra }));

  it("is an Auto Scaling group of 0..1, stopped at creation, desired capacity left to developers, stopped daily", () => {
    const { json } = build();
    const group = onlyResource(json, "aws_autoscaling_group");
    expect(group).toMatchObject({ min_size: 0, max_size: 1, desired_capacity: 0, vpc_zone_identifier: ["subnet-a", "subnet-b"], max_instance_lifetime: 7 * 86400 });
    expect(group.lifecycle).toEqual({ ignore_changes: ["desired_capacity"] });
    const ltId = Object.keys(resourcesOf(json, "aws_launch_template"))[0];
    expect(group.launch_template).toEqual({ id: ref("aws_launch_template", ltId, "id"), version: ref("aws_launch_template", ltId, "latest_version") });
    expect(onlyResource(json, "aws_autoscaling_schedule")).toMatchObject({ recurrence: "0 20 * * *", desired_capacity: 0, time_zone: "Etc/UTC" });
    const lt = onlyResource(json, "aws_launch_template");
    expect(lt.tag_specifications[0]).toEqual({ resource_type: "instance", tags: { Name: "acme-test-access-host", [ACCESS_HOST_TAG]: "acme-test-access-host" } });
  });

  it("has no ingress at all and only HTTPS egress until the database admits it", () => {
    const { json } = build();
    expect(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).toEqual({});
    const egress = Object.values(resourcesOf(json, "aws_vpc_security_group_egress_rule"));
    expect(egress.map((e) => [e.from_port, e.to_port])).toEqual([[443, 443]]);
  });

  it("logs sessions to a KMS-encrypted group and sets the account's preferences: encryption, streaming, idle timeout", () => {
    const { json } = build({ idleSessionTimeoutMinutes: 15, sessionLogsToS3: true });
    const keyId = Object.keys(resourcesOf(json, "aws_kms_key"))[0];
    const group = onlyResource(json, "aws_cloudwatch_log_group");
    expect(group).toMatchObject({ name: "/aws/ssm/acme-test-sessions", kms_key_id: ref("aws_kms_key", keyId, "arn") });
    const doc = onlyResource(json, "aws_ssm_document");
    expect(doc).toMatchObject({ name: SESSION_PREFERENCES_DOCUMENT, document_type: "Session" });
    const inputs = JSON.parse(doc.content).inputs;
    expect(inputs).toMatchObject({ cloudWatchEncryptionEnabled: true, cloudWatchStreamingEnabled: true, s3EncryptionEnabled: true, idleSessionTimeout: "15", runAsEnabled: false });
    expect(inputs.kmsKeyId).toBe(ref("aws_kms_key", keyId, "arn"));
    const bucket = Object.values(resourcesOf(json, "aws_s3_bucket_server_side_encryption_configuration"))[0];
    expect(bucket.rule[0].apply_server_side_encryption_by_default.sse_algorithm).toBe("aws:kms");
  });

  it("leaves the preferences document out when another stack manages it", () => {
    expect(resourcesOf(build({ manageSessionPreferences: false }).json, "aws_ssm_document")).toEqual({});
  });

  it("refuses an idle timeout over an hour and no subnets", () => {
    expect(() => build({ idleSessionTimeoutMinutes: 90 })).toThrow("AccessHost: idleSessionTimeoutMinutes must be 1 to 60");
    expect(() => build({ subnetIds: [] })).toThrow("AccessHost: subnetIds needs at least one private subnet");
  });
});

describe("DeveloperRole", () => {
  const props = {
    ...base,
    principalArns: ["arn:aws:iam::123456789012:role/developers"],
    autoScalingGroupName: "acme-test-access-host",
    hostTag: { key: ACCESS_HOST_TAG, value: "acme-test-access-host" },
    sessionKeyArn: "arn:aws:kms:us-east-1:123456789012:key/abc",
    clusterArn: "arn:aws:rds:us-east-1:123456789012:cluster:acme-test-db",
    clusterResourceId: "cluster-ABCDEF",
    databaseUser: "app_readonly",
  };
  const build = (extra: Partial<typeof props & { maxSessionHours: number }> = {}) => synthConstruct((stack) => new DeveloperRole(stack, "dev", { ...props, ...extra })).json;
  const instance = `arn:aws:ec2:us-east-1:${TEST_ACCOUNT}:instance/i-0abc`;
  const document = (name: string) => `arn:aws:ssm:us-east-1::document/${name}`;

  it("is assumable by the named principals only with MFA, for the configured hours", () => {
    const json = build({ maxSessionHours: 1 });
    const role = onlyResource(json, "aws_iam_role");
    expect(role.name).toBe("acme-test-developer");
    expect(role.max_session_duration).toBe(3600);
    const trust = statementsOf(role.assume_role_policy);
    expect(trust).toHaveLength(1);
    expect(trust[0].Principal).toEqual({ AWS: ["arn:aws:iam::123456789012:role/developers"] });
    expect(decide(trust, "sts:AssumeRole", "*", { "aws:MultiFactorAuthPresent": "true" })).toBe("allow");
    expect(decide(trust, "sts:AssumeRole", "*", { "aws:MultiFactorAuthPresent": "false" })).toBe("implicit-deny");
    expect(decide(trust, "sts:AssumeRole", "*", {})).toBe("implicit-deny");
  });

  it("starts sessions only on the tagged host and only with the port-forwarding document", () => {
    const statements = statementsOf(onlyResource(build(), "aws_iam_role_policy").policy);
    const host = { "ssm:resourceTag/PlatformAccessHost": "acme-test-access-host", "ssm:SessionDocumentAccessCheck": "true" };
    expect(decide(statements, "ssm:StartSession", instance, host)).toBe("allow");
    expect(decide(statements, "ssm:StartSession", document(PORT_FORWARDING_DOCUMENT), { "ssm:SessionDocumentAccessCheck": "true" })).toBe("allow");
    // The shell (default document), plain port forwarding to the host itself, other instances: refused.
    expect(decide(statements, "ssm:StartSession", document("SSM-SessionManagerRunShell"), {})).toBe("implicit-deny");
    expect(decide(statements, "ssm:StartSession", document("AWS-StartPortForwardingSession"), {})).toBe("implicit-deny");
    expect(decide(statements, "ssm:StartSession", instance, { "ssm:resourceTag/PlatformAccessHost": "acme-prod-access-host" })).toBe("implicit-deny");
    expect(decide(statements, "ssm:StartSession", instance, {})).toBe("implicit-deny");
    expect(decide(statements, "ssm:SendCommand", instance, host)).toBe("implicit-deny");
  });

  it("connects to PostgreSQL only as the read-only user of this cluster, and may start only its host", () => {
    const statements = statementsOf(onlyResource(build(), "aws_iam_role_policy").policy);
    const dbuser = (user: string) => `arn:aws:rds-db:us-east-1:${TEST_ACCOUNT}:dbuser:cluster-ABCDEF/${user}`;
    expect(decide(statements, "rds-db:connect", dbuser("app_readonly"))).toBe("allow");
    expect(decide(statements, "rds-db:connect", dbuser("app_admin"))).toBe("implicit-deny");
    expect(decide(statements, "rds-db:connect", `arn:aws:rds-db:us-east-1:${TEST_ACCOUNT}:dbuser:cluster-OTHER/app_readonly`)).toBe("implicit-deny");
    const group = (name: string) => `arn:aws:autoscaling:us-east-1:${TEST_ACCOUNT}:autoScalingGroup:uuid:autoScalingGroupName/${name}`;
    expect(decide(statements, "autoscaling:SetDesiredCapacity", group("acme-test-access-host"))).toBe("allow");
    expect(decide(statements, "autoscaling:SetDesiredCapacity", group("acme-test-web"))).toBe("implicit-deny");
    expect(decide(statements, "rds:DescribeDBClusters", props.clusterArn)).toBe("allow");
    expect(decide(statements, "rds:ModifyDBCluster", props.clusterArn)).toBe("implicit-deny");
  });

  it("refuses wildcard or missing principals and sessions over 12 hours", () => {
    expect(() => build({ principalArns: ["arn:aws:iam::123456789012:role/*"] })).toThrow("DeveloperRole: principalArns: \"arn:aws:iam::123456789012:role/*\" has a wildcard");
    expect(() => build({ principalArns: [] })).toThrow("DeveloperRole: principalArns needs at least one principal");
    expect(() => build({ maxSessionHours: 13 })).toThrow("DeveloperRole: maxSessionHours must be 1 to 12");
  });
});

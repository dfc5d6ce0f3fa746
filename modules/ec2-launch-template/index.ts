import { IamInstanceProfile } from "@cdktf/provider-aws/lib/iam-instance-profile";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LaunchTemplate } from "@cdktf/provider-aws/lib/launch-template";
import { Fn, Token, type TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { partitionOf, policyDocument, type PolicyStatement } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";

/** CPU architecture of the instances; it picks the default AMI parameter and must match the instance types. */
export type Ec2Architecture = "arm64" | "x86_64";

/** The public SSM parameter of the latest Amazon Linux 2023 AMI (default kernel) for an architecture. */
export function amazonLinux2023Parameter(architecture: Ec2Architecture): string {
  return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}`;
}

/**
 * What the SSM agent needs for Session Manager and nothing more (the Session Manager part of
 * AmazonSSMManagedInstanceCore): the heartbeat and the four message channels. None of these has
 * resource-level permissions in the Service Authorization Reference, so `Resource` is `*`; the
 * heartbeat is limited to credentials delivered to an instance of this account and region
 * (`ec2:SourceInstanceARN`, present only on instance-profile credentials).
 */
export function sessionManagerInstanceStatements(partition: string, region: string, accountId: string): PolicyStatement[] {
  return [
    {
      Sid: "SsmAgentHeartbeat",
      Effect: "Allow",
      Action: "ssm:UpdateInstanceInformation",
      Resource: "*",
      Condition: { StringLike: { "ec2:SourceInstanceARN": `arn:${partition}:ec2:${region}:${accountId}:instance/*` } },
    },
    {
      Sid: "SessionManagerChannels",
      Effect: "Allow",
      Action: ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"],
      Resource: "*",
    },
  ];
}

export interface Ec2LaunchTemplateProps {
  readonly naming: NameContext;
  /** Component name: template, role and instance profile are `<project>-<env>-<component>`. */
  readonly component: string;
  readonly region: string;
  readonly accountId: string;
  /** Security groups of the instances (the template sets no inline rules; pass groups with no ingress). */
  readonly securityGroupIds: readonly string[];
  /** CPU architecture; instance types must match it. @default "arm64" (Graviton) */
  readonly architecture?: Ec2Architecture;
  /**
   * Instance type set in the template; `null` for none, when the Auto Scaling group chooses the types
   * (a mixed instances policy, as an ECS capacity provider with Spot does).
   * @default "t4g.nano" for arm64, none for x86_64
   */
  readonly instanceType?: string | null;
  /**
   * SSM parameter the AMI is resolved from at every launch (`resolve:ssm:` in the template, so no
   * AMI lookup at plan time). For ECS use `/aws/service/ecs/optimized-ami/amazon-linux-2023/<arch>/recommended/image_id`.
   * @default the latest Amazon Linux 2023 for `architecture`
   */
  readonly amiParameter?: string;
  /** Root volume size, GiB (gp3, encrypted, deleted with the instance). @default 8 */
  readonly rootVolumeSizeGiB?: number;
  /** Root device name of the AMI. @default "/dev/xvda" (Amazon Linux 2023, ECS-optimized AL2023) */
  readonly rootDeviceName?: string;
  /** Customer-managed KMS key of the root volume. @default the account's EBS default key (`aws/ebs`) */
  readonly ebsKmsKeyArn?: string;
  /**
   * IMDSv2 hop limit: 1 (only the instance itself reaches the metadata service) or 2 (containers in
   * bridge networking on the host, as ECS on EC2 needs; the policy pack's CKV_AWS_341 then needs a suppression).
   * @default 1
   */
  readonly metadataHopLimit?: 1 | 2;
  /** Shell lines run at first boot after the shebang (cloud-init user data), for example ECS agent configuration. @default none */
  readonly userData?: readonly string[];
  /** Grant the instance role Session Manager (agent heartbeat and message channels). @default true */
  readonly sessionManager?: boolean;
  /** Statements added to the instance role's inline policy (for example session logging, ECS agent). @default none */
  readonly rolePolicyStatements?: readonly PolicyStatement[];
  /**
   * AWS managed policies attached to the instance role, by path and name after `policy/` (for example
   * `service-role/AmazonEC2ContainerServiceforEC2Role`, the ECS container agent's). Prefer
   * `rolePolicyStatements`; use this only where AWS maintains the agent's permissions. @default none
   */
  readonly managedPolicies?: readonly string[];
  /** Tags of every instance and root volume launched from the template (provider default tags do not reach them). @default {} */
  readonly instanceTags?: Readonly<Record<string, string>>;
  /** Detailed (1-minute) CloudWatch monitoring of the instances. @default false */
  readonly detailedMonitoring?: boolean;
  /** Provider of another region. @default the stack's default provider */
  readonly provider?: TerraformProvider;
}

const GRAVITON_TYPE = /^[a-z]+\d+g[a-z]*\.[a-z0-9]+$/;
const INSTANCE_TYPE = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;

function fail(message: string): never {
  throw new Error(`Ec2LaunchTemplate: ${message}`);
}

/**
 * Why `instanceType` cannot run on `architecture` (not a type name, or Graviton on x86_64 and the
 * other way round), or undefined when it can. Unresolved tokens are not checked.
 */
export function instanceTypeProblem(instanceType: string, architecture: Ec2Architecture): string | undefined {
  if (Token.isUnresolved(instanceType)) return undefined;
  if (!INSTANCE_TYPE.test(instanceType)) return `instanceType must look like "t4g.nano", got "${instanceType}"`;
  if ((architecture === "arm64") !== GRAVITON_TYPE.test(instanceType)) {
    return `instanceType ${instanceType} does not run ${architecture} (Graviton types have a "g" after the generation: t4g, m7g)`;
  }
  return undefined;
}

/**
 * A hardened EC2 launch template with its instance role and profile, for an Auto Scaling group: the
 * AMI resolved from SSM at launch, IMDSv2 required (hop limit 1 unless asked), metadata tags off, an
 * encrypted gp3 root volume, no key pair, no public IP, no inline security rules, and an instance
 * role that gets only Session Manager plus what callers add (`rolePolicyStatements`, {@link grant},
 * and where AWS maintains an agent's permissions, `managedPolicies`). The one way the platform builds
 * EC2 launch templates: the access host (modules/access-host) and ECS container instances
 * (modules/ec2-capacity) use it.
 */
export class Ec2LaunchTemplate extends Construct {
  readonly launchTemplate: LaunchTemplate;
  readonly launchTemplateId: string;
  readonly launchTemplateName: string;
  /** The template's latest version number (what an Auto Scaling group pins to roll on changes). */
  readonly latestVersion: number;
  readonly role: IamRole;
  readonly roleName: string;
  readonly roleArn: string;
  readonly instanceProfile: IamInstanceProfile;
  readonly instanceProfileArn: string;
  private readonly provider?: TerraformProvider;

  constructor(scope: Construct, id: string, props: Ec2LaunchTemplateProps) {
    super(scope, id);
    const architecture = props.architecture ?? "arm64";
    const instanceType = props.instanceType === null ? undefined : (props.instanceType ?? (architecture === "arm64" ? "t4g.nano" : undefined));
    const hopLimit = props.metadataHopLimit ?? 1;
    const rootSize = props.rootVolumeSizeGiB ?? 8;
    const amiParameter = props.amiParameter ?? amazonLinux2023Parameter(architecture);

    if (architecture !== "arm64" && architecture !== "x86_64") fail(`architecture must be "arm64" or "x86_64", got "${String(architecture)}"`);
    const typeProblem = instanceType === undefined ? undefined : instanceTypeProblem(instanceType, architecture);
    if (typeProblem) fail(typeProblem);
    if (hopLimit !== 1 && hopLimit !== 2) fail(`metadataHopLimit must be 1 or 2, got ${String(hopLimit)}`);
    if (!Number.isInteger(rootSize) || rootSize < 1 || rootSize > 16384) fail(`rootVolumeSizeGiB must be a whole number from 1 to 16384, got ${rootSize}`);
    if (!/^\/[A-Za-z0-9_.\-/]+$/.test(amiParameter)) fail(`amiParameter must be an SSM parameter name starting with "/", got "${amiParameter}"`);
    if (props.securityGroupIds.length === 0) fail("securityGroupIds needs at least one security group");

    const partition = partitionOf(props.region);
    const name = physicalName(props.naming, props.component, { maxLength: NAME_LIMITS.iamRole });
    this.provider = props.provider;
    const provider = props.provider ? { provider: props.provider } : {};

    // EC2 does not document aws:SourceAccount/aws:SourceArn for instance-profile roles: the trust names the service only.
    this.role = new IamRole(this, "role", {
      ...provider,
      name,
      description: `Instance role of ${name} (launch template)`,
      assumeRolePolicy: policyDocument([{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }]),
    });
    this.roleName = this.role.name;
    this.roleArn = this.role.arn;
    const statements = [
      ...((props.sessionManager ?? true) ? sessionManagerInstanceStatements(partition, props.region, props.accountId) : []),
      ...(props.rolePolicyStatements ?? []),
    ];
    if (statements.length > 0) this.grant("instance", statements);
    (props.managedPolicies ?? []).forEach((policy, i) => {
      if (!/^([\w+=,.@-]+\/)*[\w+=,.@-]+$/.test(policy) || policy.startsWith("arn:")) fail(`managedPolicies takes a path and name after "policy/", got "${policy}"`);
      new IamRolePolicyAttachment(this, `managed-policy-${i}`, { ...provider, role: this.role.name, policyArn: `arn:${partition}:iam::aws:policy/${policy}` });
    });
    this.instanceProfile = new IamInstanceProfile(this, "instance-profile", { ...provider, name, role: this.role.name });
    this.instanceProfileArn = this.instanceProfile.arn;

    const userData = props.userData?.length ? Fn.base64encode(["#!/bin/bash", "set -euo pipefail", ...props.userData, ""].join("\n")) : undefined;
    const tags = { Name: name, ...props.instanceTags };
    this.launchTemplate = new LaunchTemplate(this, "launch-template", {
      ...provider,
      name: physicalName(props.naming, props.component, { maxLength: 128 }),
      description: `${name}: AMI from ${amiParameter}, IMDSv2, encrypted root, no key pair`,
      imageId: `resolve:ssm:${amiParameter}`,
      instanceType,
      updateDefaultVersion: true,
      iamInstanceProfile: { arn: this.instanceProfile.arn },
      vpcSecurityGroupIds: [...props.securityGroupIds],
      metadataOptions: {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: hopLimit,
        instanceMetadataTags: "disabled",
      },
      blockDeviceMappings: [
        {
          deviceName: props.rootDeviceName ?? "/dev/xvda",
          ebs: {
            volumeSize: rootSize,
            volumeType: "gp3",
            encrypted: "true",
            deleteOnTermination: "true",
            kmsKeyId: props.ebsKmsKeyArn,
          },
        },
      ],
      monitoring: { enabled: props.detailedMonitoring ?? false },
      userData,
      tagSpecifications: [
        { resourceType: "instance", tags },
        { resourceType: "volume", tags },
      ],
    });
    this.launchTemplateId = this.launchTemplate.id;
    this.launchTemplateName = this.launchTemplate.name;
    this.latestVersion = this.launchTemplate.latestVersion;
  }

  /** Adds an inline policy to the instance role. */
  grant(id: string, statements: readonly PolicyStatement[]): IamRolePolicy {
    if (statements.length === 0) fail(`grant("${id}") needs at least one statement`);
    return new IamRolePolicy(this, `policy-${id}`, {
      ...(this.provider ? { provider: this.provider } : {}),
      name: id,
      role: this.role.id,
      policy: policyDocument(statements),
    });
  }
}

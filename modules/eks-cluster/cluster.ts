import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EksAccessEntry } from "@cdktf/provider-aws/lib/eks-access-entry";
import { EksAccessPolicyAssociation } from "@cdktf/provider-aws/lib/eks-access-policy-association";
import { EksAddon } from "@cdktf/provider-aws/lib/eks-addon";
import { EksCluster as EksClusterResource } from "@cdktf/provider-aws/lib/eks-cluster";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { keyAdministrationStatement, partitionOf, policyDocument } from "../../src/lib/iam";
import { LOG_RETENTION_DAYS } from "../../src/lib/logs";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";
import { ADDON_VERSION, EKS_ADDONS, type EksAddonSpec } from "./addons";

/** Auto Mode's built-in node pools. */
export type AutoModeNodePool = "general-purpose" | "system";

/** The AWS managed policies an Auto Mode cluster role needs (compute, block storage, load balancing, networking). */
export const CLUSTER_ROLE_POLICIES = [
  "AmazonEKSClusterPolicy",
  "AmazonEKSComputePolicy",
  "AmazonEKSBlockStoragePolicy",
  "AmazonEKSLoadBalancingPolicy",
  "AmazonEKSNetworkingPolicy",
] as const;

/** The AWS managed policies of the Auto Mode node role: the minimal node policy and pulling images from ECR. */
export const NODE_ROLE_POLICIES = ["AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly"] as const;

/** The access policy cluster administrators are associated with. */
export const CLUSTER_ADMIN_ACCESS_POLICY = "AmazonEKSClusterAdminPolicy";

/** What the cluster role may do with the secrets key (terraform-aws-modules/eks grants the same). */
export const CLUSTER_KEY_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"] as const;

const LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

export interface EksClusterProps {
  readonly naming: NameContext;
  readonly region: string;
  readonly accountId: string;
  /** Kubernetes version, e.g. "1.32". */
  readonly version: string;
  /** Private subnets of the control plane's network interfaces and of the nodes (two zones or more). */
  readonly subnetIds: readonly string[];
  /** Serve the API on a public endpoint as well as the private one. @default false */
  readonly endpointPublicAccess?: boolean;
  /** Networks allowed on the public endpoint; required with `endpointPublicAccess`, never 0.0.0.0/0. @default [] */
  readonly publicAccessCidrs?: readonly string[];
  /**
   * IAM principals (roles, users) that get an access entry with cluster-admin
   * (`AmazonEKSClusterAdminPolicy`, cluster scope); the CI apply role belongs here.
   * @default [] (nobody: the creator gets no implicit admin access)
   */
  readonly admins?: readonly string[];
  /** Control-plane log types sent to `/aws/eks/<cluster>/cluster`. @default all five */
  readonly logTypes?: readonly string[];
  /** Retention of the control-plane log group, days (a CloudWatch value). @default 365 */
  readonly logRetentionDays?: number;
  /** Auto Mode's built-in node pools to enable. @default ["general-purpose", "system"] */
  readonly nodePools?: readonly AutoModeNodePool[];
  /** EKS add-ons with pinned versions. @default {@link EKS_ADDONS} */
  readonly addons?: readonly EksAddonSpec[];
}

function fail(message: string): never {
  throw new Error(`EksCluster: ${message}`);
}

/**
 * An EKS cluster in Auto Mode: EKS runs the nodes (Karpenter-based node pools `general-purpose` and
 * `system` in the private subnets), the EBS CSI driver and the load balancer controller
 * (`compute_config`, `storage_config`, `kubernetes_network_config.elastic_load_balancing`; no
 * self-managed add-ons bootstrapped). The API server has a private endpoint, and a public one only
 * when asked, limited to named networks. Kubernetes secrets are envelope-encrypted with a
 * customer-managed KMS key (rotating) whose policy lets the account administer it, the cluster role
 * use it, and the account's principals grant it to EKS only. Control-plane logs go to
 * `/aws/eks/<cluster>/cluster`, created before the cluster so retention applies. Access is by
 * access entries only (`authentication_mode = "API"`): each admin gets cluster-admin. Add-ons come
 * from one pinned table. Outputs: the cluster, its endpoint and CA, its security group (the one
 * Auto Mode nodes use), the roles and the key.
 */
export class EksCluster extends Construct {
  readonly cluster: EksClusterResource;
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly endpoint: string;
  /** Base64 PEM of the cluster's certificate authority. */
  readonly certificateAuthorityData: string;
  /** The security group EKS creates for the cluster: the control plane's and, by default, every Auto Mode node's. */
  readonly clusterSecurityGroupId: string;
  readonly clusterRole: IamRole;
  readonly nodeRole: IamRole;
  readonly secretsKey: KmsKey;
  readonly logGroup: CloudwatchLogGroup;
  readonly addons: EksAddon[] = [];

  constructor(scope: Construct, id: string, props: EksClusterProps) {
    super(scope, id);
    const { naming, region, accountId } = props;
    const partition = partitionOf(region);
    const publicAccess = props.endpointPublicAccess ?? false;
    const cidrs = props.publicAccessCidrs ?? [];
    const logTypes = props.logTypes ?? LOG_TYPES;
    const retention = props.logRetentionDays ?? 365;
    const nodePools = props.nodePools ?? ["general-purpose", "system"];
    const addons = props.addons ?? EKS_ADDONS;
    const admins = props.admins ?? [];

    if (!/^1\.\d{2}$/.test(props.version)) fail(`version must be a Kubernetes minor version such as "1.32", got "${props.version}"`);
    if (!Token.isUnresolved(props.subnetIds) && props.subnetIds.length < 2) fail("subnetIds must name subnets in at least two zones");
    if (publicAccess && cidrs.length === 0) fail("endpointPublicAccess needs publicAccessCidrs (EKS would open the endpoint to 0.0.0.0/0)");
    if (!publicAccess && cidrs.length > 0) fail("publicAccessCidrs is for the public endpoint; endpointPublicAccess is false");
    for (const cidr of cidrs) if (/\/0$/.test(cidr)) fail(`publicAccessCidrs: ${cidr} opens the endpoint to the internet`);
    for (const type of logTypes) if (!LOG_TYPES.includes(type)) fail(`logTypes: "${type}" is not one of ${LOG_TYPES.join(", ")}`);
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention)) fail(`logRetentionDays ${retention} is not a CloudWatch retention period`);
    if (nodePools.length === 0) fail("nodePools must enable at least one of general-purpose and system");
    for (const addon of addons) {
      if (!ADDON_VERSION.test(addon.version)) fail(`add-on ${addon.name}: version "${addon.version}" is not pinned (v<x.y.z>-eksbuild.<n>)`);
    }
    if (new Set(admins).size !== admins.length) fail("admins lists a principal twice");

    const name = physicalName(naming, "eks", { maxLength: NAME_LIMITS.eksCluster });
    const roleName = (component: string) => physicalName(naming, component, { maxLength: NAME_LIMITS.iamRole });
    const managed = (policy: string) => `arn:${partition}:iam::aws:policy/${policy}`;

    // Auto Mode: EKS tags what it launches on the cluster's behalf, so the role is assumed with session tags.
    this.clusterRole = new IamRole(this, "cluster-role", {
      name: roleName("eks-cluster"),
      description: `EKS Auto Mode cluster ${name}`,
      assumeRolePolicy: policyDocument([
        { Effect: "Allow", Principal: { Service: "eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] },
      ]),
    });
    const clusterPolicies = CLUSTER_ROLE_POLICIES.map(
      (policy) => new IamRolePolicyAttachment(this, `cluster-role-${policy}`, { role: this.clusterRole.name, policyArn: managed(policy) }),
    );
    this.nodeRole = new IamRole(this, "node-role", {
      name: roleName("eks-node"),
      description: `Nodes EKS Auto Mode launches for ${name}`,
      assumeRolePolicy: policyDocument([{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }]),
    });
    const nodePolicies = NODE_ROLE_POLICIES.map(
      (policy) => new IamRolePolicyAttachment(this, `node-role-${policy}`, { role: this.nodeRole.name, policyArn: managed(policy) }),
    );

    this.secretsKey = new KmsKey(this, "secrets-key", {
      description: `Encrypts the Kubernetes secrets of ${name}`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policyDocument([
        keyAdministrationStatement(partition, accountId),
        {
          Sid: "AllowClusterRoleUse",
          Effect: "Allow",
          Principal: { AWS: this.clusterRole.arn },
          Action: [...CLUSTER_KEY_ACTIONS],
          Resource: "*",
        },
        {
          // Whoever creates or updates the cluster grants the key to EKS, and to nothing else.
          Sid: "AllowGrantsToEks",
          Effect: "Allow",
          Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
          Action: "kms:CreateGrant",
          Resource: "*",
          Condition: {
            Bool: { "kms:GrantIsForAWSResource": true },
            StringEquals: { "kms:ViaService": `eks.${region}.amazonaws.com`, "kms:CallerAccount": accountId },
          },
        },
      ]),
    });
    new KmsAlias(this, "secrets-key-alias", { name: `alias/${name}-secrets`, targetKeyId: this.secretsKey.keyId });

    // The name EKS writes to: created first, so it has retention and Terraform owns it.
    this.logGroup = new CloudwatchLogGroup(this, "control-plane-logs", {
      name: `/aws/eks/${name}/cluster`,
      retentionInDays: retention,
    });

    this.cluster = new EksClusterResource(this, "cluster", {
      name,
      version: props.version,
      roleArn: this.clusterRole.arn,
      vpcConfig: {
        subnetIds: [...props.subnetIds],
        endpointPrivateAccess: true,
        endpointPublicAccess: publicAccess,
        ...(publicAccess ? { publicAccessCidrs: [...cidrs] } : {}),
      },
      accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
      bootstrapSelfManagedAddons: false,
      computeConfig: { enabled: true, nodePools: [...nodePools], nodeRoleArn: this.nodeRole.arn },
      storageConfig: { blockStorage: { enabled: true } },
      kubernetesNetworkConfig: { elasticLoadBalancing: { enabled: true } },
      encryptionConfig: { provider: { keyArn: this.secretsKey.arn }, resources: ["secrets"] },
      enabledClusterLogTypes: [...logTypes],
      upgradePolicy: { supportType: "STANDARD" },
      zonalShiftConfig: { enabled: true },
      dependsOn: [this.logGroup, ...clusterPolicies, ...nodePolicies],
    });
    this.clusterName = this.cluster.name;
    this.clusterArn = this.cluster.arn;
    this.endpoint = this.cluster.endpoint;
    this.certificateAuthorityData = this.cluster.certificateAuthority.get(0).data;
    this.clusterSecurityGroupId = this.cluster.vpcConfig.clusterSecurityGroupId;

    for (const principalArn of admins) {
      // Keyed by the principal, so adding or removing one admin leaves the others' entries alone.
      const key = `admin-${principalArn.split(":").slice(4).join("-").replace(/[^A-Za-z0-9-]+/g, "-")}`;
      const entry = new EksAccessEntry(this, key, { clusterName: this.cluster.name, principalArn, type: "STANDARD" });
      new EksAccessPolicyAssociation(this, `${key}-policy`, {
        clusterName: this.cluster.name,
        principalArn: entry.principalArn,
        policyArn: `arn:${partition}:eks::aws:cluster-access-policy/${CLUSTER_ADMIN_ACCESS_POLICY}`,
        accessScope: { type: "cluster" },
      });
    }

    for (const addon of addons) {
      this.addons.push(
        new EksAddon(this, `addon-${addon.name}`, {
          clusterName: this.cluster.name,
          addonName: addon.name,
          addonVersion: addon.version,
          resolveConflictsOnCreate: "OVERWRITE",
          resolveConflictsOnUpdate: "OVERWRITE",
        }),
      );
    }
  }
}

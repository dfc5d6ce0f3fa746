import { describe, expect, it } from "vitest";
import {
  ADDON_VERSION,
  CLUSTER_KEY_ACTIONS,
  CLUSTER_ROLE_POLICIES,
  EKS_ADDONS,
  EksCluster,
  NODE_ROLE_POLICIES,
  POD_IDENTITY_PRINCIPAL,
  PodIdentityRole,
  type EksClusterProps,
} from "../modules/eks-cluster";
import { decide } from "./iam-model";
import { TEST_ACCOUNT, onlyResource, ref, resourcesOf, synthConstruct, testNaming, type SynthJson } from "./helpers";

const base: EksClusterProps = {
  naming: testNaming,
  region: "us-east-1",
  accountId: TEST_ACCOUNT,
  version: "1.32",
  subnetIds: ["subnet-a", "subnet-b"],
};

function cluster(props: Partial<EksClusterProps> = {}): SynthJson {
  return synthConstruct((stack) => new EksCluster(stack, "eks", { ...base, ...props })).json;
}
const idOf = (json: SynthJson, type: string) => Object.keys(resourcesOf(json, type))[0];
const roleByName = (json: SynthJson, name: string) => Object.entries(resourcesOf(json, "aws_iam_role")).find(([, r]) => r.name === name)!;

describe("EksCluster", () => {
  it("builds an Auto Mode cluster: node pools, block storage, load balancing, no self-managed add-ons, API authentication", () => {
    const json = cluster();
    const c = onlyResource(json, "aws_eks_cluster");
    expect(c.name).toBe("acme-test-eks");
    expect(c.version).toBe("1.32");
    expect(c.bootstrap_self_managed_addons).toBe(false);
    expect(c.compute_config).toEqual({
      enabled: true,
      node_pools: ["general-purpose", "system"],
      node_role_arn: ref("aws_iam_role", roleByName(json, "acme-test-eks-node")[0], "arn"),
    });
    expect(c.storage_config).toEqual({ block_storage: { enabled: true } });
    expect(c.kubernetes_network_config).toEqual({ elastic_load_balancing: { enabled: true } });
    expect(c.access_config).toEqual({ authentication_mode: "API", bootstrap_cluster_creator_admin_permissions: false });
    expect(c.role_arn).toBe(ref("aws_iam_role", roleByName(json, "acme-test-eks-cluster")[0], "arn"));
  });

  it("keeps the endpoint private by default and opens the public one only to the networks given", () => {
    expect(onlyResource(cluster(), "aws_eks_cluster").vpc_config).toEqual({
      subnet_ids: ["subnet-a", "subnet-b"],
      endpoint_private_access: true,
      endpoint_public_access: false,
    });
    const open = onlyResource(cluster({ endpointPublicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] }), "aws_eks_cluster").vpc_config;
    expect(open).toMatchObject({ endpoint_private_access: true, endpoint_public_access: true, public_access_cidrs: ["203.0.113.0/24"] });
  });

  it("refuses a public endpoint without networks, or open to the internet", () => {
    expect(() => cluster({ endpointPublicAccess: true })).toThrow(/EksCluster: endpointPublicAccess needs publicAccessCidrs/);
    expect(() => cluster({ endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] })).toThrow(/0\.0\.0\.0\/0 opens the endpoint to the internet/);
    expect(() => cluster({ publicAccessCidrs: ["203.0.113.0/24"] })).toThrow(/endpointPublicAccess is false/);
    expect(() => cluster({ version: "1.32.1" })).toThrow(/Kubernetes minor version/);
    expect(() => cluster({ subnetIds: ["subnet-a"] })).toThrow(/at least two zones/);
  });

  it("encrypts secrets with a rotating key that the cluster role may use and only EKS may be granted", () => {
    const json = cluster();
    const keyId = idOf(json, "aws_kms_key");
    const key = onlyResource(json, "aws_kms_key");
    expect(key.enable_key_rotation).toBe(true);
    expect(onlyResource(json, "aws_eks_cluster").encryption_config).toEqual({ provider: { key_arn: ref("aws_kms_key", keyId, "arn") }, resources: ["secrets"] });
    const policy = JSON.parse(key.policy).Statement;
    const clusterRoleArn = ref("aws_iam_role", roleByName(json, "acme-test-eks-cluster")[0], "arn");
    const use = policy.find((s: any) => s.Sid === "AllowClusterRoleUse");
    expect(use.Principal).toEqual({ AWS: clusterRoleArn });
    expect(use.Action).toEqual([...CLUSTER_KEY_ACTIONS]);
    const grant = policy.find((s: any) => s.Sid === "AllowGrantsToEks");
    expect(grant.Condition).toEqual({
      Bool: { "kms:GrantIsForAWSResource": true },
      StringEquals: { "kms:ViaService": "eks.us-east-1.amazonaws.com", "kms:CallerAccount": TEST_ACCOUNT },
    });
    // The account administers the key but no statement hands out data-plane use to anyone else.
    expect(policy.filter((s: any) => [s.Action].flat().includes("kms:Decrypt")).map((s: any) => s.Sid)).toEqual(["AllowClusterRoleUse"]);
  });

  it("creates the control-plane log group EKS writes to before the cluster, with retention", () => {
    const json = cluster({ logRetentionDays: 30, logTypes: ["api", "audit"] });
    const group = onlyResource(json, "aws_cloudwatch_log_group");
    expect(group).toMatchObject({ name: "/aws/eks/acme-test-eks/cluster", retention_in_days: 30 });
    const c = onlyResource(json, "aws_eks_cluster");
    expect(c.enabled_cluster_log_types).toEqual(["api", "audit"]);
    expect(c.depends_on).toContain(`aws_cloudwatch_log_group.${idOf(json, "aws_cloudwatch_log_group")}`);
    expect(() => cluster({ logRetentionDays: 10 })).toThrow(/not a CloudWatch retention period/);
  });

  it("gives the cluster role the Auto Mode policies and session tagging, and the node role the minimal node policies", () => {
    const json = cluster();
    const [clusterRoleId, clusterRole] = roleByName(json, "acme-test-eks-cluster");
    const [nodeRoleId, nodeRole] = roleByName(json, "acme-test-eks-node");
    expect(JSON.parse(clusterRole.assume_role_policy).Statement).toEqual([
      { Effect: "Allow", Principal: { Service: "eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] },
    ]);
    expect(JSON.parse(nodeRole.assume_role_policy).Statement[0].Principal).toEqual({ Service: "ec2.amazonaws.com" });
    const attached = (roleId: string) =>
      Object.values(resourcesOf(json, "aws_iam_role_policy_attachment"))
        .filter((a) => a.role === ref("aws_iam_role", roleId, "name"))
        .map((a) => a.policy_arn.replace("arn:aws:iam::aws:policy/", ""));
    expect(attached(clusterRoleId).sort()).toEqual([...CLUSTER_ROLE_POLICIES].sort());
    expect(attached(nodeRoleId).sort()).toEqual([...NODE_ROLE_POLICIES].sort());
  });

  it("gives each admin an access entry with cluster-admin on the whole cluster", () => {
    const admins = ["arn:aws:iam::123456789012:role/admins", "arn:aws:iam::123456789012:role/acme-bootstrap-github-apply-test"];
    const json = cluster({ admins });
    const entries = Object.values(resourcesOf(json, "aws_eks_access_entry"));
    expect(entries.map((e) => e.principal_arn).sort()).toEqual([...admins].sort());
    expect(entries.every((e) => e.type === "STANDARD")).toBe(true);
    const associations = Object.values(resourcesOf(json, "aws_eks_access_policy_association"));
    expect(associations).toHaveLength(2);
    for (const a of associations) {
      expect(a.policy_arn).toBe("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
      expect(a.access_scope).toEqual({ type: "cluster" });
    }
    expect(() => cluster({ admins: [admins[0], admins[0]] })).toThrow(/twice/);
  });

  it("installs the add-ons of the pinned table, and refuses an unpinned version", () => {
    const json = cluster();
    const addons = Object.values(resourcesOf(json, "aws_eks_addon"));
    expect(addons.map((a) => [a.addon_name, a.addon_version])).toEqual(EKS_ADDONS.map((a) => [a.name, a.version]));
    expect(EKS_ADDONS.map((a) => a.name)).toContain("metrics-server");
    for (const a of EKS_ADDONS) expect(a.version).toMatch(ADDON_VERSION);
    expect(() => cluster({ addons: [{ name: "metrics-server", version: "latest", purpose: "x" }] })).toThrow(/is not pinned/);
  });
});

describe("PodIdentityRole", () => {
  const build = () =>
    synthConstruct((stack) => {
      const role = new PodIdentityRole(stack, "loki", {
        naming: testNaming,
        component: "pod-loki",
        accountId: TEST_ACCOUNT,
        clusterName: "acme-test-eks",
        clusterArn: "arn:aws:eks:us-east-1:123456789012:cluster/acme-test-eks",
        namespace: "observability",
        serviceAccount: "loki",
        statements: [{ Sid: "List", Effect: "Allow", Action: "s3:ListBucket", Resource: "arn:aws:s3:::logs" }],
      });
      role.grant("objects", [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::logs/*" }]);
    }).json;

  it("is assumable by Pod Identity only, for this cluster's pods of one namespace and service account", () => {
    const json = build();
    const role = onlyResource(json, "aws_iam_role");
    const trust = JSON.parse(role.assume_role_policy).Statement;
    expect(trust).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: POD_IDENTITY_PRINCIPAL },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: {
          StringEquals: {
            "aws:SourceAccount": TEST_ACCOUNT,
            "aws:RequestTag/eks-cluster-arn": "arn:aws:eks:us-east-1:123456789012:cluster/acme-test-eks",
            "aws:RequestTag/kubernetes-namespace": "observability",
            "aws:RequestTag/kubernetes-service-account": "loki",
          },
        },
      },
    ]);
  });

  it("associates the role with one namespace and service account, and grants exactly its statements", () => {
    const json = build();
    const roleId = idOf(json, "aws_iam_role");
    expect(onlyResource(json, "aws_eks_pod_identity_association")).toEqual(
      expect.objectContaining({ cluster_name: "acme-test-eks", namespace: "observability", service_account: "loki", role_arn: ref("aws_iam_role", roleId, "arn") }),
    );
    const statements = Object.values(resourcesOf(json, "aws_iam_role_policy")).flatMap((p) => JSON.parse(p.policy).Statement);
    expect(decide(statements, "s3:ListBucket", "arn:aws:s3:::logs")).toBe("allow");
    expect(decide(statements, "s3:GetObject", "arn:aws:s3:::logs/chunk")).toBe("allow");
    expect(decide(statements, "s3:PutObject", "arn:aws:s3:::logs/chunk")).toBe("implicit-deny");
    expect(decide(statements, "s3:GetObject", "arn:aws:s3:::other/chunk")).toBe("implicit-deny");
  });

  it("refuses names Kubernetes would not accept", () => {
    expect(() =>
      synthConstruct(
        (stack) =>
          new PodIdentityRole(stack, "x", { naming: testNaming, component: "x", accountId: TEST_ACCOUNT, clusterName: "c", clusterArn: "arn", namespace: "Apps", serviceAccount: "web" }),
      ),
    ).toThrow(/namespace "Apps" is not a Kubernetes name/);
  });
});

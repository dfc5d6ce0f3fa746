import { Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { POD_IDENTITY_WORKLOADS, appServiceAccount } from "../../modules/eks-cluster";
import { CONSUMER_ACTIONS, PRODUCER_ACTIONS } from "../../modules/worker";
import { buildApp } from "../../src/app";
import { DatabaseTier } from "../../src/tiers/database";
import { EksTier, OBSERVABILITY_BUCKET_ACTIONS, workerServiceAccount } from "../../src/tiers/eks";
import { NetworkTier } from "../../src/tiers/network";
import { decide } from "../iam-model";
import { environments, ref, resolved, resourcesOf, synthStack, testContext, type SynthJson } from "../helpers";

const STAGING_ACCOUNT = "555566667777";

function eks(options: Parameters<typeof testContext>[0] = {}) {
  const t = testContext({ environment: "staging-eks", ...options });
  const { config, ctx } = t;
  const network = new NetworkTier(ctx, { availabilityZones: config.availabilityZones, network: config.network, ecr: config.ecr, compute: config.compute });
  const database = new DatabaseTier(ctx, { database: config.database, network });
  const tier = new EksTier(ctx, {
    eks: config.eks!,
    services: config.services,
    workers: config.workers,
    firewall: config.operations,
    certificateArn: config.loadBalancer.certificateArn,
    ciApplyRoleArn: `arn:aws:iam::${STAGING_ACCOUNT}:role/acme-bootstrap-github-apply-staging-eks`,
    network,
    database,
  });
  return { ...t, tier, json: t.synth() };
}

const clusterId = (json: SynthJson) => Object.keys(resourcesOf(json, "aws_eks_cluster"))[0];
/** Every statement of the inline policies of the role with this name. */
function statementsOfRole(json: SynthJson, roleName: string): Array<Record<string, any>> {
  const [roleId] = Object.entries(resourcesOf(json, "aws_iam_role")).find(([, r]) => r.name === roleName)!;
  return Object.values(resourcesOf(json, "aws_iam_role_policy"))
    .filter((p) => p.role === ref("aws_iam_role", roleId, "id"))
    .flatMap((p) => JSON.parse(p.policy).Statement);
}
const bucketRef = (json: SynthJson, store: string) =>
  ref("aws_s3_bucket", Object.entries(resourcesOf(json, "aws_s3_bucket")).find(([, b]) => b.bucket === `acme-staging-eks-${store}-${STAGING_ACCOUNT}`)![0], "arn");
const queueRef = (json: SynthJson, name: string) =>
  ref("aws_sqs_queue", Object.entries(resourcesOf(json, "aws_sqs_queue")).find(([, q]) => q.name === name)![0], "arn");

describe("EksTier", () => {
  const { json, tier, stack, ctx } = eks();

  it("makes the configured admins and the account's CI apply role cluster-admins", () => {
    const principals = Object.values(resourcesOf(json, "aws_eks_access_entry")).map((e) => e.principal_arn).sort();
    expect(principals).toEqual([`arn:aws:iam::${STAGING_ACCOUNT}:role/acme-bootstrap-github-apply-staging-eks`, `arn:aws:iam::${STAGING_ACCOUNT}:role/acme-platform-admins`]);
  });

  it("opens PostgreSQL to the cluster security group Auto Mode nodes and pods use", () => {
    const rules = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).filter(
      (r) => r.referenced_security_group_id === `\${aws_eks_cluster.${clusterId(json)}.vpc_config[0].cluster_security_group_id}`,
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ from_port: 5432, to_port: 5432, ip_protocol: "tcp" });
  });

  it("gives Loki, Mimir and Tempo a bucket each, expiring after the store's retention, and a role that reaches only its own", () => {
    const expiry = (store: string) => {
      const config = Object.values(resourcesOf(json, "aws_s3_bucket_lifecycle_configuration")).find((l) => l.rule.some((r: any) => r.id === `expire-${store}`))!;
      return [config.rule.find((r: any) => r.id === `expire-${store}`).expiration].flat()[0].days;
    };
    expect([expiry("loki"), expiry("mimir"), expiry("tempo")]).toEqual([14, 30, 7]);
    for (const store of Object.keys(POD_IDENTITY_WORKLOADS)) {
      const statements = statementsOfRole(json, `acme-staging-eks-pod-${store}`);
      const own = bucketRef(json, store);
      for (const action of OBSERVABILITY_BUCKET_ACTIONS.objects) expect(decide(statements, action, `${own}/chunks/1`)).toBe("allow");
      expect(decide(statements, "s3:ListBucket", own)).toBe("allow");
      expect(decide(statements, "s3:PutBucketPolicy", own)).toBe("implicit-deny");
      for (const other of Object.keys(POD_IDENTITY_WORKLOADS).filter((s) => s !== store)) {
        expect(decide(statements, "s3:GetObject", `${bucketRef(json, other)}/chunks/1`)).toBe("implicit-deny");
      }
    }
    const associations = Object.values(resourcesOf(json, "aws_eks_pod_identity_association"));
    for (const [store, who] of Object.entries(POD_IDENTITY_WORKLOADS)) {
      expect(associations).toContainEqual(expect.objectContaining({ namespace: who.namespace, service_account: who.serviceAccount }));
      expect(associations.filter((a) => a.service_account === store)).toHaveLength(1);
    }
  });

  it("gives each service's pods the grants of its ECS task role: the database credentials and the queues it sends to", () => {
    const secret = `\${aws_rds_cluster.${Object.keys(resourcesOf(json, "aws_rds_cluster"))[0]}.master_user_secret[0].secret_arn}`;
    const queue = queueRef(json, "acme-staging-eks-default");
    const web = statementsOfRole(json, "acme-staging-eks-pod-app-web");
    const api = statementsOfRole(json, "acme-staging-eks-pod-app-api");
    expect(decide(web, "secretsmanager:GetSecretValue", secret)).toBe("allow");
    for (const action of PRODUCER_ACTIONS) expect(decide(web, action, queue)).toBe("allow");
    expect(decide(web, "sqs:ReceiveMessage", queue)).toBe("implicit-deny");
    expect(decide(api, "secretsmanager:GetSecretValue", secret)).toBe("allow");
    expect(decide(api, "sqs:SendMessage", queue)).toBe("implicit-deny");
    const worker = statementsOfRole(json, "acme-staging-eks-pod-worker-default");
    for (const action of CONSUMER_ACTIONS) expect(decide(worker, action, queue)).toBe("allow");
    expect(decide(worker, "sqs:PurgeQueue", queue)).toBe("implicit-deny");
    const associations = Object.values(resourcesOf(json, "aws_eks_pod_identity_association"));
    for (const who of [appServiceAccount("web"), appServiceAccount("api"), workerServiceAccount("default")]) {
      expect(associations).toContainEqual(expect.objectContaining({ namespace: who.namespace, service_account: who.serviceAccount }));
    }
  });

  it("trusts only Pod Identity for this cluster in every workload role", () => {
    const roles = Object.values(resourcesOf(json, "aws_iam_role")).filter((r) => r.name.includes("-pod-"));
    expect(roles).toHaveLength(6);
    for (const role of roles) {
      const [statement] = JSON.parse(role.assume_role_policy).Statement;
      expect(statement.Principal).toEqual({ Service: "pods.eks.amazonaws.com" });
      expect(statement.Condition.StringEquals["aws:RequestTag/eks-cluster-arn"]).toBe(ref("aws_eks_cluster", clusterId(json), "arn"));
      const association = Object.values(resourcesOf(json, "aws_eks_pod_identity_association")).find((a) => a.role_arn.includes(Object.entries(resourcesOf(json, "aws_iam_role")).find(([, r]) => r === role)![0]))!;
      expect(statement.Condition.StringEquals["aws:RequestTag/kubernetes-namespace"]).toBe(association.namespace);
      expect(statement.Condition.StringEquals["aws:RequestTag/kubernetes-service-account"]).toBe(association.service_account);
    }
  });

  it("keeps the queues and DLQs of the workers, registered with the monitoring with the cluster", () => {
    expect(Object.values(resourcesOf(json, "aws_sqs_queue")).map((q) => q.name).sort()).toEqual(["acme-staging-eks-default", "acme-staging-eks-default-dlq"]);
    const registered = ctx.monitoring.registered();
    expect(registered.queues.map((q) => q.name)).toEqual(["worker-default"]);
    expect(resolved(stack, registered.clusters)).toEqual([{ name: "cluster", clusterName: ref("aws_eks_cluster", clusterId(json), "name") }]);
    expect(registered.services).toEqual([]);
  });

  it("creates the WAF web ACL unassociated and Grafana's admin secret without a value", () => {
    expect(Object.keys(resourcesOf(json, "aws_wafv2_web_acl"))).toHaveLength(1);
    expect(json.resource.aws_wafv2_web_acl_association).toBeUndefined();
    expect(Object.values(resourcesOf(json, "aws_secretsmanager_secret")).map((s) => s.name)).toEqual(["acme/staging-eks/grafana-admin"]);
    expect(json.resource.aws_secretsmanager_secret_version).toBeUndefined();
  });

  it("hands the apps stack the cluster, stores, secret, web ACL, and each workload's environment and image", () => {
    const handoff = resolved(stack, tier.handoff);
    const cluster = clusterId(json);
    expect(handoff.clusterName).toBe(ref("aws_eks_cluster", cluster, "name"));
    expect(handoff.endpoint).toBe(ref("aws_eks_cluster", cluster, "endpoint"));
    expect(handoff.certificateAuthorityData).toBe(`\${aws_eks_cluster.${cluster}.certificate_authority[0].data}`);
    expect(Object.keys(handoff.observabilityBuckets).sort()).toEqual(["loki", "mimir", "tempo"]);
    expect(handoff.grafanaAdminSecretArn).toMatch(/^\$\{aws_secretsmanager_secret\..+\.arn\}$/);
    expect(handoff.externalGatewayWebAclArn).toMatch(/^\$\{aws_wafv2_web_acl\..+\.arn\}$/);
    expect(handoff.certificateArn).toBeUndefined();
    expect(Object.keys(handoff.serviceEnvironment).sort()).toEqual(["api", "web", "worker-default"]);
    const web = handoff.serviceEnvironment.web;
    expect(web).toMatchObject({ APP_ENV: "staging", API_URL: "http://api:9000", DB_PORT: "5432", CELERY_BROKER_URL: "sqs://" });
    expect(web.DB_SECRET_ARN).toMatch(/master_user_secret\[0\]\.secret_arn/);
    expect(Object.keys(JSON.parse(web.CELERY_PREDEFINED_QUEUES))).toEqual(["acme-staging-eks-default"]);
    expect(handoff.serviceEnvironment.api.CELERY_BROKER_URL).toBeUndefined();
    expect(handoff.serviceEnvironment["worker-default"]).toMatchObject({ CELERY_QUEUE_NAME: expect.any(String), CELERY_TASK_TIME_LIMIT: "600" });
    expect(Object.keys(handoff.serviceImages).sort()).toEqual(["api", "web", "worker-default"]);
  });

  it("declares the cluster's outputs", () => {
    for (const name of ["eks_cluster_name", "eks_cluster_endpoint", "eks_cluster_certificate_authority", "eks_cluster_security_group_id", "observability_buckets", "grafana_admin_secret_arn", "external_gateway_web_acl_arn", "pod_identity_roles", "worker_queues"]) {
      expect(json.output?.[name], name).toBeDefined();
    }
  });
});

describe("an EKS workspace", () => {
  const platform = buildApp(environments(), Testing.app().outdir);
  const staging = platform.workspaces.find((w) => w.config.name === "staging-eks")!;
  const dev = platform.workspaces.find((w) => w.config.name === "dev")!;

  it("composes the EKS tier instead of the ECS tiers, and exposes the handoff", () => {
    expect(staging.eks).toBeDefined();
    expect([staging.compute, staging.edge, staging.services, staging.workers, staging.schedules, staging.access, staging.pipeline]).toEqual(Array(7).fill(undefined));
    expect(staging.eks!.handoff.clusterName).toBe(staging.eks!.cluster.clusterName);
    expect(dev.eks).toBeUndefined();
    expect(dev.compute).toBeDefined();
  });

  it("gives each caller the URL of its callee's Service in the apps stack (name and port)", () => {
    const apps = platform.apps.find((a) => a.node.id === "staging-eks-apps")!;
    const services = Object.values(resourcesOf(synthStack(apps).json, "kubernetes_manifest"))
      .map((m) => m.manifest)
      .filter((m) => m.kind === "Service" && m.metadata.namespace === "apps");
    let checked = 0;
    for (const variables of Object.values(staging.eks!.handoff.serviceEnvironment)) {
      for (const [key, value] of Object.entries(variables)) {
        const url = /^http:\/\/([a-z0-9-]+):(\d+)$/.exec(value);
        if (!key.endsWith("_URL") || !url) continue;
        const callee = services.find((m) => m.metadata.name === url[1]);
        expect(callee?.spec.ports.map((p: { port: number }) => p.port), `${key}=${value}`).toContain(Number(url[2]));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it("runs each worker as a Deployment under the identity the AWS stack gave it, with its queue, and nothing may call it", () => {
    const apps = platform.apps.find((a) => a.node.id === "staging-eks-apps")!;
    const manifests = Object.values(resourcesOf(synthStack(apps).json, "kubernetes_manifest")).map((m) => m.manifest);
    const find = (kind: string, name: string) => manifests.find((m) => m.kind === kind && m.metadata.name === name && m.metadata.namespace === "apps");
    const { json } = synthStack(staging);
    const associations = Object.values(resourcesOf(json, "aws_eks_pod_identity_association"));
    for (const worker of staging.config.workers) {
      const name = `worker-${worker.name}`;
      const deployment = find("Deployment", name);
      expect(deployment, name).toBeDefined();
      const pod = deployment.spec.template.spec;
      expect(pod.serviceAccountName).toBe(workerServiceAccount(worker.name).serviceAccount);
      expect(associations.some((a) => a.namespace === "apps" && a.service_account === pod.serviceAccountName)).toBe(true);
      expect(pod.containers[0].args).toEqual(worker.command);
      expect(pod.containers[0].ports).toBeUndefined();
      const env = Object.fromEntries(pod.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
      expect(Object.keys(env)).toEqual(expect.arrayContaining(Object.keys(staging.eks!.handoff.serviceEnvironment[name])));
      expect(find("Service", name)).toBeUndefined();
      expect(find("AuthorizationPolicy", name).spec.rules).toBeUndefined();
      expect(find("HorizontalPodAutoscaler", name).spec.minReplicas).toBe(Math.max(worker.minCount, 1));
    }
  });

  it("gives the cluster a default StorageClass on Auto Mode's EBS provisioner before the observability stores claim volumes", () => {
    const apps = platform.apps.find((a) => a.node.id === "staging-eks-apps")!;
    const json = synthStack(apps).json;
    const manifests = resourcesOf(json, "kubernetes_manifest");
    const [id, storageClass] = Object.entries(manifests).find(([, m]) => m.manifest.kind === "StorageClass")!;
    expect(storageClass.manifest).toMatchObject({
      provisioner: "ebs.csi.eks.amazonaws.com",
      volumeBindingMode: "WaitForFirstConsumer",
      parameters: { type: "gp3", encrypted: "true" },
      metadata: { annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
    });
    const releases = Object.values(resourcesOf(json, "helm_release")).filter((r) => ["loki", "mimir-distributed"].includes(r.chart));
    expect(releases).toHaveLength(2);
    for (const release of releases) expect(release.depends_on).toContain(`kubernetes_manifest.${id}`);
  });

  it("tags the subnets EKS Auto Mode places load balancers in (public: internet-facing, private: internal); ECS workspaces' subnets carry no such tags", () => {
    const subnets = (w: typeof staging) => Object.values(resourcesOf(synthStack(w).json, "aws_subnet"));
    for (const subnet of subnets(staging)) {
      const lbTags = Object.keys(subnet.tags).filter((k) => k.startsWith("kubernetes.io/role/"));
      const expected = { public: ["kubernetes.io/role/elb"], private: ["kubernetes.io/role/internal-elb"], database: [] }[subnet.tags.Tier as string];
      expect(lbTags).toEqual(expected);
      for (const key of lbTags) expect(subnet.tags[key]).toBe("1");
    }
    expect(subnets(dev).some((s) => Object.keys(s.tags).some((k) => k.startsWith("kubernetes.io/")))).toBe(false);
  });

  it("alarms on the cluster's control-plane metrics (AWS/EKS, no Container Insights) and keeps the queue alarms", () => {
    const { json } = synthStack(staging);
    const alarms = Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm"));
    const eksAlarms = alarms.filter((a) => a.namespace === "AWS/EKS");
    expect(eksAlarms.map((a) => [a.alarm_name, a.metric_name, a.statistic]).sort()).toEqual([
      ["acme-staging-eks-eks-cluster-apiserver-5xx", "apiserver_request_total_5XX", "Sum"],
      ["acme-staging-eks-eks-cluster-etcd-size", "apiserver_storage_size_bytes", "Maximum"],
      ["acme-staging-eks-eks-cluster-unschedulable-pods", "scheduler_pending_pods_UNSCHEDULABLE", "Maximum"],
    ]);
    for (const alarm of eksAlarms) expect(alarm.dimensions).toEqual({ ClusterName: `\${aws_eks_cluster.${clusterId(json)}.name}` });
    expect(alarms.some((a) => a.namespace === "AWS/ECS")).toBe(false);
    expect(alarms.filter((a) => a.namespace === "AWS/SQS").length).toBeGreaterThan(0);
  });

  it("lets the cluster role manage its nodes' instance profiles under the workspace boundary, and CI create EKS's service-linked role", () => {
    const boundaryOf = (account: string, workspace: string) => {
      const { json } = synthStack(platform.bootstraps.find((b) => b.node.id === `bootstrap-${account}`)!);
      const policy = Object.values(resourcesOf(json, "aws_iam_policy")).find((p) => p.name === `acme-${workspace}-boundary`)!;
      const iam = Object.values(resourcesOf(json, "aws_iam_role_policy")).find((p) => p.name === "workspace-iam")!;
      return { boundary: JSON.parse(policy.policy).Statement, iam: JSON.parse(iam.policy).Statement };
    };
    const staging = boundaryOf(STAGING_ACCOUNT, "staging-eks");
    const dev = boundaryOf("111122223333", "dev");
    expect(decide(staging.boundary, "iam:CreateInstanceProfile", `arn:aws:iam::${STAGING_ACCOUNT}:instance-profile/eks/node`)).toBe("allow");
    expect(decide(staging.boundary, "iam:CreateRole", `arn:aws:iam::${STAGING_ACCOUNT}:role/anything`)).toBe("implicit-deny");
    expect(decide(dev.boundary, "iam:CreateInstanceProfile", "arn:aws:iam::111122223333:instance-profile/eks/node")).toBe("implicit-deny");
    const slr = (statements: Array<Record<string, any>>) => statements.find((s) => s.Sid === "ServiceLinkedRoles")!.Condition.StringEquals["iam:AWSServiceName"];
    expect(slr(staging.iam)).toContain("eks.amazonaws.com");
    expect(slr(dev.iam)).not.toContain("eks.amazonaws.com");
  });

  it("passes the policy pack", () => {
    const { stacks } = platform;
    const entry = stacks.find((s) => s.stack === staging)!;
    expect(entry.policy.evaluate(staging).filter((r) => r.outcome === "fail")).toEqual([]);
  });
});

import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { OVERSIZE_BODY_RULE, WebFirewall } from "../../modules/edge";
import { secretReadStatements } from "../../modules/ecs-task";
import {
  EksCluster,
  POD_IDENTITY_WORKLOADS,
  PodIdentityRole,
  appServiceAccount,
  type ClusterHandoff,
  type ObservabilityStore,
} from "../../modules/eks-cluster";
import { SecureBucket } from "../../modules/s3-bucket";
import { WorkerQueuePair, celeryEnvironment, workerQueueName } from "../../modules/worker";
import type { EnvironmentConfig } from "../config/schema";
import type { EksConfig } from "../config/eks";
import { NAME_LIMITS, physicalName } from "../lib/naming";
import type { TierContext } from "./context";
import type { DatabaseTier } from "./database";
import type { NetworkTier } from "./network";

/** The config slices the EKS tier reads, and the tiers it builds on. */
export interface EksTierProps {
  /** `eks`: version, endpoint access, admins, control-plane logs, observability retention. */
  readonly eks: EksConfig;
  /** `services`: each gets a Pod Identity role with its ECS task role's grants, its environment and image. */
  readonly services: EnvironmentConfig["services"];
  /** `workers`: each gets its SQS queue and dead-letter queue and a consumer Pod Identity role. */
  readonly workers: EnvironmentConfig["workers"];
  /** `operations.waf*`: the regional web ACL of the external gateway's load balancer (required on EKS). */
  readonly firewall: Pick<EnvironmentConfig["operations"], "waf" | "wafRateLimitPer5Minutes" | "wafOversizeBodies">;
  /** `loadBalancer.certificateArn`: the external gateway's HTTPS certificate. @default none (HTTP) */
  readonly certificateArn?: string;
  /** The CI apply role of the workspace's account (bootstrap stack), given cluster-admin. @default none (no GitHub configured) */
  readonly ciApplyRoleArn?: string;
  /** The VPC's private subnets (control plane interfaces and nodes) and the image repositories. */
  readonly network: NetworkTier;
  /** The database: admits the cluster's security group; its settings and credentials go to the pods. */
  readonly database: DatabaseTier;
}

const OWNER = "EksTier";

/** The actions an observability store has on its own bucket, and nothing else. */
export const OBSERVABILITY_BUCKET_ACTIONS = {
  bucket: ["s3:ListBucket"],
  objects: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
} as const;

/** The worker's Kubernetes identity: service account `worker-<name>` in the apps namespace. */
export function workerServiceAccount(worker: string): { namespace: string; serviceAccount: string } {
  return appServiceAccount(`worker-${worker}`);
}

/**
 * EKS (`compute: "eks"`): the Auto Mode cluster in the private subnets (modules/eks-cluster) with
 * the configured admins and the CI apply role as cluster-admins; the database admits the cluster's
 * security group (the one Auto Mode nodes, and so the pods, use). Loki, Mimir and Tempo each get a
 * bucket (modules/s3-bucket, expiring objects after the store's retention) and a Pod Identity role
 * limited to it; every service gets a Pod Identity role with what its ECS task role would have (the
 * database credentials, the queues it sends to) and every worker its queue pair (modules/worker)
 * and a role that consumes it. The regional WAF web ACL (modules/edge) is left unassociated: the
 * apps stack's external gateway names it. Grafana's admin password secret is created empty (the
 * apps stack writes its value). Registers the cluster and the queues with the monitoring. Exposes
 * {@link EksTier.handoff} for the apps stack. Outputs: `eks_cluster_name`, `eks_cluster_endpoint`,
 * `eks_cluster_certificate_authority`, `eks_cluster_security_group_id`, `observability_buckets`,
 * `grafana_admin_secret_arn`, `external_gateway_web_acl_arn`, `pod_identity_roles`, `worker_queues`.
 */
export class EksTier {
  readonly cluster: EksCluster;
  readonly buckets: Readonly<Record<ObservabilityStore, SecureBucket>>;
  /** Pod Identity roles by workload: `loki`, `mimir`, `tempo`, each service's name, `worker-<name>`. */
  readonly podIdentities: ReadonlyMap<string, PodIdentityRole>;
  readonly queues: ReadonlyMap<string, WorkerQueuePair>;
  readonly firewall: WebFirewall;
  readonly grafanaAdminSecret: SecretsmanagerSecret;
  /** What the `<name>-apps` stack is built from. */
  readonly handoff: ClusterHandoff;

  constructor(ctx: TierContext, props: EksTierProps) {
    const { network } = props.network;
    const spec = props.eks;
    if (!props.firewall.waf) throw new Error(`${OWNER}: the external gateway needs the WAF (operations.waf in ${ctx.configFile}; the schema requires it)`);

    this.cluster = new EksCluster(ctx.scope, "eks", {
      naming: ctx.naming,
      region: ctx.region,
      accountId: ctx.accountId,
      version: spec.version,
      subnetIds: network.privateSubnetIds,
      endpointPublicAccess: spec.endpoint.publicAccess,
      publicAccessCidrs: spec.endpoint.publicAccessCidrs,
      admins: [...spec.admins, ...(props.ciApplyRoleArn ? [props.ciApplyRoleArn] : [])],
      logTypes: spec.controlPlaneLogTypes,
      logRetentionDays: spec.controlPlaneLogRetentionDays,
    });
    const cluster = this.cluster;
    // Auto Mode nodes use the cluster security group, and pods use their node's network interface.
    props.database.admit("eks-cluster", cluster.clusterSecurityGroupId, "PostgreSQL from the EKS cluster nodes and pods");
    ctx.monitoring.addCluster(OWNER, { name: "cluster", clusterName: cluster.clusterName });

    const podIdentity = (id: string, component: string, who: { namespace: string; serviceAccount: string }) =>
      new PodIdentityRole(ctx.scope, id, {
        naming: ctx.naming,
        component,
        accountId: ctx.accountId,
        clusterName: cluster.clusterName,
        clusterArn: cluster.clusterArn,
        namespace: who.namespace,
        serviceAccount: who.serviceAccount,
      });
    const identities = new Map<string, PodIdentityRole>();

    // Observability stores: a bucket each, and a role that reaches only that bucket.
    const retention: Record<ObservabilityStore, number> = {
      loki: spec.observabilityRetentionDays.logs,
      mimir: spec.observabilityRetentionDays.metrics,
      tempo: spec.observabilityRetentionDays.traces,
    };
    const buckets = {} as Record<ObservabilityStore, SecureBucket>;
    for (const store of Object.keys(POD_IDENTITY_WORKLOADS) as ObservabilityStore[]) {
      const bucket = new SecureBucket(ctx.scope, `${store}-bucket`, {
        bucketName: physicalName(ctx.naming, `${store}-${ctx.accountId}`, { maxLength: NAME_LIMITS.s3Bucket }),
        expiryRules: [{ id: `expire-${store}`, expireAfterDays: retention[store] }],
        // The store compacts and deletes its own objects; replaced versions need not outlive a day.
        noncurrentVersionExpiryDays: 1,
        forceDestroy: ctx.disposable,
      });
      buckets[store] = bucket;
      const role = podIdentity(`${store}-pod-identity`, `pod-${store}`, POD_IDENTITY_WORKLOADS[store]);
      role.grant("bucket", [
        { Sid: "ListBucket", Effect: "Allow", Action: [...OBSERVABILITY_BUCKET_ACTIONS.bucket], Resource: bucket.bucketArn },
        { Sid: "ReadWriteObjects", Effect: "Allow", Action: [...OBSERVABILITY_BUCKET_ACTIONS.objects], Resource: `${bucket.bucketArn}/*` },
      ]);
      identities.set(store, role);
    }
    this.buckets = buckets;

    // The database as the pods see it: connection settings, and where to read the credentials with their role.
    const db = props.database.database;
    const databaseEnvironment: Record<string, string> = {
      ...db.containerEnvironment,
      ...(db.secretArn ? { DB_SECRET_ARN: db.secretArn } : {}),
      ...(db.passwordParameterName ? { DB_PASSWORD_PARAMETER: db.passwordParameterName } : {}),
    };
    const databaseGrants = secretReadStatements(db.credentialReadGrants);

    // Worker queues and their consumers.
    const queues = new Map<string, WorkerQueuePair>();
    const [application] = props.services;
    if (!application) throw new Error(`${OWNER}: at least one service is needed (the schema guarantees one)`);
    const serviceEnvironment: Record<string, Record<string, string>> = {};
    const serviceImages: Record<string, string> = {};
    for (const worker of props.workers) {
      const pair = new WorkerQueuePair(ctx.scope, `worker-${worker.name}`, {
        naming: ctx.naming,
        name: worker.name,
        visibilityTimeoutSeconds: worker.visibilityTimeoutSeconds,
        messageRetentionSeconds: 345_600,
        maxReceiveCount: worker.maxReceiveCount,
      });
      queues.set(worker.name, pair);
      const role = podIdentity(`worker-${worker.name}-pod-identity`, `pod-worker-${worker.name}`, workerServiceAccount(worker.name));
      role.grant("queue", pair.consumeStatements());
      role.grant("database", databaseGrants);
      identities.set(`worker-${worker.name}`, role);
      ctx.monitoring.addQueue(OWNER, { name: `worker-${worker.name}`, queueName: pair.queueName, deadLetterQueueName: pair.deadLetterQueueName });
      // Workers run the first service's image with its environment, as on ECS.
      serviceEnvironment[`worker-${worker.name}`] = {
        ...databaseEnvironment,
        ...application.environment,
        ...celeryEnvironment({
          queueName: pair.queueName,
          queueUrl: pair.queueUrl,
          region: ctx.region,
          visibilityTimeoutSeconds: worker.visibilityTimeoutSeconds,
          taskTimeLimitSeconds: worker.taskTimeLimitSeconds,
        }),
      };
      serviceImages[`worker-${worker.name}`] = props.network.repository(application.repository).url;
    }
    this.queues = queues;

    // Services: the grants, environment and image their ECS tasks would get.
    const byName = new Map(props.services.map((s) => [s.name, s]));
    for (const svc of props.services) {
      const role = podIdentity(`${svc.name}-pod-identity`, `pod-app-${svc.name}`, appServiceAccount(svc.name));
      if (svc.database) role.grant("database", databaseGrants);
      const targets = svc.sendsTo.map((name) => {
        const pair = queues.get(name);
        if (!pair) throw new Error(`${OWNER}: ${svc.name} sends to "${name}", which is not a worker`);
        role.grant(`send-${name}`, pair.sendStatements());
        return [name, pair] as const;
      });
      identities.set(svc.name, role);
      serviceEnvironment[svc.name] = {
        ...(svc.database ? databaseEnvironment : {}),
        ...svc.environment,
        // Each callee's Service in the apps namespace, by name: API_URL=http://api:9000.
        ...Object.fromEntries(svc.calls.map((callee) => [`${callee.toUpperCase().replace(/-/g, "_")}_URL`, `http://${callee}:${byName.get(callee)!.containerPort}`])),
        ...(targets.length > 0
          ? {
              CELERY_BROKER_URL: "sqs://",
              CELERY_BROKER_REGION: ctx.region,
              CELERY_PREDEFINED_QUEUES: JSON.stringify(Object.fromEntries(targets.map(([name, pair]) => [workerQueueName(ctx.naming, name), { url: pair.queueUrl }]))),
            }
          : {}),
      };
      serviceImages[svc.name] = props.network.repository(svc.repository).url;
    }
    this.podIdentities = identities;

    this.firewall = new WebFirewall(ctx.scope, "waf", {
      naming: ctx.naming,
      accountId: ctx.accountId,
      region: ctx.region,
      rateLimitPer5Minutes: props.firewall.wafRateLimitPer5Minutes,
      commonRuleSetCountOnly: props.firewall.wafOversizeBodies === "count" ? [OVERSIZE_BODY_RULE] : [],
      logRetentionDays: ctx.logRetentionDays,
    });

    this.grafanaAdminSecret = new SecretsmanagerSecret(ctx.scope, "grafana-admin", {
      name: `${ctx.naming.project}/${ctx.naming.environment}/grafana-admin`,
      description: `Grafana admin password of ${cluster.clusterName} (its value is written by the apps stack)`,
      recoveryWindowInDays: ctx.disposable ? 0 : 30,
    });

    this.handoff = {
      clusterName: cluster.clusterName,
      endpoint: cluster.endpoint,
      certificateAuthorityData: cluster.certificateAuthorityData,
      observabilityBuckets: { loki: buckets.loki.bucketName, mimir: buckets.mimir.bucketName, tempo: buckets.tempo.bucketName },
      grafanaAdminSecretArn: this.grafanaAdminSecret.arn,
      externalGatewayWebAclArn: this.firewall.webAclArn,
      ...(props.certificateArn ? { certificateArn: props.certificateArn } : {}),
      serviceEnvironment,
      serviceImages,
    };

    ctx.output(OWNER, "eks_cluster_name", cluster.clusterName, "EKS cluster name (aws eks update-kubeconfig --name ...)");
    ctx.output(OWNER, "eks_cluster_endpoint", cluster.endpoint, "Kubernetes API server endpoint");
    ctx.output(OWNER, "eks_cluster_certificate_authority", cluster.certificateAuthorityData, "Base64 PEM of the cluster's certificate authority");
    ctx.output(OWNER, "eks_cluster_security_group_id", cluster.clusterSecurityGroupId, "Cluster security group (Auto Mode nodes and pods); the database admits it");
    ctx.output(OWNER, "observability_buckets", { loki: buckets.loki.bucketName, mimir: buckets.mimir.bucketName, tempo: buckets.tempo.bucketName }, "S3 buckets of Loki, Mimir and Tempo");
    ctx.output(OWNER, "grafana_admin_secret_arn", this.grafanaAdminSecret.arn, "Secrets Manager secret of Grafana's admin password (value written by the apps stack)");
    ctx.output(OWNER, "external_gateway_web_acl_arn", this.firewall.webAclArn, "Regional WAF web ACL the external gateway's load balancer is associated with");
    ctx.output(OWNER, "pod_identity_roles", Object.fromEntries([...identities].map(([name, r]) => [name, r.roleArn])), "Pod Identity role of each workload (observability stores, services, workers)");
    ctx.output(
      OWNER,
      "worker_queues",
      Object.fromEntries([...queues].map(([name, q]) => [name, { queue_url: q.queueUrl, queue_arn: q.queueArn, dlq_url: q.deadLetterQueue.url, dlq_arn: q.deadLetterQueue.arn }])),
      "Celery worker queues and dead-letter queues by worker name",
    );
  }
}

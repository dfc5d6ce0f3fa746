import { HelmProvider } from "@cdktf/provider-helm/lib/provider";
import { KubernetesProvider } from "@cdktf/provider-kubernetes/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { Fn, TerraformOutput, TerraformStack, type ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import {
  APPS_NAMESPACE,
  appServiceAccount,
  INGRESS_NAMESPACE,
  ISTIO_NAMESPACE,
  OBSERVABILITY_NAMESPACE,
  POD_IDENTITY_WORKLOADS,
  type ClusterHandoff,
} from "../../modules/eks-cluster/handoff";
import {
  emitManifest,
  IstioMesh,
  MeshApplication,
  namespaceObject,
  storageClassObject,
  Observability,
  principal,
  publicRoutes,
  RELEASES,
  type KubernetesModel,
} from "../../modules/eks-apps";
import { eksAppsSchema, type EksAppsConfig } from "../config/eks-apps";
import type { EnvironmentConfig } from "../config/schema";
import { useRemoteState } from "../lib/backend";
import { imageTagVariable } from "../lib/image-tag";
import { NAME_LIMITS, physicalName } from "../lib/naming";
import { platformProvider } from "../lib/provider";

/** The name of a workspace's apps stack. */
export function appsStackName(workspace: string): string {
  return `${workspace}-apps`;
}

/** The environment's `eks.apps` slice, with every default when the environment leaves it out. */
export function eksAppsConfig(config: EnvironmentConfig): EksAppsConfig {
  const slice = (config as { eks?: { apps?: EksAppsConfig } }).eks?.apps;
  return slice ?? eksAppsSchema.parse({});
}

/** `services[].highlyAvailable`, read defensively (the EKS variant's field; absent means false). */
/** CPU target of a worker's HPA when the worker sets none. */
export const DEFAULT_WORKER_CPU_TARGET_PERCENT = 70;

export function highlyAvailable(service: EnvironmentConfig["services"][number]): boolean {
  return (service as { highlyAvailable?: boolean }).highlyAvailable === true;
}

/** Memory target of a service's HPA when the config sets none. */
export const DEFAULT_MEMORY_TARGET_PERCENT = 80;

/**
 * The Kubernetes side of an EKS workspace (`<name>-apps`), applied after the workspace's AWS stack
 * and configured from its values ({@link ClusterHandoff}): the helm, kubernetes and random providers
 * reach the cluster at the AWS stack's endpoint and CA with a token from `aws eks get-token`. It
 * holds the namespaces, the Istio mesh and gateways (modules/eks-apps/mesh.ts), the LGTM stack and
 * collector (observability.ts), one MeshApplication per `services[]` entry and the public routes.
 */
export class AppsStack extends TerraformStack {
  readonly config: EnvironmentConfig;
  readonly apps: EksAppsConfig;
  readonly mesh: IstioMesh;
  readonly observability: Observability;
  readonly applications: Readonly<Record<string, MeshApplication>>;
  /** Every typed object the stack emits (validated), for tests and tools. */
  readonly objects: KubernetesModel[] = [];

  constructor(scope: Construct, config: EnvironmentConfig, handoff: ClusterHandoff) {
    super(scope, appsStackName(config.name));
    this.config = config;
    const apps = (this.apps = eksAppsConfig(config));
    const naming = { project: config.project, environment: config.name };
    platformProvider(this, { project: config.project, environment: config.name, region: config.region, accountId: config.accountId, tags: config.tags });
    useRemoteState(this, config);
    const cluster = {
      host: handoff.endpoint,
      clusterCaCertificate: Fn.base64decode(handoff.certificateAuthorityData),
      // A short-lived token per Terraform run, from the caller's AWS credentials (an access entry of the cluster).
      exec: {
        apiVersion: "client.authentication.k8s.io/v1beta1",
        command: "aws",
        args: ["eks", "get-token", "--cluster-name", handoff.clusterName, "--region", config.region, "--output", "json"],
      },
    };
    new KubernetesProvider(this, "kubernetes", { ...cluster, exec: [cluster.exec] });
    new HelmProvider(this, "helm", { kubernetes: cluster });
    new RandomProvider(this, "random");
    const imageTag = imageTagVariable(this);

    for (const service of config.services) {
      if (!handoff.serviceImages[service.name]) throw new Error(`AppsStack ${this.node.id}: the handoff has no image for service "${service.name}"`);
    }
    const anyHost = apps.externalHosts.includes("*");
    for (const service of config.services) {
      for (const host of service.public?.hostHeaders ?? []) {
        if (!anyHost && !apps.externalHosts.some((h) => h === host || (h.startsWith("*.") && host.endsWith(h.slice(1))))) {
          throw new Error(`AppsStack ${this.node.id}: services[${service.name}].public.hostHeaders: ${host} is not among eks.apps.externalHosts (${apps.externalHosts.join(", ")})`);
        }
      }
    }

    // Pod Security: Istio's control plane, the gateways (their injection template adds no init
    // container) and the observability stack run under `baseline`. The applications' namespace is
    // `privileged`: the sidecar's istio-init container needs NET_ADMIN and NET_RAW to redirect traffic
    // (Istio's CNI plugin would lift that; not installed).
    const namespaces: Array<[string, boolean, "baseline" | "privileged"]> = [
      [ISTIO_NAMESPACE, false, "baseline"],
      [INGRESS_NAMESPACE, true, "baseline"],
      [OBSERVABILITY_NAMESPACE, false, "baseline"],
      [APPS_NAMESPACE, true, "privileged"],
    ];
    const namespaceManifests: ITerraformDependable[] = namespaces.map(([name, injection, podSecurity]) => {
      const object = namespaceObject({ name, injection }, podSecurity);
      this.objects.push(object);
      return emitManifest(this, `namespace-${name}`, object);
    });

    const storageClass = storageClassObject();
    this.objects.push(storageClass);
    const volumes = emitManifest(this, "storage-class", storageClass);

    this.observability = new Observability(this, "observability", {
      namespace: OBSERVABILITY_NAMESPACE,
      region: config.region,
      cluster: config.name,
      buckets: handoff.observabilityBuckets,
      serviceAccounts: {
        loki: POD_IDENTITY_WORKLOADS.loki.serviceAccount,
        mimir: POD_IDENTITY_WORKLOADS.mimir.serviceAccount,
        tempo: POD_IDENTITY_WORKLOADS.tempo.serviceAccount,
      },
      replicas: apps.observabilityReplicas,
      retentionDays: apps.retentionDays,
      grafanaAdminSecretArn: handoff.grafanaAdminSecretArn,
      chartVersions: {
        loki: apps.chartVersions.loki,
        mimir: apps.chartVersions.mimir,
        tempo: apps.chartVersions.tempo,
        grafana: apps.chartVersions.grafana,
        alloy: apps.chartVersions.alloy,
      },
      dependsOn: [...namespaceManifests, volumes],
    });
    this.objects.push(...this.observability.objects);

    const production = config.stage === "production";
    this.mesh = new IstioMesh(this, "mesh", {
      istioNamespace: ISTIO_NAMESPACE,
      ingressNamespace: INGRESS_NAMESPACE,
      appsNamespace: APPS_NAMESPACE,
      version: apps.chartVersions.istio,
      istiodReplicas: 2,
      gatewayReplicas: apps.gatewayReplicas,
      externalHosts: apps.externalHosts,
      internalHosts: apps.internalHosts,
      webAclArn: handoff.externalGatewayWebAclArn,
      certificateArn: handoff.certificateArn,
      otlpHost: this.observability.otlpHost,
      otlpPort: this.observability.otlpPort,
      loadBalancerName: physicalName(naming, "ext", { maxLength: NAME_LIMITS.albOrTargetGroup }),
      deletionProtection: production,
      dependsOn: namespaceManifests,
    });
    this.objects.push(...this.mesh.objects);

    const meshReady = [...namespaceManifests, ...this.mesh.ready];
    const applications: Record<string, MeshApplication> = {};
    for (const service of config.services) {
      const ha = highlyAvailable(service);
      const callers = config.services.filter((s) => s.calls.includes(service.name)).map((s) => principal(APPS_NAMESPACE, appServiceAccount(s.name).serviceAccount));
      applications[service.name] = new MeshApplication(this, `app-${service.name}`, {
        name: service.name,
        namespace: APPS_NAMESPACE,
        image: `${handoff.serviceImages[service.name]}:${imageTag.stringValue}`,
        containerPort: service.containerPort,
        cpu: service.cpu,
        memory: service.memory,
        command: service.command,
        environment: { ...service.environment, ...(handoff.serviceEnvironment[service.name] ?? {}) },
        // An HPA cannot scale to zero: a service with minCount 0 keeps one pod. A highly available
        // service with fewer than two is refused (MeshApplication), never quietly raised.
        minReplicas: Math.max(service.minCount, 1),
        maxReplicas: Math.max(service.maxCount, 1),
        highlyAvailable: ha,
        cpuTargetPercent: service.cpuTargetPercent,
        memoryTargetPercent: service.memoryTargetPercent ?? DEFAULT_MEMORY_TARGET_PERCENT,
        healthPath: service.public ? (service.healthCheck?.path ?? "/health") : undefined,
        probeCommand: service.containerHealthCheck?.command,
        readonlyRootFilesystem: service.readonlyRootFilesystem,
        allowedPrincipals: [...callers, ...(service.public ? this.mesh.gatewayPrincipals : [])],
        dependsOn: meshReady,
      });
      this.objects.push(...applications[service.name].objects);
    }
    // Workers: the Celery consumers of the worker queues, one Deployment each under the identity the
    // AWS stack gave it (`worker-<name>`: consume its queue). No Service, and an ALLOW policy without
    // rules: nothing calls a worker. Scaled on CPU between minCount (at least 1) and maxCount: scaling
    // on queue depth, as the ECS variant does, needs an external-metrics adapter the cluster lacks.
    for (const worker of config.workers) {
      const name = `worker-${worker.name}`;
      const image = handoff.serviceImages[name];
      if (!image) throw new Error(`AppsStack ${this.node.id}: the handoff has no image for worker "${worker.name}"`);
      applications[name] = new MeshApplication(this, `app-${name}`, {
        name,
        namespace: APPS_NAMESPACE,
        image: `${image}:${imageTag.stringValue}`,
        cpu: worker.cpu,
        memory: worker.memory,
        command: worker.command,
        environment: handoff.serviceEnvironment[name] ?? {},
        minReplicas: Math.max(worker.minCount, 1),
        maxReplicas: Math.max(worker.maxCount, 1),
        cpuTargetPercent: worker.cpuTargetPercent ?? DEFAULT_WORKER_CPU_TARGET_PERCENT,
        memoryTargetPercent: DEFAULT_MEMORY_TARGET_PERCENT,
        allowedPrincipals: [],
        dependsOn: meshReady,
      });
      this.objects.push(...applications[name].objects);
    }
    this.applications = applications;

    const publicServices = config.services.filter((s) => s.public);
    if (publicServices.length > 0) {
      const routes = publicRoutes({
        namespace: APPS_NAMESPACE,
        gateways: [this.mesh.external.gateway, this.mesh.internal.gateway],
        hosts: [...new Set([...apps.externalHosts, ...apps.internalHosts])],
        routes: publicServices.map((s) => ({ service: s.name, port: s.containerPort, priority: s.public!.priority, pathPatterns: s.public!.pathPatterns, hostHeaders: s.public!.hostHeaders })),
      });
      this.objects.push(routes);
      emitManifest(this, "public-routes", routes, { dependsOn: meshReady });
    }

    new TerraformOutput(this, "grafana_port_forward", {
      value: `kubectl --namespace ${OBSERVABILITY_NAMESPACE} port-forward service/${RELEASES.grafana} 3000:80`,
      description: "Reaches Grafana at http://localhost:3000 (user admin; password in the Grafana admin secret of the AWS stack)",
    });
  }
}

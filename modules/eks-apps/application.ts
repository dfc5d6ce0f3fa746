/**
 * One service of `services[]` on the cluster: its service account, Deployment (zone-spread, probes,
 * hardened container), Service, HorizontalPodAutoscaler on CPU and memory, PodDisruptionBudget, and
 * an Istio AuthorizationPolicy admitting only its declared callers (and the ingress gateways when
 * it is public). Every object is a typed model, validated before it is emitted.
 */
import { AuthorizationPolicy } from "@kubernetes-models/istio/security.istio.io/v1beta1/AuthorizationPolicy";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { IProbe } from "kubernetes-models/v1/Probe";
import type { ITopologySpreadConstraint } from "kubernetes-models/v1/TopologySpreadConstraint";
import { emitManifest, type KubernetesModel } from "./manifest";

/** The SPIFFE principal Istio gives a workload's mTLS identity: trust domain, namespace, service account. */
export function principal(namespace: string, serviceAccount: string, trustDomain = "cluster.local"): string {
  return `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;
}

export interface MeshApplicationProps {
  /** Service name: Deployment, Service, service account and `app` label. */
  readonly name: string;
  readonly namespace: string;
  /** Image URI with tag. */
  readonly image: string;
  /**
   * The port the container listens on, published by a Service of the same name on that port.
   * @default none: a worker (no Service, no probes; it consumes a queue and nobody calls it)
   */
  readonly containerPort?: number;
  /** ECS CPU units (1024 = one vCPU): the container's CPU request. */
  readonly cpu: number;
  /** MiB: the container's memory request and limit. */
  readonly memory: number;
  /** @default the image's command */
  readonly command?: readonly string[];
  /** Environment variables (the config's and the AWS stack's). @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** The floor of the HPA and the Deployment's starting replicas. */
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Refuses fewer than two replicas, and requires the zone spread (DoNotSchedule instead of ScheduleAnyway). @default false */
  readonly highlyAvailable?: boolean;
  readonly cpuTargetPercent: number;
  readonly memoryTargetPercent: number;
  /** HTTP readiness and liveness path. @default - a `probeCommand` exec probe, else a TCP probe of the container port */
  readonly healthPath?: string;
  /** Exec probe command (ECS `CMD`/`CMD-SHELL` form). @default none */
  readonly probeCommand?: readonly string[];
  /** @default true */
  readonly readonlyRootFilesystem?: boolean;
  /** mTLS principals allowed to call the service (callers' service accounts, the gateways for a public service). */
  readonly allowedPrincipals: readonly string[];
  /** What the objects wait for (the namespace, Istio's CRDs). @default none */
  readonly dependsOn?: ITerraformDependable[];
}

/** The typed objects of one application, in the order they are applied. */
export function applicationObjects(props: MeshApplicationProps): KubernetesModel[] {
  const { name, namespace } = props;
  const fail = (message: string): never => {
    throw new Error(`MeshApplication ${name}: ${message}`);
  };
  if (props.minReplicas < 1) fail(`minReplicas ${props.minReplicas} is below 1 (an HPA cannot scale to zero)`);
  if (props.minReplicas > props.maxReplicas) fail(`minReplicas ${props.minReplicas} is above maxReplicas ${props.maxReplicas}`);
  if (props.highlyAvailable && props.minReplicas < 2) fail(`is highly available but minReplicas is ${props.minReplicas} (at least 2)`);
  const labels = { app: name };
  const metadata = { name, namespace, labels };
  const probe = probeOf(props);
  const spread = (topologyKey: string, strict: boolean): ITopologySpreadConstraint => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: strict ? "DoNotSchedule" : "ScheduleAnyway",
    labelSelector: { matchLabels: labels },
  });
  const serviceAccount = new ServiceAccount({ metadata, automountServiceAccountToken: false });
  const deployment = new Deployment({
    metadata,
    spec: {
      replicas: props.minReplicas,
      selector: { matchLabels: labels },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: name,
          automountServiceAccountToken: false,
          securityContext: { seccompProfile: { type: "RuntimeDefault" } },
          topologySpreadConstraints: [spread("topology.kubernetes.io/zone", props.highlyAvailable ?? false), spread("kubernetes.io/hostname", false)],
          containers: [
            {
              name,
              image: props.image,
              ...(props.command ? { args: [...props.command] } : {}),
              ...(props.containerPort !== undefined ? { ports: [{ name: "http", containerPort: props.containerPort, protocol: "TCP" }] } : {}),
              env: Object.entries(props.environment ?? {})
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([key, value]) => ({ name: key, value })),
              resources: {
                requests: { cpu: `${Math.round((props.cpu * 1000) / 1024)}m`, memory: `${props.memory}Mi` },
                limits: { memory: `${props.memory}Mi` },
              },
              ...(probe
                ? {
                    readinessProbe: { ...probe, periodSeconds: 10, failureThreshold: 3 },
                    livenessProbe: { ...probe, initialDelaySeconds: 30, periodSeconds: 20, failureThreshold: 3 },
                  }
                : {}),
              securityContext: {
                readOnlyRootFilesystem: props.readonlyRootFilesystem ?? true,
                allowPrivilegeEscalation: false,
                capabilities: { drop: ["ALL"] },
              },
            },
          ],
        },
      },
    },
  });
  const port = props.containerPort;
  const service =
    port === undefined
      ? undefined
      : new Service({
          metadata,
          spec: {
            selector: labels,
            // The container's port, so callers reach `http://<name>:<port>` as on ECS Service Connect.
            ports: [{ name: "http", port, targetPort: port, protocol: "TCP", appProtocol: "http" }],
          },
        });
  const hpa = new HorizontalPodAutoscaler({
    metadata,
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name },
      minReplicas: props.minReplicas,
      maxReplicas: props.maxReplicas,
      metrics: [
        { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: props.cpuTargetPercent } } },
        { type: "Resource", resource: { name: "memory", target: { type: "Utilization", averageUtilization: props.memoryTargetPercent } } },
      ],
    },
  });
  // One pod at a time may be evicted (node drains, Auto Mode's node replacement); with two or more
  // replicas spread across zones the service keeps serving.
  const pdb = new PodDisruptionBudget({ metadata, spec: { maxUnavailable: 1, selector: { matchLabels: labels } } });
  // An ALLOW policy without rules admits nothing: a service nobody calls is closed.
  const authorization = new AuthorizationPolicy({
    metadata,
    spec: {
      selector: { matchLabels: labels },
      action: "ALLOW",
      ...(props.allowedPrincipals.length > 0 ? { rules: [{ from: [{ source: { principals: [...props.allowedPrincipals].sort() } }] }] } : {}),
    },
  });
  return [serviceAccount, deployment, ...(service ? [service] : []), hpa, pdb, authorization];
}

function probeOf(props: MeshApplicationProps): IProbe | undefined {
  if (props.healthPath && props.containerPort !== undefined) return { httpGet: { path: props.healthPath, port: props.containerPort } };
  if (props.probeCommand) {
    const [form, ...rest] = props.probeCommand;
    return { exec: { command: form === "CMD-SHELL" ? ["/bin/sh", "-c", rest.join(" ")] : rest } };
  }
  if (props.containerPort === undefined) return undefined;
  return { tcpSocket: { port: props.containerPort } };
}

/** Emits {@link applicationObjects}; the HPA owns the Deployment's replica count after the first apply. */
export class MeshApplication extends Construct {
  readonly objects: readonly KubernetesModel[];

  constructor(scope: Construct, id: string, props: MeshApplicationProps) {
    super(scope, id);
    this.objects = applicationObjects(props);
    for (const object of this.objects) {
      emitManifest(this, object.kind.toLowerCase(), object, {
        dependsOn: props.dependsOn,
        ...(object.kind === "Deployment" ? { computedFields: ["metadata.annotations", "metadata.labels", "spec.replicas"] } : {}),
      });
    }
  }
}

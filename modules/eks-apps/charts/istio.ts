/**
 * Istio's three charts (one version for all): `base` (CRDs and cluster roles), `istiod` (the control
 * plane) and `gateway` (an ingress gateway: installed twice, external and internal).
 */
import { REPOSITORIES, type PinnedChart, type Resources } from "./chart";

export const ISTIO_VERSION = "1.26.3";

export const ISTIO_BASE_CHART: PinnedChart = { repository: REPOSITORIES.istio, chart: "base", version: ISTIO_VERSION };
export const ISTIOD_CHART: PinnedChart = { repository: REPOSITORIES.istio, chart: "istiod", version: ISTIO_VERSION };
export const ISTIO_GATEWAY_CHART: PinnedChart = { repository: REPOSITORIES.istio, chart: "gateway", version: ISTIO_VERSION };

/** Values of the `base` chart. */
export interface IstioBaseValues {
  /** The revision the default injection webhook and validation point at. */
  readonly defaultRevision: string;
}

export function istioBaseValues(): IstioBaseValues {
  return { defaultRevision: "default" };
}

/** Values of the `istiod` chart (the fields the platform sets). */
export interface IstiodValues {
  readonly pilot: {
    readonly autoscaleEnabled: boolean;
    readonly autoscaleMin: number;
    readonly autoscaleMax: number;
    readonly replicaCount: number;
    readonly resources: Resources;
  };
  readonly meshConfig: {
    /** Envoy access logs to stdout, where the collector picks them up. */
    readonly accessLogFile: string;
    readonly enableTracing: boolean;
    /** Where the sidecars send spans (the collector's OTLP receiver). */
    readonly extensionProviders: ReadonlyArray<{ readonly name: string; readonly opentelemetry: { readonly service: string; readonly port: number } }>;
    readonly defaultProviders: { readonly tracing: readonly string[] };
  };
  readonly global: {
    /** Sidecars wait for the proxy before the application starts (no connection errors at start-up). */
    readonly proxy: { readonly holdApplicationUntilProxyStarts: boolean };
  };
}

export interface IstiodProps {
  readonly replicas: number;
  /** OTLP gRPC host (a cluster DNS name) of the collector. */
  readonly otlpHost: string;
  readonly otlpPort: number;
}

export const TRACING_PROVIDER = "otel-tracing";

export function istiodValues(props: IstiodProps): IstiodValues {
  return {
    pilot: {
      autoscaleEnabled: true,
      autoscaleMin: props.replicas,
      autoscaleMax: Math.max(props.replicas, 5),
      replicaCount: props.replicas,
      resources: { requests: { cpu: "250m", memory: "512Mi" } },
    },
    meshConfig: {
      accessLogFile: "/dev/stdout",
      enableTracing: true,
      extensionProviders: [{ name: TRACING_PROVIDER, opentelemetry: { service: props.otlpHost, port: props.otlpPort } }],
      defaultProviders: { tracing: [TRACING_PROVIDER] },
    },
    global: { proxy: { holdApplicationUntilProxyStarts: true } },
  };
}

/** Values of the `gateway` chart (the fields the platform sets). */
export interface IstioGatewayValues {
  /** Pod labels: the Istio `Gateway` resources select the gateway by these. */
  readonly labels: Readonly<Record<string, string>>;
  readonly replicaCount: number;
  readonly autoscaling: { readonly enabled: boolean; readonly minReplicas: number; readonly maxReplicas: number; readonly targetCPUUtilizationPercentage: number };
  readonly podDisruptionBudget: { readonly maxUnavailable: number };
  readonly resources: Resources;
  readonly topologySpreadConstraints: ReadonlyArray<Record<string, unknown>>;
  readonly service: {
    /** `ClusterIP` behind an Ingress (the external gateway's ALB), `LoadBalancer` for an NLB. */
    readonly type: "ClusterIP" | "LoadBalancer";
    /** EKS Auto Mode's load balancer class, for a `LoadBalancer` service. */
    readonly loadBalancerClass?: string;
    readonly annotations: Readonly<Record<string, string>>;
    readonly ports: ReadonlyArray<{ readonly name: string; readonly port: number; readonly protocol: "TCP"; readonly targetPort: number }>;
  };
}

/** The ports every platform gateway listens on: the health port the load balancers check, and HTTP. */
export const GATEWAY_STATUS_PORT = 15021;
export const GATEWAY_HTTP_PORT = 80;
/** The port the gateway's Envoy listens on for HTTP (the chart runs it unprivileged). */
export const GATEWAY_HTTP_TARGET_PORT = 8080;

export interface IstioGatewayProps {
  /** `istio` label value of the gateway's pods (selected by the Istio Gateway resources). */
  readonly selector: string;
  readonly replicas: number;
  /** `external`: a ClusterIP service the ALB Ingress targets. `internal`: an internal NLB made by EKS Auto Mode. */
  readonly exposure: "external" | "internal";
}

/** EKS Auto Mode's load balancer class for NLBs (Services of type LoadBalancer). */
export const AUTO_MODE_NLB_CLASS = "eks.amazonaws.com/nlb";

export function istioGatewayValues(props: IstioGatewayProps): IstioGatewayValues {
  const labels = { istio: props.selector };
  const internal = props.exposure === "internal";
  return {
    labels,
    replicaCount: props.replicas,
    autoscaling: { enabled: true, minReplicas: props.replicas, maxReplicas: Math.max(props.replicas * 3, 3), targetCPUUtilizationPercentage: 70 },
    podDisruptionBudget: { maxUnavailable: 1 },
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "1Gi" } },
    topologySpreadConstraints: [
      { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: labels } },
    ],
    service: {
      type: internal ? "LoadBalancer" : "ClusterIP",
      ...(internal ? { loadBalancerClass: AUTO_MODE_NLB_CLASS } : {}),
      annotations: internal
        ? {
            "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
            "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
            "service.beta.kubernetes.io/aws-load-balancer-healthcheck-port": String(GATEWAY_STATUS_PORT),
            "service.beta.kubernetes.io/aws-load-balancer-healthcheck-path": "/healthz/ready",
            "service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol": "HTTP",
          }
        : {},
      ports: [
        { name: "status-port", port: GATEWAY_STATUS_PORT, protocol: "TCP", targetPort: GATEWAY_STATUS_PORT },
        { name: "http2", port: GATEWAY_HTTP_PORT, protocol: "TCP", targetPort: GATEWAY_HTTP_TARGET_PORT },
      ],
    },
  };
}

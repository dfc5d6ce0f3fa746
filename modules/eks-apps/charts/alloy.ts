/**
 * Grafana Alloy (a DaemonSet): ships every pod's logs to Loki, scrapes the pods' Prometheus
 * endpoints (the Istio sidecars' and gateways' merged metrics included) into Mimir, and receives
 * OTLP traces (from the sidecars and the applications) for Tempo.
 */
import { REPOSITORIES, type PinnedChart, type Resources } from "./chart";

export const ALLOY_CHART: PinnedChart = { repository: REPOSITORIES.grafana, chart: "alloy", version: "1.2.1" };

/** The collector's OTLP receiver ports. */
export const OTLP_GRPC_PORT = 4317;
export const OTLP_HTTP_PORT = 4318;

/** Values of the `alloy` chart (the fields the platform sets). */
export interface AlloyValues {
  readonly controller: { readonly type: "daemonset" };
  readonly alloy: {
    /** The pipeline, in Alloy's configuration language. */
    readonly configMap: { readonly create: boolean; readonly content: string };
    /** Pod logs come from the API (loki.source.kubernetes), not host paths. */
    readonly mounts: { readonly varlog: boolean };
    readonly extraPorts: ReadonlyArray<{ readonly name: string; readonly port: number; readonly targetPort: number; readonly protocol: "TCP" }>;
    readonly resources: Resources;
  };
}

export interface AlloyProps {
  /** Loki's push URL base (`/loki/api/v1/push` is appended). */
  readonly lokiUrl: string;
  /** Mimir's remote-write URL. */
  readonly remoteWriteUrl: string;
  /** Tempo's OTLP gRPC endpoint (host:port). */
  readonly tempoOtlpEndpoint: string;
  /** The workspace name, as the `cluster` label of every series and log line. */
  readonly cluster: string;
}

/** The collector's pipeline: logs, metrics and traces. */
export function alloyPipeline(props: AlloyProps): string {
  return `// Logs: the containers of the pods on this node (Alloy runs on every node; the chart sets
// HOSTNAME to the node's name), labelled with namespace, pod, container and app. Without the node
// selector every Alloy pod would ship every pod's logs and metrics, once per node.
discovery.kubernetes "pods" {
  role = "pod"
  selectors {
    role  = "pod"
    field = "spec.nodeName=" + coalesce(sys.env("HOSTNAME"), constants.hostname)
  }
}

discovery.relabel "pods" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_label_app"]
    target_label  = "app"
  }
}

loki.source.kubernetes "pods" {
  targets    = discovery.relabel.pods.output
  forward_to = [loki.write.default.receiver]
}

loki.write "default" {
  endpoint {
    url = "${props.lokiUrl}/loki/api/v1/push"
  }
  external_labels = { cluster = "${props.cluster}" }
}

// Metrics: pods annotated prometheus.io/scrape (Istio's sidecars and gateways annotate their merged
// application and Envoy metrics on port 15020, /stats/prometheus).
discovery.relabel "scrape" {
  targets = discovery.kubernetes.pods.targets
  rule {
    source_labels = ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"]
    regex         = "true"
    action        = "keep"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_annotation_prometheus_io_path"]
    regex         = "(.+)"
    target_label  = "__metrics_path__"
  }
  rule {
    source_labels = ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"]
    regex         = "([^:]+)(?::\\\\d+)?;(\\\\d+)"
    replacement   = "$1:$2"
    target_label  = "__address__"
  }
  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }
}

prometheus.scrape "pods" {
  targets         = discovery.relabel.scrape.output
  forward_to      = [prometheus.remote_write.mimir.receiver]
  scrape_interval = "30s"
}

prometheus.remote_write "mimir" {
  endpoint {
    url = "${props.remoteWriteUrl}"
  }
  external_labels = { cluster = "${props.cluster}" }
}

// Traces: OTLP from the Istio sidecars (meshConfig's tracing provider) and the applications.
otelcol.receiver.otlp "default" {
  grpc {
    endpoint = "0.0.0.0:${OTLP_GRPC_PORT}"
  }
  http {
    endpoint = "0.0.0.0:${OTLP_HTTP_PORT}"
  }
  output {
    traces = [otelcol.processor.batch.default.input]
  }
}

otelcol.processor.batch "default" {
  output {
    traces = [otelcol.exporter.otlp.tempo.input]
  }
}

otelcol.exporter.otlp "tempo" {
  client {
    endpoint = "${props.tempoOtlpEndpoint}"
    tls {
      insecure = true
    }
  }
}
`;
}

export function alloyValues(props: AlloyProps): AlloyValues {
  return {
    controller: { type: "daemonset" },
    alloy: {
      configMap: { create: true, content: alloyPipeline(props) },
      mounts: { varlog: false },
      extraPorts: [
        { name: "otlp-grpc", port: OTLP_GRPC_PORT, targetPort: OTLP_GRPC_PORT, protocol: "TCP" },
        { name: "otlp-http", port: OTLP_HTTP_PORT, targetPort: OTLP_HTTP_PORT, protocol: "TCP" },
      ],
      resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
    },
  };
}

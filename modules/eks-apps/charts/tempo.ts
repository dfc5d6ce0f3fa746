/** Grafana Tempo (tempo-distributed): traces, stored in the workspace's Tempo bucket through Pod Identity. */
import { REPOSITORIES, type ChartServiceAccount, type PinnedChart } from "./chart";

export const TEMPO_CHART: PinnedChart = { repository: REPOSITORIES.grafana, chart: "tempo-distributed", version: "1.46.0" };

/** Values of the `tempo-distributed` chart (the fields the platform sets). */
export interface TempoValues {
  readonly serviceAccount: ChartServiceAccount;
  readonly storage: {
    readonly trace: { readonly backend: "s3"; readonly s3: { readonly bucket: string; readonly endpoint: string; readonly region: string } };
  };
  readonly traces: { readonly otlp: { readonly grpc: { readonly enabled: boolean }; readonly http: { readonly enabled: boolean } } };
  readonly compactor: { readonly config: { readonly compaction: { readonly block_retention: string } } };
  readonly ingester: { readonly replicas: number };
  readonly distributor: { readonly replicas: number };
  readonly querier: { readonly replicas: number };
  /** Span metrics (request rate, errors, duration per service) written to Mimir. */
  readonly metricsGenerator: {
    readonly enabled: boolean;
    readonly config: { readonly storage: { readonly remote_write: ReadonlyArray<{ readonly url: string }> } };
  };
  /** The generator's processors are chosen per tenant: without them it generates nothing. */
  readonly overrides: { readonly defaults: { readonly metrics_generator: { readonly processors: readonly string[] } } };
}

export interface TempoProps {
  readonly bucket: string;
  readonly region: string;
  readonly serviceAccount: string;
  readonly replicas: number;
  readonly retentionDays: number;
  /** Mimir's remote-write URL. */
  readonly remoteWriteUrl: string;
}

export function tempoValues(props: TempoProps): TempoValues {
  return {
    serviceAccount: { create: true, name: props.serviceAccount },
    storage: { trace: { backend: "s3", s3: { bucket: props.bucket, endpoint: `s3.${props.region}.amazonaws.com`, region: props.region } } },
    traces: { otlp: { grpc: { enabled: true }, http: { enabled: true } } },
    compactor: { config: { compaction: { block_retention: `${props.retentionDays * 24}h` } } },
    ingester: { replicas: Math.max(props.replicas, 3) },
    distributor: { replicas: props.replicas },
    querier: { replicas: props.replicas },
    metricsGenerator: { enabled: true, config: { storage: { remote_write: [{ url: props.remoteWriteUrl }] } } },
    overrides: { defaults: { metrics_generator: { processors: ["service-graphs", "span-metrics"] } } },
  };
}

/** Tempo's query frontend (Grafana's data source). */
export function tempoQueryUrl(release: string, namespace: string): string {
  return `http://${release}-query-frontend.${namespace}.svc.cluster.local:3200`;
}

/** Tempo's distributor OTLP gRPC endpoint (the collector exports spans there). */
export function tempoOtlpEndpoint(release: string, namespace: string): string {
  return `${release}-distributor.${namespace}.svc.cluster.local:4317`;
}

/** Grafana Loki (simple scalable mode): logs, stored in the workspace's Loki bucket through Pod Identity. */
import { REPOSITORIES, type ChartServiceAccount, type PinnedChart } from "./chart";

export const LOKI_CHART: PinnedChart = { repository: REPOSITORIES.grafana, chart: "loki", version: "6.34.0" };

/** Values of the `loki` chart (the fields the platform sets). */
export interface LokiValues {
  readonly deploymentMode: "SimpleScalable";
  readonly serviceAccount: ChartServiceAccount;
  readonly loki: {
    readonly auth_enabled: boolean;
    readonly schemaConfig: {
      readonly configs: ReadonlyArray<{
        readonly from: string;
        readonly store: "tsdb";
        readonly object_store: "s3";
        readonly schema: "v13";
        readonly index: { readonly prefix: string; readonly period: string };
      }>;
    };
    /** No keys: the AWS SDK finds the Pod Identity credentials. */
    readonly storage: {
      readonly type: "s3";
      readonly bucketNames: { readonly chunks: string; readonly ruler: string; readonly admin: string };
      readonly s3: { readonly region: string };
    };
    readonly limits_config: { readonly retention_period: string };
    readonly compactor: { readonly retention_enabled: boolean; readonly delete_request_store: "s3" };
  };
  readonly backend: { readonly replicas: number };
  readonly read: { readonly replicas: number };
  readonly write: { readonly replicas: number };
  /** Memcached for chunks and query results, MB per replica (the chart's chunk cache asks for 8 GB by default). */
  readonly chunksCache: { readonly allocatedMemory: number };
  readonly resultsCache: { readonly allocatedMemory: number };
  /** The chart's bundled MinIO (object storage for trials) stays off: S3 is the store. */
  readonly minio: { readonly enabled: boolean };
  readonly lokiCanary: { readonly enabled: boolean };
  readonly test: { readonly enabled: boolean };
}

export interface LokiProps {
  readonly bucket: string;
  readonly region: string;
  readonly serviceAccount: string;
  readonly replicas: number;
  readonly retentionDays: number;
}

export function lokiValues(props: LokiProps): LokiValues {
  return {
    deploymentMode: "SimpleScalable",
    serviceAccount: { create: true, name: props.serviceAccount },
    loki: {
      auth_enabled: false,
      schemaConfig: {
        configs: [{ from: "2025-01-01", store: "tsdb", object_store: "s3", schema: "v13", index: { prefix: "loki_index_", period: "24h" } }],
      },
      storage: { type: "s3", bucketNames: { chunks: props.bucket, ruler: props.bucket, admin: props.bucket }, s3: { region: props.region } },
      limits_config: { retention_period: `${props.retentionDays * 24}h` },
      compactor: { retention_enabled: true, delete_request_store: "s3" },
    },
    backend: { replicas: props.replicas },
    read: { replicas: props.replicas },
    // Loki replicates each stream to 3 writers (its default replication factor): fewer would fail writes while one restarts.
    write: { replicas: Math.max(props.replicas, 3) },
    chunksCache: { allocatedMemory: 1024 },
    resultsCache: { allocatedMemory: 512 },
    minio: { enabled: false },
    lokiCanary: { enabled: false },
    test: { enabled: false },
  };
}

/** Where the collector pushes logs and Grafana reads them (the chart's gateway service). */
export function lokiUrl(release: string, namespace: string): string {
  return `http://${release}-gateway.${namespace}.svc.cluster.local`;
}

/** Grafana Mimir (mimir-distributed): metrics, stored in the workspace's Mimir bucket through Pod Identity. */
import { REPOSITORIES, type ChartServiceAccount, type PinnedChart } from "./chart";

export const MIMIR_CHART: PinnedChart = { repository: REPOSITORIES.grafana, chart: "mimir-distributed", version: "5.7.0" };

interface S3Store {
  readonly s3: { readonly bucket_name: string };
  /** Blocks, ruler and alertmanager objects share the bucket under their own prefix. */
  readonly storage_prefix: string;
}

/** Values of the `mimir-distributed` chart (the fields the platform sets). */
export interface MimirValues {
  readonly serviceAccount: ChartServiceAccount;
  readonly mimir: {
    readonly structuredConfig: {
      readonly common: { readonly storage: { readonly backend: "s3"; readonly s3: { readonly endpoint: string; readonly region: string } } };
      readonly blocks_storage: S3Store;
      readonly ruler_storage: S3Store;
      readonly alertmanager_storage: S3Store;
    };
  };
  readonly ingester: { readonly replicas: number; readonly zoneAwareReplication: { readonly enabled: boolean } };
  readonly store_gateway: { readonly replicas: number; readonly zoneAwareReplication: { readonly enabled: boolean } };
  readonly distributor: { readonly replicas: number };
  readonly querier: { readonly replicas: number };
  readonly minio: { readonly enabled: boolean };
}

export interface MimirProps {
  readonly bucket: string;
  readonly region: string;
  readonly serviceAccount: string;
  readonly replicas: number;
}

export function mimirValues(props: MimirProps): MimirValues {
  const store = (prefix: string): S3Store => ({ s3: { bucket_name: props.bucket }, storage_prefix: prefix });
  return {
    serviceAccount: { create: true, name: props.serviceAccount },
    mimir: {
      structuredConfig: {
        common: { storage: { backend: "s3", s3: { endpoint: `s3.${props.region}.amazonaws.com`, region: props.region } } },
        blocks_storage: store("blocks"),
        ruler_storage: store("ruler"),
        alertmanager_storage: store("alertmanager"),
      },
    },
    // Ingesters need three replicas for the replication factor of three.
    ingester: { replicas: Math.max(props.replicas, 3), zoneAwareReplication: { enabled: false } },
    store_gateway: { replicas: props.replicas, zoneAwareReplication: { enabled: false } },
    distributor: { replicas: props.replicas },
    querier: { replicas: props.replicas },
    minio: { enabled: false },
  };
}

/** Mimir's Prometheus API (the chart's gateway service): remote write at `/api/v1/push`, queries at `/prometheus`. */
export function mimirUrl(release: string, namespace: string): string {
  return `http://${release}-gateway.${namespace}.svc.cluster.local`;
}

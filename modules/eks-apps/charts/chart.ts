/** A Helm chart the platform installs: where it comes from and the exact version the module pins. */
export interface PinnedChart {
  /** Chart repository URL. */
  readonly repository: string;
  /** Chart name in the repository. */
  readonly chart: string;
  /** Exact chart version (never a range: an apply must install what was reviewed). */
  readonly version: string;
}

/** The repositories the platform's charts come from. */
export const REPOSITORIES = {
  istio: "https://istio-release.storage.googleapis.com/charts",
  grafana: "https://grafana.github.io/helm-charts",
} as const;

/** Kubernetes resource requests and limits as the charts take them. */
export interface Resources {
  readonly requests?: { readonly cpu?: string; readonly memory?: string };
  readonly limits?: { readonly cpu?: string; readonly memory?: string };
}

/** A chart's service account settings (the charts that take one name it; Pod Identity matches on the name). */
export interface ChartServiceAccount {
  readonly create: boolean;
  readonly name: string;
}

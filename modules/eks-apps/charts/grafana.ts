/**
 * Grafana: data sources for Loki, Mimir and Tempo, dashboards from ConfigMaps labelled
 * {@link DASHBOARD_LABEL}. The admin password is not a value here: the stack passes it to the release
 * as a sensitive value (`adminPassword`).
 */
import { REPOSITORIES, type PinnedChart, type Resources } from "./chart";

export const GRAFANA_CHART: PinnedChart = { repository: REPOSITORIES.grafana, chart: "grafana", version: "9.3.0" };

/** The label (and value) of the ConfigMaps Grafana's dashboard sidecar loads. */
export const DASHBOARD_LABEL = { name: "grafana_dashboard", value: "1" } as const;

/** The chart value the stack sets as a sensitive value. */
export const GRAFANA_ADMIN_PASSWORD_VALUE = "adminPassword";

interface DataSource {
  readonly name: string;
  readonly uid: string;
  readonly type: "loki" | "prometheus" | "tempo";
  readonly url: string;
  readonly access: "proxy";
  readonly isDefault: boolean;
  readonly jsonData?: Readonly<Record<string, unknown>>;
}

/** Values of the `grafana` chart (the fields the platform sets). */
export interface GrafanaValues {
  readonly replicas: number;
  readonly adminUser: string;
  readonly datasources: { readonly "datasources.yaml": { readonly apiVersion: 1; readonly datasources: readonly DataSource[] } };
  readonly sidecar: {
    readonly dashboards: { readonly enabled: boolean; readonly label: string; readonly labelValue: string; readonly searchNamespace: string };
  };
  readonly "grafana.ini": {
    readonly analytics: { readonly reporting_enabled: boolean; readonly check_for_updates: boolean };
    readonly "auth.anonymous": { readonly enabled: boolean };
    readonly users: { readonly allow_sign_up: boolean };
  };
  /** Dashboards come from ConfigMaps and data sources from values: nothing to persist but users and preferences. */
  readonly persistence: { readonly enabled: boolean };
  readonly resources: Resources;
  readonly topologySpreadConstraints: ReadonlyArray<Record<string, unknown>>;
}

export interface GrafanaProps {
  readonly replicas: number;
  readonly lokiUrl: string;
  /** Mimir's Prometheus query URL. */
  readonly prometheusUrl: string;
  readonly tempoUrl: string;
  /** Namespace of the dashboard ConfigMaps. */
  readonly dashboardNamespace: string;
}

export function grafanaValues(props: GrafanaProps): GrafanaValues {
  return {
    replicas: props.replicas,
    adminUser: "admin",
    datasources: {
      "datasources.yaml": {
        apiVersion: 1,
        datasources: [
          { name: "Mimir", uid: "mimir", type: "prometheus", url: props.prometheusUrl, access: "proxy", isDefault: true },
          { name: "Loki", uid: "loki", type: "loki", url: props.lokiUrl, access: "proxy", isDefault: false },
          {
            name: "Tempo",
            uid: "tempo",
            type: "tempo",
            url: props.tempoUrl,
            access: "proxy",
            isDefault: false,
            jsonData: { tracesToLogsV2: { datasourceUid: "loki" }, serviceMap: { datasourceUid: "mimir" } },
          },
        ],
      },
    },
    sidecar: { dashboards: { enabled: true, label: DASHBOARD_LABEL.name, labelValue: DASHBOARD_LABEL.value, searchNamespace: props.dashboardNamespace } },
    "grafana.ini": {
      analytics: { reporting_enabled: false, check_for_updates: false },
      "auth.anonymous": { enabled: false },
      users: { allow_sign_up: false },
    },
    persistence: { enabled: false },
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "512Mi" } },
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: "topology.kubernetes.io/zone",
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: { "app.kubernetes.io/name": "grafana" } },
      },
    ],
  };
}

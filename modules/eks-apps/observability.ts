/**
 * The LGTM stack in the observability namespace: Loki (logs), Mimir (metrics), Tempo (traces), each
 * storing in its own S3 bucket through its Pod Identity association (the AWS stack associates the
 * service accounts named in `serviceAccounts`); Grafana with the three as data sources and the
 * platform's dashboards; Grafana Alloy shipping logs, metrics and traces. Grafana's admin password
 * is generated here (random_password), written as the current version of the Secrets Manager
 * secret the AWS stack created, and given to the chart as a sensitive value.
 */
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import type { Release } from "@cdktf/provider-helm/lib/release";
import { Password } from "@cdktf/provider-random/lib/password";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { REPO_ROOT } from "../../src/lib/paths";
import { ALLOY_CHART, OTLP_GRPC_PORT, alloyValues } from "./charts/alloy";
import type { PinnedChart } from "./charts/chart";
import { DASHBOARD_LABEL, GRAFANA_ADMIN_PASSWORD_VALUE, GRAFANA_CHART, grafanaValues } from "./charts/grafana";
import { LOKI_CHART, lokiUrl, lokiValues } from "./charts/loki";
import { MIMIR_CHART, mimirUrl, mimirValues } from "./charts/mimir";
import { TEMPO_CHART, tempoOtlpEndpoint, tempoQueryUrl, tempoValues } from "./charts/tempo";
import { emitManifest, type KubernetesModel } from "./manifest";
import { chartRelease } from "./release";

/** The dashboards the module ships (Grafana JSON models), by file name. */
export const DASHBOARD_DIR = join(REPO_ROOT, "modules", "eks-apps", "dashboards");

export function dashboardFiles(): Record<string, string> {
  return Object.fromEntries(
    readdirSync(DASHBOARD_DIR)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => [f, readFileSync(join(DASHBOARD_DIR, f), "utf8")]),
  );
}

/** Release names: the charts derive their services' names from them. */
export const RELEASES = { loki: "loki", mimir: "mimir", tempo: "tempo", grafana: "grafana", alloy: "alloy" } as const;

export interface ObservabilityProps {
  readonly namespace: string;
  readonly region: string;
  /** The workspace name: the `cluster` label of every series and log line. */
  readonly cluster: string;
  /** The S3 bucket of each store. */
  readonly buckets: { readonly loki: string; readonly mimir: string; readonly tempo: string };
  /** Service account of each store: the names the AWS stack's Pod Identity associations use. */
  readonly serviceAccounts: { readonly loki: string; readonly mimir: string; readonly tempo: string };
  readonly replicas: number;
  readonly retentionDays: number;
  /** Secrets Manager secret (ARN) receiving Grafana's admin password. */
  readonly grafanaAdminSecretArn: string;
  /** Exact chart versions replacing the pinned ones. @default the pinned versions */
  readonly chartVersions?: Partial<Record<keyof typeof RELEASES, string>>;
  /** @default none */
  readonly dependsOn?: ITerraformDependable[];
}

export class Observability extends Construct {
  readonly releases: Readonly<Record<keyof typeof RELEASES, Release>>;
  /** The collector's OTLP gRPC host (a cluster DNS name) and port. */
  readonly otlpHost: string;
  readonly otlpPort = OTLP_GRPC_PORT;
  readonly objects: KubernetesModel[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const ns = props.namespace;
    const versions = props.chartVersions ?? {};
    const release = <V extends object>(key: keyof typeof RELEASES, chart: PinnedChart, values: V, extra: { dependsOn?: ITerraformDependable[]; sensitive?: Array<{ name: string; value: string }> } = {}) =>
      chartRelease(this, key, { chart, name: RELEASES[key], namespace: ns, values, version: versions[key], dependsOn: extra.dependsOn ?? props.dependsOn, sensitive: extra.sensitive });

    const mimirBase = mimirUrl(RELEASES.mimir, ns);
    const remoteWriteUrl = `${mimirBase}/api/v1/push`;
    const loki = release("loki", LOKI_CHART, lokiValues({ bucket: props.buckets.loki, region: props.region, serviceAccount: props.serviceAccounts.loki, replicas: props.replicas, retentionDays: props.retentionDays }));
    const mimir = release("mimir", MIMIR_CHART, mimirValues({ bucket: props.buckets.mimir, region: props.region, serviceAccount: props.serviceAccounts.mimir, replicas: props.replicas }));
    const tempo = release(
      "tempo",
      TEMPO_CHART,
      tempoValues({ bucket: props.buckets.tempo, region: props.region, serviceAccount: props.serviceAccounts.tempo, replicas: props.replicas, retentionDays: props.retentionDays, remoteWriteUrl }),
    );

    // Letters and digits only: no character a shell, a URL or the chart's templates could misread.
    const password = new Password(this, "grafana-admin-password", { length: 32, special: false, minUpper: 2, minLower: 2, minNumeric: 2 });
    new SecretsmanagerSecretVersion(this, "grafana-admin-secret-version", { secretId: props.grafanaAdminSecretArn, secretString: password.result });
    const grafana = release(
      "grafana",
      GRAFANA_CHART,
      grafanaValues({
        replicas: props.replicas,
        lokiUrl: lokiUrl(RELEASES.loki, ns),
        prometheusUrl: `${mimirBase}/prometheus`,
        tempoUrl: tempoQueryUrl(RELEASES.tempo, ns),
        dashboardNamespace: ns,
      }),
      { dependsOn: [...(props.dependsOn ?? []), loki, mimir, tempo], sensitive: [{ name: GRAFANA_ADMIN_PASSWORD_VALUE, value: password.result }] },
    );
    const alloy = release(
      "alloy",
      ALLOY_CHART,
      alloyValues({ lokiUrl: lokiUrl(RELEASES.loki, ns), remoteWriteUrl, tempoOtlpEndpoint: tempoOtlpEndpoint(RELEASES.tempo, ns), cluster: props.cluster }),
      { dependsOn: [...(props.dependsOn ?? []), loki, mimir, tempo] },
    );
    this.releases = { loki, mimir, tempo, grafana, alloy };
    this.otlpHost = `${RELEASES.alloy}.${ns}.svc.cluster.local`;

    // The application dashboards, one ConfigMap each, loaded by Grafana's dashboard sidecar.
    for (const [file, json] of Object.entries(dashboardFiles())) {
      const name = `dashboard-${file.replace(/\.json$/, "")}`;
      const configMap = new ConfigMap({ metadata: { name, namespace: ns, labels: { [DASHBOARD_LABEL.name]: DASHBOARD_LABEL.value } }, data: { [file]: json } });
      this.objects.push(configMap);
      emitManifest(this, name, configMap, { dependsOn: props.dependsOn });
    }
  }
}

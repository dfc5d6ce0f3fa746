import { Release, type ReleaseSetSensitive } from "@cdktf/provider-helm/lib/release";
import type { ITerraformDependable } from "cdktf";
import type { Construct } from "constructs";
import type { PinnedChart } from "./charts/chart";

export interface ChartReleaseProps<V extends object> {
  readonly chart: PinnedChart;
  /** Release name (also the prefix of the chart's object names). */
  readonly name: string;
  readonly namespace: string;
  /** The chart's typed values. */
  readonly values: V;
  /** Exact version replacing the chart's pinned one (the config's `chartVersions`). @default the chart's pinned version */
  readonly version?: string;
  /** Values kept out of the plan output and the release's values (passwords). @default none */
  readonly sensitive?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
  /** @default none */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * One way of installing a chart: the pinned version, its typed values as one document (JSON is
 * YAML), sensitive values apart. Helm waits for the release to become ready and rolls back a failed
 * upgrade (`atomic`); the namespace is the platform's, never created by the chart.
 */
export function chartRelease<V extends object>(scope: Construct, id: string, props: ChartReleaseProps<V>): Release {
  const version = props.version ?? props.chart.version;
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
    throw new Error(`chartRelease ${props.name}: chart version "${version}" is not an exact version`);
  }
  return new Release(scope, id, {
    name: props.name,
    namespace: props.namespace,
    repository: props.chart.repository,
    chart: props.chart.chart,
    version,
    values: [JSON.stringify(props.values)],
    ...(props.sensitive ? { setSensitive: props.sensitive.map((s): ReleaseSetSensitive => ({ name: s.name, value: s.value })) } : {}),
    createNamespace: false,
    atomic: true,
    cleanupOnFail: true,
    wait: true,
    timeout: 900,
    maxHistory: 10,
    ...(props.dependsOn ? { dependsOn: props.dependsOn } : {}),
  });
}

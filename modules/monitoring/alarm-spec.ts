/** What one alarm of the monitoring is made from: each tier's alarms describe theirs, the monitoring builds them. */
import type { CloudwatchMetricAlarmMetricQuery } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { TerraformProvider } from "cdktf";
import type { NameContext } from "../../src/lib/naming";
import type { MonitoringTier } from "./props";
import type { AlarmEvaluation } from "./types";

export type Comparison = "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold" | "LessThanThreshold";
export type MissingData = "notBreaching" | "breaching";

export interface SingleMetric {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly statistic?: string;
  readonly extendedStatistic?: string;
}

export interface AlarmSpec {
  readonly component: string;
  readonly tier: MonitoringTier;
  readonly resource: string;
  readonly meaning: string;
  readonly action: string;
  readonly profile: "sustained" | "events";
  readonly threshold: number;
  readonly comparison: Comparison;
  readonly treatMissingData: MissingData;
  readonly metric?: SingleMetric;
  /** Metric math: builds the queries for a period. */
  readonly metricQuery?: (period: number) => CloudwatchMetricAlarmMetricQuery[];
  /** The alarm lives in another region: its provider and the alerts topic of that region. @default the monitoring's region and topic */
  readonly elsewhere?: { readonly provider: TerraformProvider; readonly topicArn: string };
}

/** What the alarm builders of each tier (alarms-*.ts) get from the monitoring. */
export interface AlarmContext {
  /** Creates the alarm (name, evaluation, actions) and records it. */
  readonly add: (spec: AlarmSpec) => void;
  /** The workspace's naming, for names derived from resources. */
  readonly naming: NameContext;
  /** The `events` evaluation (its period appears in alarm texts). */
  readonly events: Required<AlarmEvaluation>;
}

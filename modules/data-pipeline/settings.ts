/** The checks `DataPipeline` runs on its props, and the settings it builds from them with their defaults. */
import { LOG_RETENTION_DAYS } from "../../src/lib/logs";
import { DEFAULT_EMR_RELEASE_LABEL, type DataPipelineProps } from "./props";
import { emrServerlessSupportsZone, emrServerlessZonesProblem } from "./zones";

/** SQS's largest visibility timeout (12 hours). */
const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;
export interface NotificationFilter {
  readonly prefix: string;
  readonly suffix: string;
}

function fail(message: string): never {
  throw new Error(`DataPipeline: ${message}`);
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  }
}

/**
 * The queue notification filters for every (prefix, suffix) pair. Refuses what S3 would refuse: two
 * filters for the same event overlap when one prefix starts with the other and one suffix ends with
 * the other, so distinct prefixes must not nest and distinct suffixes must not nest.
 */
export function notificationFilters(prefixes: readonly string[], suffixes: readonly string[]): NotificationFilter[] {
  if (prefixes.length === 0) {
    fail('prefixes must list at least one prefix ("" for the whole bucket)');
  }
  if (suffixes.length === 0) {
    fail('suffixes must list at least one suffix, e.g. [".csv"]');
  }
  for (const prefix of prefixes) {
    if (prefix.includes("*") || prefix.startsWith("/") || prefix.length > 1024) {
      fail(`prefix "${prefix}" must be a literal key prefix (no "*", no leading "/", at most 1024 characters)`);
    }
  }
  for (const suffix of suffixes) {
    if (suffix === "" || suffix.includes("*") || suffix.includes(",") || suffix.length > 1024) {
      fail(`suffix "${suffix}" must be a non-empty literal key suffix (no "*" or ",", at most 1024 characters)`);
    }
  }
  const clash = (values: readonly string[], nested: (a: string, b: string) => boolean) => {
    for (let i = 0; i < values.length; i++) {
      for (let j = i + 1; j < values.length; j++) {
        if (nested(values[i], values[j]) || nested(values[j], values[i])) return [values[i], values[j]];
      }
    }
    return undefined;
  };
  const prefixClash = clash(prefixes, (a, b) => a.startsWith(b));
  if (prefixClash) {
    fail(
      `prefixes "${prefixClash[0]}" and "${prefixClash[1]}" overlap: S3 refuses overlapping notification filters for one event (use the shorter prefix alone)`,
    );
  }
  const suffixClash = clash(suffixes, (a, b) => a.endsWith(b));
  if (suffixClash) {
    fail(
      `suffixes "${suffixClash[0]}" and "${suffixClash[1]}" overlap: S3 refuses overlapping notification filters for one event (use the shorter suffix alone)`,
    );
  }
  return prefixes.flatMap((prefix) => suffixes.map((suffix) => ({ prefix, suffix })));
}

/** Checks one EMR Serverless capacity value (`"16 vCPU"`, `"64 GB"`). */
function checkCapacity(field: string, value: string | undefined, unit: "vCPU" | "GB", example: string): void {
  if (value === undefined) return;
  if (!new RegExp(`^[1-9][0-9]{0,5} ${unit}$`).test(value)) {
    fail(`maxCapacity.${field} must look like "${example}" (a whole number, a space, "${unit}"), got "${value}"`);
  }
}

/** Checks `props` (one-line `DataPipeline:` errors) and fills in every default the construct uses. */
export function pipelineSettings(props: DataPipelineProps) {
  const component = props.component ?? "ingest";
  if (!/^[a-z][a-z0-9-]{0,30}$/.test(component)) {
    fail(`component must be 1-31 lower-case letters, digits and "-", starting with a letter, got "${component}"`);
  }
  const prefixes = props.prefixes ?? [""];
  const filters = notificationFilters(prefixes, props.suffixes);
  if (props.subnetIds.length === 0) {
    fail("subnetIds must list at least one private subnet for the Spark workers");
  }
  if (props.subnetZones) {
    if (props.subnetZones.length !== props.subnetIds.length) {
      fail(`subnetZones lists ${props.subnetZones.length} zones for ${props.subnetIds.length} subnetIds; give the zone of each subnet`);
    }
    const unsupported = props.subnetZones.filter((zone) => emrServerlessSupportsZone(props.region, zone) === false);
    if (unsupported.length > 0) {
      fail(`subnetZones: EMR Serverless does not run in ${unsupported.join(", ")} (${props.region}); leave those subnets out`);
    }
    const problem = emrServerlessZonesProblem(props.region, props.subnetZones);
    if (problem) fail(`subnetZones: ${problem}`);
  }
  const databasePort = props.databasePort ?? 5432;
  checkInteger("databasePort", databasePort, 1, 65535);
  const landingExpiryDays = props.landingExpiryDays ?? 30;
  checkInteger("landingExpiryDays", landingExpiryDays, 1, 36500);
  const logRetentionDays = props.logRetentionDays ?? 365;
  if (!(LOG_RETENTION_DAYS as readonly number[]).includes(logRetentionDays)) {
    fail(`logRetentionDays must be one of CloudWatch's retention periods (${LOG_RETENTION_DAYS.join(", ")}), got ${logRetentionDays}`);
  }
  const maxReceiveCount = props.maxReceiveCount ?? 5;
  checkInteger("maxReceiveCount", maxReceiveCount, 1, 1000);
  const lambdaTimeout = props.lambdaTimeoutSeconds ?? 60;
  checkInteger("lambdaTimeoutSeconds", lambdaTimeout, 1, 900);
  const lambdaMemory = props.lambdaMemoryMb ?? 256;
  checkInteger("lambdaMemoryMb", lambdaMemory, 128, 10240);
  const reservedConcurrency = props.reservedConcurrency ?? 5;
  checkInteger("reservedConcurrency", reservedConcurrency, 2, 1000);
  const batchSize = props.batchSize ?? 10;
  checkInteger("batchSize", batchSize, 1, 10000);
  const batchingWindow = props.maxBatchingWindowSeconds ?? 5;
  checkInteger("maxBatchingWindowSeconds", batchingWindow, 0, 300);
  if (batchSize > 10 && batchingWindow < 1) {
    fail(`batchSize ${batchSize} needs maxBatchingWindowSeconds of at least 1 (Lambda requires a batching window for SQS batches above 10)`);
  }
  const maxConcurrency = props.maxConcurrency ?? reservedConcurrency;
  checkInteger("maxConcurrency", maxConcurrency, 2, 1000);
  if (maxConcurrency > reservedConcurrency) {
    fail(`maxConcurrency ${maxConcurrency} is above reservedConcurrency ${reservedConcurrency}: the extra invocations would only be throttled`);
  }
  const minVisibility = 6 * lambdaTimeout + batchingWindow;
  const visibilityTimeout = props.visibilityTimeoutSeconds ?? minVisibility;
  checkInteger("visibilityTimeoutSeconds", visibilityTimeout, 0, MAX_VISIBILITY_TIMEOUT_SECONDS);
  if (visibilityTimeout < minVisibility) {
    fail(
      `visibilityTimeoutSeconds ${visibilityTimeout} is too short: at least 6 x lambdaTimeoutSeconds (${lambdaTimeout}) + maxBatchingWindowSeconds (${batchingWindow}) = ${minVisibility}, or messages are redelivered while still in flight`,
    );
  }
  const releaseLabel = props.releaseLabel ?? DEFAULT_EMR_RELEASE_LABEL;
  if (!/^emr-\d+\.\d+\.\d+$/.test(releaseLabel)) {
    fail(`releaseLabel must be a pinned EMR release such as "${DEFAULT_EMR_RELEASE_LABEL}", got "${releaseLabel}"`);
  }
  const autoStopIdleMinutes = props.autoStopIdleMinutes ?? 15;
  checkInteger("autoStopIdleMinutes", autoStopIdleMinutes, 1, 10080);
  const capacity = props.maxCapacity ?? { cpu: "16 vCPU", memory: "64 GB" };
  checkCapacity("cpu", capacity.cpu, "vCPU", "16 vCPU");
  checkCapacity("memory", capacity.memory, "GB", "64 GB");
  checkCapacity("disk", capacity.disk, "GB", "200 GB");
  for (const [name, value] of Object.entries({
    vpcId: props.vpcId,
    databaseSecurityGroupId: props.databaseSecurityGroupId,
    databaseHost: props.databaseHost,
    databaseName: props.databaseName,
    databaseSecretArn: props.databaseSecretArn,
  })) {
    if (!value || value.trim() === "") {
      fail(`${name} is required`);
    }
  }
  return {
    component,
    prefixes,
    filters,
    databasePort,
    landingExpiryDays,
    logRetentionDays,
    maxReceiveCount,
    lambdaTimeout,
    lambdaMemory,
    reservedConcurrency,
    batchSize,
    batchingWindow,
    maxConcurrency,
    visibilityTimeout,
    releaseLabel,
    autoStopIdleMinutes,
    capacity,
  };
}

/** The checks `PlatformMonitoring` runs on its props before it builds anything, and how defaults fill them. */
import { Token } from "cdktf";
import type { AlarmEvaluation, MonitoringThresholds } from "./types";
import { DEFAULT_MONITORING_THRESHOLDS, DEFAULT_RESPONSE_TIME_PERCENTILE, DEFAULT_SCHEDULE_GROUP, type PlatformMonitoringProps } from "./props";

/** An alarm may look back at most one day (periods x evaluation periods) for periods under an hour. */
const MAX_ALARM_WINDOW_SECONDS = 86_400;
/** SQS keeps a message at most 14 days, so an older "oldest message" cannot exist. */
const MAX_QUEUE_AGE_SECONDS = 1_209_600;

/** What CloudWatch needs on the topic's key to publish to an SSE-KMS topic. */

export function fail(message: string): never {
  throw new Error(`PlatformMonitoring: ${message}`);
}

const literal = (value: string): boolean => !Token.isUnresolved(value);
const SHORT_NAME = /^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Returns why `percentile` is not a CloudWatch percentile between p50 and p99.9, or undefined. */
export function percentileProblem(percentile: string): string | undefined {
  const match = /^p(\d{1,2}(?:\.\d{1,2})?)$/.exec(percentile);
  const value = match ? Number(match[1]) : NaN;
  if (!(value >= 50 && value <= 99.9)) {
    return `responseTimePercentile must be a percentile from p50 to p99.9 (for example "p99"), got "${percentile}"`;
  }
  return undefined;
}

/** Returns why `email` cannot be an SNS e-mail endpoint, or undefined. */
export function emailProblem(email: string): string | undefined {
  if (typeof email !== "string" || email.length > 254 || !EMAIL.test(email)) {
    return `alertEmails: "${email}" is not an e-mail address`;
  }
  return undefined;
}

function checkIdentifier(field: string, value: string, pattern: RegExp, hint: string): void {
  if (typeof value !== "string" || value.length === 0) fail(`${field} is required`);
  if (literal(value) && !pattern.test(value)) fail(`${field} must be ${hint}, got "${value}"`);
}

function checkShortNames(field: string, items: readonly { name: string }[]): void {
  const seen = new Set<string>();
  for (const item of items) {
    if (typeof item.name !== "string" || !SHORT_NAME.test(item.name)) {
      fail(`${field}: name "${item.name}" must be 1 to 40 lower-case letters, digits and hyphens, starting with a letter`);
    }
    if (seen.has(item.name)) fail(`${field}: name "${item.name}" is used twice`);
    seen.add(item.name);
  }
}

export function resolveThresholds(given: MonitoringThresholds = {}): Required<MonitoringThresholds> {
  const t = { ...DEFAULT_MONITORING_THRESHOLDS };
  for (const [key, value] of Object.entries(given) as Array<[keyof MonitoringThresholds, number | undefined]>) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_MONITORING_THRESHOLDS)) fail(`thresholds.${key} is not a known threshold`);
    if (typeof value !== "number" || !Number.isFinite(value)) fail(`thresholds.${key} must be a number, got ${value}`);
    if (value < 0) fail(`thresholds.${key} must not be negative, got ${value}`);
    t[key] = value;
  }
  for (const key of ["alb5xxRatePercent", "cloudFront5xxRatePercent", "cpuPercent", "memoryPercent", "dbCpuPercent", "acuUtilizationPercent"] as const) {
    if (!(t[key] > 0 && t[key] <= 100)) fail(`thresholds.${key} is a percentage above 0 and at most 100, got ${t[key]}`);
  }
  for (const key of ["targetResponseTimeSeconds", "dbFreeableMemoryBytes", "dbConnections", "replicaLagMs", "globalReplicationLagMs", "cloudFrontOriginLatencyMs"] as const) {
    if (!(t[key] > 0)) fail(`thresholds.${key} must be above 0, got ${t[key]}`);
  }
  if (!(t.queueAgeSeconds > 0 && t.queueAgeSeconds < MAX_QUEUE_AGE_SECONDS)) {
    fail(`thresholds.queueAgeSeconds must be above 0 and below ${MAX_QUEUE_AGE_SECONDS} (SQS keeps messages 14 days at most), got ${t.queueAgeSeconds}`);
  }
  if (!Number.isInteger(t.deadLetterMessages) || t.deadLetterMessages < 1) {
    fail(`thresholds.deadLetterMessages must be a whole number of at least 1, got ${t.deadLetterMessages}`);
  }
  if (!Number.isInteger(t.target5xxCount)) fail(`thresholds.target5xxCount must be a whole number, got ${t.target5xxCount}`);
  return t;
}

export function resolveEvaluation(profile: string, given: AlarmEvaluation | undefined, defaults: Required<AlarmEvaluation>): Required<AlarmEvaluation> {
  const e = { ...defaults, ...Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)) } as Required<AlarmEvaluation>;
  const where = `evaluation.${profile}`;
  if (!Number.isInteger(e.periodSeconds) || e.periodSeconds < 60 || e.periodSeconds % 60 !== 0) {
    fail(`${where}.periodSeconds must be a positive multiple of 60 (AWS metrics are per minute), got ${e.periodSeconds}`);
  }
  if (!Number.isInteger(e.evaluationPeriods) || e.evaluationPeriods < 1) {
    fail(`${where}.evaluationPeriods must be a whole number of at least 1, got ${e.evaluationPeriods}`);
  }
  if (!Number.isInteger(e.datapointsToAlarm) || e.datapointsToAlarm < 1 || e.datapointsToAlarm > e.evaluationPeriods) {
    fail(`${where}.datapointsToAlarm must be a whole number from 1 to evaluationPeriods (${e.evaluationPeriods}), got ${e.datapointsToAlarm}`);
  }
  if (e.periodSeconds * e.evaluationPeriods > MAX_ALARM_WINDOW_SECONDS) {
    fail(`${where}: periodSeconds x evaluationPeriods must be at most one day (${MAX_ALARM_WINDOW_SECONDS} s), got ${e.periodSeconds * e.evaluationPeriods}`);
  }
  return e;
}

export function validate(props: PlatformMonitoringProps): void {
  if (!/^\d{12}$/.test(props.accountId ?? "")) fail(`accountId must be 12 digits, got "${props.accountId}"`);
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(props.region ?? "")) fail(`region must be an AWS region such as "us-east-1", got "${props.region}"`);

  const emails = new Set<string>();
  for (const email of props.alertEmails ?? []) {
    const problem = emailProblem(email);
    if (problem) fail(problem);
    if (emails.has(email.toLowerCase())) fail(`alertEmails: "${email}" is listed twice`);
    emails.add(email.toLowerCase());
  }

  const percentile = props.responseTimePercentile ?? DEFAULT_RESPONSE_TIME_PERCENTILE;
  const percentileError = percentileProblem(percentile);
  if (percentileError) fail(percentileError);

  const window = props.keyDeletionWindowDays ?? 30;
  if (!Number.isInteger(window) || window < 7 || window > 30) fail(`keyDeletionWindowDays must be a whole number from 7 to 30, got ${window}`);

  if (props.loadBalancer) {
    checkIdentifier("loadBalancer.arnSuffix", props.loadBalancer.arnSuffix, /^app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/, 'the ALB ARN suffix "app/<name>/<id>" (aws_lb.arn_suffix), not the full ARN');
    checkIdentifier(
      "loadBalancer.targetGroupArnSuffix",
      props.loadBalancer.targetGroupArnSuffix,
      /^targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+$/,
      'the target group ARN suffix "targetgroup/<name>/<id>" (aws_lb_target_group.arn_suffix), not the full ARN',
    );
  }

  const services = props.services ?? [];
  checkShortNames("services", services);
  for (const s of services) {
    checkIdentifier(`services[${s.name}].clusterName`, s.clusterName, /^[A-Za-z0-9_-]{1,255}$/, "an ECS cluster name (not an ARN)");
    checkIdentifier(`services[${s.name}].serviceName`, s.serviceName, /^[A-Za-z0-9_-]{1,255}$/, "an ECS service name (not an ARN)");
    if (!Number.isInteger(s.minRunning) || s.minRunning < 0) fail(`services[${s.name}].minRunning must be a whole number of at least 0, got ${s.minRunning}`);
  }

  if (props.database) {
    const db = props.database;
    checkIdentifier("database.clusterIdentifier", db.clusterIdentifier, /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "an Aurora cluster identifier (not an ARN)");
    if (typeof db.serverless !== "boolean" || typeof db.hasReaders !== "boolean") fail("database.serverless and database.hasReaders are required booleans");
  }

  if (props.globalDatabase) {
    const g = props.globalDatabase;
    checkIdentifier("globalDatabase.clusterIdentifier", g.clusterIdentifier, /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/, "an Aurora cluster identifier (not an ARN)");
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(g.region ?? "")) fail(`globalDatabase.region must be an AWS region such as "us-west-2", got "${g.region}"`);
    if (g.region === props.region) fail(`globalDatabase.region is the monitoring's own region (${props.region}); the secondary cluster is in another one`);
    if (!g.provider) fail("globalDatabase.provider is required (the provider of the secondary's region)");
  }

  const queues = props.queues ?? [];
  checkShortNames("queues", queues);
  const queueName = /^[A-Za-z0-9_-]{1,75}(\.fifo)?$/;
  for (const q of queues) {
    checkIdentifier(`queues[${q.name}].queueName`, q.queueName, queueName, "an SQS queue name (not a URL or ARN)");
    checkIdentifier(`queues[${q.name}].deadLetterQueueName`, q.deadLetterQueueName, queueName, "an SQS queue name (not a URL or ARN)");
    if (literal(q.queueName) && q.queueName === q.deadLetterQueueName) fail(`queues[${q.name}]: queueName and deadLetterQueueName are the same queue`);
  }

  const targetGroups = props.targetGroups ?? [];
  checkShortNames("targetGroups", targetGroups);
  for (const g of targetGroups) {
    checkIdentifier(`targetGroups[${g.name}].targetGroupArnSuffix`, g.targetGroupArnSuffix, /^targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/, "a target group ARN suffix (targetgroup/<name>/<id>)");
  }

  const functions = props.functions ?? [];
  checkShortNames("functions", functions);
  for (const f of functions) {
    checkIdentifier(`functions[${f.name}].functionName`, f.functionName, /^[A-Za-z0-9_-]{1,64}$/, "a Lambda function name (not an ARN)");
  }

  const schedules = props.schedules ?? [];
  const scheduleNames = new Set<string>();
  for (const s of schedules) {
    checkIdentifier("schedules[].name", s.name, /^[0-9A-Za-z_.-]{1,64}$/, "a schedule name (1 to 64 letters, digits, '-', '_', '.')");
    const group = s.scheduleGroup ?? DEFAULT_SCHEDULE_GROUP;
    checkIdentifier(`schedules[${s.name}].scheduleGroup`, group, /^[0-9A-Za-z_.-]{1,64}$/, "a schedule group name");
    const key = `${group}/${s.name}`;
    if (scheduleNames.has(key)) fail(`schedules: "${s.name}" is listed twice in group "${group}"`);
    scheduleNames.add(key);
  }

  const emr = props.emrApplications ?? [];
  checkShortNames("emrApplications", emr);
  for (const a of emr) {
    checkIdentifier(`emrApplications[${a.name}].applicationId`, a.applicationId, /^[0-9a-z]{1,64}$/, "an EMR Serverless application id (not an ARN)");
    checkIdentifier(`emrApplications[${a.name}].applicationName`, a.applicationName, /^[A-Za-z0-9._/#-]{1,64}$/, "an EMR Serverless application name");
  }

  const machines = props.stateMachines ?? [];
  checkShortNames("stateMachines", machines);
  for (const m of machines) {
    checkIdentifier(`stateMachines[${m.name}].stateMachineArn`, m.stateMachineArn, /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/, "a state machine ARN");
    checkIdentifier(`stateMachines[${m.name}].ruleName`, m.ruleName, /^[.\-_A-Za-z0-9]{1,64}$/, "an EventBridge rule name (not an ARN)");
  }

  const clusters = props.clusters ?? [];
  checkShortNames("clusters", clusters);
  for (const c of clusters) {
    checkIdentifier(`clusters[${c.name}].clusterName`, c.clusterName, /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/, "an EKS cluster name (not an ARN)");
  }

  const vaults = props.backupVaults ?? [];
  checkShortNames("backupVaults", vaults);
  for (const v of vaults) {
    checkIdentifier(`backupVaults[${v.name}].vaultName`, v.vaultName, /^[A-Za-z0-9_-]{2,50}$/, "a backup vault name (not an ARN)");
  }

  const tables = props.tables ?? [];
  checkShortNames("tables", tables);
  for (const t of tables) {
    checkIdentifier(`tables[${t.name}].tableName`, t.tableName, /^[A-Za-z0-9_.-]{3,255}$/, "a DynamoDB table name (not an ARN)");
  }

  const apis = props.httpApis ?? [];
  checkShortNames("httpApis", apis);
  for (const a of apis) {
    checkIdentifier(`httpApis[${a.name}].apiId`, a.apiId, /^[a-z0-9]{1,32}$/, "an API Gateway API id (not an ARN or URL)");
  }
}


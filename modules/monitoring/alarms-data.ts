/** Alarms of the stores: Aurora, queues, DynamoDB tables and backup vaults. */
import type { SingleMetric } from "./alarm-spec";
import type { MonitoredBackupVault, MonitoredDatabase, MonitoredQueue, MonitoredTable, MonitoringThresholds } from "./types";
import type { AlarmContext } from "./alarm-spec";

/** The DynamoDB operations whose per-operation metrics the table alarms sum (an alarm takes at most 10 metrics). */
export const TABLE_OPERATIONS = ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems"] as const;

// Aurora: cluster-wide metrics; the statistic picks the worst instance (Maximum, or Minimum for memory).
export function databaseAlarms(ctx: AlarmContext, db: MonitoredDatabase, t: Required<MonitoringThresholds>): void {
  const dimensions = { DBClusterIdentifier: db.clusterIdentifier };
  const rds = (metricName: string, statistic: string): SingleMetric => ({ namespace: "AWS/RDS", metricName, dimensions, statistic });
  // RDS publishes every minute while an instance runs; no data means stopped or auto-paused
  // (Serverless v2 at 0 ACU), which is not a CPU, memory or connection problem.
  const base = { tier: "database" as const, resource: "database", profile: "sustained" as const, treatMissingData: "notBreaching" as const };
  ctx.add({
    ...base,
    component: "db-cpu",
    meaning: `CPU of the busiest database instance is above ${t.dbCpuPercent}%.`,
    action: "Find the expensive queries in Performance Insights; add an index, a reader, or capacity.",
    threshold: t.dbCpuPercent,
    comparison: "GreaterThanThreshold",
    metric: rds("CPUUtilization", "Maximum"),
  });
  ctx.add({
    ...base,
    component: "db-freeable-memory",
    meaning: `A database instance has less than ${formatBytes(t.dbFreeableMemoryBytes)} of freeable memory.`,
    action: db.serverless
      ? "Raise the Serverless v2 maximum capacity, or reduce work_mem and connection count."
      : "Move to a larger instance class, or reduce work_mem and connection count.",
    threshold: t.dbFreeableMemoryBytes,
    comparison: "LessThanThreshold",
    metric: rds("FreeableMemory", "Minimum"),
  });
  ctx.add({
    ...base,
    component: "db-connections",
    meaning: `A database instance holds more than ${t.dbConnections} connections.`,
    action: "Look for a connection leak or too many tasks x pool size; consider RDS Proxy.",
    threshold: t.dbConnections,
    comparison: "GreaterThanThreshold",
    metric: rds("DatabaseConnections", "Maximum"),
  });
  if (db.hasReaders) {
    ctx.add({
      ...base,
      component: "db-replica-lag",
      meaning: `The furthest-behind Aurora replica lags the writer by more than ${t.replicaLagMs} ms; reads from the reader endpoint are stale.`,
      action: "Check the readers' CPU and long-running queries on them; heavy write bursts on the writer also cause lag.",
      threshold: t.replicaLagMs,
      comparison: "GreaterThanThreshold",
      metric: rds("AuroraReplicaLag", "Maximum"),
    });
  }
  if (db.serverless) {
    ctx.add({
      ...base,
      component: "db-acu-utilization",
      meaning: `Serverless v2 capacity is above ${t.acuUtilizationPercent}% of the cluster's maximum ACUs: it cannot scale much further.`,
      action: "Raise database.maxCapacity, or find what drives the load.",
      threshold: t.acuUtilizationPercent,
      comparison: "GreaterThanThreshold",
      metric: rds("ACUUtilization", "Maximum"),
    });
  }
}

// SQS: age of the oldest message in the work queue; anything in the dead-letter queue.
export function queueAlarms(ctx: AlarmContext, q: MonitoredQueue, t: Required<MonitoringThresholds>): void {
  ctx.add({
    component: `queue-${q.name}-oldest-message`,
    tier: "queues",
    resource: q.name,
    meaning: `The oldest message in the ${q.name} queue has waited more than ${t.queueAgeSeconds} s: consumers are stuck or too few.`,
    action: "Check the consumers are running and not failing; scale them out; look for a poison message being retried.",
    profile: "sustained",
    threshold: t.queueAgeSeconds,
    comparison: "GreaterThanThreshold",
    // SQS stops publishing for a queue idle for six hours: an idle queue has no old messages.
    treatMissingData: "notBreaching",
    metric: { namespace: "AWS/SQS", metricName: "ApproximateAgeOfOldestMessage", dimensions: { QueueName: q.queueName }, statistic: "Maximum" },
  });
  ctx.add({
    component: `queue-${q.name}-dlq-messages`,
    tier: "queues",
    resource: q.name,
    meaning: `${t.deadLetterMessages === 1 ? "A message" : `${t.deadLetterMessages} or more messages`} failed processing repeatedly and moved to the ${q.name} dead-letter queue.`,
    action: "Inspect the messages and the consumer's error logs, fix the cause, then redrive (`aws sqs start-message-move-task`) or purge the dead-letter queue; the alarm stays on until it is empty.",
    profile: "events",
    threshold: t.deadLetterMessages,
    comparison: "GreaterThanOrEqualToThreshold",
    // A queue holding messages is active and always reports; silence means empty and idle.
    treatMissingData: "notBreaching",
    metric: { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: q.deadLetterQueueName }, statistic: "Maximum" },
  });
}

// DynamoDB: ThrottledRequests and SystemErrors are published per operation (TableName and Operation
// dimensions, no table-wide total), so each alarm sums the operations the platform's callers use.
export function tableAlarms(ctx: AlarmContext, table: MonitoredTable): void {
  for (const [kind, metricName, meaning, action] of [
    [
      "throttled",
      "ThrottledRequests",
      `Requests to the ${table.name} table were throttled (capacity or a hot partition key exceeded).`,
      "Check consumed against provisioned capacity (or the on-demand maximums) and the key distribution; raise the autoscaling maximum or spread the keys.",
    ],
    [
      "system-errors",
      "SystemErrors",
      `Requests to the ${table.name} table failed with a DynamoDB internal error (HTTP 500).`,
      "Callers retry with backoff; if it persists, check the AWS Health Dashboard for DynamoDB in this region.",
    ],
  ] as const) {
    ctx.add({
      component: `dynamodb-${table.name}-${kind}`,
      tier: "tables",
      resource: table.name,
      meaning,
      action,
      profile: "events",
      threshold: 0,
      comparison: "GreaterThanThreshold",
      // Published only when requests are throttled or fail.
      treatMissingData: "notBreaching",
      metricQuery: (period) => [
        ...TABLE_OPERATIONS.map((operation, i) => ({
          id: `m${i}`,
          metric: { namespace: "AWS/DynamoDB", metricName, dimensions: { TableName: table.tableName, Operation: operation }, period, stat: "Sum" },
          returnData: false,
        })),
        { id: "total", expression: TABLE_OPERATIONS.map((_, i) => `FILL(m${i}, 0)`).join(" + "), label: `${metricName}, all operations`, returnData: true },
      ],
    });
  }
}

// AWS Backup: failed backup jobs and, for a plan that copies to another region, failed copy jobs.
export function backupAlarms(ctx: AlarmContext, v: MonitoredBackupVault): void {
  const jobs = [
    { kind: "backup", metricName: "NumberOfBackupJobsFailed", what: "A backup job" },
    ...(v.copiesToOtherRegion ? [{ kind: "copy", metricName: "NumberOfCopyJobsFailed", what: "A copy job to the disaster-recovery vault" }] : []),
  ];
  for (const job of jobs) {
    ctx.add({
      component: `backup-${v.name}-${job.kind}-failed`,
      tier: "backups",
      resource: v.name,
      meaning: `${job.what} of vault ${v.vaultName} failed: the newest recovery point is missing there.`,
      action: `List the failed jobs (\`aws backup list-${job.kind}-jobs --by-state FAILED\`), read their StatusMessage, fix the cause and start the job again by hand.`,
      profile: "events",
      threshold: 0,
      comparison: "GreaterThanThreshold",
      // Published only while jobs run.
      treatMissingData: "notBreaching",
      metric: { namespace: "AWS/Backup", metricName: job.metricName, dimensions: { BackupVaultName: v.vaultName }, statistic: "Sum" },
    });
  }
}

function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return Number.isInteger(mib) ? `${mib} MiB` : `${bytes} bytes`;
}

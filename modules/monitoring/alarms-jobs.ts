/** Alarms of what runs on its own: schedules, EMR Serverless applications, state machines and EKS clusters. */
import { physicalName } from "../../src/lib/naming";
import type { MonitoredEmrApplication, MonitoredKubernetesCluster, MonitoredStateMachine } from "./types";
import type { AlarmContext } from "./alarm-spec";

// EventBridge Scheduler: per schedule group (the only dimension it publishes).
export function scheduleAlarms(ctx: AlarmContext, group: string, names: readonly string[]): void {
  const dimensions = { ScheduleGroup: group };
  // A group named after this workspace (<project>-<env>-x) appears as x in the alarm names.
  const prefix = `${physicalName(ctx.naming, "")}-`;
  const label = group.startsWith(prefix) ? group.slice(prefix.length) : group;
  // "<project>-<env>-schedules" gives "<project>-<env>-schedules-<failure>", not "...-schedules-schedules-...".
  const base = label === "schedules" ? "schedules" : `schedules-${label}`;
  const which = `schedule group "${group}" (${names.join(", ")})`;
  ctx.add({
    component: `${base}-target-errors`,
    tier: "schedules",
    resource: group,
    meaning: `EventBridge Scheduler's call to a target failed in ${which}, e.g. ECS RunTask refused (no capacity, bad task definition, missing permission).`,
    action: "Check CloudTrail for the failed RunTask call and the schedule's role; the attempt is retried per the retry policy.",
    profile: "events",
    threshold: 0,
    comparison: "GreaterThanThreshold",
    // Published only when schedules fire and fail.
    treatMissingData: "notBreaching",
    metric: { namespace: "AWS/Scheduler", metricName: "TargetErrorCount", dimensions, statistic: "Sum" },
  });
  ctx.add({
    component: `${base}-dropped`,
    tier: "schedules",
    resource: group,
    meaning: `A scheduled run in ${which} was given up after its retries: the job did not run.`,
    action: "Read the schedule's dead-letter queue for the error, fix it, and run the task by hand if the run matters.",
    profile: "events",
    threshold: 0,
    comparison: "GreaterThanThreshold",
    // Published only when an invocation is dropped.
    treatMissingData: "notBreaching",
    metric: { namespace: "AWS/Scheduler", metricName: "InvocationDroppedCount", dimensions, statistic: "Sum" },
  });
}

// EMR Serverless: failed job runs of the application.
export function emrAlarms(ctx: AlarmContext, a: MonitoredEmrApplication): void {
  ctx.add({
    component: `emr-${a.name}-failed-jobs`,
    tier: "emr",
    resource: a.name,
    meaning: `A job run on the ${a.name} EMR Serverless application failed.`,
    action: "Find the run (`aws emr-serverless list-job-runs --states FAILED`), read its stateDetails and driver logs, fix and resubmit.",
    profile: "events",
    threshold: 0,
    comparison: "GreaterThanThreshold",
    // The application publishes only while started (it auto-stops when idle): no data, no failures.
    treatMissingData: "notBreaching",
    metric: {
      namespace: "AWS/EMRServerless",
      metricName: "FailedJobs",
      dimensions: { ApplicationId: a.applicationId, ApplicationName: a.applicationName },
      statistic: "Sum",
    },
  });
}

// Step Functions started by a rule: the rule could not start it, or an execution failed.
export function stateMachineAlarms(ctx: AlarmContext, m: MonitoredStateMachine): void {
  ctx.add({
    component: `sfn-${m.name}-failed`,
    tier: "workflows",
    resource: m.name,
    meaning: `An execution of the ${m.name} state machine failed, timed out or was aborted.`,
    action: "Open the failed execution in the Step Functions console (its log group has the error) and repeat what it does by hand if needed.",
    profile: "events",
    threshold: 0,
    comparison: "GreaterThanThreshold",
    // Published only when executions run.
    treatMissingData: "notBreaching",
    // ExecutionsFailed, ExecutionsTimedOut and ExecutionsAborted are published only when non-zero.
    metricQuery: (period) => [
      ...(["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"] as const).map((metricName, i) => ({
        id: `m${i}`,
        metric: { namespace: "AWS/States", metricName, dimensions: { StateMachineArn: m.stateMachineArn }, period, stat: "Sum" },
        returnData: false,
      })),
      { id: "unsuccessful", expression: "FILL(m0, 0) + FILL(m1, 0) + FILL(m2, 0)", label: "Unsuccessful executions", returnData: true },
    ],
  });
  ctx.add({
    component: `sfn-${m.name}-not-started`,
    tier: "workflows",
    resource: m.name,
    meaning: `The EventBridge rule ${m.ruleName} matched an event but could not start the ${m.name} state machine.`,
    action: "Check the rule target's role (states:StartExecution) and the state machine; the event is lost, so run the state machine by hand.",
    profile: "events",
    threshold: 0,
    comparison: "GreaterThanThreshold",
    // Published only when the rule matches.
    treatMissingData: "notBreaching",
    metric: { namespace: "AWS/Events", metricName: "FailedInvocations", dimensions: { RuleName: m.ruleName }, statistic: "Sum" },
  });
}

// EKS control plane (AWS/EKS, no Container Insights needed): API server errors, unschedulable pods, etcd size.
export function clusterAlarms(ctx: AlarmContext, c: MonitoredKubernetesCluster): void {
  const dimensions = { ClusterName: c.clusterName };
  ctx.add({
    component: `eks-${c.name}-apiserver-5xx`,
    tier: "clusters",
    resource: c.name,
    meaning: `The Kubernetes API server of ${c.clusterName} keeps answering with server errors (5xx).`,
    action: "Check the cluster's health in the EKS console and the api/audit control-plane logs for failing admission webhooks or overloaded requests.",
    profile: "sustained",
    threshold: 10,
    comparison: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
    metric: { namespace: "AWS/EKS", metricName: "apiserver_request_total_5XX", dimensions, statistic: "Sum" },
  });
  ctx.add({
    component: `eks-${c.name}-unschedulable-pods`,
    tier: "clusters",
    resource: c.name,
    meaning: `Pods of ${c.clusterName} stay unschedulable: Auto Mode cannot launch nodes that fit them.`,
    action: "kubectl get events -A --field-selector reason=FailedScheduling; check the node pools' limits, requests too large for any instance type, and EC2 quotas.",
    profile: "sustained",
    threshold: 0,
    comparison: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
    metric: { namespace: "AWS/EKS", metricName: "scheduler_pending_pods_UNSCHEDULABLE", dimensions, statistic: "Maximum" },
  });
  ctx.add({
    component: `eks-${c.name}-etcd-size`,
    tier: "clusters",
    resource: c.name,
    meaning: `The etcd database of ${c.clusterName} is above 6 GiB; at 8 GiB the cluster turns read-only.`,
    action: "Find what fills it (many Events, Secrets or ConfigMaps; kubectl get --raw /metrics | grep apiserver_storage_objects) and delete what is not needed.",
    profile: "sustained",
    threshold: 6 * 1024 ** 3,
    comparison: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
    metric: { namespace: "AWS/EKS", metricName: "apiserver_storage_size_bytes", dimensions, statistic: "Maximum" },
  });
}

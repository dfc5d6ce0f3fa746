import { ScheduleGroup, ScheduledTask } from "../../modules/scheduled-task";
import type { EnvironmentConfig } from "../config/schema";
import type { ComputeTier } from "./compute";
import type { TierContext } from "./context";
import type { DatabaseTier } from "./database";
import type { NetworkTier } from "./network";

/** The config slice the schedules tier reads, and the tiers it builds on. */
export interface SchedulesTierProps {
  /** `scheduledTasks`: one EventBridge Scheduler schedule running an ECS task per entry. */
  readonly scheduledTasks: EnvironmentConfig["scheduledTasks"];
  /** The VPC and its private subnets. */
  readonly network: NetworkTier;
  /** The database: its connection settings and `connect()`. */
  readonly database: DatabaseTier;
  /** The cluster and the application task settings (`appTask`). */
  readonly compute: ComputeTier;
}

const OWNER = "SchedulesTier";

/**
 * Schedules: with any `scheduledTasks`, this workspace's schedule group and one scheduled task per
 * entry (modules/scheduled-task: schedule, task definition, scheduler role, dead-letter queue),
 * connected to the database. Scheduler publishes metrics per group, so dev and prod never mix.
 * Registers each schedule (under its group) with the monitoring. Outputs: `scheduled_tasks`.
 */
export class SchedulesTier {
  /** The workspace's schedule group; none without scheduled tasks. */
  readonly group?: ScheduleGroup;
  /** Task name (`scheduledTasks[].name`) -> its scheduled task, in config order. */
  readonly tasks: ReadonlyMap<string, ScheduledTask>;

  constructor(ctx: TierContext, props: SchedulesTierProps) {
    const { network } = props.network;
    const { cluster, appTask } = props.compute;
    const tasks = new Map<string, ScheduledTask>();
    if (props.scheduledTasks.length > 0) {
      const group = new ScheduleGroup(ctx.scope, "schedule-group", { naming: ctx.naming });
      this.group = group;
      for (const spec of props.scheduledTasks) {
        const task = new ScheduledTask(ctx.scope, `scheduled-${spec.name}`, {
          ...appTask,
          name: spec.name,
          clusterArn: cluster.clusterArn,
          vpcId: network.vpcId,
          subnetIds: network.privateSubnetIds,
          command: spec.command,
          cpu: spec.cpu,
          memory: spec.memory,
          schedule: spec.schedule,
          timeZone: spec.timeZone,
          enabled: spec.enabled,
          retry: { maximumAttempts: spec.maximumAttempts, maximumEventAgeSeconds: spec.maximumEventAgeSeconds },
          capacity: spec.capacity,
          scheduleGroupName: group.groupName,
        });
        props.database.connect(`task-${spec.name}`, task.tasksSecurityGroup);
        ctx.monitoring.addSchedule(OWNER, { name: spec.name, scheduleGroup: group.groupPhysicalName });
        tasks.set(spec.name, task);
      }
    }
    this.tasks = tasks;

    ctx.output(
      OWNER,
      "scheduled_tasks",
      Object.fromEntries(
        [...tasks].map(([name, t]) => [name, { schedule_arn: t.scheduleArn, task_definition_arn: t.taskDefinitionArn, dlq_arn: t.deadLetterQueueArn }]),
      ),
      "Scheduled tasks by name",
    );
  }
}

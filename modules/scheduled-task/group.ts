import { SchedulerScheduleGroup } from "@cdktf/provider-aws/lib/scheduler-schedule-group";
import { Construct } from "constructs";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";

/** Name of the schedule group every AWS account has; schedules without a `group_name` land in it. */
export const DEFAULT_SCHEDULE_GROUP_NAME = "default";

/** What EventBridge Scheduler accepts as a schedule group name: 1-64 of `[0-9a-zA-Z-_.]`. */
export const SCHEDULE_GROUP_NAME = /^[0-9A-Za-z_.-]{1,64}$/;

export interface ScheduleGroupProps {
  readonly naming: NameContext;
  /** Component of the group's name, `<project>-<env>-<name>`: lower-case letters, digits and inner hyphens. @default "schedules" */
  readonly name?: string;
}

/**
 * An EventBridge Scheduler schedule group of one workspace. Scheduler publishes its metrics per
 * schedule group only, so each environment puts its schedules in its own group (pass
 * {@link ScheduleGroup.groupName} as `ScheduledTaskProps.scheduleGroupName`) instead of the account's
 * shared `default` group, and its alarms then watch only its own schedules.
 */
export class ScheduleGroup extends Construct {
  readonly group: SchedulerScheduleGroup;
  /** The group's name as a reference to the resource (schedules placed in it depend on the group). */
  readonly groupName: string;
  readonly groupArn: string;
  /**
   * The same name as a plain string, known at synth time, for code that builds names or ids from it
   * (such as the per-group schedule alarms of the monitoring module).
   */
  readonly groupPhysicalName: string;

  constructor(scope: Construct, id: string, props: ScheduleGroupProps) {
    super(scope, id);
    const component = props.name ?? "schedules";
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(component)) {
      throw new Error(`ScheduleGroup ${component}: name must be lower-case letters, digits and inner hyphens`);
    }
    // physicalName yields [a-z0-9-] within maxLength, a subset of what Scheduler accepts for a group.
    this.groupPhysicalName = physicalName(props.naming, component, { maxLength: NAME_LIMITS.schedulerSchedule });
    if (this.groupPhysicalName === DEFAULT_SCHEDULE_GROUP_NAME) {
      throw new Error(`ScheduleGroup ${component}: "${DEFAULT_SCHEDULE_GROUP_NAME}" is the account's own group and cannot be created`);
    }
    this.group = new SchedulerScheduleGroup(this, "group", { name: this.groupPhysicalName });
    this.groupName = this.group.name;
    this.groupArn = this.group.arn;
  }
}

/**
 * Step-scaling arithmetic for queue workers, the same algorithm as AWS CDK's `StepScalingPolicy`
 * (`aws-autoscaling-common/lib/interval-utils.ts`): the caller describes absolute metric ranges and
 * the capacity change in each; this turns them into at most two CloudWatch alarms (one below the
 * "no change" band, one above it) and, for each, the step adjustments of its policy with bounds
 * RELATIVE to that alarm's threshold, as Application Auto Scaling expects.
 */

/**
 * A range of absolute metric values (message counts) and the capacity change applied inside it. The
 * worker measures scale-out ranges on visible messages and scale-in ranges on visible plus in-flight ones.
 */
export interface ScalingStep {
  /** Lower bound, inclusive. @default derived from the neighbouring step (0 for the first) */
  readonly lower?: number;
  /** Upper bound. @default derived from the neighbouring step (+infinity for the last) */
  readonly upper?: number;
  /** Tasks to add (positive) or remove (negative) while the metric is in this range. */
  readonly change: number;
}

/** One `step_adjustment` of an Application Auto Scaling step policy; bounds are relative to the alarm threshold. */
export interface StepAdjustment {
  /** `metric_interval_lower_bound`; undefined means minus infinity. */
  readonly lowerBound?: number;
  /** `metric_interval_upper_bound`; undefined means plus infinity. */
  readonly upperBound?: number;
  readonly change: number;
}

/** One alarm and the policy steps it triggers. */
export interface ScalingAlarmPlan {
  /** Absolute alarm threshold on the metric. */
  readonly threshold: number;
  /** `LessThanOrEqualToThreshold` for scale-in, `GreaterThanOrEqualToThreshold` for scale-out. */
  readonly comparisonOperator: "LessThanOrEqualToThreshold" | "GreaterThanOrEqualToThreshold";
  /** Step adjustments in ascending metric order. */
  readonly adjustments: readonly StepAdjustment[];
}

export interface StepScalingPlan {
  readonly scaleIn?: ScalingAlarmPlan;
  readonly scaleOut?: ScalingAlarmPlan;
}

/**
 * AWS CDK `QueueProcessingFargateService`'s default steps on `ApproximateNumberOfMessagesVisible`:
 * remove a task when the queue is empty, add one from 100 visible messages, add five from 500.
 */
export const CDK_QUEUE_SCALING_STEPS: readonly ScalingStep[] = [
  { upper: 0, change: -1 },
  { lower: 100, change: +1 },
  { lower: 500, change: +5 },
];

/**
 * The default when the service may scale to zero: CDK's steps with the first scale-out step starting
 * at one visible message. With CDK's threshold of 100 and no running task, up to 99 messages would
 * wait forever, because nothing consumes them and the alarm never fires.
 */
export const SCALE_FROM_ZERO_STEPS: readonly ScalingStep[] = [
  { upper: 0, change: -1 },
  { lower: 1, change: +1 },
  { lower: 500, change: +5 },
];

interface Interval {
  lower: number;
  upper: number;
  change?: number;
}

/** Sorts, completes and gap-fills the steps so they cover [0, +inf) with at most one no-change band. */
export function normalizeSteps(steps: readonly ScalingStep[]): Interval[] {
  if (steps.length < 2 || steps.length > 40) {
    throw new Error(`scalingSteps needs 2 to 40 steps, got ${steps.length}`);
  }
  const partial = steps.map((s) => {
    if (s.lower === undefined && s.upper === undefined) {
      throw new Error(`scaling step ${JSON.stringify(s)} needs at least one of lower and upper`);
    }
    for (const v of [s.lower, s.upper, s.change]) {
      if (v !== undefined && !Number.isFinite(v)) {
        throw new Error(`scaling step ${JSON.stringify(s)} has a non-finite number`);
      }
    }
    if (!Number.isInteger(s.change)) {
      throw new Error(`scaling step ${JSON.stringify(s)}: change must be a whole number of tasks`);
    }
    if ((s.lower ?? 0) < 0 || (s.upper ?? 0) < 0) {
      throw new Error(`scaling step ${JSON.stringify(s)}: a message count cannot be negative`);
    }
    return { lower: s.lower, upper: s.upper, change: s.change } as { lower?: number; upper?: number; change?: number };
  });
  partial.sort((a, b) => (a.lower ?? a.upper!) - (b.lower ?? b.upper!));

  // Propagate bounds between neighbours until nothing changes.
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = 0; i < partial.length - 1; i++) {
      if (partial[i].upper !== undefined && partial[i + 1].lower === undefined) {
        partial[i + 1].lower = partial[i].upper;
        changed = true;
      }
    }
    for (let i = partial.length - 1; i >= 1; i--) {
      if (partial[i].lower !== undefined && partial[i - 1].upper === undefined) {
        partial[i - 1].upper = partial[i].lower;
        changed = true;
      }
    }
  }
  // A message count is never negative: the first range starts at 0, the last is open-ended.
  partial[0].lower ??= 0;
  partial[partial.length - 1].upper ??= Infinity;
  const intervals = partial as Interval[];
  for (const it of intervals) {
    if (it.lower > it.upper) {
      throw new Error(`scaling step ${JSON.stringify(it)}: lower is above upper`);
    }
  }
  for (let i = 0; i < intervals.length - 1; i++) {
    const [a, b] = [intervals[i], intervals[i + 1]];
    if (a.lower < b.upper && a.upper > b.lower) {
      throw new Error(`scaling steps overlap: ${JSON.stringify(a)} and ${JSON.stringify(b)}`);
    }
  }

  // Fill uncovered ranges with no-change bands, treat change 0 as no change, merge adjacent bands.
  if (intervals[0].lower !== 0) {
    intervals.unshift({ lower: 0, upper: intervals[0].lower });
  }
  if (intervals[intervals.length - 1].upper !== Infinity) {
    intervals.push({ lower: intervals[intervals.length - 1].upper, upper: Infinity });
  }
  for (let i = 1; i < intervals.length; i++) {
    if (intervals[i - 1].upper < intervals[i].lower) {
      intervals.splice(i, 0, { lower: intervals[i - 1].upper, upper: intervals[i].lower });
    }
  }
  for (const it of intervals) {
    if (it.change === 0) delete it.change;
  }
  for (let i = 0; i < intervals.length - 1; ) {
    if (intervals[i].change === undefined && intervals[i + 1].change === undefined) {
      intervals[i].upper = intervals[i + 1].upper;
      intervals.splice(i + 1, 1);
    } else {
      i++;
    }
  }
  if (intervals.filter((it) => it.change === undefined).length > 1) {
    throw new Error("scalingSteps may leave at most one range without a change (between scale-in and scale-out)");
  }
  return intervals;
}

/**
 * Turns steps into alarms and policy steps. The scale-in alarm fires at or below the upper edge of the
 * range just under the no-change band; the scale-out alarm at or above the lower edge of the range just
 * over it. Each step's bounds are its absolute bounds minus its alarm's threshold.
 *
 * Example (CDK's defaults): scale-in alarm `<= 0` with `(-inf, 0] -> -1`; scale-out alarm `>= 100` with
 * `[0, 400) -> +1` and `[400, +inf) -> +5` (that is, 100-499 and 500+ messages).
 */
export function stepScalingPlan(steps: readonly ScalingStep[]): StepScalingPlan {
  const intervals = normalizeSteps(steps);
  const gap = intervals.findIndex((it) => it.change === undefined);
  let lowerIndex: number | undefined;
  let upperIndex: number | undefined;
  if (gap !== -1) {
    lowerIndex = gap > 0 ? gap - 1 : undefined;
    upperIndex = gap < intervals.length - 1 ? gap + 1 : undefined;
  } else {
    const middle = Math.floor(intervals.length / 2);
    lowerIndex = middle - 1;
    upperIndex = middle;
  }

  let scaleIn: ScalingAlarmPlan | undefined;
  if (lowerIndex !== undefined) {
    const threshold = intervals[lowerIndex].upper;
    const adjustments: StepAdjustment[] = [];
    for (let i = 0; i <= lowerIndex; i++) {
      const change = intervals[i].change!;
      if (change >= 0) {
        throw new Error(`scaling step ${JSON.stringify(intervals[i])} is below the scale-out threshold but does not remove tasks`);
      }
      adjustments.push({
        // The lowest range extends to minus infinity.
        lowerBound: i === 0 ? undefined : intervals[i].lower - threshold,
        upperBound: intervals[i].upper - threshold,
        change,
      });
    }
    scaleIn = { threshold, comparisonOperator: "LessThanOrEqualToThreshold", adjustments };
  }

  let scaleOut: ScalingAlarmPlan | undefined;
  if (upperIndex !== undefined) {
    const threshold = intervals[upperIndex].lower;
    const adjustments: StepAdjustment[] = [];
    for (let i = upperIndex; i < intervals.length; i++) {
      const change = intervals[i].change!;
      if (change <= 0) {
        throw new Error(`scaling step ${JSON.stringify(intervals[i])} is above the scale-in threshold but does not add tasks`);
      }
      adjustments.push({
        lowerBound: intervals[i].lower - threshold,
        // The highest range extends to plus infinity.
        upperBound: i === intervals.length - 1 ? undefined : intervals[i].upper - threshold,
        change,
      });
    }
    scaleOut = { threshold, comparisonOperator: "GreaterThanOrEqualToThreshold", adjustments };
  }

  if (scaleIn && scaleOut && scaleIn.threshold >= scaleOut.threshold) {
    throw new Error(
      `scalingSteps put the scale-in threshold (${scaleIn.threshold}) at or above the scale-out threshold (${scaleOut.threshold}); leave a no-change range between them`,
    );
  }
  return { scaleIn, scaleOut };
}

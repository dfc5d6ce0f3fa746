import { z } from "zod";

/**
 * The usage the monthly estimate (`npm run cost`) assumes: everything the synthesized stacks do not
 * say (traffic, data volumes, how busy the database is). One documented set of defaults here; a
 * workspace overrides any of them with `costAssumptions` in its environment file (same shape, every
 * field optional), validated with the rest of the config.
 *
 * What the stacks do say is read from them: task sizes and counts, capacity-provider split, CPU
 * architecture, NAT gateways per AZ, database capacity range and instance count, log retention,
 * schedules and whether they are enabled, WAF rules, alarm metrics.
 */

const count = z.number().min(0);
const fraction = z.number().min(0).max(1);

export const costAssumptionsSchema = z
  .object({
    /** Hours in a billing month (AWS uses 730). */
    hoursPerMonth: z.number().positive(),
    web: z
      .object({
        /** Requests to the public endpoint per month (load balancer, WAF, CloudFront). */
        requestsPerMonth: count,
        /** Data served to the internet per month, in GB (data transfer out). */
        egressGbPerMonth: count,
        /** Average load balancer capacity units consumed (the highest of connections, bytes and rule evaluations). */
        averageLcu: count,
      })
      .strict(),
    /** Data through all NAT gateways of the workspace per month, in GB (split evenly across them). */
    natGbPerMonth: count,
    ecs: z
      .object({
        /** Fargate Spot discount against on-demand (AWS quotes up to 70%). */
        spotDiscount: fraction,
        /** Runs per month of a task definition no service or schedule runs (the migrate task). */
        onDemandRunsPerMonth: count,
        /** Minutes per run of such a task. */
        onDemandRunMinutes: count,
        /** Minutes per run of a scheduled task. */
        scheduledRunMinutes: count,
        /** Container Insights data per running task per month, in GB, billed as log ingestion. */
        containerInsightsGbPerTask: count,
      })
      .strict(),
    aurora: z
      .object({
        /**
         * Average Serverless v2 capacity as a fraction of the range above the minimum: 0 = always at
         * `min_capacity`, 1 = always at `max_capacity`. The estimate also shows the cost at the minimum.
         */
        averageLoad: fraction,
        /** Cluster storage, in GB. */
        storageGb: count,
        /** I/O requests per month, in millions (Aurora Standard). */
        ioMillionsPerMonth: count,
      })
      .strict(),
    s3: z
      .object({
        storageGbPerBucket: count,
        putRequestsPerBucket: count,
        getRequestsPerBucket: count,
        /** Written per month to each bucket replicated to another region, in GB (each GB crosses regions once). */
        replicatedGbPerBucket: count,
      })
      .strict(),
    logs: z
      .object({
        /** Ingested per month by each application log group, in GB. */
        ingestGbPerGroup: count,
        /** Ingested per month by the VPC flow-log group, in GB. */
        flowLogsGb: count,
        /** Ingested per month by the WAF log group, in GB. */
        wafLogsGb: count,
        /** Ingested per month by the CloudTrail log group, in GB. */
        cloudTrailLogsGb: count,
      })
      .strict(),
    lambda: z
      .object({
        invocationsPerFunction: count,
        averageDurationMs: count,
      })
      .strict(),
    sqs: z
      .object({
        /** Requests per work queue per month (sends, receives including empty long polls, deletes). */
        requestsPerQueue: count,
        /** Requests per dead-letter queue per month (redrives and the alarm's reads). */
        requestsPerDeadLetterQueue: count,
      })
      .strict(),
    emrServerless: z
      .object({
        /** The job profile: runs per month, and per run its vCPUs, memory and minutes. */
        jobsPerMonth: count,
        vcpu: count,
        memoryGb: count,
        minutes: count,
      })
      .strict(),
    dynamodb: z
      .object({
        readMillionsPerTable: count,
        writeMillionsPerTable: count,
        storageGbPerTable: count,
      })
      .strict(),
    kmsRequestsPerKey: count,
    secretsApiCallsPerSecret: count,
    /** Recovery points kept per protected resource, in GB (all retained snapshots together). */
    backupGbPerResource: count,
    ecrGbPerRepository: count,
    stepFunctionsTransitionsPerMachine: count,
    sns: z
      .object({
        publishesPerTopic: count,
        emailsPerTopic: count,
      })
      .strict(),
  })
  .strict();

export type CostAssumptions = z.output<typeof costAssumptionsSchema>;

/** What an environment file may set: any subset of the assumptions. */
export const costAssumptionOverrides = costAssumptionsSchema.deepPartial();
export type CostAssumptionOverrides = z.output<typeof costAssumptionOverrides>;

/** The defaults: a small production web platform, a few thousand users a day. */
export const DEFAULT_COST_ASSUMPTIONS: CostAssumptions = {
  hoursPerMonth: 730,
  web: { requestsPerMonth: 5_000_000, egressGbPerMonth: 100, averageLcu: 1 },
  natGbPerMonth: 50,
  ecs: { spotDiscount: 0.7, onDemandRunsPerMonth: 8, onDemandRunMinutes: 10, scheduledRunMinutes: 10, containerInsightsGbPerTask: 0.5 },
  aurora: { averageLoad: 0.15, storageGb: 20, ioMillionsPerMonth: 20 },
  s3: { storageGbPerBucket: 10, putRequestsPerBucket: 100_000, getRequestsPerBucket: 500_000, replicatedGbPerBucket: 5 },
  logs: { ingestGbPerGroup: 1, flowLogsGb: 10, wafLogsGb: 5, cloudTrailLogsGb: 2 },
  lambda: { invocationsPerFunction: 50_000, averageDurationMs: 500 },
  sqs: { requestsPerQueue: 1_000_000, requestsPerDeadLetterQueue: 10_000 },
  emrServerless: { jobsPerMonth: 60, vcpu: 4, memoryGb: 16, minutes: 10 },
  dynamodb: { readMillionsPerTable: 1, writeMillionsPerTable: 0.5, storageGbPerTable: 1 },
  kmsRequestsPerKey: 20_000,
  secretsApiCallsPerSecret: 10_000,
  backupGbPerResource: 40,
  ecrGbPerRepository: 5,
  stepFunctionsTransitionsPerMachine: 100,
  sns: { publishesPerTopic: 10_000, emailsPerTopic: 1_000 },
};

/** The defaults with a workspace's overrides applied, field by field. */
export function resolveAssumptions(overrides: CostAssumptionOverrides | undefined): CostAssumptions {
  const merge = (base: any, over: any): any => {
    if (over === undefined) return base;
    if (typeof base !== "object" || base === null) return over;
    return Object.fromEntries(Object.keys(base).map((k) => [k, merge(base[k], over[k])]));
  };
  return costAssumptionsSchema.parse(merge(DEFAULT_COST_ASSUMPTIONS, overrides));
}

/** `budgets` in an environment file: the workspace's monthly budget and when AWS Budgets alerts. */
export const budgetsSchema = z
  .object({
    /** Monthly cost limit of the workspace in USD; `npm run cost` fails when the estimate exceeds it. */
    monthlyUsd: z.number().positive("must be a positive amount in USD"),
    /** Alert when actual cost passes these percentages of the limit. @default [80, 100] */
    actualAlertPercent: z.array(z.number().positive().max(1000)).min(1).default([80, 100]),
    /** Alert when the month's forecast passes this percentage of the limit. @default 100 */
    forecastAlertPercent: z.number().positive().max(1000).default(100),
  })
  .strict();

export type BudgetsConfig = z.output<typeof budgetsSchema>;

import { z } from "zod";
import { emrServerlessZonesProblem, notificationFilters } from "../../modules/data-pipeline";
import { fargateSizeProblem } from "../../modules/ecs-task";
import { DEFAULT_MONITORING_THRESHOLDS } from "../../modules/monitoring";
import { budgetsSchema, costAssumptionOverrides } from "../lib/cost/assumptions";
import { scheduleProblem, timeZoneProblem } from "../lib/schedule";
import { parseCidr } from "../lib/cidr";
import { LOG_RETENTION_DAYS, isLogRetention } from "../lib/logs";
import { isZoneId, zoneProblem } from "../lib/zones";
import { accessSchema, checkAccess } from "./access";
import { checkDataStores, dataApiSchema, externalServiceSchema, serviceDataStoreFields, tableSchema } from "./data-stores";
import { checkDisasterRecovery, disasterRecoverySchema } from "./disaster-recovery";
import { checkCompute, checkHighAvailability, eksSchema } from "./eks";
import { checkFrontend, frontendSchema } from "./frontend";

export { LOG_RETENTION_DAYS };

/** The most availability zones the subnet layout reserves room for (see modules/vpc). */
export const MAX_AZS = 4;

const logRetentionDays = z
  .number()
  .int()
  .refine(isLogRetention, {
    message: `must be one of CloudWatch's retention periods (${LOG_RETENTION_DAYS.join(", ")})`,
  });

const accountId = z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id");

const regionName = z
  .string()
  .regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/, "must be an AWS region name such as us-east-1");

const s3BucketName = z
  .string()
  .min(3, "S3 bucket names have 3 to 63 characters")
  .max(63, "S3 bucket names have 3 to 63 characters")
  .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, "S3 bucket names use lower-case letters, digits, dots and hyphens")
  .refine((n) => !n.includes(".."), "S3 bucket names cannot contain two adjacent dots")
  .refine((n) => !/^\d+\.\d+\.\d+\.\d+$/.test(n), "S3 bucket names cannot look like an IP address");

const dynamodbTableName = z
  .string()
  .regex(/^[a-zA-Z0-9_.-]{3,255}$/, "DynamoDB table names have 3 to 255 letters, digits, '_', '-' or '.'");

/** Lower-case identifier used inside physical names. */
const identifier = (what: string, max: number) =>
  z
    .string()
    .regex(
      new RegExp(`^[a-z][a-z0-9-]{0,${max - 1}}$`),
      `${what} must start with a letter and use lower-case letters, digits and hyphens (at most ${max} characters)`,
    )
    .refine((s) => !s.endsWith("-") && !s.includes("--"), `${what} cannot end with or repeat hyphens`);

const RESERVED_TAG_KEYS = ["Project", "Environment", "ManagedBy"];

const tagKey = z
  .string()
  .min(1)
  .max(128, "tag keys have at most 128 characters")
  .refine((k) => !k.toLowerCase().startsWith("aws:"), "tag keys cannot start with 'aws:'")
  .refine((k) => !RESERVED_TAG_KEYS.includes(k), `${RESERVED_TAG_KEYS.join(", ")} are set by the platform`);

const tags = z
  .object({
    Owner: z.string().min(1, "every workspace names an owner for cost allocation").max(256),
    CostCenter: z.string().min(1, "every workspace names a cost centre for cost allocation").max(256),
  })
  .catchall(z.string().max(256, "tag values have at most 256 characters"))
  .superRefine((value, ctx) => {
    for (const key of Object.keys(value)) {
      const parsed = tagKey.safeParse(key);
      if (!parsed.success) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: parsed.error.issues[0].message });
      }
    }
  });

const cidrBlock = z.string().superRefine((text, ctx) => {
  const parsed = parseCidr(text);
  if (typeof parsed === "string") {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: parsed });
  } else if (parsed.prefix < 16 || parsed.prefix > 24) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: `prefix /${parsed.prefix} is outside the /16-/23 range the VPC layout supports`,
    });
  } else if (parsed.prefix === 24) {
    // The layout cuts the VPC into 16 subnets: a /24 gives /28s, and a load balancer needs /27 or larger.
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: "a /24 leaves /28 subnets, smaller than the /27 an Application Load Balancer needs; use /23 or larger",
    });
  }
});

const ecrRepository = z
  .object({
    /** Short repository name; the physical name is `<project>-<env>-<name>`. */
    name: identifier("repository name", 40),
    /** Tagged images to keep; older ones expire. */
    keepLastTagged: z.number().int().min(1).max(1000).default(30),
    /** Days after which untagged images expire. */
    untaggedExpiryDays: z.number().int().min(1).max(365).default(7),
  })
  .strict();

const percent = (min: number, max: number) => z.number().min(min).max(max);

/** Variable names that look like credentials; they belong in `secrets`, not plain environment. */
const SECRET_LOOKING = /(PASSWORD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|ACCESS_KEY)/i;

const containerEnvironment = z.record(z.string()).superRefine((env, ctx) => {
  for (const key of Object.keys(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [key], message: "must be a valid environment variable name" });
    } else if (SECRET_LOOKING.test(key)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [key],
        message: "looks like a credential; inject it as an ECS secret, never as plain environment",
      });
    }
  }
});

const loadBalancer = z
  .object({
    /** ACM certificate for HTTPS; without it the load balancer serves HTTP only. */
    certificateArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/,
        "must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)",
      )
      .optional(),
    idleTimeoutSeconds: z.number().int().min(1).max(4000).default(60),
    deletionProtection: z.boolean().default(true),
    accessLogs: z.boolean().default(true),
    accessLogRetentionDays: z.number().int().min(1).max(3650).default(90),
  })
  .strict();

const healthCheck = z
  .object({
    path: z.string().startsWith("/", 'must start with "/"').max(1024).default("/health"),
    matcher: z
      .string()
      .regex(/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/, 'must be HTTP codes such as "200" or "200-399"')
      .default("200-399"),
    healthyThreshold: z.number().int().min(2).max(10).default(2),
    unhealthyThreshold: z.number().int().min(2).max(10).default(3),
    intervalSeconds: z.number().int().min(5).max(300).default(15),
    timeoutSeconds: z.number().int().min(2).max(120).default(5),
  })
  .strict()
  .refine((h) => h.timeoutSeconds < h.intervalSeconds, {
    message: "timeoutSeconds must be below intervalSeconds",
    path: ["timeoutSeconds"],
  });

const capacity = z
  .object({
    onDemandBase: z.number().int().min(0).max(100000).default(0),
    onDemandWeight: z.number().int().min(0).max(1000).default(0),
    spotWeight: z.number().int().min(0).max(1000).default(1),
  })
  .strict()
  .refine((c) => c.onDemandWeight + c.spotWeight > 0, {
    message: "at least one of onDemandWeight and spotWeight must be above 0",
  });

/**
 * Names of what a workspace stack holds besides its services (construct ids and physical-name
 * components). A service takes its name as both, so it cannot take one of these.
 */
export const RESERVED_COMPONENT_NAMES = [
  "alb",
  "audit",
  "backup",
  "cluster",
  "data-api",
  "database",
  "ecr",
  "https",
  "ingest",
  "migrate",
  "monitoring",
  "network",
  "pipeline",
  "schedule-group",
  "service-connect",
  "waf",
];
/** Prefixes the platform's own components use (`worker-<name>`, `task-<name>`, ...). */
const RESERVED_COMPONENT_PREFIXES = ["worker-", "task-", "scheduled-", "database-", "migrate-", "table-", "data-api-", "external-"];
/** Suffixes of what the platform derives from a service's name (`<name>-task`, `<name>-capacity`, ...). */
const RESERVED_COMPONENT_SUFFIXES = ["-task", "-capacity", "-instance", "-exec"];

const pathPattern = z
  .string()
  .min(1)
  .max(128, "path patterns have at most 128 characters")
  .regex(/^\/[A-Za-z0-9_\-.$/~"'@:+*?&]*$/, 'must be a path pattern starting with "/" (letters, digits, _-.$/~"\'@:+&, and "*" or "?" wildcards)');
const hostHeader = z
  .string()
  .max(128, "host headers have at most 128 characters")
  .regex(/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a lower-case host name, optionally with a leading *.");

/** How the public load balancer reaches a service. */
const route = z
  .object({
    /**
     * Listener-rule priority, 1 to 50000 (lower is evaluated first), unique in the workspace. It is
     * part of the config, not the list order, so adding or removing a service changes no other rule.
     */
    priority: z.number().int().min(1).max(50000),
    /** Request paths routed to the service, e.g. ["/api/*"]; at most 3 (an ALB condition's limit). @default none */
    pathPatterns: z.array(pathPattern).min(1).max(3, "a listener-rule condition matches at most 3 values").optional(),
    /** Host headers routed to the service, e.g. ["api.example.com"]; at most 3. @default none */
    hostHeaders: z.array(hostHeader).min(1).max(3, "a listener-rule condition matches at most 3 values").optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const values = (r.pathPatterns?.length ?? 0) + (r.hostHeaders?.length ?? 0);
    if (values === 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "needs pathPatterns, hostHeaders or both" });
    } else if (values > 5) {
      // An ALB rule holds at most five condition values in all.
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `has ${values} path and host values; a listener rule holds at most 5` });
    }
  });

/** EC2 capacity of a service: its own Auto Scaling group behind an ECS capacity provider. */
const ec2Capacity = z
  .object({
    /** Instance types, most preferred first (more than one spreads Spot across pools). */
    instanceTypes: z
      .array(z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, "must be an EC2 instance type such as m7g.large"))
      .min(1)
      .max(20),
    /** CPU architecture of the instance types and the task. @default "x86_64" */
    architecture: z.enum(["x86_64", "arm64"]).default("x86_64"),
    /** Fewest instances. @default 0 */
    minInstances: z.number().int().min(0).max(1000).default(0),
    /** Most instances. */
    maxInstances: z.number().int().min(1).max(1000),
    /** Instances that are always on-demand. @default 0 */
    onDemandBase: z.number().int().min(0).max(1000).default(0),
    /** Share of on-demand instances above the base, percent; below 100 the rest is Spot. @default 100 */
    onDemandPercentAboveBase: z.number().int().min(0).max(100).default(100),
    /** Capacity the ECS managed scaling keeps in use, percent. @default 100 */
    targetCapacityPercent: z.number().int().min(1).max(100).default(100),
    /** Root volume size in GiB (gp3, encrypted). @default 30 */
    rootVolumeGiB: z.number().int().min(30).max(16384).default(30),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (e.minInstances > e.maxInstances) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["minInstances"], message: `minInstances ${e.minInstances} is above maxInstances ${e.maxInstances}` });
    }
    const graviton = e.instanceTypes.map((t) => /^[a-z]+\d+[a-z]*g[a-z]*\./.test(t));
    e.instanceTypes.forEach((t, i) => {
      if (graviton[i] !== (e.architecture === "arm64")) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ["instanceTypes", i],
          message: `${t} is ${graviton[i] ? "an arm64 (Graviton)" : "an x86_64"} type; architecture is ${e.architecture}`,
        });
      }
    });
  });

const service = z
  .object({
    /** Service name: ECS service, task family, log group and security group `<project>-<env>-<name>`; its Service Connect name. */
    name: identifier("service name", 20),
    /** Short name of the ECR repository (in `ecr.repositories`) the image comes from. */
    repository: z.string(),
    containerPort: z.number().int().min(1).max(65535),
    cpu: z.number().int().min(128),
    memory: z.number().int().min(128),
    command: z.array(z.string().min(1)).min(1).optional(),
    environment: containerEnvironment.default({}),
    desiredCount: z.number().int().min(0).optional(),
    minCount: z.number().int().min(0).max(1000),
    maxCount: z.number().int().min(1).max(1000),
    /** How the public load balancer reaches the service. @default none (internal: reached by other services only) */
    public: route.optional(),
    /** Services this one calls through Service Connect; only these admit its traffic. @default [] */
    calls: z
      .array(identifier("service name", 20))
      .refine((calls) => new Set(calls).size === calls.length, "lists a service twice")
      .default([]),
    /** Worker queues (`workers[].name`) this service sends tasks to. @default [] */
    sendsTo: z.array(identifier("worker name", 20)).default([]),
    /** Whether the service gets the database credentials and a path to PostgreSQL. @default true */
    database: z.boolean().default(true),
    /** Load-balancer health check (public services). @default see README */
    healthCheck: healthCheck.optional(),
    /**
     * A health check ECS runs in the container (for internal services, the only one): a command that
     * exits 0 when healthy, e.g. ["CMD-SHELL", "curl -fs http://localhost:9000/health || exit 1"].
     * @default none
     */
    containerHealthCheck: z
      .object({
        command: z.array(z.string().min(1)).min(2).refine((c) => ["CMD", "CMD-SHELL"].includes(c[0]), 'starts with "CMD" or "CMD-SHELL"'),
        intervalSeconds: z.number().int().min(5).max(300).default(30),
        timeoutSeconds: z.number().int().min(2).max(60).default(5),
        retries: z.number().int().min(1).max(10).default(3),
        startPeriodSeconds: z.number().int().min(0).max(300).default(60),
      })
      .strict()
      .optional(),
    /** Seconds a deregistering target keeps draining (public services). @default 30 */
    deregistrationDelaySeconds: z.number().int().min(0).max(3600).optional(),
    healthCheckGracePeriodSeconds: z.number().int().min(0).max(3600).default(60),
    /** `fargate` (default) or `ec2`: the service's own Auto Scaling group behind an ECS capacity provider. */
    compute: z.enum(["fargate", "ec2"]).default("fargate"),
    /** On-demand / Spot split on Fargate. @default Spot only */
    capacity: capacity.optional(),
    /** EC2 capacity (required with `compute: "ec2"`). */
    ec2: ec2Capacity.optional(),
    cpuTargetPercent: percent(10, 95).default(80),
    memoryTargetPercent: percent(10, 95).optional(),
    /** Target load-balancer requests per task per minute (public services). @default none */
    requestsPerTarget: z.number().int().min(1).optional(),
    scaleInCooldownSeconds: z.number().int().min(0).max(3600).default(300),
    scaleOutCooldownSeconds: z.number().int().min(0).max(3600).default(60),
    readonlyRootFilesystem: z.boolean().default(true),
    enableExecuteCommand: z.boolean().default(false),
    ...serviceDataStoreFields,
    /** The service must survive losing a node or a zone: at least 2 replicas (minCount), spread across zones on EKS. @default false */
    highlyAvailable: z.boolean().default(false),
  })
  .strict()
  .superRefine((svc, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: [path], message });
    checkHighAvailability(svc, ctx);
    if (svc.compute === "fargate") {
      checkFargateSize(svc, ctx);
      if (svc.ec2) issue("ec2", 'is for compute "ec2"; this service runs on Fargate');
    } else {
      if (!svc.ec2) issue("ec2", 'is required with compute "ec2" (instance types and group size)');
      if (svc.capacity) issue("capacity", 'is the Fargate on-demand/Spot split; with compute "ec2" use ec2.onDemandBase and ec2.onDemandPercentAboveBase');
    }
    if (!svc.public) {
      for (const field of ["healthCheck", "deregistrationDelaySeconds", "requestsPerTarget"] as const) {
        if (svc[field] !== undefined) issue(field, "is for public services (behind the load balancer); this one has no public route");
      }
    }
    if (
      RESERVED_COMPONENT_NAMES.includes(svc.name) ||
      RESERVED_COMPONENT_PREFIXES.some((p) => svc.name.startsWith(p)) ||
      RESERVED_COMPONENT_SUFFIXES.some((x) => svc.name.endsWith(x))
    ) {
      issue(
        "name",
        `"${svc.name}" collides with a name the platform uses (${RESERVED_COMPONENT_NAMES.join(", ")}, ${RESERVED_COMPONENT_PREFIXES.map((p) => `${p}*`).join(", ")}, ${RESERVED_COMPONENT_SUFFIXES.map((x) => `*${x}`).join(", ")})`,
      );
    }
    if (svc.calls.includes(svc.name)) issue("calls", "lists the service itself");
    if (svc.minCount > svc.maxCount) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["minCount"], message: `minCount ${svc.minCount} is above maxCount ${svc.maxCount}` });
    }
    const desired = svc.desiredCount ?? svc.minCount;
    if (svc.minCount <= svc.maxCount && (desired < svc.minCount || desired > svc.maxCount)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["desiredCount"],
        message: `desiredCount ${desired} must be between minCount ${svc.minCount} and maxCount ${svc.maxCount}`,
      });
    }
  });

const acu = z
  .number()
  .min(0)
  .max(256)
  .refine((n) => Number.isInteger(n * 2), "Aurora capacity units come in steps of 0.5");

/** User names PostgreSQL or RDS keep for themselves. */
const RESERVED_DB_USERS = ["postgres", "admin", "rdsadmin", "rdsrepladmin", "public", "root"];

/** Whether an Aurora PostgreSQL version supports Serverless v2 at 0 ACU (auto-pause). */
function scalesToZero(engineVersion: string): boolean {
  const [major, minor] = engineVersion.split(".").map(Number);
  const first: Record<number, number> = { 13: 15, 14: 12, 15: 7, 16: 3 };
  return major >= 17 || (first[major] !== undefined && minor >= first[major]);
}

const database = z
  .object({
    /** Aurora PostgreSQL version a new cluster starts with; automatic minor upgrades move it on (README "Engine upgrades"). */
    engineVersion: z.string().regex(/^1[3-7]\.\d+$/, 'must be an Aurora PostgreSQL version such as "16.6"').default("16.6"),
    /** "minor" or "major": the next apply upgrades the running cluster to engineVersion; set back to "none" afterwards. */
    engineUpgrade: z.enum(["none", "minor", "major"]).default("none"),
    databaseName: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, "must be a PostgreSQL identifier").default("app"),
    masterUsername: z.string().regex(/^[a-z][a-z0-9_]{0,15}$/, "must be a PostgreSQL identifier of at most 16 characters").default("app_admin"),
    /** Writer plus readers. */
    instanceCount: z.number().int().min(1).max(16),
    /** `db.serverless` for Serverless v2, or a provisioned class such as `db.r6g.large`. */
    instanceClass: z.string().regex(/^db\.(serverless|[a-z0-9]+\.[a-z0-9]+)$/, 'must be "db.serverless" or an instance class such as db.r6g.large').default("db.serverless"),
    minCapacity: acu.default(0.5),
    maxCapacity: acu.default(4),
    backupRetentionDays: z.number().int().min(1).max(35),
    deletionProtection: z.boolean().default(true),
    skipFinalSnapshot: z.boolean().default(false),
    performanceInsights: z.boolean().default(true),
    /** `managed`: RDS keeps the password in Secrets Manager. `ssm`: a generated password in an SSM SecureString. */
    passwordSource: z.enum(["managed", "ssm"]).default("managed"),
    readerAutoscaling: z
      .object({
        minReaders: z.number().int().min(1).max(15),
        maxReaders: z.number().int().min(1).max(15),
        targetCpuPercent: percent(10, 90).default(70),
      })
      .strict()
      .refine((r) => r.minReaders <= r.maxReaders, { message: "minReaders must not exceed maxReaders", path: ["minReaders"] })
      .optional(),
    /** Command of the one-off migration task (same image as the web service). */
    migrateCommand: z.array(z.string().min(1)).min(1),
  })
  .strict()
  .superRefine((db, ctx) => {
    if (RESERVED_DB_USERS.includes(db.masterUsername) || db.masterUsername.startsWith("rds")) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["masterUsername"], message: `"${db.masterUsername}" is reserved by PostgreSQL or RDS` });
    }
    if (db.readerAutoscaling && db.instanceCount < 2) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["readerAutoscaling"],
        message: "reader autoscaling needs instanceCount of at least 2 (a writer and a reader to scale from)",
      });
    }
    if (db.instanceClass === "db.serverless" && db.minCapacity < 0.5 && !scalesToZero(db.engineVersion)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["minCapacity"],
        message: `0 ACU needs Aurora PostgreSQL 16.3, 15.7, 14.12, 13.15 or later (engineVersion is ${db.engineVersion})`,
      });
    }
    if (db.minCapacity > db.maxCapacity) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["minCapacity"],
        message: `minCapacity ${db.minCapacity} ACU is above maxCapacity ${db.maxCapacity} ACU`,
      });
    }
    if (db.instanceClass === "db.serverless" && db.maxCapacity < 1) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["maxCapacity"], message: "Serverless v2 needs a maxCapacity of at least 1 ACU" });
    }
  });

/** Adds a Fargate cpu/memory issue to `ctx` at `memory` when the pair is not offered. */
function checkFargateSize(value: { cpu: number; memory: number }, ctx: z.RefinementCtx): void {
  const size = fargateSizeProblem(value.cpu, value.memory);
  if (size) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["memory"], message: `cpu/memory is not a Fargate size: ${size}` });
  }
}

const worker = z
  .object({
    /** Worker name: queue `<project>-<env>-<name>`, service `<project>-<env>-worker-<name>`. */
    name: identifier("worker name", 20),
    /** Celery command, e.g. ["celery", "-A", "app", "worker", "--loglevel", "INFO"]. */
    command: z.array(z.string().min(1)).min(1),
    cpu: z.number().int().default(512),
    memory: z.number().int().default(1024),
    /** Celery's hard `task_time_limit`, seconds. */
    taskTimeLimitSeconds: z.number().int().min(1).max(43199),
    /** SQS visibility timeout, seconds; must exceed the task time limit or SQS redelivers running tasks. */
    visibilityTimeoutSeconds: z.number().int().min(1).max(43200).default(1800),
    maxReceiveCount: z.number().int().min(1).max(1000).default(5),
    minCount: z.number().int().min(0).max(1000).default(0),
    maxCount: z.number().int().min(1).max(1000).default(4),
    capacity: capacity.default({}),
    cpuTargetPercent: percent(10, 95).optional(),
  })
  .strict()
  .superRefine((w, ctx) => {
    checkFargateSize(w, ctx);
    if (w.visibilityTimeoutSeconds <= w.taskTimeLimitSeconds) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["visibilityTimeoutSeconds"],
        message: `${w.visibilityTimeoutSeconds} s must exceed taskTimeLimitSeconds (${w.taskTimeLimitSeconds} s), or SQS redelivers tasks that are still running`,
      });
    }
    if (w.minCount > w.maxCount) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["minCount"], message: `minCount ${w.minCount} is above maxCount ${w.maxCount}` });
    }
  });

const scheduledTask = z
  .object({
    /** Task name: task definition `<project>-<env>-task-<name>`. */
    name: identifier("scheduled task name", 24),
    command: z.array(z.string().min(1)).min(1),
    /** EventBridge Scheduler expression: `cron(min hour dom month dow year)` or `rate(N unit)`. */
    schedule: z.string().superRefine((expression, ctx) => {
      const problem = scheduleProblem(expression);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    }),
    timeZone: z
      .string()
      .superRefine((tz, ctx) => {
        const problem = timeZoneProblem(tz);
        if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
      })
      .default("UTC"),
    enabled: z.boolean().default(true),
    cpu: z.number().int().default(256),
    memory: z.number().int().default(512),
    maximumAttempts: z.number().int().min(0).max(185).default(3),
    maximumEventAgeSeconds: z.number().int().min(60).max(86400).default(3600),
    capacity: capacity.default({}),
  })
  .strict()
  .superRefine(checkFargateSize);

/** The rules across `services[]`: names, repositories, routes, calls, queues, ports. */
function checkServices(
  env: {
    services: ReadonlyArray<z.output<typeof service>>;
    ecr: { repositories: ReadonlyArray<{ name: string }> };
    workers: ReadonlyArray<{ name: string }>;
  },
  ctx: z.RefinementCtx,
): void {
  checkUniqueNames(env.services, ["services"], ctx);
  const names = env.services.map((s) => s.name);
  const repositories = env.ecr.repositories.map((r) => r.name);
  const workers = env.workers.map((w) => w.name);
  const priorities = new Map<number, string>();
  const conditions = new Map<string, string>();
  env.services.forEach((svc, i) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["services", i, ...path], message });
    if (!repositories.includes(svc.repository)) {
      issue(["repository"], `"${svc.repository}" is not in ecr.repositories (${repositories.join(", ")})`);
    }
    svc.calls.forEach((callee, j) => {
      if (!names.includes(callee)) issue(["calls", j], `"${callee}" is not a service (${names.join(", ")})`);
    });
    svc.sendsTo.forEach((queue, j) => {
      if (!workers.includes(queue)) issue(["sendsTo", j], `"${queue}" is not a worker (${workers.join(", ") || "none configured"})`);
    });
    if (svc.public) {
      const earlier = priorities.get(svc.public.priority);
      if (earlier) issue(["public", "priority"], `${svc.public.priority} is already the priority of service "${earlier}"`);
      priorities.set(svc.public.priority, svc.name);
      // A path and host pair routed to two services: the rule with the higher number never sees it.
      const pairs = (svc.public.pathPatterns ?? ["*"]).flatMap((p) => (svc.public!.hostHeaders ?? ["*"]).map((h) => `${h} ${p}`));
      const taken = pairs.map((pair) => conditions.get(pair)).find((owner) => owner !== undefined);
      if (taken) issue(["public"], `routes a path and host that service "${taken}" already routes`);
      for (const pair of pairs) conditions.set(pair, svc.name);
    } else if (!env.services.some((other) => other.calls.includes(svc.name))) {
      issue(["public"], `service "${svc.name}" has no public route and no service calls it; give it a route or list it in a caller's calls`);
    }
  });
  // A caller is deployed after the services it calls (it must start once their endpoints exist), so calls cannot go round.
  const cycle = callCycle(env.services);
  if (cycle) {
    const i = env.services.findIndex((s) => s.name === cycle[0]);
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["services", i, "calls"], message: `calls go round (${cycle.join(" -> ")}); a caller is deployed after the services it calls` });
  }
  // Service Connect clients reach every service by name and port: two services on one port of one name would clash.
  const ports = new Map<number, string>();
  env.services.forEach((svc, i) => {
    if (!env.services.some((other) => other.calls.includes(svc.name))) return;
    const earlier = ports.get(svc.containerPort);
    if (earlier) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["services", i, "containerPort"],
        message: `${svc.containerPort} is also the port of service "${earlier}"; the platform gives every called service a port of its own, so an endpoint's port names its service`,
      });
    }
    ports.set(svc.containerPort, svc.name);
  });
}

/** The first cycle in the services' calls, as the names around it (the first repeated at the end). */
function callCycle(services: ReadonlyArray<{ name: string; calls: readonly string[] }>): string[] | undefined {
  const calls = new Map(services.map((s) => [s.name, s.calls]));
  const visit = (name: string, path: string[]): string[] | undefined => {
    if (path.includes(name)) return [...path.slice(path.indexOf(name)), name];
    for (const next of calls.get(name) ?? []) {
      const found = visit(next, [...path, name]);
      if (found) return found;
    }
    return undefined;
  };
  for (const s of services) {
    const found = visit(s.name, []);
    if (found) return found;
  }
  return undefined;
}

/** Adds a "duplicate name" issue for every repeated `name` in a list. */
function checkUniqueNames(list: ReadonlyArray<{ name: string }>, path: string[], ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  list.forEach((item, i) => {
    if (seen.has(item.name)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [...path, i, "name"], message: `duplicate name "${item.name}"` });
    }
    seen.add(item.name);
  });
}

const emrCapacity = (unit: "vCPU" | "GB", example: string) =>
  z.string().regex(new RegExp(`^[1-9][0-9]{0,5} ${unit}$`), `must look like "${example}" (a whole number, a space, "${unit}")`);

const dataPipeline = z
  .object({
    enabled: z.boolean().default(true),
    /** Key prefixes that start a load ("" is the whole bucket). */
    prefixes: z.array(z.string().max(1024)).min(1).default(["incoming/"]),
    /** Key suffixes that start a load, e.g. [".csv", ".json"]. */
    suffixes: z.array(z.string().min(1, "suffixes cannot be empty strings")).min(1, "at least one suffix is needed (S3 would notify on every object)"),
    /** SQS messages per Lambda invocation (1-10000). */
    batchSize: z.number().int().min(1, "SQS batches hold 1 to 10000 messages").max(10000, "SQS batches hold 1 to 10000 messages").default(10),
    maxBatchingWindowSeconds: z.number().int().min(0).max(300).default(5),
    reservedConcurrency: z.number().int().min(2).max(1000).default(5),
    maxReceiveCount: z.number().int().min(1).max(1000).default(5),
    landingExpiryDays: z.number().int().min(1).max(3650).default(30),
    /** Pinned EMR release label. */
    releaseLabel: z.string().regex(/^emr-\d+\.\d+\.\d+$/, 'must be a pinned EMR release such as "emr-7.5.0"').default("emr-7.5.0"),
    autoStopIdleMinutes: z.number().int().min(1).max(10080).default(15),
    /** Cap on the Spark application's total capacity. */
    maxCapacity: z
      .object({ cpu: emrCapacity("vCPU", "16 vCPU"), memory: emrCapacity("GB", "64 GB"), disk: emrCapacity("GB", "200 GB").optional() })
      .strict()
      .default({ cpu: "16 vCPU", memory: "64 GB" }),
  })
  .strict()
  .superRefine((p, ctx) => {
    try {
      // Empty lists are reported by their own fields.
      if (p.prefixes.length > 0 && p.suffixes.length > 0) notificationFilters(p.prefixes, p.suffixes);
    } catch (error) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["prefixes"], message: (error as Error).message.replace(/^DataPipeline: /, "") });
    }
    if (p.batchSize > 10 && p.maxBatchingWindowSeconds < 1) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["maxBatchingWindowSeconds"],
        message: `batchSize ${p.batchSize} needs a batching window of at least 1 second (Lambda requires one above 10 messages)`,
      });
    }
  });

const email = z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, "must be an e-mail address");

const operations = z
  .object({
    /** Addresses that receive alarm notifications (each confirms the SNS subscription once). */
    alertEmails: z.array(email).default([]),
    /** Alarm thresholds; see README "Alarms" for each default. */
    thresholds: z
      .object(
        Object.fromEntries(Object.keys(DEFAULT_MONITORING_THRESHOLDS).map((key) => [key, z.number().min(0).optional()])) as Record<
          keyof typeof DEFAULT_MONITORING_THRESHOLDS,
          z.ZodOptional<z.ZodNumber>
        >,
      )
      .strict()
      .default({}),
    /** Multi-region CloudTrail trail for the account (one per account is enough). */
    cloudTrail: z.boolean().default(true),
    cloudTrailRetentionDays: z.number().int().min(1).max(3650).default(365),
    /** WAF web ACL on the load balancer. */
    waf: z.boolean().default(true),
    wafRateLimitPer5Minutes: z.number().int().min(10).max(2_000_000_000).default(2000),
    /**
     * Request bodies over 8 KB, which the common rule set's SizeRestrictions_BODY blocks (403).
     * "block" (default): nothing larger reaches the application, and every body the other rules
     * pass was inspected whole. "count": uploads and large posts work and are counted in the WAF
     * metrics and logs, but WAF inspects only their first 8 KB (its fixed limit on a load balancer),
     * so the application must validate what it accepts.
     */
    wafOversizeBodies: z.enum(["block", "count"]).default("block"),
    /** AWS Backup plan for the database. */
    backup: z.boolean().default(true),
    backupRetentionDays: z.number().int().min(1).max(36500).default(35),
    /** Copy every recovery point to a vault in another region (disaster recovery). */
    backupCopyToVaultArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:[A-Za-z0-9_.-]+$/, "must be an AWS Backup vault ARN")
      .optional(),
  })
  .strict();

const hostName = z.string().regex(/^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a lower-case fully qualified host name");

const domain = z
  .object({
    /** Host name the service answers on, e.g. app.example.com. */
    name: hostName,
    /** Route 53 public hosted zone that holds the name (`dns: "route53"`). */
    hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, "must be a Route 53 hosted zone id (Z followed by upper-case letters and digits)").optional(),
    /** DNS name of the zone (`example.com`); the name must be in it. @default not checked */
    zoneName: hostName.optional(),
    /**
     * Who serves the zone: `route53` (records written by the platform) or `external` (a provider such
     * as Cloudflare: the stack outputs the records to create there; frontend only). @default "route53"
     */
    dns: z.enum(["route53", "external"]).default("route53"),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.dns === "route53" && !d.hostedZoneId) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["hostedZoneId"], message: 'Route 53 DNS needs the hosted zone id (or set dns: "external")' });
    }
    if (d.dns === "external" && d.hostedZoneId) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["hostedZoneId"], message: 'an external DNS provider has no Route 53 hosted zone; remove hostedZoneId or set dns: "route53"' });
    }
    if (d.zoneName && d.name !== d.zoneName && !d.name.endsWith(`.${d.zoneName}`)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["name"], message: `"${d.name}" is outside the hosted zone "${d.zoneName}"` });
    }
  });

const github = z
  .object({
    /** Repository owner (user or organisation), exactly as GitHub spells it. */
    owner: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?$/, "must be a GitHub user or organisation name"),
    /** Repository name. */
    repository: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "must be a GitHub repository name").refine((r) => r !== "." && r !== "..", "must be a GitHub repository name"),
    mainBranch: z.string().regex(/^[A-Za-z0-9._/-]{1,255}$/, "must be a branch name").default("main"),
    /**
     * Numeric ids of the owner and the repository, for repositories whose OIDC subjects carry
     * immutable ids (GitHub's default for newer repositories; see README "CI/CD").
     * @default none (subjects by name)
     */
    immutableIds: z
      .object({ owner: z.number().int().positive(), repository: z.number().int().positive() })
      .strict()
      .optional(),
    /**
     * Accounts that already have GitHub's OIDC provider (an account holds one per issuer): their
     * bootstrap stacks use it instead of creating one.
     * @default []
     */
    existingProviderAccounts: z.array(accountId).default([]),
    /** Replaced by `existingProviderAccounts`: a provider ARN names one account. */
    existingProviderArn: z.unknown().optional(),
  })
  .strict()
  .superRefine((gh, ctx) => {
    if (gh.existingProviderArn !== undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["existingProviderArn"],
        message: "replaced by existingProviderAccounts: list the accounts whose GitHub OIDC provider exists (each account's ARN is derived)",
      });
    }
  });

const organization = z
  .object({
    /** Organization id, `o-` and 10 to 32 letters or digits. */
    id: z.string().regex(/^o-[a-z0-9]{10,32}$/, "must be an AWS Organizations id such as o-a1b2c3d4e5"),
    /** The management account: the only one that can create and attach resource control policies. */
    managementAccountId: accountId,
    /** Roots (`r-...`), organizational units (`ou-...`) or member accounts the policy is attached to. */
    targetIds: z
      .array(z.string().regex(/^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|\d{12})$/, "must be a root (r-...), an organizational unit (ou-...) or an account id"))
      .min(1, "attach the policy to at least one root, organizational unit or account"),
  })
  .strict();

export const environmentSchema = z
  .object({
    /** Project name: the first part of every physical name. */
    project: identifier("project", 20),
    /** Workspace name: the second part of every physical name and the state key's folder. */
    name: identifier("environment name", 12),
    /** `production` turns on the guardrails: multi-instance database, deletion protection, long backups. */
    stage: z.enum(["development", "production"]),
    /** The AWS account this workspace deploys to; the provider refuses any other account. */
    accountId,
    /**
     * The other workspaces deployed to the same AWS account. Each workspace has an account of its
     * own by default; sharing one is declared on both sides (see README "Accounts and isolation").
     * @default []
     */
    sharesAccountWith: z.array(identifier("environment name", 12)).default([]),
    region: regionName,
    /**
     * What runs the application: `ecs` (ECS services, workers and scheduled tasks) or `eks` (an EKS
     * Auto Mode cluster configured by `eks`, its workloads in the `<name>-apps` stack). @default "ecs"
     */
    compute: z.enum(["ecs", "eks"]).default("ecs"),
    /** The EKS cluster of a `compute: "eks"` workspace (README "EKS variant"). @default the defaults, with compute "eks" */
    eks: eksSchema.optional(),
    /**
     * Explicit availability zones (no API lookup, so plans work offline): all zone IDs ("use1-az1",
     * the same zone in every account) or all zone names ("us-east-1a", mapped per account).
     */
    availabilityZones: z
      .array(z.string())
      .min(2, "at least 2 availability zones are needed for high availability")
      .max(MAX_AZS, `at most ${MAX_AZS} availability zones fit the subnet layout`),
    /** Cost-allocation tags added to every resource through the provider's default_tags. */
    tags,
    state: z
      .object({
        /** S3 bucket holding Terraform state (created by the bootstrap stack). */
        bucket: s3BucketName,
        /** DynamoDB table for state locking (created by the bootstrap stack). */
        lockTable: dynamodbTableName,
        /** Region of the state bucket and lock table. @default the workspace's region */
        region: regionName.optional(),
      })
      .strict(),
    network: z
      .object({
        cidr: cidrBlock,
        /** `single`: one NAT gateway for all AZs (cheaper). `per-az`: one per AZ (survives an AZ outage). */
        natStrategy: z.enum(["single", "per-az"]),
        flowLogRetentionDays: logRetentionDays.default(90),
      })
      .strict(),
    ecr: z
      .object({
        repositories: z.array(ecrRepository).min(1, "at least one repository is needed for the application image"),
      })
      .strict(),
    /** Retention of application and ECS log groups, in days. */
    logRetentionDays: logRetentionDays.default(90),
    loadBalancer: loadBalancer.default({}),
    /**
     * The application's services. The first one's image and environment are also what the workers,
     * scheduled tasks and the migrate task run.
     */
    services: z.array(service).min(1, "at least one service is needed").optional(),
    /** Replaced by `services`. */
    service: z.unknown().optional(),
    database,
    /** Celery workers, each with its own SQS queue and DLQ. */
    workers: z.array(worker).default([]),
    /** EventBridge Scheduler tasks running the application image. */
    scheduledTasks: z.array(scheduledTask).default([]),
    /** S3 -> SQS -> Lambda -> EMR Serverless -> Aurora ingestion. */
    dataPipeline: dataPipeline.optional(),
    /** DynamoDB tables (README "DynamoDB tables"). @default [] */
    tables: z.array(tableSchema).default([]),
    /** External HTTPS services the application calls (README "External services"). @default [] */
    externalServices: z.array(externalServiceSchema).default([]),
    /** The HTTP API with one Lambda per data store (README "Data API"). @default none */
    dataApi: dataApiSchema.optional(),
    /** HTTPS on a domain: ACM certificate with DNS validation and an alias record. */
    domain: domain.optional(),
    /** The static frontend on S3 and CloudFront, the API behind the same domain (README "Frontend"). */
    frontend: frontendSchema.default({}),
    /** Monitoring, audit, edge protection and backups. */
    operations: operations.default({}),
    /** Monthly budget: an AWS Budgets budget alerting the alerts topic; `npm run cost` fails above it. @default none */
    budgets: budgetsSchema.optional(),
    /** Usage the cost estimate assumes, over the defaults in src/lib/cost/assumptions.ts. @default the defaults */
    costAssumptions: costAssumptionOverrides.optional(),
    /** The GitHub repository whose Actions deploy this platform through OIDC (same in every environment). */
    github: github.optional(),
    /**
     * The AWS Organization the workspace accounts belong to: the `organization` stack creates its
     * resource control policy (same in every environment). @default none (no organization stack)
     */
    organization: organization.optional(),
    /** Developer access: the SSM access host and the developer role (README "Developer access"). */
    access: accessSchema.default({}),
    /** A second region and how data reaches it (README "Disaster recovery"). @default none */
    disasterRecovery: disasterRecoverySchema(regionName).optional(),
  })
  .strict()
  .superRefine((env, ctx) => {
    checkAccess(env.access, env, ctx);
    checkCompute(env, ctx);
    checkFrontend(env, ctx);
    if (env.disasterRecovery) checkDisasterRecovery(env.disasterRecovery, env, ctx);
    const seenAz = new Set<string>();
    const regionValid = regionName.safeParse(env.region).success;
    const zoneCount = env.availabilityZones.length;
    let zonesValid = regionValid && zoneCount >= 2 && zoneCount <= MAX_AZS;
    env.availabilityZones.forEach((az, i) => {
      const problem = regionValid ? zoneProblem(env.region, az) : undefined;
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["availabilityZones", i], message: problem });
      if (problem || seenAz.has(az)) zonesValid = false;
      if (seenAz.has(az)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["availabilityZones", i], message: `"${az}" is listed twice` });
      }
      seenAz.add(az);
    });
    env.sharesAccountWith.forEach((other, i) => {
      if (other === env.name) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["sharesAccountWith", i], message: "lists the workspace itself" });
      }
    });
    if (env.organization && env.accountId === env.organization.managementAccountId) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["accountId"],
        message: "is the organization's management account, which resource control policies do not cover; deploy workspaces to member accounts",
      });
    }
    if (zonesValid && new Set(env.availabilityZones.map(isZoneId)).size > 1) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["availabilityZones"], message: "mixes zone names and zone IDs; list every zone the same way" });
      zonesValid = false;
    }
    // Zone names cannot be checked offline in a region where EMR Serverless runs only in some zones.
    const emrProblem = env.dataPipeline?.enabled && zonesValid ? emrServerlessZonesProblem(env.region, env.availabilityZones) : undefined;
    if (emrProblem) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["availabilityZones"], message: `the data pipeline: ${emrProblem}` });
    checkUniqueNames(env.ecr.repositories, ["ecr", "repositories"], ctx);
    checkUniqueNames(env.workers, ["workers"], ctx);
    // Physical names must not collide: workers own <name> and <name>-dlq queues, the pipeline owns
    // ingest and ingest-dlq, scheduled tasks own task-<name>-dlq, and the migrate task is "migrate".
    env.workers.forEach((w, i) => {
      const reserved =
        (env.dataPipeline?.enabled && w.name === "ingest") || w.name.startsWith("task-") || w.name.endsWith("-dlq") || w.name === "migrate";
      if (reserved) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ["workers", i, "name"],
          message: `"${w.name}" collides with a name the platform uses (ingest, migrate, task-*, *-dlq)`,
        });
      }
    });
    if (env.service !== undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["service"],
        message: 'replaced by services: a list of services; move this one into services: [{ name: "web", ..., public: { priority: 100, pathPatterns: ["/*"] } }]',
      });
    } else if (env.services === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["services"], message: "Required" });
    }
    checkServices({ ...env, services: env.services ?? [] }, ctx);
    checkDataStores(env, ctx);
    if (env.services?.some((s) => s.compute === "ec2") && /^(aws|ecs|fargate)/.test(env.project)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["project"],
        message: `"${env.project}" starts with aws, ecs or fargate, which ECS refuses at the start of the EC2 services' capacity-provider names`,
      });
    }
    checkUniqueNames(env.scheduledTasks, ["scheduledTasks"], ctx);
    if (env.dataPipeline?.enabled && env.database.passwordSource !== "managed") {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["dataPipeline", "enabled"],
        message: 'the pipeline\'s Spark jobs read the Secrets Manager secret of database.passwordSource "managed"',
      });
    }
    if (env.domain && env.loadBalancer.certificateArn) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ["loadBalancer", "certificateArn"],
        message: "set either domain (the platform issues the certificate) or loadBalancer.certificateArn, not both",
      });
    }
    if (env.stage === "production") {
      const guard = (path: (string | number)[], ok: boolean, message: string) => {
        if (!ok) ctx.addIssue({ code: z.ZodIssueCode.custom, path, message: `production: ${message}` });
      };
      guard(["database", "instanceCount"], env.database.instanceCount >= 2, "needs at least 2 database instances (writer and a reader in another AZ)");
      guard(["database", "deletionProtection"], env.database.deletionProtection, "database deletion protection must stay on");
      guard(["database", "skipFinalSnapshot"], !env.database.skipFinalSnapshot, "the database must take a final snapshot");
      guard(["database", "backupRetentionDays"], env.database.backupRetentionDays >= 14, "keep database backups for at least 14 days");
      guard(["loadBalancer", "deletionProtection"], env.loadBalancer.deletionProtection, "load balancer deletion protection must stay on");
      guard(["operations", "waf"], env.operations.waf, "the public load balancer needs the WAF");
      guard(["operations", "backup"], env.operations.backup, "the database needs an AWS Backup plan");
    }
  })
  .transform(({ service: _replaced, eks, ...env }) => ({
    ...env,
    // Only an EKS workspace has the block (refused above with compute "ecs"), with its defaults when absent.
    eks: env.compute === "eks" ? (eks ?? eksSchema.parse({})) : undefined,
    // Refused above when missing.
    services: env.services ?? [],
    state: { ...env.state, region: env.state.region ?? env.region },
  }));

/** What an environment file declares (defaults optional). */
export type EnvironmentInput = z.input<typeof environmentSchema>;
/** A validated environment with every default filled in. */
export type EnvironmentConfig = z.output<typeof environmentSchema>;

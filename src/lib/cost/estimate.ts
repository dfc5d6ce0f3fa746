import PRICE_TABLE from "./prices.json";
import { referencesIn, topConstruct, valuesAt, type StackModel, type StackResource } from "../stack-model";
import type { CostAssumptions } from "./assumptions";

/**
 * The monthly estimate of one synthesized stack: each billable resource priced from the shipped
 * price table (`prices.json`) with what the stack says (sizes, counts, retention) and the usage
 * assumptions for what it does not (traffic, volumes). Types with no charge of their own are listed
 * with the reason ({@link FREE_TYPES}); anything else without a pricer is reported "not priced",
 * never counted as zero.
 */

export interface PriceEntry {
  readonly id: string;
  readonly service: string;
  readonly description: string;
  readonly region: string;
  readonly unit: string;
  readonly price: number;
  readonly date: string;
  readonly source: string;
  readonly checked?: string;
}

export const PRICES: readonly PriceEntry[] = PRICE_TABLE.prices;

/** One priced dimension of one resource. */
export interface LineItem {
  readonly address: string;
  readonly type: string;
  readonly tier: string;
  /** Resource kind the line rolls up into (`Fargate`, `NAT gateway`). */
  readonly kind: string;
  /** What is billed (`vCPU-hours, Spot`). */
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly priceId: string;
  /** Price per unit after any assumed discount. */
  readonly unitPrice: number;
  readonly monthly: number;
  readonly note?: string;
}

export interface NotPriced {
  readonly address: string;
  readonly type: string;
  readonly tier: string;
  readonly reason: string;
}

export interface StackEstimate {
  readonly stack: string;
  readonly region: string;
  readonly monthly: number;
  readonly byTier: Readonly<Record<string, number>>;
  readonly byKind: Readonly<Record<string, number>>;
  readonly items: readonly LineItem[];
  readonly notPriced: readonly NotPriced[];
  /** Free resource types present, with counts and the reason they cost nothing themselves. */
  readonly free: ReadonlyArray<{ readonly type: string; readonly count: number; readonly reason: string }>;
  /** The Aurora Serverless v2 capacity part of the total, had every instance stayed at its minimum. */
  readonly auroraAtMinimum?: { readonly monthly: number; readonly assumed: number };
  readonly budget?: number;
  readonly overBudget: boolean;
}

/**
 * Resource types with no charge of their own, each with why. A billable type missing from both this
 * list and {@link PRICERS} fails `test/cost.test.ts` as soon as a stack contains it.
 */
export const FREE_TYPES: Readonly<Record<string, string>> = {
  aws_iam_role: "IAM is free",
  aws_iam_policy: "IAM is free",
  aws_iam_role_policy: "IAM is free",
  aws_iam_role_policy_attachment: "IAM is free",
  aws_iam_openid_connect_provider: "IAM is free",
  aws_organizations_policy: "AWS Organizations policies are free",
  aws_organizations_policy_attachment: "AWS Organizations policies are free",
  aws_vpc: "VPCs are free (NAT, endpoints and public IPv4 are priced on their own resources)",
  aws_subnet: "subnets are free",
  aws_route_table: "route tables are free",
  aws_route: "routes are free",
  aws_route_table_association: "route table associations are free",
  aws_internet_gateway: "internet gateways are free (data out is priced on the load balancer)",
  aws_security_group: "security groups are free",
  aws_default_security_group: "security groups are free",
  aws_vpc_security_group_ingress_rule: "security group rules are free",
  aws_vpc_security_group_egress_rule: "security group rules are free",
  aws_security_group_rule: "security group rules are free",
  aws_flow_log: "delivery is billed as the destination log group's ingestion (priced there)",
  aws_db_subnet_group: "RDS subnet groups are free",
  aws_rds_cluster_parameter_group: "parameter groups are free",
  aws_db_parameter_group: "parameter groups are free",
  aws_kms_alias: "aliases are free (the key is priced)",
  aws_s3_bucket_policy: "bucket configuration is free (the bucket is priced)",
  aws_s3_bucket_versioning: "bucket configuration is free (noncurrent versions are in the bucket's storage assumption)",
  aws_s3_bucket_server_side_encryption_configuration: "bucket configuration is free (KMS requests are priced on the key)",
  aws_s3_bucket_lifecycle_configuration: "bucket configuration is free",
  aws_s3_bucket_public_access_block: "bucket configuration is free",
  aws_s3_bucket_ownership_controls: "bucket configuration is free",
  aws_s3_bucket_notification: "event notifications are free (the queue's requests are priced)",
  aws_s3_object: "stored in its bucket (priced with the bucket's storage)",
  aws_sqs_queue_policy: "queue policies are free",
  aws_sqs_queue_redrive_allow_policy: "queue policies are free",
  aws_sns_topic_policy: "topic policies are free",
  aws_sns_topic_subscription: "deliveries are priced with the topic",
  aws_lb_listener: "part of the load balancer's hours and capacity units",
  aws_lb_listener_rule: "part of the load balancer's hours and capacity units",
  aws_lb_target_group: "part of the load balancer's hours and capacity units",
  aws_appautoscaling_target: "Application Auto Scaling is free",
  aws_appautoscaling_policy: "Application Auto Scaling is free",
  aws_ecs_cluster: "ECS clusters are free (tasks and Container Insights are priced on the services)",
  aws_ecs_cluster_capacity_providers: "capacity provider settings are free",
  aws_acm_certificate: "public ACM certificates are free",
  aws_acm_certificate_validation: "validation is free",
  aws_route53_record: "alias records to AWS resources answer queries free; the hosted zone is not managed here",
  aws_cloudwatch_event_rule: "rules matching AWS service events on the default bus are free",
  aws_cloudwatch_event_target: "targets are free (what they start is priced)",
  aws_cloudwatch_log_resource_policy: "log resource policies are free",
  aws_scheduler_schedule_group: "schedule groups are free (invocations are priced on the schedules)",
  aws_ecr_lifecycle_policy: "lifecycle policies are free",
  aws_wafv2_web_acl_association: "priced as the web ACL",
  aws_wafv2_web_acl_logging_configuration: "log delivery is priced as the log group's ingestion",
  aws_lambda_event_source_mapping: "polling is billed as SQS requests (in the queue's request assumption)",
  aws_backup_plan: "plans are free (recovery points are priced on the vault)",
  aws_backup_selection: "selections are free (recovery points are priced on the vault)",
  aws_budgets_budget: "budgets without actions are free",
  aws_ecs_capacity_provider: "capacity providers are free (their instances are priced on the Auto Scaling group)",
  aws_launch_template: "launch templates are free (the instances are priced on the Auto Scaling group)",
  aws_iam_instance_profile: "IAM is free",
  aws_autoscaling_schedule: "scheduled actions are free (the instances are priced on the Auto Scaling group)",
  aws_ssm_document: "Session Manager preference documents are free (session logs are priced on their log group)",
  aws_cloudfront_origin_access_control: "origin access controls are free",
  aws_cloudfront_cache_policy: "cache policies are free",
  aws_cloudfront_response_headers_policy: "response headers policies are free",
  aws_cloudwatch_log_delivery_source: "log delivery configuration is free (delivered GB are priced on the delivery)",
  aws_cloudwatch_log_delivery_destination: "log delivery configuration is free (delivered GB are priced on the delivery)",
  aws_service_discovery_http_namespace: "ECS Service Connect adds no charge for its namespace (the proxy runs within the tasks' CPU and memory)",
};

interface Charge {
  readonly item: string;
  readonly quantity: number;
  /** Price table id; `null` for an explicit no-charge line (a gateway endpoint). */
  readonly price: string | null;
  /** Multiplies the listed price (a Spot discount). @default 1 */
  readonly factor?: number;
  readonly note?: string;
}

/** What a pricer sees besides the resource: the whole stack and the assumptions. */
export interface PricingContext {
  readonly a: CostAssumptions;
  readonly resources: readonly StackResource[];
  readonly byAddress: ReadonlyMap<string, StackResource>;
  /** Resources that reference `target`, optionally of one type. */
  referrers(target: StackResource, type?: string): StackResource[];
  /** The resource a reference in `value` names, optionally of one type. */
  referenced(value: unknown, type?: string): StackResource | undefined;
}

/** Size of one CloudFront standard log record (JSON), bytes: the access-log volume assumption. */
export const ACCESS_LOG_RECORD_BYTES = 500;

type Pricer = { readonly kind: string; price(r: StackResource, ctx: PricingContext): Charge[] | string };

const num = (v: unknown, fallback = 0) => (typeof v === "number" ? v : typeof v === "string" && /^\d+(\.\d+)?$/.test(v) ? Number(v) : fallback);

const CRON_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/** A cron field value: a number, or a day (SUN=1..SAT=7) or month (JAN=1..DEC=12) name. */
function cronNumber(value: string): number {
  const i = CRON_NAMES.indexOf(value.toUpperCase());
  return i < 0 ? Number.parseInt(value, 10) : i < 7 ? i + 1 : i - 6;
}

/** Runs per month of an EventBridge `rate(...)` or `cron(...)` expression (cron fields approximated). */
export function runsPerMonth(expression: string, hoursPerMonth: number): number {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const minutes = Number(rate[1]) * (rate[2].startsWith("minute") ? 1 : rate[2].startsWith("hour") ? 60 : 1440);
    return (hoursPerMonth * 60) / minutes;
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (!cron) return 0;
  const [minute, hour, dom, month, dow] = cron[1].trim().split(/\s+/);
  const values = (field: string, span: number): number => {
    if (field === "*" || field === "?") return span;
    return field.split(",").reduce((n, part) => {
      const [range, step] = part.split("/");
      const [lo, hi] = range === "*" ? [0, span - 1] : range.split("-").map(cronNumber);
      const width = hi === undefined || Number.isNaN(hi) ? (step ? span - (lo || 0) : 1) : hi - lo + 1;
      return n + Math.max(1, Math.ceil(width / Number(step ?? 1)));
    }, 0);
  };
  const daysPerMonth = hoursPerMonth / 24;
  const days = dom !== "*" && dom !== "?" ? values(dom, 31) : dow !== "*" && dow !== "?" ? values(dow, 7) * (daysPerMonth / 7) : daysPerMonth;
  return values(minute, 60) * values(hour, 24) * days * (values(month, 12) / 12);
}

/** vCPU and GB of a task definition, and its architecture. */
function taskSize(task: StackResource | undefined): { vcpu: number; gb: number; arm: boolean } | undefined {
  if (!task) return undefined;
  const arch = String(valuesAt(task.values, "runtime_platform.cpu_architecture")[0] ?? "X86_64");
  return { vcpu: num(task.values.cpu) / 1024, gb: num(task.values.memory) / 1024, arm: arch.toUpperCase() === "ARM64" };
}

/** On-demand and Spot shares of `tasks` under a capacity-provider strategy (base first, then weights). */
function capacitySplit(strategy: unknown[], tasks: number): { onDemand: number; spot: number } {
  const entries = strategy.filter((s): s is Record<string, any> => typeof s === "object" && s !== null);
  if (entries.length === 0) return { onDemand: tasks, spot: 0 };
  const isSpot = (s: Record<string, any>) => String(s.capacity_provider).toUpperCase().includes("SPOT");
  const base = Math.min(tasks, entries.reduce((n, s) => n + num(s.base), 0));
  const baseSpot = Math.min(base, entries.filter(isSpot).reduce((n, s) => n + num(s.base), 0));
  const weight = (spot: boolean) => entries.filter((s) => isSpot(s) === spot).reduce((n, s) => n + num(s.weight, 0), 0);
  const total = weight(true) + weight(false);
  const rest = tasks - base;
  const restSpot = total > 0 ? (rest * weight(true)) / total : 0;
  return { onDemand: base - baseSpot + (rest - restSpot), spot: baseSpot + restSpot };
}

function fargate(size: { vcpu: number; gb: number; arm: boolean }, hours: { onDemand: number; spot: number }, spotDiscount: number, what: string): Charge[] {
  const arch = size.arm ? "arm" : "x86";
  const out: Charge[] = [];
  if (hours.onDemand > 0) {
    out.push({ item: `${what} vCPU-hours, on-demand (${size.vcpu} vCPU)`, quantity: size.vcpu * hours.onDemand, price: `fargate.${arch}.vcpu` });
    out.push({ item: `${what} GB-hours, on-demand (${size.gb} GB)`, quantity: size.gb * hours.onDemand, price: `fargate.${arch}.gb` });
  }
  if (hours.spot > 0) {
    const note = `Spot at an assumed ${Math.round(spotDiscount * 100)}% discount`;
    out.push({ item: `${what} vCPU-hours, Spot (${size.vcpu} vCPU)`, quantity: size.vcpu * hours.spot, price: `fargate.${arch}.vcpu`, factor: 1 - spotDiscount, note });
    out.push({ item: `${what} GB-hours, Spot (${size.gb} GB)`, quantity: size.gb * hours.spot, price: `fargate.${arch}.gb`, factor: 1 - spotDiscount, note });
  }
  return out;
}

/** Container Insights on the cluster a service or schedule runs in. */
function containerInsights(cluster: StackResource | undefined): boolean {
  const setting = valuesAt(cluster?.values, "setting").find((s: any) => s?.name === "containerInsights") as Record<string, any> | undefined;
  return setting !== undefined && String(setting.value) !== "disabled";
}

function scalingMinimum(service: StackResource, ctx: PricingContext): number | undefined {
  const target = ctx.referrers(service, "aws_appautoscaling_target")[0];
  return target ? num(target.values.min_capacity) : undefined;
}

/** The log group's usage: which assumption applies to it. */
function logIngestGb(group: StackResource, ctx: PricingContext): { gb: number; what: string } {
  const users = ctx.referrers(group);
  if (users.some((r) => r.type === "aws_flow_log")) return { gb: ctx.a.logs.flowLogsGb, what: "VPC flow logs" };
  if (users.some((r) => r.type === "aws_wafv2_web_acl_logging_configuration")) return { gb: ctx.a.logs.wafLogsGb, what: "WAF logs" };
  if (users.some((r) => r.type === "aws_cloudtrail")) return { gb: ctx.a.logs.cloudTrailLogsGb, what: "CloudTrail events" };
  return { gb: ctx.a.logs.ingestGbPerGroup, what: "application logs" };
}

export const PRICERS: Readonly<Record<string, Pricer>> = {
  aws_nat_gateway: {
    kind: "NAT gateway",
    price: (_r, ctx) => {
      const gateways = ctx.resources.filter((x) => x.type === "aws_nat_gateway").length;
      return [
        { item: "gateway-hours", quantity: ctx.a.hoursPerMonth, price: "nat.hour" },
        { item: `GB processed (${ctx.a.natGbPerMonth} GB split over ${gateways})`, quantity: ctx.a.natGbPerMonth / gateways, price: "nat.gb" },
      ];
    },
  },
  aws_eip: { kind: "Public IPv4", price: (_r, ctx) => [{ item: "public IPv4 address-hours", quantity: ctx.a.hoursPerMonth, price: "ipv4.hour" }] },
  aws_lb: {
    kind: "Load balancer",
    price: (r, ctx) => {
      const type = String(r.values.load_balancer_type ?? "application");
      const h = ctx.a.hoursPerMonth;
      if (type !== "application" && type !== "network") return `no price for ${type} load balancers`;
      const p = type === "application" ? "alb" : "nlb";
      const out: Charge[] = [
        { item: "load-balancer-hours", quantity: h, price: `${p}.hour` },
        { item: `capacity-unit-hours (${ctx.a.web.averageLcu} on average)`, quantity: ctx.a.web.averageLcu * h, price: `${p}.lcu` },
      ];
      if (r.values.internal !== true) {
        const zones = valuesAt(r.values, "subnets").length || valuesAt(r.values, "subnet_mapping").length;
        out.push({ item: `public IPv4 address-hours (one per zone, ${zones})`, quantity: zones * h, price: "ipv4.hour" });
        if (!ctx.resources.some((x) => x.type === "aws_cloudfront_distribution")) {
          out.push({ item: "data transfer out to the internet", quantity: ctx.a.web.egressGbPerMonth, price: "ec2.egress.gb" });
        }
      }
      return out;
    },
  },
  aws_vpc_endpoint: {
    kind: "VPC endpoint",
    price: (r, ctx) => {
      if (String(r.values.vpc_endpoint_type ?? "Gateway") === "Gateway") return [{ item: "gateway endpoint (no charge)", quantity: 1, price: null }];
      const zones = Math.max(1, valuesAt(r.values, "subnet_ids").length);
      return [{ item: `endpoint-hours in ${zones} zones`, quantity: zones * ctx.a.hoursPerMonth, price: "vpce.interface.hour" }];
    },
  },
  aws_ecs_service: {
    kind: "Fargate",
    price: (r, ctx) => {
      const size = taskSize(ctx.referenced(r.values.task_definition, "aws_ecs_task_definition"));
      if (!size) return "task definition not found in the stack";
      const tasks = scalingMinimum(r, ctx) ?? num(r.values.desired_count, 1);
      const strategy = valuesAt(r.values, "capacity_provider_strategy") as Array<Record<string, any>>;
      if (strategy.some((s) => !["FARGATE", "FARGATE_SPOT"].includes(String(s.capacity_provider)))) {
        // Tasks on an EC2 capacity provider: the instances are priced on its Auto Scaling group.
        return [{ item: `${tasks} task${tasks === 1 ? "" : "s"} on EC2 capacity (priced with the Auto Scaling group)`, quantity: 0, price: null }];
      }
      const split = capacitySplit(valuesAt(r.values, "capacity_provider_strategy"), tasks);
      const h = ctx.a.hoursPerMonth;
      const out = fargate(size, { onDemand: split.onDemand * h, spot: split.spot * h }, ctx.a.ecs.spotDiscount, `${tasks} task${tasks === 1 ? "" : "s"} (scaling minimum):`);
      if (tasks > 0 && containerInsights(ctx.referenced(r.values.cluster, "aws_ecs_cluster"))) {
        out.push({ item: `Container Insights data (${ctx.a.ecs.containerInsightsGbPerTask} GB per task)`, quantity: tasks * ctx.a.ecs.containerInsightsGbPerTask, price: "cw.logs.ingest" });
      }
      if (tasks === 0) out.push({ item: "scales to zero: no tasks at the minimum", quantity: 0, price: null });
      return out;
    },
  },
  aws_scheduler_schedule: {
    kind: "Fargate",
    price: (r, ctx) => {
      const expression = String(r.values.schedule_expression ?? "");
      const enabled = String(r.values.state ?? "ENABLED") !== "DISABLED";
      const runs = enabled ? runsPerMonth(expression, ctx.a.hoursPerMonth) : 0;
      const ecs = valuesAt(r.values, "target.ecs_parameters")[0] as Record<string, any> | undefined;
      const out: Charge[] = [{ item: `invocations (${expression}${enabled ? "" : ", paused"})`, quantity: runs / 1e6, price: "scheduler.invocation" }];
      if (!ecs) return out;
      const size = taskSize(ctx.referenced(ecs.task_definition_arn, "aws_ecs_task_definition"));
      if (!size) return "task definition not found in the stack";
      const taskHours = runs * num(ecs.task_count, 1) * (ctx.a.ecs.scheduledRunMinutes / 60);
      const split = capacitySplit(valuesAt(ecs, "capacity_provider_strategy"), 1);
      out.push(...fargate(size, { onDemand: taskHours * split.onDemand, spot: taskHours * split.spot }, ctx.a.ecs.spotDiscount, `${Math.round(runs)} runs x ${ctx.a.ecs.scheduledRunMinutes} min:`));
      return out;
    },
  },
  aws_ecs_task_definition: {
    kind: "Fargate",
    price: (r, ctx) => {
      const runners = [...ctx.referrers(r, "aws_ecs_service"), ...ctx.referrers(r, "aws_scheduler_schedule")];
      if (runners.length > 0) return [{ item: `run by ${runners.map((x) => x.path).join(", ")} (priced there)`, quantity: 0, price: null }];
      const size = taskSize(r)!;
      const hours = ctx.a.ecs.onDemandRunsPerMonth * (ctx.a.ecs.onDemandRunMinutes / 60);
      return fargate(size, { onDemand: hours, spot: 0 }, ctx.a.ecs.spotDiscount, `run on demand ${ctx.a.ecs.onDemandRunsPerMonth} x ${ctx.a.ecs.onDemandRunMinutes} min:`);
    },
  },
  aws_rds_cluster: {
    kind: "Aurora",
    price: (r, ctx) => {
      const optimized = r.values.storage_type === "aurora-iopt1";
      const out: Charge[] = [{ item: `storage (${ctx.a.aurora.storageGb} GB)`, quantity: ctx.a.aurora.storageGb, price: optimized ? "aurora.iopt.storage" : "aurora.storage" }];
      if (!optimized) out.push({ item: "I/O, millions of requests", quantity: ctx.a.aurora.ioMillionsPerMonth, price: "aurora.io" });
      if (r.values.manage_master_user_password === true) {
        out.push({ item: "managed master password secret", quantity: 1, price: "secrets.secret" });
        out.push({ item: "secret API calls, 10,000s", quantity: ctx.a.secretsApiCallsPerSecret / 10_000, price: "secrets.api" });
      }
      return out;
    },
  },
  aws_rds_cluster_instance: {
    kind: "Aurora",
    price: (r, ctx) => {
      const cls = String(r.values.instance_class);
      const h = ctx.a.hoursPerMonth;
      if (cls !== "db.serverless") return [{ item: `${cls} instance-hours`, quantity: h, price: `aurora.${cls}` }];
      const cluster = ctx.referenced(r.values.cluster_identifier, "aws_rds_cluster");
      const scaling = valuesAt(cluster?.values, "serverlessv2_scaling_configuration")[0] as Record<string, any> | undefined;
      if (!scaling) return "Serverless v2 instance without the cluster's scaling configuration";
      const min = num(scaling.min_capacity);
      const average = min + ctx.a.aurora.averageLoad * (num(scaling.max_capacity) - min);
      const optimized = cluster?.values.storage_type === "aurora-iopt1";
      return [{ item: `ACU-hours at ${average.toFixed(2)} ACU average (${min}-${num(scaling.max_capacity)})`, quantity: average * h, price: optimized ? "aurora.iopt.acu" : "aurora.acu", note: `at the minimum ${min} ACU: ${min * h} ACU-hours` }];
    },
  },
  aws_db_instance: {
    kind: "RDS",
    price: (r, ctx) => {
      const copies = r.values.multi_az === true ? 2 : 1;
      return [
        { item: `${r.values.instance_class} instance-hours${copies > 1 ? " (Multi-AZ)" : ""}`, quantity: copies * ctx.a.hoursPerMonth, price: `rds.${r.values.instance_class}` },
        { item: "gp3 storage", quantity: copies * num(r.values.allocated_storage, 20), price: "rds.gp3.gb" },
      ];
    },
  },
  aws_dynamodb_table: {
    kind: "DynamoDB",
    price: (r, ctx) => {
      const a = ctx.a.dynamodb;
      const out: Charge[] =
        String(r.values.billing_mode ?? "PROVISIONED") === "PAY_PER_REQUEST"
          ? [
              { item: "on-demand reads, millions", quantity: a.readMillionsPerTable, price: "dynamodb.read" },
              { item: "on-demand writes, millions", quantity: a.writeMillionsPerTable, price: "dynamodb.write" },
            ]
          : [
              { item: "read capacity unit-hours", quantity: num(r.values.read_capacity) * ctx.a.hoursPerMonth, price: "dynamodb.rcu" },
              { item: "write capacity unit-hours", quantity: num(r.values.write_capacity) * ctx.a.hoursPerMonth, price: "dynamodb.wcu" },
            ];
      out.push({ item: "storage", quantity: a.storageGbPerTable, price: "dynamodb.storage" });
      if (valuesAt(r.values, "point_in_time_recovery.enabled")[0] === true) out.push({ item: "point-in-time recovery", quantity: a.storageGbPerTable, price: "dynamodb.pitr" });
      return out;
    },
  },
  aws_s3_bucket: {
    kind: "S3",
    price: (_r, ctx) => [
      { item: "Standard storage", quantity: ctx.a.s3.storageGbPerBucket, price: "s3.storage" },
      { item: "PUT/LIST requests, 1,000s", quantity: ctx.a.s3.putRequestsPerBucket / 1000, price: "s3.put" },
      { item: "GET requests, 1,000s", quantity: ctx.a.s3.getRequestsPerBucket / 1000, price: "s3.get" },
    ],
  },
  aws_s3_bucket_replication_configuration: {
    kind: "S3",
    // The replica bucket is priced as a bucket of its own; here the inter-region transfer of what is written.
    price: (r, ctx) => {
      const rules = valuesAt(r.values, "rule").length;
      return [{ item: `replication to another region, GB (${rules} rule(s) x ${ctx.a.s3.replicatedGbPerBucket} GB)`, quantity: rules * ctx.a.s3.replicatedGbPerBucket, price: "s3.replication.gb" }];
    },
  },
  aws_cloudfront_distribution: {
    kind: "CloudFront",
    price: (_r, ctx) => [
      { item: "data transfer out", quantity: ctx.a.web.egressGbPerMonth, price: "cloudfront.gb" },
      { item: "HTTPS requests, 10,000s", quantity: ctx.a.web.requestsPerMonth / 10_000, price: "cloudfront.https" },
    ],
  },
  aws_cloudfront_function: {
    kind: "CloudFront",
    // Runs on the default behaviour's viewer requests; all requests is the upper bound.
    price: (_r, ctx) => [{ item: "function invocations, millions (at most every request)", quantity: ctx.a.web.requestsPerMonth / 1e6, price: "cloudfront.function" }],
  },
  aws_cloudfront_monitoring_subscription: {
    kind: "CloudFront",
    price: () => [{ item: "additional metrics (8 per distribution)", quantity: 8, price: "cloudfront.additional-metrics" }],
  },
  aws_cloudwatch_log_delivery: {
    kind: "CloudWatch Logs",
    // Assumption: one JSON access-log record of about 500 bytes per request.
    price: (_r, ctx) => [
      { item: `access logs delivered to S3, GB (${ACCESS_LOG_RECORD_BYTES} bytes per request)`, quantity: (ctx.a.web.requestsPerMonth * ACCESS_LOG_RECORD_BYTES) / 1e9, price: "cw.logs.vended.s3" },
    ],
  },
  aws_wafv2_web_acl: {
    kind: "WAF",
    price: (r, ctx) => [
      { item: "web ACL", quantity: 1, price: "waf.acl" },
      { item: "rules and rule groups", quantity: valuesAt(r.values, "rule").length, price: "waf.rule" },
      { item: "requests inspected, millions", quantity: ctx.a.web.requestsPerMonth / 1e6, price: "waf.requests" },
    ],
  },
  aws_cloudwatch_metric_alarm: {
    kind: "CloudWatch alarms",
    price: (r) => {
      const queries = valuesAt(r.values, "metric_query") as Array<Record<string, any>>;
      const metrics = queries.length > 0 ? queries.filter((q) => q.metric !== undefined).length : 1;
      const highRes = num(r.values.period, 60) < 60;
      return [{ item: `alarm metrics${highRes ? " (high resolution)" : ""}`, quantity: metrics, price: highRes ? "cw.alarm.highres" : "cw.alarm" }];
    },
  },
  aws_cloudwatch_dashboard: { kind: "CloudWatch dashboards", price: () => [{ item: "dashboard", quantity: 1, price: "cw.dashboard" }] },
  aws_cloudwatch_log_group: {
    kind: "CloudWatch Logs",
    price: (r, ctx) => {
      const { gb, what } = logIngestGb(r, ctx);
      const days = num(r.values.retention_in_days, 0);
      const months = days > 0 ? Math.min(days / 30.4, 12) : 12;
      return [
        { item: `ingestion (${what})`, quantity: gb, price: "cw.logs.ingest" },
        { item: `storage (${days > 0 ? `${days}-day retention` : "kept forever, a year counted"})`, quantity: gb * months, price: "cw.logs.storage" },
      ];
    },
  },
  aws_kms_key: {
    kind: "KMS",
    price: (_r, ctx) => [
      { item: "customer managed key", quantity: 1, price: "kms.key" },
      { item: "requests, 10,000s", quantity: ctx.a.kmsRequestsPerKey / 10_000, price: "kms.requests" },
    ],
  },
  aws_secretsmanager_secret: {
    kind: "Secrets Manager",
    price: (_r, ctx) => [
      { item: "secret", quantity: 1, price: "secrets.secret" },
      { item: "API calls, 10,000s", quantity: ctx.a.secretsApiCallsPerSecret / 10_000, price: "secrets.api" },
    ],
  },
  aws_eks_cluster: { kind: "EKS", price: (_r, ctx) => [{ item: "control plane hours", quantity: ctx.a.hoursPerMonth, price: "eks.cluster" }] },
  aws_instance: { kind: "EC2", price: (r, ctx) => [{ item: `${r.values.instance_type} instance-hours`, quantity: ctx.a.hoursPerMonth, price: `ec2.${r.values.instance_type}` }] },
  aws_autoscaling_group: {
    kind: "EC2",
    price: (r, ctx) => {
      const min = num(r.values.min_size);
      const h = ctx.a.hoursPerMonth;
      const mixed = valuesAt(r.values, "mixed_instances_policy")[0] as Record<string, any> | undefined;
      if (mixed) {
        // A mixed-instances group: the first (most preferred) override's type, the on-demand base and
        // share as configured, the rest Spot at the assumed discount.
        const type = valuesAt(mixed, "launch_template.override.instance_type")[0];
        if (typeof type !== "string") return "no instance type in the group's mixed-instances overrides";
        const distribution = (valuesAt(mixed, "instances_distribution")[0] ?? {}) as Record<string, any>;
        const base = Math.min(min, num(distribution.on_demand_base_capacity));
        const share = num(distribution.on_demand_percentage_above_base_capacity, 100) / 100;
        const onDemand = base + (min - base) * share;
        const spot = min - onDemand;
        const out: Charge[] = [];
        if (onDemand > 0) out.push({ item: `${type} instance-hours, on-demand x ${onDemand} (group minimum)`, quantity: onDemand * h, price: `ec2.${type}` });
        if (spot > 0) {
          out.push({ item: `${type} instance-hours, Spot x ${spot} (group minimum)`, quantity: spot * h, price: `ec2.${type}`, factor: 1 - ctx.a.ecs.spotDiscount, note: `Spot at an assumed ${Math.round(ctx.a.ecs.spotDiscount * 100)}% discount` });
        }
        return out.length > 0 ? out : [{ item: "no instances at the group minimum", quantity: 0, price: null }];
      }
      const template = ctx.referenced(valuesAt(r.values, "launch_template.id"), "aws_launch_template");
      const type = template?.values.instance_type;
      if (typeof type !== "string") return "instance type not found in the launch template";
      return [{ item: `${type} instance-hours x ${min} (group minimum)`, quantity: min * h, price: `ec2.${type}` }];
    },
  },
  aws_lambda_function: {
    kind: "Lambda",
    price: (r, ctx) => {
      const a = ctx.a.lambda;
      const arm = valuesAt(r.values, "architectures").includes("arm64");
      const gbSeconds = a.invocationsPerFunction * (a.averageDurationMs / 1000) * (num(r.values.memory_size, 128) / 1024);
      return [
        { item: "requests, millions", quantity: a.invocationsPerFunction / 1e6, price: "lambda.requests" },
        { item: `duration, GB-seconds (${num(r.values.memory_size, 128)} MB, ${a.averageDurationMs} ms)`, quantity: gbSeconds, price: arm ? "lambda.arm.gbs" : "lambda.x86.gbs" },
      ];
    },
  },
  aws_sqs_queue: {
    kind: "SQS",
    price: (r, ctx) => {
      const deadLetter = ctx.referrers(r).some((x) =>
        ["redrive_policy", "dead_letter_config.target_arn", "target.dead_letter_config.arn"].some((path) => referencesIn(valuesAt(x.values, path)).some((ref) => ref.address === r.address)),
      );
      const requests = deadLetter ? ctx.a.sqs.requestsPerDeadLetterQueue : ctx.a.sqs.requestsPerQueue;
      return [{ item: `requests, millions${deadLetter ? " (dead-letter queue)" : ""}`, quantity: requests / 1e6, price: r.values.fifo_queue === true ? "sqs.fifo" : "sqs.standard" }];
    },
  },
  aws_emrserverless_application: {
    kind: "EMR Serverless",
    price: (r, ctx) => {
      const e = ctx.a.emrServerless;
      const arch = String(r.values.architecture ?? "X86_64").toUpperCase() === "ARM64" ? "arm" : "x86";
      const hours = e.jobsPerMonth * (e.minutes / 60);
      return [
        { item: `vCPU-hours (${e.jobsPerMonth} jobs x ${e.vcpu} vCPU x ${e.minutes} min)`, quantity: hours * e.vcpu, price: `emr.${arch}.vcpu` },
        { item: `GB-hours (${e.memoryGb} GB per job)`, quantity: hours * e.memoryGb, price: `emr.${arch}.gb` },
      ];
    },
  },
  aws_backup_vault: {
    kind: "AWS Backup",
    price: (r, ctx) => {
      const targets = (p: StackResource, path: string) => referencesIn(valuesAt(p.values, path)).some((x) => x.address === r.address);
      const plans = ctx.resources.filter((p) => p.type === "aws_backup_plan" && targets(p, "rule.target_vault_name"));
      // A vault in another region that plans copy their recovery points to holds the same recovery points.
      const copiedFrom = ctx.resources.filter((p) => p.type === "aws_backup_plan" && targets(p, "rule.copy_action.destination_vault_arn"));
      const protectedTypes = [...plans, ...copiedFrom]
        .flatMap((p) => ctx.referrers(p, "aws_backup_selection"))
        .flatMap((s) => valuesAt(s.values, "resources").flatMap((resource) => referencesIn(resource).map((x) => x.address.split(".")[0])));
      const buckets = protectedTypes.filter((t) => t === "aws_s3_bucket").length;
      const others = protectedTypes.length - buckets;
      const copy = copiedFrom.length > 0 ? " (copies from another region's plan; priced at the stack region's list price)" : "";
      const out: Charge[] = [];
      if (others > 0) out.push({ item: `recovery points of ${others} database resource(s)${copy}`, quantity: others * ctx.a.backupGbPerResource, price: "backup.aurora.gb" });
      if (buckets > 0) out.push({ item: `recovery points of ${buckets} S3 bucket(s)${copy}`, quantity: buckets * ctx.a.backupGbPerResource, price: "backup.s3.gb" });
      if (out.length === 0) out.push({ item: "no recovery points (no plan stores or copies into this vault)", quantity: 0, price: null });
      if (plans.some((p) => valuesAt(p.values, "rule.copy_action").length > 0)) {
        out.push({ item: "cross-region copies, transfer", quantity: protectedTypes.length * ctx.a.backupGbPerResource, price: "backup.copy.gb" });
      }
      return out;
    },
  },
  aws_ecr_repository: { kind: "ECR", price: (_r, ctx) => [{ item: "image storage", quantity: ctx.a.ecrGbPerRepository, price: "ecr.storage" }] },
  aws_sfn_state_machine: {
    kind: "Step Functions",
    price: (r, ctx) =>
      String(r.values.type ?? "STANDARD") === "EXPRESS"
        ? "Express workflows are not priced"
        : [{ item: "state transitions, 1,000s", quantity: ctx.a.stepFunctionsTransitionsPerMachine / 1000, price: "sfn.transition" }],
  },
  aws_sns_topic: {
    kind: "SNS",
    price: (r, ctx) => {
      const emails = ctx.referrers(r, "aws_sns_topic_subscription").filter((s) => s.values.protocol === "email").length;
      return [
        { item: "publishes, millions", quantity: ctx.a.sns.publishesPerTopic / 1e6, price: "sns.publish" },
        { item: `e-mail deliveries to ${emails} address(es), 100,000s`, quantity: (emails * ctx.a.sns.emailsPerTopic) / 100_000, price: "sns.email" },
      ];
    },
  },
  aws_cloudtrail: {
    kind: "CloudTrail",
    price: (r) => {
      const dataEvents = valuesAt(r.values, "event_selector.data_resource").length + valuesAt(r.values, "advanced_event_selector").length;
      if (dataEvents > 0) return "data events are not priced (no assumption for their volume)";
      return [{ item: "management events, first copy in the account (no charge)", quantity: 1, price: null }];
    },
  },
};

/** The price of one table entry in a region. */
export function priceOf(id: string, region: string): PriceEntry | undefined {
  return PRICES.find((p) => p.id === id && p.region === region);
}

const round = (n: number) => Math.round(n * 100) / 100;

/** The monthly estimate of one stack. */
export function estimateStack(model: StackModel, assumptions: CostAssumptions, region: string, budget?: number): StackEstimate {
  const byAddress = new Map(model.resources.map((r) => [r.address, r]));
  const refs = new Map(model.resources.map((r) => [r.address, new Set(referencesIn(r.values).map((x) => x.address))]));
  const ctx: PricingContext = {
    a: assumptions,
    resources: model.resources,
    byAddress,
    referrers: (target, type) => model.resources.filter((r) => r !== target && (!type || r.type === type) && refs.get(r.address)!.has(target.address)),
    referenced: (value, type) => referencesIn(value).map((x) => byAddress.get(x.address)).find((r): r is StackResource => r !== undefined && (!type || r.type === type)),
  };
  const items: LineItem[] = [];
  const notPriced: NotPriced[] = [];
  const free = new Map<string, number>();
  let auroraMinimum = 0;
  let auroraAssumed = 0;
  for (const r of model.resources) {
    const tier = model.tiers.get(topConstruct(r)) ?? (model.config ? "Other" : model.name);
    if (FREE_TYPES[r.type]) {
      free.set(r.type, (free.get(r.type) ?? 0) + 1);
      continue;
    }
    const pricer = PRICERS[r.type];
    if (!pricer) {
      notPriced.push({ address: r.address, type: r.type, tier, reason: "no price entry for this resource type" });
      continue;
    }
    const charges = pricer.price(r, ctx);
    if (typeof charges === "string") {
      notPriced.push({ address: r.address, type: r.type, tier, reason: charges });
      continue;
    }
    for (const c of charges) {
      const entry = c.price === null ? undefined : priceOf(c.price, region);
      if (c.price !== null && !entry) {
        notPriced.push({ address: r.address, type: r.type, tier, reason: `no price ${c.price} in ${region} (${c.item})` });
        continue;
      }
      const unitPrice = (entry?.price ?? 0) * (c.factor ?? 1);
      const monthly = c.quantity * unitPrice;
      items.push({ address: r.address, type: r.type, tier, kind: pricer.kind, item: c.item, quantity: c.quantity, unit: entry?.unit ?? "", priceId: c.price ?? "none", unitPrice, monthly, note: c.note });
      if (r.type === "aws_rds_cluster_instance" && c.price?.endsWith(".acu")) {
        const minimum = /at the minimum ([\d.]+) ACU/.exec(c.note ?? "");
        auroraAssumed += monthly;
        auroraMinimum += minimum ? (Number(minimum[1]) * assumptions.hoursPerMonth * unitPrice) : monthly;
      }
    }
  }
  const sum = (key: (i: LineItem) => string) => {
    const out: Record<string, number> = {};
    for (const i of items) out[key(i)] = round((out[key(i)] ?? 0) + i.monthly);
    return Object.fromEntries(Object.entries(out).sort(([, a], [, b]) => b - a));
  };
  const monthly = round(items.reduce((n, i) => n + i.monthly, 0));
  return {
    stack: model.name,
    region,
    monthly,
    byTier: sum((i) => i.tier),
    byKind: sum((i) => i.kind),
    items,
    notPriced,
    free: [...free.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([type, count]) => ({ type, count, reason: FREE_TYPES[type] })),
    auroraAtMinimum: auroraAssumed > 0 ? { monthly: round(auroraMinimum), assumed: round(auroraAssumed) } : undefined,
    budget,
    overBudget: budget !== undefined && monthly > budget,
  };
}

import { PROVIDER_AWS, type PolicyContext, type PolicyResource, type PolicyRule } from "./engine";

/** Reads an IAM policy JSON string; undefined when it is not JSON (a rule then reports it). */
function statementsOf(policy: unknown): Array<Record<string, any>> | undefined {
  if (typeof policy !== "string") return undefined;
  try {
    const parsed = JSON.parse(policy) as { Statement?: unknown };
    const statements = parsed.Statement;
    return Array.isArray(statements) ? statements : statements ? [statements as Record<string, any>] : [];
  } catch {
    return undefined;
  }
}

const asList = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)]);

/** Actions that have no resource-level permissions, so `Resource: "*"` is the only form AWS accepts. */
export const UNSCOPABLE_ACTIONS = new Set([
  "ecr:GetAuthorizationToken",
  "logs:DescribeLogGroups",
  // CloudWatch Logs vended-log delivery (Step Functions execution logs): no resource-level permissions.
  "logs:CreateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:DescribeResourcePolicies",
  "logs:GetLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
  "logs:UpdateLogDelivery",
  "ssmmessages:CreateControlChannel",
  "ssmmessages:CreateDataChannel",
  "ssmmessages:OpenControlChannel",
  "ssmmessages:OpenDataChannel",
  "xray:PutTraceSegments",
  // The SSM agent's heartbeat (conditions only, no resource type) and finding Auto Scaling groups.
  "ssm:UpdateInstanceInformation",
  "autoscaling:DescribeAutoScalingGroups",
  "xray:PutTelemetryRecords",
]);

/** TLS policies of ALB listeners that allow nothing below TLS 1.2. */
const MODERN_TLS_POLICY = /^ELBSecurityPolicy-(TLS13-|FS-1-2-|TLS-1-2-)/;

const bucketSibling = (type: string, missing: string) => (bucket: PolicyResource, ctx: PolicyContext) =>
  ctx.referencing(type, bucket).length > 0 ? undefined : missing;

const securityGroupsOfLoadBalancers = (ctx: PolicyContext) =>
  new Set(ctx.resources("aws_lb").flatMap((lb) => asList(lb.config.security_groups)));

const containersOf = (task: PolicyResource): Array<Record<string, any>> => {
  try {
    return JSON.parse(task.config.container_definitions);
  } catch {
    return [];
  }
};

const IAM_POLICY_TYPES = ["aws_iam_role_policy", "aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy"];
const PROVISIONED_LOG_GROUPS = ["aws_cloudwatch_log_group"];

/**
 * The policy pack: checkov's AWS rules (ids kept) and cdk-nag's AwsSolutions ideas for the resource
 * types the platform creates. Rules pass vacuously when a stack has no resource of their types.
 */
export const POLICY_RULES: readonly PolicyRule[] = [
  // ---- S3
  {
    id: "CKV_AWS_19",
    description: "S3 buckets are encrypted at rest",
    resourceTypes: ["aws_s3_bucket"],
    check: bucketSibling("aws_s3_bucket_server_side_encryption_configuration", "no server-side encryption configuration"),
  },
  {
    id: "CKV2_AWS_6",
    description: "S3 buckets block every kind of public access",
    resourceTypes: ["aws_s3_bucket"],
    check: (bucket, ctx) => {
      const blocks = ctx.referencing("aws_s3_bucket_public_access_block", bucket);
      const flags = ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"];
      if (blocks.length === 0) return "no public access block";
      const off = flags.filter((f) => blocks[0].config[f] !== true);
      return off.length ? `public access block leaves ${off.join(", ")} off` : undefined;
    },
  },
  {
    id: "CKV2_AWS_65",
    description: "S3 buckets disable ACLs (BucketOwnerEnforced)",
    resourceTypes: ["aws_s3_bucket"],
    check: (bucket, ctx) =>
      ctx.referencing("aws_s3_bucket_ownership_controls", bucket).some((o) => o.config.rule?.object_ownership === "BucketOwnerEnforced")
        ? undefined
        : "object ownership is not BucketOwnerEnforced",
  },
  {
    id: "CKV_AWS_21",
    description: "S3 buckets keep object versions",
    resourceTypes: ["aws_s3_bucket"],
    check: (bucket, ctx) =>
      ctx.referencing("aws_s3_bucket_versioning", bucket).some((v) => v.config.versioning_configuration?.status === "Enabled")
        ? undefined
        : "versioning is not enabled",
  },
  {
    id: "PLATFORM_S3_TLS_ONLY",
    description: "S3 bucket policies deny requests without TLS (AwsSolutions-S10)",
    resourceTypes: ["aws_s3_bucket"],
    check: (bucket, ctx) => {
      const denies = ctx
        .referencing("aws_s3_bucket_policy", bucket)
        .flatMap((p) => statementsOf(p.config.policy) ?? [])
        .some((s) => s.Effect === "Deny" && String(s.Condition?.Bool?.["aws:SecureTransport"]) === "false");
      return denies ? undefined : "no bucket policy statement denies aws:SecureTransport = false";
    },
  },
  // ---- DynamoDB
  {
    id: "CKV_AWS_28",
    description: "DynamoDB tables have point-in-time recovery",
    resourceTypes: ["aws_dynamodb_table"],
    check: (t) => (t.config.point_in_time_recovery?.enabled === true ? undefined : "point-in-time recovery is off"),
  },
  {
    id: "CKV_AWS_119",
    description: "DynamoDB tables are encrypted with KMS",
    resourceTypes: ["aws_dynamodb_table"],
    check: (t) => (t.config.server_side_encryption?.enabled === true ? undefined : "server-side encryption with KMS is off"),
  },
  // ---- ECR
  {
    id: "CKV_AWS_51",
    description: "ECR image tags are immutable",
    resourceTypes: ["aws_ecr_repository"],
    check: (r) => (r.config.image_tag_mutability === "IMMUTABLE" ? undefined : "image tags are mutable"),
  },
  {
    id: "CKV_AWS_163",
    description: "ECR scans images on push",
    resourceTypes: ["aws_ecr_repository"],
    check: (r) => (r.config.image_scanning_configuration?.scan_on_push === true ? undefined : "scan on push is off"),
  },
  {
    id: "CKV_AWS_136",
    description: "ECR repositories are encrypted with KMS",
    resourceTypes: ["aws_ecr_repository"],
    check: (r) => (asList(r.config.encryption_configuration?.map?.((e: any) => e.encryption_type)).includes("KMS") ? undefined : "not KMS-encrypted"),
  },
  // ---- VPC and security groups
  {
    id: "CKV_AWS_130",
    description: "Subnets do not assign public IPs on launch",
    resourceTypes: ["aws_subnet"],
    check: (s) => (s.config.map_public_ip_on_launch === true ? "map_public_ip_on_launch is true" : undefined),
  },
  {
    id: "CKV2_AWS_11",
    description: "VPCs have flow logs",
    resourceTypes: ["aws_vpc"],
    check: (vpc, ctx) => (ctx.referencing("aws_flow_log", vpc).length > 0 ? undefined : "no flow log"),
  },
  {
    id: "CKV2_AWS_12",
    description: "The default security group allows no traffic",
    resourceTypes: ["aws_vpc"],
    check: (vpc, ctx) => {
      const defaults = ctx.referencing("aws_default_security_group", vpc);
      if (defaults.length === 0) return "the default security group is not managed (it allows traffic between members)";
      const open = defaults.some((sg) => asList(sg.config.ingress).length > 0 || asList(sg.config.egress).length > 0);
      return open ? "the default security group has rules" : undefined;
    },
  },
  {
    id: "CKV_AWS_23",
    description: "Security groups and their rules have descriptions",
    resourceTypes: ["aws_security_group", "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule"],
    check: (r) => (typeof r.config.description === "string" && r.config.description.trim().length > 0 ? undefined : "no description"),
  },
  {
    id: "CKV_AWS_260",
    description: "No ingress from the internet except HTTP(S) to a load balancer (also CKV_AWS_24/25)",
    resourceTypes: ["aws_vpc_security_group_ingress_rule", "aws_security_group_rule", "aws_security_group"],
    check: (r, ctx) => {
      const rules =
        r.type === "aws_security_group"
          ? asList(r.config.ingress).map(() => r.config.ingress).flat()
          : r.type === "aws_security_group_rule" && r.config.type !== "ingress"
            ? []
            : [r.config];
      const lbGroups = securityGroupsOfLoadBalancers(ctx);
      for (const rule of rules as Array<Record<string, any>>) {
        const cidrs = [...asList(rule.cidr_ipv4), ...asList(rule.cidr_ipv6), ...asList(rule.cidr_blocks), ...asList(rule.ipv6_cidr_blocks)];
        if (!cidrs.some((c) => c === "0.0.0.0/0" || c === "::/0")) continue;
        const group = r.type === "aws_security_group" ? `\${aws_security_group.${r.name}.id}` : String(rule.security_group_id);
        const web = (rule.from_port === 80 && rule.to_port === 80) || (rule.from_port === 443 && rule.to_port === 443);
        if (!web || !lbGroups.has(group)) {
          return `open to the internet on ${rule.from_port ?? "all"}-${rule.to_port ?? "all"} outside a load balancer's HTTP(S) listener`;
        }
      }
      return undefined;
    },
  },
  // ---- Load balancing
  {
    id: "CKV_AWS_131",
    description: "Application load balancers drop invalid HTTP header fields",
    resourceTypes: ["aws_lb"],
    check: (lb) => (lb.config.drop_invalid_header_fields === true ? undefined : "drop_invalid_header_fields is off"),
  },
  {
    id: "CKV_AWS_150",
    description: "Load balancers have deletion protection (production)",
    resourceTypes: ["aws_lb"],
    productionOnly: true,
    check: (lb) => (lb.config.enable_deletion_protection === true ? undefined : "deletion protection is off"),
  },
  {
    id: "CKV_AWS_91",
    description: "Load balancers write access logs (production)",
    resourceTypes: ["aws_lb"],
    productionOnly: true,
    check: (lb) => (lb.config.access_logs?.enabled === true ? undefined : "access logs are off"),
  },
  {
    id: "CKV_AWS_2",
    description: "Listeners use HTTPS or redirect HTTP to HTTPS",
    resourceTypes: ["aws_lb_listener"],
    check: (l) => {
      if (l.config.protocol === "HTTPS" || l.config.protocol === "TLS") return undefined;
      const redirects = asList(l.config.default_action?.map?.((a: any) => a.type)).every((t) => t === "redirect");
      return redirects ? undefined : `plain ${l.config.protocol} listener that does not redirect to HTTPS`;
    },
  },
  {
    id: "CKV_AWS_103",
    description: "HTTPS listeners allow TLS 1.2 or newer only",
    resourceTypes: ["aws_lb_listener"],
    check: (l) =>
      l.config.protocol !== "HTTPS" || MODERN_TLS_POLICY.test(String(l.config.ssl_policy)) ? undefined : `TLS policy ${l.config.ssl_policy} allows old protocols`,
  },
  // ---- ECS
  {
    id: "CKV_AWS_65",
    description: "ECS clusters have Container Insights",
    resourceTypes: ["aws_ecs_cluster"],
    check: (c) =>
      asList(c.config.setting?.filter?.((s: any) => s.name === "containerInsights").map((s: any) => s.value)).some((v) => v === "enabled" || v === "enhanced")
        ? undefined
        : "Container Insights is off",
  },
  {
    id: "CKV_AWS_333",
    description: "ECS services do not assign public IPs",
    resourceTypes: ["aws_ecs_service"],
    check: (s) => (s.config.network_configuration?.assign_public_ip === true ? "assign_public_ip is true" : undefined),
  },
  {
    id: "CKV_AWS_336",
    description: "ECS containers have a read-only root filesystem",
    resourceTypes: ["aws_ecs_task_definition"],
    check: (t) => {
      const writable = containersOf(t).filter((c) => c.readonlyRootFilesystem !== true).map((c) => c.name);
      return writable.length ? `containers ${writable.join(", ")} have a writable root filesystem` : undefined;
    },
  },
  {
    id: "CKV_AWS_334",
    description: "ECS containers are not privileged",
    resourceTypes: ["aws_ecs_task_definition"],
    check: (t) => {
      const privileged = containersOf(t).filter((c) => c.privileged === true).map((c) => c.name);
      return privileged.length ? `containers ${privileged.join(", ")} are privileged` : undefined;
    },
  },
  {
    id: "PLATFORM_ECS_SECRETS",
    description: "ECS containers take credentials as secrets, never plain environment",
    resourceTypes: ["aws_ecs_task_definition"],
    check: (t) => {
      const leaked = containersOf(t)
        .flatMap((c) => asList(c.environment?.map?.((e: any) => e.name)))
        .filter((n) => /(PASSWORD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|ACCESS_KEY)/i.test(n));
      return leaked.length ? `plain environment variables look like credentials: ${leaked.join(", ")}` : undefined;
    },
  },
  {
    id: "PLATFORM_ECS_LOGS",
    description: "ECS containers log through awslogs",
    resourceTypes: ["aws_ecs_task_definition"],
    check: (t) => {
      const silent = containersOf(t).filter((c) => c.logConfiguration?.logDriver !== "awslogs").map((c) => c.name);
      return silent.length ? `containers ${silent.join(", ")} have no awslogs configuration` : undefined;
    },
  },
  // ---- RDS
  {
    id: "CKV_AWS_96",
    description: "Aurora clusters encrypt storage",
    resourceTypes: ["aws_rds_cluster"],
    check: (c) => (c.config.storage_encrypted === true ? undefined : "storage is not encrypted"),
  },
  {
    id: "CKV_AWS_162",
    description: "Aurora clusters enable IAM database authentication",
    resourceTypes: ["aws_rds_cluster"],
    check: (c) => (c.config.iam_database_authentication_enabled === true ? undefined : "IAM authentication is off"),
  },
  {
    id: "CKV_AWS_324",
    description: "Aurora clusters export logs to CloudWatch",
    resourceTypes: ["aws_rds_cluster"],
    check: (c) => (asList(c.config.enabled_cloudwatch_logs_exports).length > 0 ? undefined : "no log export"),
  },
  {
    id: "CKV_AWS_313",
    description: "Aurora clusters copy tags to snapshots",
    resourceTypes: ["aws_rds_cluster"],
    check: (c) => (c.config.copy_tags_to_snapshot === true ? undefined : "copy_tags_to_snapshot is off"),
  },
  {
    id: "CKV_AWS_139",
    description: "Aurora clusters have deletion protection (production)",
    resourceTypes: ["aws_rds_cluster"],
    productionOnly: true,
    check: (c) => (c.config.deletion_protection === true ? undefined : "deletion protection is off"),
  },
  {
    id: "PLATFORM_RDS_BACKUPS",
    description: "Aurora clusters keep backups 14 days and take a final snapshot (production)",
    resourceTypes: ["aws_rds_cluster"],
    productionOnly: true,
    check: (c) =>
      Number(c.config.backup_retention_period) < 14
        ? `backups kept ${c.config.backup_retention_period} days`
        : c.config.skip_final_snapshot === true
          ? "skips the final snapshot"
          : undefined,
  },
  {
    id: "CKV_AWS_17",
    description: "Database instances are not publicly accessible",
    resourceTypes: ["aws_rds_cluster_instance", "aws_db_instance"],
    check: (i) => (i.config.publicly_accessible === true ? "publicly accessible" : undefined),
  },
  {
    id: "CKV_AWS_226",
    description: "Database instances take minor version upgrades",
    resourceTypes: ["aws_rds_cluster_instance"],
    check: (i) => (i.config.auto_minor_version_upgrade === false ? "auto minor version upgrade is off" : undefined),
  },
  {
    id: "CKV_AWS_353",
    description: "Database instances have Performance Insights (production)",
    resourceTypes: ["aws_rds_cluster_instance"],
    productionOnly: true,
    check: (i) => (i.config.performance_insights_enabled === true ? undefined : "Performance Insights is off"),
  },
  // ---- Messaging and functions
  {
    id: "CKV_AWS_27",
    description: "SQS queues are encrypted",
    resourceTypes: ["aws_sqs_queue"],
    check: (q) => (q.config.sqs_managed_sse_enabled === true || q.config.kms_master_key_id ? undefined : "no server-side encryption"),
  },
  {
    id: "CKV_AWS_26",
    description: "SNS topics are encrypted with KMS",
    resourceTypes: ["aws_sns_topic"],
    check: (t) => (t.config.kms_master_key_id ? undefined : "no KMS key"),
  },
  {
    id: "CKV_AWS_50",
    description: "Lambda functions have X-Ray tracing",
    resourceTypes: ["aws_lambda_function"],
    check: (f) => (f.config.tracing_config?.mode === "Active" ? undefined : "tracing is not Active"),
  },
  {
    id: "CKV_AWS_115",
    description: "Lambda functions have bounded concurrency",
    resourceTypes: ["aws_lambda_function"],
    check: (f) =>
      typeof f.config.reserved_concurrent_executions === "number" && f.config.reserved_concurrent_executions >= 0
        ? undefined
        : "no reserved concurrency limit",
  },
  {
    id: "CKV_AWS_117",
    description: "Lambda functions run inside a VPC",
    resourceTypes: ["aws_lambda_function"],
    check: (f) => (asList(f.config.vpc_config?.subnet_ids).length > 0 ? undefined : "not attached to a VPC"),
  },
  // ---- EC2 launch templates
  {
    id: "CKV_AWS_79",
    description: "Launch templates require IMDSv2 (session tokens)",
    resourceTypes: ["aws_launch_template"],
    check: (t) => {
      const options = [t.config.metadata_options].flat()[0] ?? {};
      return options.http_tokens === "required" || options.http_endpoint === "disabled" ? undefined : "IMDSv1 is allowed (metadata_options.http_tokens is not required)";
    },
  },
  {
    id: "CKV_AWS_341",
    description: "Launch templates keep the metadata hop limit at 1 (containers on the host cannot reach IMDS)",
    resourceTypes: ["aws_launch_template"],
    check: (t) => {
      const limit = Number(([t.config.metadata_options].flat()[0] ?? {}).http_put_response_hop_limit ?? 1);
      return limit <= 1 ? undefined : `metadata hop limit is ${limit}`;
    },
  },
  {
    id: "CKV_AWS_88",
    description: "Launch templates give instances no public IP",
    resourceTypes: ["aws_launch_template"],
    check: (t) =>
      asList([t.config.network_interfaces].flat().filter(Boolean).map((n: Record<string, unknown>) => n.associate_public_ip_address)).includes("true")
        ? "a network interface associates a public IP"
        : undefined,
  },
  {
    id: "PLATFORM_LT_EBS_ENCRYPTED",
    description: "Launch templates encrypt every EBS volume they define",
    resourceTypes: ["aws_launch_template"],
    check: (t) => {
      const unencrypted = [t.config.block_device_mappings]
        .flat()
        .filter(Boolean)
        .filter((m: Record<string, any>) => m.ebs && String([m.ebs].flat()[0]?.encrypted) !== "true")
        .map((m: Record<string, any>) => m.device_name);
      return unencrypted.length ? `unencrypted volumes: ${unencrypted.join(", ")}` : undefined;
    },
  },
  // ---- Logging and audit
  {
    id: "CKV_AWS_66",
    description: "Log groups have a retention period",
    resourceTypes: PROVISIONED_LOG_GROUPS,
    check: (g) => (Number(g.config.retention_in_days) > 0 ? undefined : "logs are kept forever (no retention set)"),
  },
  {
    id: "CKV_AWS_338",
    description: "Log groups keep logs for at least a year (production)",
    resourceTypes: PROVISIONED_LOG_GROUPS,
    productionOnly: true,
    check: (g) => (Number(g.config.retention_in_days) >= 365 ? undefined : `retention is ${g.config.retention_in_days} days`),
  },
  {
    id: "CKV_AWS_67",
    description: "CloudTrail trails cover every region",
    resourceTypes: ["aws_cloudtrail"],
    check: (t) => (t.config.is_multi_region_trail === true ? undefined : "single-region trail"),
  },
  {
    id: "CKV_AWS_36",
    description: "CloudTrail validates log files",
    resourceTypes: ["aws_cloudtrail"],
    check: (t) => (t.config.enable_log_file_validation === true ? undefined : "log file validation is off"),
  },
  {
    id: "CKV_AWS_35",
    description: "CloudTrail logs are encrypted with KMS",
    resourceTypes: ["aws_cloudtrail"],
    check: (t) => (t.config.kms_key_id ? undefined : "no KMS key"),
  },
  {
    id: "CKV_AWS_7",
    description: "Customer-managed KMS keys rotate",
    resourceTypes: ["aws_kms_key"],
    check: (k) => (k.config.enable_key_rotation === true ? undefined : "key rotation is off"),
  },
  // ---- IAM
  {
    id: "CKV_AWS_62",
    description: "IAM policies grant no wildcard actions (also CKV_AWS_1, CKV_AWS_290)",
    resourceTypes: IAM_POLICY_TYPES,
    check: (p) => {
      const statements = statementsOf(p.config.policy);
      if (!statements) return "policy is not a JSON document";
      const wild = statements
        .filter((s) => s.Effect === "Allow")
        .flatMap((s) => asList(s.Action))
        .filter((a) => a === "*" || a.endsWith(":*"));
      return wild.length ? `allows wildcard actions ${wild.join(", ")}` : undefined;
    },
  },
  {
    id: "CKV_AWS_355",
    description: "IAM policies give resource-scopable actions a resource, not \"*\"",
    resourceTypes: IAM_POLICY_TYPES,
    check: (p) => {
      const statements = statementsOf(p.config.policy) ?? [];
      const scopable = statements
        .filter((s) => s.Effect === "Allow" && asList(s.Resource).includes("*"))
        .flatMap((s) => asList(s.Action))
        .filter((a) => !UNSCOPABLE_ACTIONS.has(a));
      return scopable.length ? `Resource "*" for ${scopable.join(", ")}` : undefined;
    },
  },
  {
    id: "CKV_AWS_41",
    description: "No AWS credentials in provider configuration",
    resourceTypes: [PROVIDER_AWS],
    check: (p) => (p.config.access_key || p.config.secret_key || p.config.token ? "the aws provider block carries credentials" : undefined),
  },
  // ---- Edge
  {
    id: "CKV2_AWS_28",
    description: "Internet-facing load balancers are protected by a WAF web ACL (production)",
    resourceTypes: ["aws_lb"],
    productionOnly: true,
    check: (lb, ctx) =>
      lb.config.internal === true || ctx.referencing("aws_wafv2_web_acl_association", lb).length > 0 ? undefined : "no WAF web ACL association",
  },
  // ---- EKS
  {
    id: "CKV_AWS_58",
    description: "EKS clusters encrypt Kubernetes secrets with a KMS key",
    resourceTypes: ["aws_eks_cluster"],
    check: (c) => {
      const encryption = [c.config.encryption_config].flat().filter(Boolean) as Array<Record<string, any>>;
      return encryption.some((e) => asList(e.resources).includes("secrets") && [e.provider].flat()[0]?.key_arn) ? undefined : "secrets are not encrypted with a KMS key";
    },
  },
  {
    id: "CKV_AWS_37",
    description: "EKS clusters send every control-plane log type to CloudWatch Logs",
    resourceTypes: ["aws_eks_cluster"],
    check: (c) => {
      const missing = ["api", "audit", "authenticator", "controllerManager", "scheduler"].filter((t) => !asList(c.config.enabled_cluster_log_types).includes(t));
      return missing.length === 0 ? undefined : `control-plane logs ${missing.join(", ")} are off`;
    },
  },
  {
    id: "CKV_AWS_38",
    description: "EKS public endpoints are not open to 0.0.0.0/0",
    resourceTypes: ["aws_eks_cluster"],
    check: (c) => {
      const vpc = [c.config.vpc_config].flat()[0] ?? {};
      if (vpc.endpoint_public_access === false) return undefined;
      const cidrs = asList(vpc.public_access_cidrs);
      // EKS opens a public endpoint without CIDRs to 0.0.0.0/0.
      return cidrs.length === 0 || cidrs.some((cidr) => cidr.endsWith("/0")) ? "the public endpoint is open to 0.0.0.0/0" : undefined;
    },
  },
];

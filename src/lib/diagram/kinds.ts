/**
 * The resource types the diagram knows by name. Everything else is still drawn: a resource of an
 * unknown type is a detail of the construct that owns it, and a construct with no known principal
 * resource becomes one box named after the construct.
 */

/** A data-flow edge read from one attribute of a resource. */
export interface FlowRule {
  /** Dotted attribute path (`access_logs.bucket`); arrays on the way are flattened. */
  readonly attribute: string;
  /** `out`: this resource's box -> the referenced resource's box; `in`: the reverse. */
  readonly direction: "out" | "in";
  readonly label: string;
  /** Drawn without pulling the boxes apart (logs, backups, reads): it does not shape the layout. @default false */
  readonly secondary?: boolean;
}

export interface KnownKind {
  /** What the box says it is (`ECS service`). */
  readonly kind: string;
  /**
   * A principal resource gets a box of its own (details fold into the nearest principal of their
   * construct). @default false
   */
  readonly principal?: boolean;
  /** The attribute whose value names the resource (`name`, `function_name`). @default "name" */
  readonly nameAttribute?: string;
  /**
   * A principal that is part of whatever references it through one of these attributes (a task
   * definition joins the ECS service or schedule that runs it; a dead-letter queue joins its source).
   */
  readonly foldIntoReferrer?: ReadonlyArray<{ readonly type: string; readonly attribute: string }>;
  /** All principals of this type in one construct share one box (`NAT gateway x3`). @default false */
  readonly mergePerConstruct?: boolean;
  /** The attribute that names the box a detail belongs to (an event source mapping's function). */
  readonly owner?: string;
  /** Data-flow edges this resource declares. */
  readonly flows?: readonly FlowRule[];
  /** Reachable from the internet without a security group (CloudFront). @default false */
  readonly public?: boolean;
}

export const KNOWN_KINDS: Readonly<Record<string, KnownKind>> = {
  // Edge
  aws_cloudfront_distribution: { kind: "CloudFront", principal: true, nameAttribute: "comment", public: true, flows: [{ attribute: "origin.domain_name", direction: "out", label: "origin" }] },
  aws_wafv2_web_acl: { kind: "WAF web ACL", principal: true },
  aws_wafv2_web_acl_association: { kind: "WAF association", owner: "web_acl_arn", flows: [{ attribute: "resource_arn", direction: "out", label: "inspects" }] },
  aws_lb: { kind: "Load balancer", principal: true, flows: [{ attribute: "access_logs.bucket", direction: "out", label: "access logs", secondary: true }] },
  aws_lb_listener: { kind: "Listener", flows: [{ attribute: "default_action.target_group_arn", direction: "out", label: "forwards" }] },
  aws_lb_listener_rule: { kind: "Listener rule", flows: [{ attribute: "listener_arn", direction: "in", label: "routes" }] },
  aws_acm_certificate: { kind: "Certificate + DNS", principal: true, nameAttribute: "domain_name" },
  aws_route53_zone: { kind: "Hosted zone", principal: true },
  // Compute
  aws_ecs_cluster: { kind: "ECS cluster", principal: true },
  aws_ecs_service: { kind: "ECS service", principal: true },
  aws_ecs_task_definition: {
    kind: "ECS task (run on demand)", principal: true, nameAttribute: "family", foldIntoReferrer: [
      { type: "aws_ecs_service", attribute: "task_definition" },
      { type: "aws_scheduler_schedule", attribute: "target.ecs_parameters.task_definition_arn" },
    ],
  },
  aws_lambda_function: { kind: "Lambda function", principal: true, nameAttribute: "function_name" },
  aws_lambda_event_source_mapping: { kind: "Event source", owner: "function_name", flows: [{ attribute: "event_source_arn", direction: "in", label: "polls" }] },
  aws_emrserverless_application: { kind: "EMR Serverless", principal: true },
  aws_eks_cluster: { kind: "EKS cluster", principal: true },
  aws_eks_pod_identity_association: { kind: "Pod Identity (namespace/service account)", principal: true, nameAttribute: "service_account" },
  aws_instance: { kind: "EC2 instance", principal: true, nameAttribute: "tags.Name" },
  aws_autoscaling_group: { kind: "EC2 Auto Scaling group", principal: true },
  aws_sfn_state_machine: { kind: "Step Functions", principal: true },
  aws_scheduler_schedule_group: { kind: "EventBridge Scheduler", principal: true },
  aws_scheduler_schedule: { kind: "Scheduled task", principal: true, flows: [{ attribute: "group_name", direction: "in", label: "runs" }] },
  aws_ecr_repository: { kind: "ECR repository", principal: true },
  // Data
  aws_rds_cluster: { kind: "Aurora cluster", principal: true, nameAttribute: "cluster_identifier" },
  aws_db_instance: { kind: "RDS instance", principal: true, nameAttribute: "identifier" },
  aws_dynamodb_table: { kind: "DynamoDB table", principal: true },
  aws_s3_bucket: { kind: "S3 bucket", principal: true, nameAttribute: "bucket" },
  aws_s3_bucket_notification: {
    kind: "Bucket notification",
    owner: "bucket",
    flows: [
      { attribute: "queue.queue_arn", direction: "out", label: "object created" },
      { attribute: "lambda_function.lambda_function_arn", direction: "out", label: "object created" },
      { attribute: "topic.topic_arn", direction: "out", label: "object created" },
    ],
  },
  aws_s3_bucket_replication_configuration: {
    kind: "Bucket replication",
    owner: "bucket",
    flows: [{ attribute: "rule.destination.bucket", direction: "out", label: "replicates", secondary: true }],
  },
  aws_sqs_queue: {
    kind: "SQS queue",
    principal: true,
    foldIntoReferrer: [
      { type: "aws_sqs_queue", attribute: "redrive_policy" },
      { type: "aws_scheduler_schedule", attribute: "target.dead_letter_config.arn" },
      { type: "aws_lambda_function", attribute: "dead_letter_config.target_arn" },
    ],
  },
  aws_secretsmanager_secret: { kind: "Secret", principal: true },
  aws_apigatewayv2_api: { kind: "HTTP API", principal: true },
  aws_apigatewayv2_integration: { kind: "API integration", owner: "api_id", flows: [{ attribute: "integration_uri", direction: "out", label: "routes to" }] },
  aws_elasticache_replication_group: { kind: "ElastiCache", principal: true, nameAttribute: "replication_group_id" },
  // Network
  aws_vpc: { kind: "VPC", principal: true, nameAttribute: "tags.Name" },
  aws_nat_gateway: { kind: "NAT gateway", principal: true, mergePerConstruct: true, nameAttribute: "tags.Name" },
  aws_vpc_endpoint: { kind: "VPC endpoint", principal: true, nameAttribute: "service_name" },
  // Operations
  aws_sns_topic: { kind: "SNS topic", principal: true },
  aws_cloudtrail: { kind: "CloudTrail", principal: true, flows: [{ attribute: "s3_bucket_name", direction: "out", label: "logs", secondary: true }] },
  aws_backup_vault: { kind: "AWS Backup", principal: true },
  aws_backup_plan: { kind: "Backup plan", flows: [{ attribute: "rule.copy_action.destination_vault_arn", direction: "out", label: "copies", secondary: true }] },
  aws_backup_selection: { kind: "Backup selection", owner: "plan_id", flows: [{ attribute: "resources", direction: "out", label: "backs up", secondary: true }] },
  aws_budgets_budget: { kind: "Budget", principal: true, flows: [{ attribute: "notification.subscriber_sns_topic_arns", direction: "out", label: "alerts", secondary: true }] },
};

/** IAM actions that mean data flows between the role's box and the resource's box. */
export const IAM_FLOWS: ReadonlyArray<{ readonly action: RegExp; readonly direction: "out" | "in"; readonly label: string; readonly secondary?: boolean }> = [
  { action: /^sqs:SendMessage$/i, direction: "out", label: "sends" },
  { action: /^sqs:ReceiveMessage$/i, direction: "in", label: "consumes" },
  { action: /^sns:Publish$/i, direction: "out", label: "publishes", secondary: true },
  { action: /^lambda:InvokeFunction$/i, direction: "out", label: "invokes" },
  { action: /^emr-serverless:StartJobRun$/i, direction: "out", label: "starts jobs" },
  { action: /^execute-api:Invoke$/i, direction: "out", label: "calls" },
  { action: /^rds-data:ExecuteStatement$/i, direction: "out", label: "queries", secondary: true },
  { action: /^states:StartExecution$/i, direction: "out", label: "starts" },
  { action: /^ecs:RunTask$/i, direction: "out", label: "runs" },
  { action: /^ecs:UpdateService$/i, direction: "out", label: "redeploys", secondary: true },
  { action: /^s3:PutObject$/i, direction: "out", label: "writes", secondary: true },
  { action: /^s3:GetObject$/i, direction: "in", label: "reads", secondary: true },
  { action: /^dynamodb:(PutItem|UpdateItem|BatchWriteItem)$/i, direction: "out", label: "writes", secondary: true },
  { action: /^dynamodb:(GetItem|Query|Scan|BatchGetItem)$/i, direction: "in", label: "reads", secondary: true },
];

/** Security-group rule types and how to read each. */
export const SECURITY_GROUP_RULE_TYPES = ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule"] as const;

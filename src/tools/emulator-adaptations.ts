/**
 * The one place where the apply tier bends a synthesized stack to the AWS emulator (moto 5.2.1 in
 * server mode). Everything here works on a copy of `cdk.tf.json` in a scratch folder; the
 * synthesized output is never changed, and nothing here reaches real AWS.
 *
 * - {@link ADAPTATIONS}: rewrites of the copy, each naming the emulator behaviour it works around
 *   and why a real apply is unaffected.
 * - {@link LEFT_OUT_TYPES}: resource types the emulator cannot create, with the reason. Resources
 *   whose arguments refer to a left-out resource are left out with them (a `depends_on` entry is
 *   only dropped), and so are outputs that refer to one.
 * - {@link KNOWN_SECOND_PLAN_ARTIFACTS}: changes a second plan after apply shows only because the
 *   emulator answers differently from AWS, each with its cause. Any other change is a finding.
 */

/** A stack's Terraform JSON (`cdk.tf.json`), loosely typed. */
export interface StackJson {
  resource?: Record<string, Record<string, Record<string, any>>>;
  output?: Record<string, { value: unknown }>;
  [block: string]: unknown;
}

/** What an adaptation may ask of the running emulator before Terraform starts. */
export interface EmulatorSetup {
  /** Creates a public hosted zone for `domain` in the emulator; returns its id. */
  createHostedZone(domain: string): Promise<string>;
  /**
   * Creates an organization (all features) whose management account is the emulator's account,
   * enables `policyTypes` on its root and returns the root's id.
   */
  createOrganization(policyTypes: readonly string[]): Promise<string>;
  /** Creates an organizational unit under `parentId` in that organization; returns its id. */
  createOrganizationalUnit(parentId: string, name: string): Promise<string>;
  /** Creates a member account in that organization; returns its id. */
  createAccount(name: string): Promise<string>;
}

export interface Adaptation {
  readonly id: string;
  /** The emulator behaviour this works around. */
  readonly emulatorBehaviour: string;
  /** Why an apply against AWS does not need it. */
  readonly realApplyUnaffected: string;
  /** Rewrites the copy in place; returns the addresses it changed. */
  apply(stack: StackJson, emulator: EmulatorSetup): Promise<string[]> | string[];
}

/** Where the stack is applied, for stand-in ARNs. */
export interface StackPlace {
  readonly accountId: string;
  readonly region: string;
}

export interface LeftOutType {
  readonly type: string;
  readonly reason: string;
  /**
   * Literal values that references to a left-out resource's attributes become in the copy, so the
   * resources that only pass them on (an id in an environment variable, an ARN in a policy) are
   * still applied. A reference to an attribute without a stand-in leaves the referring resource out.
   */
  readonly standIns?: (resource: Record<string, any>, place: StackPlace) => Record<string, string>;
}

/** One resource change of a plan, with the top-level arguments whose values differ. */
export interface PlannedChange {
  readonly address: string;
  readonly type: string;
  readonly actions: readonly string[];
  readonly attributes: readonly string[];
}

export interface KnownArtifact {
  readonly id: string;
  readonly types: readonly string[];
  /** The arguments the emulator reports differently; a change touching any other is not this artifact. */
  readonly attributes: readonly string[];
  readonly cause: string;
}

type Resources = Record<string, Record<string, any>>;

function resourcesOf(stack: StackJson, type: string): Resources {
  return stack.resource?.[type] ?? {};
}

/** Sets `key` to `value` on every resource of `type` where it is set to something else; returns their addresses. */
function setArgument(stack: StackJson, type: string, key: string, value: unknown): string[] {
  return Object.entries(resourcesOf(stack, type))
    .filter(([, r]) => key in r && r[key] !== value)
    .map(([name, r]) => {
      r[key] = value;
      return `${type}.${name}`;
    });
}

/** `${aws_x.name.attr}` references inside a value, as `aws_x.name` addresses. */
function referencedAddresses(value: unknown): Set<string> {
  const found = new Set<string>();
  const text = JSON.stringify(value);
  for (const match of text.matchAll(/\b(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\b/g)) {
    found.add(`${match[1]}.${match[2]}`);
  }
  return found;
}

export const ADAPTATIONS: readonly Adaptation[] = [
  {
    id: "destroy-guards-relaxed",
    emulatorBehaviour:
      "none: the tier destroys everything it applied, which `prevent_destroy`, deletion protection, retained final snapshots and non-empty buckets or repositories refuse",
    realApplyUnaffected: "the guards stay in the synthesized stacks; only the throw-away emulator copy is relaxed",
    apply(stack) {
      const changed: string[] = [];
      for (const [type, resources] of Object.entries(stack.resource ?? {})) {
        for (const [name, r] of Object.entries(resources)) {
          if (r.lifecycle?.prevent_destroy === true) {
            r.lifecycle.prevent_destroy = false;
            changed.push(`${type}.${name}`);
          }
        }
      }
      changed.push(
        ...setArgument(stack, "aws_rds_cluster", "deletion_protection", false),
        ...setArgument(stack, "aws_rds_cluster", "skip_final_snapshot", true),
        ...setArgument(stack, "aws_lb", "enable_deletion_protection", false),
        ...setArgument(stack, "aws_dynamodb_table", "deletion_protection_enabled", false),
        ...setArgument(stack, "aws_s3_bucket", "force_destroy", true),
        ...setArgument(stack, "aws_ecr_repository", "force_delete", true),
      );
      return [...new Set(changed)];
    },
  },
  {
    id: "emr-serverless-type-upper-case",
    emulatorBehaviour: "accepts only `SPARK` and `HIVE` as an application type; the provider documents lower case",
    realApplyUnaffected: "EMR Serverless accepts either case; the synthesized stack keeps the documented form",
    apply(stack) {
      return Object.entries(resourcesOf(stack, "aws_emrserverless_application"))
        .filter(([, r]) => typeof r.type === "string" && r.type !== r.type.toUpperCase())
        .map(([name, r]) => {
          r.type = r.type.toUpperCase();
          return `aws_emrserverless_application.${name}`;
        });
    },
  },
  {
    id: "cloudtrail-logging-off",
    emulatorBehaviour:
      "StartLogging looks the trail up by name while the provider passes its ARN (500); the trail is created, only logging is not started",
    realApplyUnaffected: "CloudTrail accepts the ARN; the synthesized trail starts logging",
    apply(stack) {
      return setArgument(stack, "aws_cloudtrail", "enable_logging", false);
    },
  },
  {
    id: "tls-deny-on-buckets-terraform-writes",
    emulatorBehaviour:
      "evaluates a Deny with a condition it cannot check (`aws:SecureTransport`) as unconditional on object requests, so Terraform's own object writes, reads and deletes get 403",
    realApplyUnaffected:
      "AWS applies the deny only to plain-HTTP requests and Terraform uses HTTPS; only buckets that hold a Terraform-managed object lose the statement, the others keep it",
    apply(stack) {
      const written = new Set(
        Object.values(resourcesOf(stack, "aws_s3_object")).flatMap((o) => [...referencedAddresses(o.bucket)]),
      );
      const changed: string[] = [];
      for (const [name, r] of Object.entries(resourcesOf(stack, "aws_s3_bucket_policy"))) {
        if (![...referencedAddresses(r.bucket)].some((a) => written.has(a))) continue;
        const policy = JSON.parse(r.policy as string) as { Statement: Array<Record<string, any>> };
        const kept = policy.Statement.filter((s) => !(s.Effect === "Deny" && s.Condition?.Bool?.["aws:SecureTransport"] !== undefined));
        if (kept.length !== policy.Statement.length) {
          r.policy = JSON.stringify({ ...policy, Statement: kept });
          changed.push(`aws_s3_bucket_policy.${name}`);
        }
      }
      return changed;
    },
  },
  {
    id: "route53-zone-in-emulator",
    emulatorBehaviour: "has no hosted zones but those created in it, and gives each a new id",
    realApplyUnaffected: "the configured hosted zone exists in the account; records go into it by its id",
    async apply(stack, emulator) {
      const changed: string[] = [];
      const created = new Map<string, string>();
      for (const [name, r] of Object.entries(resourcesOf(stack, "aws_route53_record"))) {
        if (typeof r.zone_id !== "string" || r.zone_id.includes("${")) continue;
        if (!created.has(r.zone_id)) {
          // The zone's domain: the parent of the record's name when the name is literal.
          const domain = typeof r.name === "string" && !r.name.includes("${") ? r.name.split(".").slice(1).join(".") : "example.com";
          created.set(r.zone_id, await emulator.createHostedZone(domain || r.name));
        }
        r.zone_id = created.get(r.zone_id);
        changed.push(`aws_route53_record.${name}`);
      }
      return changed;
    },
  },
  {
    id: "organization-in-emulator",
    emulatorBehaviour:
      "the emulator's account belongs to no organization (CreatePolicy answers 500), so the configured root, organizational units and member accounts do not exist there either",
    realApplyUnaffected:
      "the stack is applied with the credentials of the organization's management account, where the configured targets exist and resource control policies are enabled on the root (see Accounts and isolation); the synthesized policy and its target ids are unchanged",
    async apply(stack, emulator) {
      const policies = resourcesOf(stack, "aws_organizations_policy");
      const attachments = resourcesOf(stack, "aws_organizations_policy_attachment");
      if (Object.keys(policies).length === 0 && Object.keys(attachments).length === 0) return [];
      const policyTypes = [
        ...new Set(
          Object.values(policies)
            .map((p) => p.type ?? "SERVICE_CONTROL_POLICY")
            .filter((t): t is string => typeof t === "string" && t !== "SERVICE_CONTROL_POLICY"),
        ),
      ].sort();
      // A new organization has service control policies enabled already; the others are enabled as
      // the management account does once before the first apply.
      const rootId = await emulator.createOrganization(policyTypes);
      const mapped = new Map<string, string>();
      const counterpart = async (target: string): Promise<string> => {
        if (!mapped.has(target)) {
          if (/^r-/.test(target)) mapped.set(target, rootId);
          else if (/^ou-/.test(target)) mapped.set(target, await emulator.createOrganizationalUnit(rootId, `apply-tier-${target}`));
          else if (/^\d{12}$/.test(target)) mapped.set(target, await emulator.createAccount(`apply-tier-${target}`));
          else throw new Error(`organization-in-emulator: unknown kind of target id ${target}`);
        }
        return mapped.get(target)!;
      };
      const changed: string[] = [];
      for (const [name, r] of Object.entries(attachments)) {
        if (typeof r.target_id !== "string" || r.target_id.includes("${")) continue;
        r.target_id = await counterpart(r.target_id);
        changed.push(`aws_organizations_policy_attachment.${name}`);
      }
      return changed;
    },
  },
];

export const LEFT_OUT_TYPES: readonly LeftOutType[] = [
  {
    type: "aws_appautoscaling_target",
    reason: "ListTagsForResource is not implemented (500), and the provider reads tags after every create",
  },
  {
    type: "aws_sqs_queue_redrive_allow_policy",
    reason: "the RedriveAllowPolicy queue attribute is unknown to the emulator, and its SetQueueAttributes drops the queue policy",
  },
  { type: "aws_backup_selection", reason: "backup selections are not implemented" },
  {
    type: "aws_eks_cluster",
    reason:
      "CreateCluster ignores the Auto Mode settings (compute_config, storage_config, elastic_load_balancing), access_config, upgrade_policy, zonal_shift_config and bootstrap_self_managed_addons, so the cluster reads back as another cluster; references to its security group or endpoint leave their resources out with it",
    standIns: (cluster, place) => {
      const name = typeof cluster.name === "string" && !cluster.name.includes("${") ? cluster.name : "emulator-standin";
      return { id: name, name, arn: `arn:aws:eks:${place.region}:${place.accountId}:cluster/${name}` };
    },
  },
  { type: "aws_eks_access_entry", reason: "access entries are not implemented (CreateAccessEntry)" },
  { type: "aws_eks_access_policy_association", reason: "access policy associations are not implemented (AssociateAccessPolicy)" },
  { type: "aws_eks_addon", reason: "add-ons are not implemented (CreateAddon)" },
  { type: "aws_eks_pod_identity_association", reason: "Pod Identity associations are not implemented (CreatePodIdentityAssociation)" },
  {
    type: "aws_budgets_budget",
    reason: "DescribeSubscribersForNotification is not implemented (500), and the provider reads each notification's subscribers after every create",
  },
  {
    type: "aws_emrserverless_application",
    reason:
      "a new application is reported STARTED instead of CREATED, which the provider waits for, and a started application cannot be deleted",
    standIns: (application, place) => {
      const id = "00emulatorstandin";
      return { id, arn: `arn:aws:emr-serverless:${place.region}:${place.accountId}:/applications/${id}`, name: application.name };
    },
  },
  {
    type: "aws_cloudfront_cache_policy",
    reason: "CreateCachePolicy is not implemented (404)",
    standIns: (policy) => ({ id: `emulator-standin-${policy.name}`, etag: "ETAGSTANDIN" }),
  },
  {
    type: "aws_cloudfront_response_headers_policy",
    reason: "CreateResponseHeadersPolicy is not implemented (404)",
    standIns: (policy) => ({ id: `emulator-standin-${policy.name}`, etag: "ETAGSTANDIN" }),
  },
  {
    type: "aws_cloudfront_function",
    reason: "CreateFunction (CloudFront Functions) is not implemented (404)",
    standIns: (fn, place) => ({ id: fn.name, arn: `arn:aws:cloudfront::${place.accountId}:function/${fn.name}`, etag: "ETAGSTANDIN", live_stage_etag: "ETAGSTANDIN" }),
  },
  { type: "aws_cloudfront_monitoring_subscription", reason: "CreateMonitoringSubscription is not implemented" },
  {
    type: "aws_cloudwatch_log_delivery_source",
    reason:
      "the emulator's distribution ARN lacks its empty region field (arn:aws:cloudfront:<account>:distribution/<id>), which the provider refuses as a delivery source's resource_arn",
  },
  {
    type: "aws_sfn_state_machine",
    reason:
      "ValidateStateMachineDefinition is not implemented (500 in either Step Functions backend, whatever the settings), and the provider validates the definition at every plan and apply",
    standIns: (machine, place) => {
      const name = typeof machine.name === "string" && !machine.name.includes("${") ? machine.name : "emulator-standin";
      const arn = `arn:aws:states:${place.region}:${place.accountId}:stateMachine:${name}`;
      return { id: arn, arn, name };
    },
  },
];

export const KNOWN_SECOND_PLAN_ARTIFACTS: readonly KnownArtifact[] = [
  {
    id: "cloudfront-distribution-read-back",
    types: ["aws_cloudfront_distribution"],
    attributes: ["default_cache_behavior", "ordered_cache_behavior", "origin", "viewer_certificate"],
    cause:
      "the emulator reads a distribution back in part: every behaviour with legacy forwarded_values beside its cache policy, no function associations, the origins in another form, and the default CloudFront certificate instead of the ACM one",
  },
  {
    id: "ecs-service-launch-settings",
    types: ["aws_ecs_service"],
    attributes: [
      "availability_zone_rebalancing",
      "capacity_provider_strategy",
      "deployment_controller",
      "enable_ecs_managed_tags",
      "enable_execute_command",
      "health_check_grace_period_seconds",
      "ordered_placement_strategy",
      "service_connect_configuration",
      "tags",
    ],
    cause:
      "CreateService drops the capacity provider strategy (the service comes back with launch type EC2), ECS managed tags, ECS Exec, the health check grace period, zone rebalancing, the placement strategy and the Service Connect configuration; the strategy forces a replacement, whose plan also re-renders the deployment controller, tags and Service Connect settings from configuration",
  },
  {
    id: "launch-template-own-tags-in-version",
    types: ["aws_launch_template"],
    attributes: ["tag_specifications"],
    cause:
      "CreateLaunchTemplate files the template's own tags (the provider's default tags, sent as a `launch-template` tag specification) into the version's TagSpecifications, so the provider reads back a third tag_specifications block the configuration does not have",
  },
  {
    id: "autoscaling-group-follows-launch-template",
    types: ["aws_autoscaling_group"],
    attributes: ["mixed_instances_policy", "launch_template", "capacity_reservation_specification", "max_instance_lifetime"],
    cause:
      "follows from launch-template-own-tags-in-version: the template's planned update makes its latest_version unknown, which the group's mixed_instances_policy or launch_template refers to; the same in-place update renders the unset capacity reservation preference as \"\" instead of null, which Terraform shows as no change; and the emulator's CreateAutoScalingGroup does not keep MaxInstanceLifetime, so a group that sets it reads back without it",
  },
  {
    id: "s3-replication-rule-readback",
    types: ["aws_s3_bucket_replication_configuration"],
    attributes: ["rule"],
    cause:
      "GetBucketReplication answers every rule with DeleteMarkerReplication Disabled and Filter {Prefix: \"\"}, whatever was put, so a rule that replicates delete markers with an empty filter reads back changed",
  },
  {
    id: "rds-cluster-serverless-v1-scaling",
    types: ["aws_rds_cluster"],
    attributes: ["scaling_configuration"],
    cause:
      "DescribeDBClusters answers every cluster with an empty ScalingConfigurationInfo, which AWS sends only for Serverless v1 clusters, so the provider records a scaling_configuration block the configuration does not have (it sets serverlessv2_scaling_configuration)",
  },
  {
    id: "rds-cluster-http-endpoint",
    types: ["aws_rds_cluster"],
    attributes: ["enable_http_endpoint", "scaling_configuration"],
    cause:
      "CreateDBCluster keeps EnableHttpEndpoint only for Serverless v1 clusters (engine mode serverless, a few old versions), where AWS's RDS Data API now serves Serverless v2 and provisioned Aurora PostgreSQL 13.11+/14.8+/15.3+/16.1+/17.4+ too: the provisioned cluster reads back with it off (with the empty Serverless v1 scaling block of rds-cluster-serverless-v1-scaling)",
  },
  {
    id: "rds-instance-performance-insights",
    types: ["aws_rds_cluster_instance"],
    attributes: ["performance_insights_enabled", "performance_insights_retention_period"],
    cause: "CreateDBInstance does not keep Performance Insights settings; instances come back with them off",
  },
  {
    id: "sqs-redrive-policy-whitespace",
    types: ["aws_sqs_queue"],
    attributes: ["redrive_policy"],
    cause: "GetQueueAttributes returns the redrive policy re-serialized with other whitespace; the provider shows a whitespace-only change",
  },
  {
    id: "security-group-rule-description",
    types: ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"],
    attributes: ["description"],
    cause: "DescribeSecurityGroupRules omits the description of a rule that references another security group",
  },
  {
    id: "backup-tags",
    types: ["aws_backup_plan", "aws_backup_vault"],
    attributes: ["tags_all"],
    cause: "AWS Backup's ListTags answers no tags, so the provider's default tags look missing",
  },
];

export interface LeftOut {
  readonly address: string;
  readonly type: string;
  readonly reason: string;
}

export interface AdaptedStack {
  /** The rewritten copy, to be written as the scratch folder's `cdk.tf.json`. */
  readonly stack: StackJson;
  /** Adaptation id -> addresses it changed (only adaptations that changed something). */
  readonly applied: Record<string, string[]>;
  readonly leftOut: LeftOut[];
}

/** Replaces `${<address>.<attr>}` in every string of `value` by the stand-in for `attr`. */
function substitute(value: unknown, address: string, standIns: Record<string, string>): unknown {
  if (typeof value === "string") {
    const pattern = new RegExp(`\\$\\{${address.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")}\\.([a-z_]+)\\}`, "g");
    return value.replace(pattern, (whole, attr: string) => standIns[attr] ?? whole);
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, address, standIns));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, address, standIns)]));
  }
  return value;
}

/**
 * Applies every adaptation and removes the left-out resources from a deep copy of `original`
 * (references to attributes with a stand-in become that literal first).
 */
export async function adaptStack(original: StackJson, emulator: EmulatorSetup, place: StackPlace): Promise<AdaptedStack> {
  let stack = JSON.parse(JSON.stringify(original)) as StackJson;
  const leftOut: LeftOut[] = [];
  const byType = new Map(LEFT_OUT_TYPES.map((t) => [t.type, t]));
  const removed = new Set<string>();
  for (const [type, resources] of Object.entries(stack.resource ?? {})) {
    const entry = byType.get(type);
    if (!entry) continue;
    for (const [name, resource] of Object.entries(resources)) {
      const address = `${type}.${name}`;
      leftOut.push({ address, type, reason: entry.reason });
      removed.add(address);
      if (entry.standIns) {
        const { resource: all, ...rest } = stack;
        stack = { ...rest, resource: substitute(all, address, entry.standIns(resource, place)) as StackJson["resource"] };
      }
    }
  }
  // Whatever refers to a left-out resource goes too, until nothing else does.
  for (let changed = true; changed; ) {
    changed = false;
    for (const [type, resources] of Object.entries(stack.resource ?? {})) {
      for (const [name, r] of Object.entries(resources)) {
        const address = `${type}.${name}`;
        if (removed.has(address)) continue;
        const { depends_on: _ordering, ...args } = r;
        const culprit = [...referencedAddresses(args)].find((a) => removed.has(a));
        if (culprit) {
          leftOut.push({ address, type, reason: `refers to ${culprit}, which is left out` });
          removed.add(address);
          changed = true;
        }
      }
    }
  }
  for (const address of removed) {
    const [type, name] = address.split(".");
    delete stack.resource![type][name];
    if (Object.keys(stack.resource![type]).length === 0) delete stack.resource![type];
  }
  for (const resources of Object.values(stack.resource ?? {})) {
    for (const r of Object.values(resources)) {
      if (Array.isArray(r.depends_on)) r.depends_on = r.depends_on.filter((d: string) => !removed.has(d));
    }
  }
  for (const [name, output] of Object.entries(stack.output ?? {})) {
    if ([...referencedAddresses(output.value)].some((a) => removed.has(a))) delete stack.output![name];
  }
  const applied: Record<string, string[]> = {};
  for (const adaptation of ADAPTATIONS) {
    const changed = await adaptation.apply(stack, emulator);
    if (changed.length > 0) applied[adaptation.id] = changed;
  }
  return { stack, applied, leftOut };
}

/** The known artifact a second-plan change is, or undefined when the change is a finding. */
export function knownArtifact(change: PlannedChange): KnownArtifact | undefined {
  return KNOWN_SECOND_PLAN_ARTIFACTS.find(
    (a) => a.types.includes(change.type) && change.attributes.length > 0 && change.attributes.every((attr) => a.attributes.includes(attr)),
  );
}

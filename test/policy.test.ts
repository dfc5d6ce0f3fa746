import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { App, TerraformStack, Testing } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { afterAll, describe, expect, it } from "vitest";
import { SecureBucket } from "../modules/s3-bucket";
import { buildApp, checkPolicies } from "../src/app";
import { POLICY_RULES, PolicyAspect, evaluateJson, evaluateStack, suppressPolicy, type PolicyResult } from "../src/aspects/policy";
import { environments } from "./helpers";

type Resources = Record<string, Record<string, Record<string, any>>>;

/** Evaluates one rule against a hand-written stack and returns the failures' messages. */
function failures(ruleId: string, resource: Resources, production = true): string[] {
  const rule = POLICY_RULES.find((r) => r.id === ruleId);
  if (!rule) throw new Error(`no rule ${ruleId}`);
  // CKV_AWS_41 inspects provider blocks: its fixture is a provider carrying keys.
  const provider = ruleId === "CKV_AWS_41" ? { aws: [{ region: "us-east-1", access_key: "AKIA...", secret_key: "x" }] } : undefined;
  return evaluateJson([rule], "fixture", { resource, provider }, { production })
    .filter((r) => r.outcome === "fail")
    .map((r) => r.detail!);
}

const bucket = { aws_s3_bucket: { b: { bucket: "x" } } };
const lbWithSg = { aws_lb: { lb: { security_groups: ["${aws_security_group.alb.id}"], drop_invalid_header_fields: true } } };
const policy = (statements: unknown[]) => ({ aws_iam_role_policy: { p: { policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) } } });
const task = (container: Record<string, unknown>) => ({
  aws_ecs_task_definition: {
    t: {
      container_definitions: JSON.stringify([
        { name: "app", readonlyRootFilesystem: true, privileged: false, environment: [], logConfiguration: { logDriver: "awslogs" }, ...container },
      ]),
    },
  },
});

/** A breaking fixture for every rule that inspects resources. */
const BROKEN: Record<string, { resources: Resources; message: RegExp }> = {
  CKV_AWS_19: { resources: bucket, message: /no server-side encryption/ },
  CKV2_AWS_6: {
    resources: { ...bucket, aws_s3_bucket_public_access_block: { p: { bucket: "${aws_s3_bucket.b.id}", block_public_acls: true, block_public_policy: false, ignore_public_acls: true, restrict_public_buckets: true } } },
    message: /leaves block_public_policy off/,
  },
  CKV2_AWS_65: { resources: { ...bucket, aws_s3_bucket_ownership_controls: { o: { bucket: "${aws_s3_bucket.b.id}", rule: { object_ownership: "ObjectWriter" } } } }, message: /BucketOwnerEnforced/ },
  CKV_AWS_21: { resources: { ...bucket, aws_s3_bucket_versioning: { v: { bucket: "${aws_s3_bucket.b.id}", versioning_configuration: { status: "Suspended" } } } }, message: /versioning is not enabled/ },
  PLATFORM_S3_TLS_ONLY: { resources: { ...bucket, aws_s3_bucket_policy: { p: { bucket: "${aws_s3_bucket.b.id}", policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:GetObject" }] }) } } }, message: /SecureTransport/ },
  CKV_AWS_28: { resources: { aws_dynamodb_table: { t: { server_side_encryption: { enabled: true } } } }, message: /point-in-time/ },
  CKV_AWS_119: { resources: { aws_dynamodb_table: { t: { point_in_time_recovery: { enabled: true } } } }, message: /encryption/ },
  CKV_AWS_51: { resources: { aws_ecr_repository: { r: { image_tag_mutability: "MUTABLE" } } }, message: /mutable/ },
  CKV_AWS_163: { resources: { aws_ecr_repository: { r: { image_scanning_configuration: { scan_on_push: false } } } }, message: /scan on push/ },
  CKV_AWS_136: { resources: { aws_ecr_repository: { r: { encryption_configuration: [{ encryption_type: "AES256" }] } } }, message: /KMS/ },
  CKV_AWS_130: { resources: { aws_subnet: { s: { map_public_ip_on_launch: true } } }, message: /map_public_ip_on_launch/ },
  CKV2_AWS_11: { resources: { aws_vpc: { v: { cidr_block: "10.0.0.0/16" } } }, message: /no flow log/ },
  CKV2_AWS_12: { resources: { aws_vpc: { v: {} }, aws_default_security_group: { d: { vpc_id: "${aws_vpc.v.id}", ingress: [{ from_port: 0 }] } } }, message: /has rules/ },
  CKV_AWS_23: { resources: { aws_security_group: { s: { name: "x" } } }, message: /no description/ },
  CKV_AWS_260: {
    resources: { ...lbWithSg, aws_vpc_security_group_ingress_rule: { ssh: { security_group_id: "${aws_security_group.alb.id}", cidr_ipv4: "0.0.0.0/0", from_port: 22, to_port: 22, description: "ssh" } } },
    message: /open to the internet on 22-22/,
  },
  CKV_AWS_131: { resources: { aws_lb: { lb: { drop_invalid_header_fields: false } } }, message: /drop_invalid_header_fields/ },
  CKV_AWS_150: { resources: { aws_lb: { lb: { enable_deletion_protection: false } } }, message: /deletion protection/ },
  CKV_AWS_91: { resources: { aws_lb: { lb: {} } }, message: /access logs/ },
  CKV_AWS_2: { resources: { aws_lb_listener: { l: { protocol: "HTTP", default_action: [{ type: "forward" }] } } }, message: /plain HTTP listener/ },
  CKV_AWS_103: { resources: { aws_lb_listener: { l: { protocol: "HTTPS", ssl_policy: "ELBSecurityPolicy-2016-08" } } }, message: /allows old protocols/ },
  CKV_AWS_65: { resources: { aws_ecs_cluster: { c: { setting: [{ name: "containerInsights", value: "disabled" }] } } }, message: /Container Insights/ },
  CKV_AWS_333: { resources: { aws_ecs_service: { s: { network_configuration: { assign_public_ip: true } } } }, message: /assign_public_ip/ },
  CKV_AWS_336: { resources: task({ readonlyRootFilesystem: false }), message: /writable root filesystem/ },
  CKV_AWS_334: { resources: task({ privileged: true }), message: /privileged/ },
  PLATFORM_ECS_SECRETS: { resources: task({ environment: [{ name: "DB_PASSWORD", value: "x" }] }), message: /DB_PASSWORD/ },
  PLATFORM_ECS_LOGS: { resources: task({ logConfiguration: undefined }), message: /awslogs/ },
  CKV_AWS_79: { resources: { aws_launch_template: { t: { metadata_options: { http_tokens: "optional" } } } }, message: /IMDSv1/ },
  CKV_AWS_341: { resources: { aws_launch_template: { t: { metadata_options: { http_tokens: "required", http_put_response_hop_limit: 2 } } } }, message: /hop limit is 2/ },
  CKV_AWS_88: { resources: { aws_launch_template: { t: { network_interfaces: [{ associate_public_ip_address: "true" }] } } }, message: /public IP/ },
  PLATFORM_LT_EBS_ENCRYPTED: {
    resources: { aws_launch_template: { t: { block_device_mappings: [{ device_name: "/dev/xvda", ebs: { encrypted: "false" } }] } } },
    message: /unencrypted volumes: \/dev\/xvda/,
  },
  CKV_AWS_96: { resources: { aws_rds_cluster: { c: { storage_encrypted: false } } }, message: /not encrypted/ },
  CKV_AWS_162: { resources: { aws_rds_cluster: { c: {} } }, message: /IAM authentication/ },
  CKV_AWS_324: { resources: { aws_rds_cluster: { c: { enabled_cloudwatch_logs_exports: [] } } }, message: /no log export/ },
  CKV_AWS_313: { resources: { aws_rds_cluster: { c: { copy_tags_to_snapshot: false } } }, message: /copy_tags/ },
  CKV_AWS_139: { resources: { aws_rds_cluster: { c: { deletion_protection: false } } }, message: /deletion protection/ },
  PLATFORM_RDS_BACKUPS: { resources: { aws_rds_cluster: { c: { backup_retention_period: 7 } } }, message: /backups kept 7 days/ },
  CKV_AWS_17: { resources: { aws_rds_cluster_instance: { i: { publicly_accessible: true } } }, message: /publicly accessible/ },
  CKV_AWS_226: { resources: { aws_rds_cluster_instance: { i: { auto_minor_version_upgrade: false } } }, message: /minor version/ },
  CKV_AWS_353: { resources: { aws_rds_cluster_instance: { i: { performance_insights_enabled: false } } }, message: /Performance Insights/ },
  CKV_AWS_27: { resources: { aws_sqs_queue: { q: { name: "q" } } }, message: /no server-side encryption/ },
  CKV_AWS_26: { resources: { aws_sns_topic: { t: { name: "t" } } }, message: /no KMS key/ },
  CKV_AWS_50: { resources: { aws_lambda_function: { f: { tracing_config: { mode: "PassThrough" } } } }, message: /tracing/ },
  CKV_AWS_115: { resources: { aws_lambda_function: { f: {} } }, message: /reserved concurrency/ },
  CKV_AWS_117: { resources: { aws_lambda_function: { f: {} } }, message: /VPC/ },
  CKV_AWS_66: { resources: { aws_cloudwatch_log_group: { g: { name: "g" } } }, message: /no retention/ },
  CKV_AWS_338: { resources: { aws_cloudwatch_log_group: { g: { retention_in_days: 30 } } }, message: /retention is 30 days/ },
  CKV_AWS_67: { resources: { aws_cloudtrail: { t: { is_multi_region_trail: false } } }, message: /single-region/ },
  CKV_AWS_36: { resources: { aws_cloudtrail: { t: {} } }, message: /validation/ },
  CKV_AWS_35: { resources: { aws_cloudtrail: { t: {} } }, message: /no KMS key/ },
  CKV_AWS_7: { resources: { aws_kms_key: { k: { enable_key_rotation: false } } }, message: /rotation/ },
  CKV_AWS_62: { resources: policy([{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::b" }]), message: /wildcard actions s3:\*/ },
  CKV_AWS_41: { resources: {}, message: /carries credentials/ },
  CKV2_AWS_28: { resources: { aws_lb: { lb: { internal: false } } }, message: /no WAF web ACL association/ },
  CKV_AWS_58: { resources: { aws_eks_cluster: { c: { encryption_config: { resources: ["secrets"], provider: {} } } } }, message: /secrets are not encrypted/ },
  CKV_AWS_37: { resources: { aws_eks_cluster: { c: { enabled_cluster_log_types: ["api", "audit"] } } }, message: /authenticator, controllerManager, scheduler are off/ },
  CKV_AWS_38: { resources: { aws_eks_cluster: { c: { vpc_config: { endpoint_public_access: true, public_access_cidrs: ["0.0.0.0/0"] } } } }, message: /open to 0\.0\.0\.0\/0/ },
  CKV_AWS_355: { resources: policy([{ Effect: "Allow", Action: ["s3:GetObject", "ecr:GetAuthorizationToken"], Resource: "*" }]), message: /Resource "\*" for s3:GetObject$/ },
};

describe("policy pack: every rule fires on a bad resource", () => {
  const inspecting = POLICY_RULES.filter((r) => r.resourceTypes.length > 0);

  it("has a breaking fixture for every rule", () => {
    expect(Object.keys(BROKEN).sort()).toEqual(inspecting.map((r) => r.id).sort());
  });

  it.each(inspecting.map((r) => [r.id, r.description] as const))("%s (%s)", (id) => {
    const { resources, message } = BROKEN[id];
    const found = failures(id, resources);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  it("allows internet ingress on 80/443 only to a load balancer's group", () => {
    const open = (port: number, sg: string) => ({
      ...lbWithSg,
      aws_vpc_security_group_ingress_rule: { r: { security_group_id: sg, cidr_ipv4: "0.0.0.0/0", from_port: port, to_port: port, description: "d" } },
    });
    expect(failures("CKV_AWS_260", open(443, "${aws_security_group.alb.id}"))).toEqual([]);
    expect(failures("CKV_AWS_260", open(443, "${aws_security_group.app.id}"))).toHaveLength(1);
  });

  it("holds production-only rules to production stacks", () => {
    expect(failures("CKV_AWS_150", BROKEN.CKV_AWS_150.resources, false)).toEqual([]);
    expect(failures("CKV_AWS_150", BROKEN.CKV_AWS_150.resources, true)).toHaveLength(1);
  });

  it("does not require a WAF on an internal load balancer", () => {
    expect(failures("CKV2_AWS_28", { aws_lb: { lb: { internal: true } } })).toEqual([]);
  });

  it("accepts Resource \"*\" only for actions without resource-level permissions", () => {
    expect(failures("CKV_AWS_355", policy([{ Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" }]))).toEqual([]);
  });
});

describe("policy pack on the default stacks", () => {
  const platform = buildApp(environments(), Testing.app().outdir);
  const results = checkPolicies(platform);
  const byRule = (id: string) => results.filter((r: PolicyResult) => r.rule.id === id);

  it("passes every rule", () => {
    expect(results.filter((r) => r.outcome === "fail").map((r) => `${r.stackName} ${r.resource.name} ${r.rule.id}: ${r.detail}`)).toEqual([]);
  });

  it.each(POLICY_RULES.filter((r) => r.resourceTypes.length > 0).map((r) => [r.id]))("%s passes or is suppressed with a reason on the stacks that have its resources", (id) => {
    for (const result of byRule(id)) {
      expect(["pass", "suppressed"]).toContain(result.outcome);
      if (result.outcome === "suppressed") expect(result.detail!.length).toBeGreaterThan(15);
    }
  });

  it("exercises the rules for every resource type the platform creates", () => {
    const exercised = new Set(results.map((r) => r.rule.id));
    for (const id of ["CKV_AWS_19", "CKV2_AWS_6", "CKV_AWS_96", "CKV_AWS_51", "CKV_AWS_27", "CKV_AWS_131", "CKV_AWS_333", "CKV_AWS_336", "CKV_AWS_66", "CKV_AWS_260", "CKV_AWS_23", "CKV_AWS_50", "CKV_AWS_62", "CKV_AWS_139"]) {
      expect(exercised, id).toContain(id);
    }
  });

  it("lists exactly the reasoned suppressions the stacks declare", () => {
    const suppressed = results.filter((r) => r.outcome === "suppressed").map((r) => `${r.stackName}:${r.rule.id}`).sort();
    // dev's load balancer serves HTTP only (to CloudFront; no Route 53 zone); prod has HTTPS through
    // its domain, so no CKV_AWS_2 there. The frontend's access-log bucket is unversioned in both. The
    // pipeline trigger and the four data-API functions run outside the VPC; the tables with
    // "aws-owned" encryption (dev's two, prod's sessions) use DynamoDB's own key. prod's load balancer
    // has no web ACL of its own: CloudFront's filters every request (CKV2_AWS_28).
    const outsideVpc = (stack: string) => Array.from({ length: 5 }, () => `${stack}:CKV_AWS_117`);
    expect(suppressed).toEqual([...outsideVpc("dev"), "dev:CKV_AWS_119", "dev:CKV_AWS_119", "dev:CKV_AWS_2", "dev:CKV_AWS_21", "prod:CKV2_AWS_28", ...outsideVpc("prod"), "prod:CKV_AWS_119", "prod:CKV_AWS_21", "prod:CKV_AWS_21"]);
  });
});

describe("suppressions and the aspect", () => {
  function stackWithLeakyBucket() {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), "policy-app-")) });
    const stack = new TerraformStack(app, "leaky");
    new AwsProvider(stack, "aws", { region: "us-east-1" });
    const bucket = new SecureBucket(stack, "data", { bucketName: "acme-test-leaky" });
    const pab = bucket.node.findChild("public-access-block") as unknown as { addOverride(path: string, value: unknown): void };
    pab.addOverride("block_public_policy", false);
    return { app, stack, bucket };
  }

  it("reports a construct broken through an escape hatch", () => {
    const { stack } = stackWithLeakyBucket();
    const failed = evaluateStack(POLICY_RULES, stack, false).filter((r) => r.outcome === "fail");
    expect(failed.map((r) => r.rule.id)).toEqual(["CKV2_AWS_6"]);
  });

  it("fails synthesis through Annotations when attached as an aspect", () => {
    const { app, stack } = stackWithLeakyBucket();
    const { Aspects } = require("cdktf") as typeof import("cdktf");
    Aspects.of(stack).add(new PolicyAspect(POLICY_RULES, false));
    expect(() => app.synth()).toThrow(/CKV2_AWS_6.*block_public_policy off/);
  });

  it("evaluates the stack as it is now, not as it was when first evaluated", () => {
    const { stack } = stackWithLeakyBucket();
    const aspect = new PolicyAspect(POLICY_RULES, false);
    expect(aspect.evaluate(stack).filter((r) => r.outcome === "fail").map((r) => r.rule.id)).toEqual(["CKV2_AWS_6"]);
    const bucket = stack.node.findChild("data") as SecureBucket;
    suppressPolicy(bucket.bucket, "CKV2_AWS_6", "a later suppression must be seen by the next evaluation");
    expect(aspect.evaluate(stack).filter((r) => r.outcome === "fail")).toEqual([]);
  });

  it("turns a failure into a listed suppression only with a written reason", () => {
    const { stack, bucket } = stackWithLeakyBucket();
    const pab = bucket.node.findChild("public-access-block") as any;
    expect(() => suppressPolicy(pab, "CKV2_AWS_6", "because")).toThrow(/needs a written reason/);
    expect(() => suppressPolicy(pab, "NOT_A_RULE", "a reason that is long enough")).toThrow(/is not a rule id/);
    suppressPolicy(bucket.bucket, "CKV2_AWS_6", "public website bucket behind CloudFront OAC (example)");
    const result = evaluateStack(POLICY_RULES, stack, false).find((r) => r.rule.id === "CKV2_AWS_6")!;
    expect(result.outcome).toBe("suppressed");
    expect(result.detail).toBe("public website bucket behind CloudFront OAC (example)");
  });
});

describe("synth entry point with a policy violation", () => {
  const root = resolve(__dirname, "..");
  const dir = mkdtempSync(join(tmpdir(), "policy-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("exits 1 with one line per violation and writes nothing", () => {
    for (const entry of ["src", "modules", "environments", "package.json", "package-lock.json", "tsconfig.json", "cdktf.json"]) {
      cpSync(join(root, entry), join(dir, entry), { recursive: true });
    }
    symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
    const lb = join(dir, "modules", "ecs-alb", "load-balancer.ts");
    writeFileSync(lb, readFileSync(lb, "utf8").replace("dropInvalidHeaderFields: true", "dropInvalidHeaderFields: false"));
    // `npm run synth`: the precompiled app, rebuilt here because a module changed.
    const result = spawnSync(process.execPath, ["src/tools/run-app.cjs"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, CHECKPOINT_DISABLE: "1" },
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^error: dev: aws_lb\.\S+ \[CKV_AWS_131\] drop_invalid_header_fields is off$/),
      expect.stringMatching(/^error: prod: aws_lb\.\S+ \[CKV_AWS_131\] drop_invalid_header_fields is off$/),
    ]);
    expect(existsSync(join(dir, "cdktf.out"))).toBe(false);
  });
});

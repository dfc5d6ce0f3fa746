import { describe, expect, it } from "vitest";
import { buildApp, finalizeAndCheck } from "../src/app";
import { applySkipReason, emulatorOverride, endpointService, planChanges, providerAccountId } from "../src/tools/apply";
import { adaptStack, knownArtifact, LEFT_OUT_TYPES, type StackJson } from "../src/tools/emulator-adaptations";
import { everyAwsProvider, OFFLINE_OVERRIDE } from "../src/tools/terraform";
import { environments } from "./helpers";

/** The apply tier's adaptation step and helpers, on the repository's stacks, without an emulator. */
const platform = buildApp(environments());
const resolved = new Map<string, StackJson>();
finalizeAndCheck(platform);
for (const { stack } of platform.stacks) {
  resolved.set(stack.node.id, JSON.parse(JSON.stringify(stack.toTerraform())) as StackJson);
}
const place = { accountId: "123456789012", region: "us-east-1" };
const noZones = {
  createHostedZone: async (domain: string) => `Z-${domain}`,
  createOrganization: async (policyTypes: readonly string[]) => `r-emu${policyTypes.length}`,
  createOrganizationalUnit: async (parentId: string, name: string) => `ou-in-${parentId}-for-${name}`,
  createAccount: async (name: string) => (name === "apply-tier-210987654321" ? "999999999999" : "000000000000"),
};
const addresses = (stack: StackJson) =>
  Object.entries(stack.resource ?? {}).flatMap(([type, resources]) => Object.keys(resources).map((name) => `${type}.${name}`));

describe("emulator adaptations", () => {
  it("every resource type of every stack has an emulator endpoint", () => {
    for (const [name, stack] of resolved) {
      if (applySkipReason(stack)) continue; // not applied to the emulator (another provider than aws)
      const uncovered = Object.keys(stack.resource ?? {}).filter((t) => endpointService(t) === undefined);
      expect(uncovered, name).toEqual([]);
    }
    expect(endpointService("aws_route53_record")).toBe("route53");
    expect(endpointService("aws_route_table")).toBe("ec2");
    // EC2 capacity for ECS services and Service Connect (the services branch's types).
    expect(endpointService("aws_autoscaling_group")).toBe("autoscaling");
    expect(endpointService("aws_appautoscaling_target")).toBe("appautoscaling");
    expect(endpointService("aws_launch_template")).toBe("ec2");
    expect(endpointService("aws_service_discovery_http_namespace")).toBe("servicediscovery");
    expect(endpointService("aws_ecs_capacity_provider")).toBe("ecs");
    expect(endpointService("aws_iam_instance_profile")).toBe("iam");
    expect(endpointService("aws_budgets_budget")).toBe("budgets");
    expect(() => emulatorOverride({ resource: { aws_glue_job: { j: {} } } }, "http://127.0.0.1:1")).toThrow(/no emulator endpoint for aws_glue_job/);
  });

  it("the override points every used service at the emulator and keeps the plan tier's placeholders", () => {
    const override = emulatorOverride(resolved.get("dev")!, "http://127.0.0.1:5000") as any;
    // dev has the frontend's aws.edge alias besides the default provider.
    const aws = (override.provider.aws as Array<Record<string, any>>).find((p) => p.alias === undefined)!;
    expect(override.terraform.backend).toEqual({ local: { path: "offline.tfstate" } });
    expect(aws.allowed_account_ids).toBeNull();
    expect(aws.s3_use_path_style).toBe(true);
    expect(aws.max_retries).toBeLessThanOrEqual(3);
    expect(Object.values(aws.endpoints[0])).toEqual(expect.arrayContaining(["http://127.0.0.1:5000"]));
    expect(Object.keys(aws.endpoints[0])).toEqual(expect.arrayContaining(["sts", "ec2", "ecs", "iam", "s3", "sqs", "rds", "lambda"]));
    expect(providerAccountId(resolved.get("dev")!)).toBe(environments().find((e) => e.name === "dev")!.accountId);
  });

  it("the emulator and offline overrides cover every provider alias (prod's aws.dr, the frontend's aws.edge), so no alias reaches AWS", () => {
    const prod = resolved.get("prod")!;
    const declared = ((prod.provider as any).aws as Array<{ alias?: string }>).map((p) => p.alias ?? "(default)").sort();
    expect(declared).toEqual(["(default)", "dr", "edge"]);
    const aws = (emulatorOverride(prod, "http://127.0.0.1:5000") as any).provider.aws as Array<Record<string, any>>;
    expect(aws.map((p) => p.alias ?? "(default)").sort()).toEqual(declared);
    for (const p of aws) {
      expect(p.endpoints[0].s3, p.alias).toBe("http://127.0.0.1:5000");
      expect(p.endpoints[0].backup, p.alias).toBe("http://127.0.0.1:5000");
      expect(p.allowed_account_ids, p.alias).toBeNull();
      expect(p.access_key, p.alias).toBe(OFFLINE_OVERRIDE.provider.aws.access_key);
    }
    const offline = everyAwsProvider(prod, OFFLINE_OVERRIDE.provider.aws) as Array<Record<string, any>>;
    expect(offline.map((p) => p.alias ?? "(default)").sort()).toEqual(declared);
    // A stack with one provider keeps the single block.
    expect(everyAwsProvider(resolved.get("bootstrap-111122223333")!, OFFLINE_OVERRIDE.provider.aws)).toBe(OFFLINE_OVERRIDE.provider.aws);
  });

  it("leaves out the listed types and whatever refers to them, and never changes the original", async () => {
    const original = resolved.get("prod")!;
    const before = JSON.stringify(original);
    const adapted = await adaptStack(original, noZones, place);
    expect(JSON.stringify(original)).toBe(before);
    const kept = new Set(addresses(adapted.stack));
    const listed = new Set(LEFT_OUT_TYPES.map((t) => t.type));
    for (const left of adapted.leftOut) {
      expect(kept.has(left.address), left.address).toBe(false);
      expect(listed.has(left.type) || left.reason.startsWith("refers to "), left.address).toBe(true);
    }
    expect(kept.size + adapted.leftOut.length).toBe(addresses(original).length);
    // Nothing kept refers to a left-out resource, in its arguments, its depends_on or an output.
    const text = JSON.stringify({ resource: adapted.stack.resource, output: adapted.stack.output });
    for (const left of adapted.leftOut) expect(text, left.address).not.toContain(left.address);
  });

  it("references to EMR Serverless become stand-ins, so the Lambda function and its role stay", async () => {
    const adapted = await adaptStack(resolved.get("dev")!, noZones, place);
    // The ingest function (the data API's functions reference no EMR Serverless application).
    const functions = Object.values(adapted.stack.resource!.aws_lambda_function ?? {}).filter((f) => String(f.function_name).endsWith("-ingest"));
    expect(functions).toHaveLength(1);
    expect(JSON.stringify(functions[0])).toContain("00emulatorstandin");
    expect(adapted.leftOut.map((l) => l.type)).not.toContain("aws_lambda_function");
  });

  it("references to the state machine become stand-ins, so its rule target, the rule's policy, the alarm and the dashboard stay", async () => {
    for (const name of ["dev", "prod"]) {
      const adapted = await adaptStack(resolved.get(name)!, noZones, place);
      const machines = adapted.leftOut.filter((l) => l.type === "aws_sfn_state_machine");
      expect(machines, name).toHaveLength(1);
      // Nothing else is left out because of it.
      expect(adapted.leftOut.filter((l) => l.reason.includes("aws_sfn_state_machine")), name).toEqual([]);
      const standIn = `arn:aws:states:us-east-1:123456789012:stateMachine:acme-${name}-rotation-redeploy`;
      for (const type of ["aws_cloudwatch_event_target", "aws_iam_role_policy", "aws_cloudwatch_metric_alarm", "aws_cloudwatch_dashboard"]) {
        const text = JSON.stringify(adapted.stack.resource![type]);
        expect(text, `${name} ${type}`).toContain(standIn);
      }
    }
  });

  it("creates an organization in the emulator and points each attachment at the emulator's counterpart of its target", async () => {
    const original = resolved.get("organization")!;
    const created: string[][] = [];
    const adapted = await adaptStack(original, { ...noZones, createOrganization: async (types) => (created.push([...types]), "r-emu0") }, place);
    expect(created).toEqual([["RESOURCE_CONTROL_POLICY"]]);
    const targets = (stack: StackJson) => Object.values(stack.resource!.aws_organizations_policy_attachment).map((a) => a.target_id);
    expect(targets(original)).toEqual(["r-a1b2"]);
    expect(targets(adapted.stack)).toEqual(["r-emu0"]);
    expect(adapted.stack.resource!.aws_organizations_policy).toEqual(original.resource!.aws_organizations_policy);
    expect(adapted.leftOut).toEqual([]);
    // Organizational units and accounts get counterparts of their own, one per configured id.
    const withOthers: StackJson = JSON.parse(JSON.stringify(original));
    const attachment = Object.values(withOthers.resource!.aws_organizations_policy_attachment)[0];
    withOthers.resource!.aws_organizations_policy_attachment.ou = { ...attachment, target_id: "ou-a1b2-abcdefgh" };
    withOthers.resource!.aws_organizations_policy_attachment.account = { ...attachment, target_id: "210987654321" };
    const other = await adaptStack(withOthers, noZones, place);
    expect(targets(other.stack)).toEqual(["r-emu1", "ou-in-r-emu1-for-apply-tier-ou-a1b2-abcdefgh", "999999999999"]);
    // Stacks without Organizations resources create no organization.
    await adaptStack(resolved.get("dev")!, { ...noZones, createOrganization: async () => expect.fail("no organization wanted") }, place);
  });

  it("relaxes destroy guards, turns CloudTrail logging off and moves records into the emulator's zone, in the copy only", async () => {
    const original = resolved.get("prod")!;
    const adapted = await adaptStack(original, noZones, place);
    const all = (stack: StackJson, type: string) => Object.values(stack.resource?.[type] ?? {});
    expect(all(original, "aws_rds_cluster")[0].deletion_protection).toBe(true);
    expect(all(adapted.stack, "aws_rds_cluster")[0].deletion_protection).toBe(false);
    expect(all(adapted.stack, "aws_s3_bucket").every((b) => b.lifecycle?.prevent_destroy !== true && b.force_destroy === true)).toBe(true);
    expect(all(adapted.stack, "aws_cloudtrail")[0].enable_logging).toBe(false);
    // The load balancer's validation and alias records, the frontend's validation and A/AAAA alias records.
    expect(all(adapted.stack, "aws_route53_record").map((r) => r.zone_id)).toEqual(Array(5).fill("Z-example.com"));
    expect(Object.keys(adapted.applied)).toEqual(
      expect.arrayContaining(["destroy-guards-relaxed", "cloudtrail-logging-off", "tls-deny-on-buckets-terraform-writes", "route53-zone-in-emulator"]),
    );
  });

  it("drops the TLS deny only from the bucket Terraform writes an object to", async () => {
    const original = resolved.get("dev")!;
    const adapted = await adaptStack(original, noZones, place);
    const denies = (stack: StackJson) =>
      Object.fromEntries(
        Object.entries(stack.resource!.aws_s3_bucket_policy).map(([name, p]) => [name, (p.policy as string).includes("aws:SecureTransport")]),
      );
    const changed = adapted.applied["tls-deny-on-buckets-terraform-writes"].map((a) => a.split(".")[1]);
    expect(changed).toHaveLength(Object.keys(original.resource!.aws_s3_object).length);
    for (const [name, hasDeny] of Object.entries(denies(adapted.stack))) {
      expect(hasDeny, name).toBe(!changed.includes(name));
    }
    expect(Object.values(denies(original)).every(Boolean)).toBe(true);
  });

  it("a second-plan change is an artifact only when every changed argument is listed for its type", () => {
    const change = (type: string, attributes: string[]) => ({ address: `${type}.x`, type, actions: ["update"], attributes });
    expect(knownArtifact(change("aws_sqs_queue", ["redrive_policy"]))?.id).toBe("sqs-redrive-policy-whitespace");
    expect(knownArtifact(change("aws_sqs_queue", ["redrive_policy", "visibility_timeout_seconds"]))).toBeUndefined();
    expect(knownArtifact(change("aws_lambda_function", ["description"]))).toBeUndefined();
    expect(knownArtifact(change("aws_sqs_queue", []))).toBeUndefined();
    expect(knownArtifact(change("aws_launch_template", ["tag_specifications"]))?.id).toBe("launch-template-own-tags-in-version");
    expect(knownArtifact(change("aws_launch_template", ["tag_specifications", "image_id"]))).toBeUndefined();
    expect(knownArtifact(change("aws_autoscaling_group", ["capacity_reservation_specification", "mixed_instances_policy"]))?.id).toBe(
      "autoscaling-group-follows-launch-template",
    );
    expect(knownArtifact(change("aws_autoscaling_group", ["mixed_instances_policy", "max_size"]))).toBeUndefined();
  });

  it("reads a saved plan's changes with the arguments whose known values differ", () => {
    const plan = {
      resource_changes: [
        { address: "aws_sqs_queue.q", type: "aws_sqs_queue", mode: "managed", change: { actions: ["update"], before: { a: 1, b: "x", id: "1" }, after: { a: 2, b: "x", id: "1" }, after_unknown: {} } },
        { address: "aws_ecs_service.s", type: "aws_ecs_service", mode: "managed", change: { actions: ["delete", "create"], before: { id: "1", n: 1 }, after: { n: 2 }, after_unknown: { id: true } } },
        { address: "aws_vpc.v", type: "aws_vpc", mode: "managed", change: { actions: ["no-op"], before: {}, after: {} } },
      ],
    };
    expect(planChanges(JSON.stringify(plan))).toEqual([
      { address: "aws_sqs_queue.q", type: "aws_sqs_queue", actions: ["update"], attributes: ["a"] },
      { address: "aws_ecs_service.s", type: "aws_ecs_service", actions: ["delete", "create"], attributes: ["n"] },
    ]);
  });
});

/**
 * The apply tier: each synthesized stack applied, planned again and destroyed by real Terraform
 * against its own AWS emulator (see `emulator.ts`), after the adaptation step of
 * `emulator-adaptations.ts` on a scratch copy. Used by `test/apply/`.
 */
import { appendFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CreateHostedZoneCommand, Route53Client } from "@aws-sdk/client-route-53";
import {
  CreateAccountCommand,
  CreateOrganizationalUnitCommand,
  CreateOrganizationCommand,
  EnablePolicyTypeCommand,
  ListRootsCommand,
  OrganizationsClient,
  type PolicyType,
} from "@aws-sdk/client-organizations";
import { adaptStack, knownArtifact, type AdaptedStack, type EmulatorSetup, type LeftOut, type PlannedChange, type StackJson } from "./emulator-adaptations";
import { startEmulator, type Emulator } from "./emulator";
import { everyAwsProvider, OFFLINE_OVERRIDE, runTerraform, scratchCopy } from "./terraform";

/**
 * The provider's endpoint key (as in its schema) for each resource type prefix; the longest prefix
 * wins. A stack with a type no prefix covers is refused, so a new service cannot reach past the
 * emulator to a real AWS endpoint.
 */
const ENDPOINT_BY_TYPE_PREFIX: ReadonlyArray<readonly [string, string]> = [
  ["aws_acm_", "acm"],
  ["aws_apigatewayv2_", "apigatewayv2"],
  ["aws_appautoscaling_", "appautoscaling"],
  ["aws_autoscaling_", "autoscaling"],
  ["aws_backup_", "backup"],
  ["aws_budgets_", "budgets"],
  ["aws_cloudfront_", "cloudfront"],
  ["aws_cloudtrail", "cloudtrail"],
  ["aws_cloudwatch_dashboard", "cloudwatch"],
  ["aws_cloudwatch_event_", "events"],
  ["aws_cloudwatch_metric_alarm", "cloudwatch"],
  ["aws_cloudwatch_log_", "logs"],
  ["aws_db_", "rds"],
  ["aws_default_security_group", "ec2"],
  ["aws_dynamodb_", "dynamodb"],
  ["aws_ecr_", "ecr"],
  ["aws_ecs_", "ecs"],
  ["aws_eks_", "eks"],
  ["aws_eip", "ec2"],
  ["aws_emrserverless_", "emrserverless"],
  ["aws_flow_log", "ec2"],
  ["aws_iam_", "iam"],
  ["aws_internet_gateway", "ec2"],
  ["aws_kms_", "kms"],
  ["aws_lambda_", "lambda"],
  ["aws_launch_template", "ec2"],
  ["aws_lb", "elbv2"],
  ["aws_nat_gateway", "ec2"],
  ["aws_organizations_", "organizations"],
  ["aws_rds_", "rds"],
  ["aws_route", "ec2"],
  ["aws_route53_", "route53"],
  ["aws_s3_", "s3"],
  ["aws_scheduler_", "scheduler"],
  ["aws_secretsmanager_", "secretsmanager"],
  ["aws_security_group", "ec2"],
  ["aws_service_discovery_", "servicediscovery"],
  ["aws_sfn_", "sfn"],
  ["aws_sns_", "sns"],
  ["aws_sqs_", "sqs"],
  ["aws_ssm_", "ssm"],
  ["aws_subnet", "ec2"],
  ["aws_vpc", "ec2"],
  ["aws_wafv2_", "wafv2"],
];

/**
 * Why the apply tier leaves a stack out, or undefined when it applies it: the emulator is an AWS
 * API only, so a stack with other providers (an EKS workspace's apps stack: helm, kubernetes,
 * random) has nothing to talk to.
 */
export function applySkipReason(stack: StackJson): string | undefined {
  const required = (stack as { terraform?: { required_providers?: Record<string, unknown> } }).terraform?.required_providers ?? {};
  const others = Object.keys(required).filter((p) => p !== "aws").sort();
  return others.length > 0 ? `providers ${others.join(", ")}: the emulator serves the AWS API only (no Kubernetes API server)` : undefined;
}

/** Services the provider calls whatever the resources: the account id lookup. */
const ALWAYS_CALLED = ["sts"];

/** The endpoint key of a resource type, or undefined when no prefix covers it. */
export function endpointService(type: string): string | undefined {
  const match = ENDPOINT_BY_TYPE_PREFIX.filter(([prefix]) => type.startsWith(prefix)).sort((a, b) => b[0].length - a[0].length)[0];
  return match?.[1];
}

/**
 * The override for an emulator run: the offline override's backend and placeholder keys, the
 * account id looked up from the emulator, path-style S3, few retries (an unimplemented call answers
 * 500 and would otherwise be retried for many minutes) and an endpoint for every service the
 * stack's resource types use, for the default provider and every alias (the DR region's `aws.dr`).
 */
export function emulatorOverride(stack: StackJson, endpoint: string): object {
  const types = Object.keys(stack.resource ?? {});
  const uncovered = types.filter((t) => endpointService(t) === undefined);
  if (uncovered.length > 0) {
    throw new Error(`no emulator endpoint for ${uncovered.join(", ")}: add its service to ENDPOINT_BY_TYPE_PREFIX in src/tools/apply.ts`);
  }
  const services = [...new Set([...ALWAYS_CALLED, ...types.map((t) => endpointService(t)!)])].sort();
  return {
    ...OFFLINE_OVERRIDE,
    provider: {
      aws: everyAwsProvider(stack, {
        ...OFFLINE_OVERRIDE.provider.aws,
        skip_requesting_account_id: false,
        s3_use_path_style: true,
        max_retries: 2,
        endpoints: [Object.fromEntries(services.map((s) => [s, endpoint]))],
      }),
    },
  };
}

/** The one account id the stack's AWS provider allows (`allowed_account_ids`). */
export function providerAccountId(stack: StackJson): string {
  const providers = (stack.provider as { aws?: Array<{ allowed_account_ids?: string[] }> } | undefined)?.aws ?? [];
  const ids = [...new Set(providers.flatMap((p) => p.allowed_account_ids ?? []))];
  if (ids.length !== 1) {
    throw new Error(`expected one allowed account id in the stack's aws provider, found ${ids.length ? ids.join(", ") : "none"}`);
  }
  return ids[0];
}

/** Connection details for SDK clients pointed at a stack's emulator. */
export interface EmulatorClientConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  readonly forcePathStyle: true;
  readonly maxAttempts: number;
}

export function emulatorClientConfig(emulator: Pick<Emulator, "endpoint">, region = "us-east-1"): EmulatorClientConfig {
  const key = OFFLINE_OVERRIDE.provider.aws.access_key;
  return { endpoint: emulator.endpoint, region, credentials: { accessKeyId: key, secretAccessKey: key }, forcePathStyle: true, maxAttempts: 2 };
}

export type Step = "adapt" | "init" | "plan" | "apply" | "second plan" | "destroy";

export interface StepFailure {
  readonly step: Step;
  readonly output: string;
}

export interface SecondPlanChange extends PlannedChange {
  /** The known emulator artifact this is, or undefined for a finding. */
  readonly artifact?: string;
}

export interface StackApplyReport {
  readonly stack: string;
  readonly accountId: string;
  /** Resource instances of the whole stack: the adapted plan's plus those left out. */
  readonly planned: number;
  /** Resource instances in state after apply. */
  readonly applied: number;
  readonly leftOut: readonly LeftOut[];
  readonly adaptations: Record<string, string[]>;
  readonly secondPlan: readonly SecondPlanChange[];
  /** Resource instances still in state after destroy (0 when it completed). */
  readonly remainingAfterDestroy?: number;
  readonly destroyed: boolean;
  readonly failures: readonly StepFailure[];
  /** Wall time of each step, seconds. */
  readonly seconds: Partial<Record<Step | "total", number>>;
  /** What the post-apply hook returned. */
  readonly observed?: unknown;
}

export interface ApplyOptions<T> {
  /** Reads what the assertions need from the emulator's API after apply, before destroy. */
  readonly afterApply?: (emulator: Emulator, stack: { name: string; region: string }) => Promise<T>;
  /** Per step (apply and destroy may take minutes in the emulator). @default 6 minutes */
  readonly stepTimeoutMs?: number;
  /** A folder to append each stack's Terraform output to (`<stack>.log`). @default none */
  readonly logDir?: string;
}

function stackRegion(stack: StackJson): string {
  const providers = (stack.provider as { aws?: Array<{ region?: string; alias?: string }> } | undefined)?.aws ?? [];
  return (providers.find((p) => p.alias === undefined) ?? providers[0])?.region ?? "us-east-1";
}

/**
 * Managed resource instances in the scratch folder's state (the override's local backend,
 * `offline.tfstate`), read from the file: `terraform show -json` would give the same count but
 * loads the provider's schema, seconds of CPU per call on a machine the stacks share.
 */
function countStateResources(work: string): number {
  const file = join(work, OFFLINE_OVERRIDE.terraform.backend.local.path);
  if (!existsSync(file)) return 0;
  const state = JSON.parse(readFileSync(file, "utf8")) as { resources?: Array<{ mode: string; instances?: unknown[] }> };
  return (state.resources ?? []).filter((r) => r.mode === "managed").reduce((n, r) => n + (r.instances?.length ?? 0), 0);
}

interface PlanJson {
  resource_changes?: Array<{
    address: string;
    type: string;
    mode: string;
    change: { actions: string[]; before: Record<string, unknown> | null; after: Record<string, unknown> | null; after_unknown?: Record<string, unknown> };
  }>;
}

/** Changes of a saved plan (`terraform show -json <plan>`), each with the arguments that differ. */
export function planChanges(showJson: string): PlannedChange[] {
  const plan = JSON.parse(showJson) as PlanJson;
  return (plan.resource_changes ?? [])
    .filter((c) => c.mode === "managed" && !(c.change.actions.length === 1 && ["no-op", "read"].includes(c.change.actions[0])))
    .map((c) => {
      const before = c.change.before ?? {};
      const after = c.change.after ?? {};
      const unknown = c.change.after_unknown ?? {};
      const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
      // Arguments with a known new value that differs; values only known after apply (ids and ARNs
      // of a replacement) follow from those and are not listed.
      const attributes = [...keys].filter((k) => unknown[k] !== true && JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
      return { address: c.address, type: c.type, actions: c.change.actions, attributes };
    });
}

/**
 * Applies one synthesized stack to a fresh emulator: adapt a copy, init, plan (counting what is
 * planned), apply, read through `afterApply`, plan again (every change must be a known emulator
 * artifact), destroy. The emulator is stopped and the scratch folder removed whatever happens.
 */
export async function applyStack<T>(stackDir: string, stackName: string, options: ApplyOptions<T> = {}): Promise<StackApplyReport> {
  const started = Date.now();
  const timeout = options.stepTimeoutMs ?? 6 * 60_000;
  const original = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as StackJson;
  const accountId = providerAccountId(original);
  const region = stackRegion(original);
  const seconds: Partial<Record<Step | "total", number>> = {};
  const failures: StepFailure[] = [];
  let planned = 0;
  let applied = 0;
  let leftOut: LeftOut[] = [];
  let adaptations: Record<string, string[]> = {};
  const secondPlan: SecondPlanChange[] = [];
  let destroyed = false;
  let remainingAfterDestroy: number | undefined;
  let observed: unknown;

  const emulator = await startEmulator({ accountId });
  let work: string | undefined;
  try {
    const timed = async <R>(step: Step, body: () => Promise<R>): Promise<R> => {
      const t = Date.now();
      try {
        return await body();
      } finally {
        seconds[step] = (seconds[step] ?? 0) + (Date.now() - t) / 1000;
      }
    };
    const tf = async (step: Step, args: string[]) => {
      const result = await timed(step, () => runTerraform(work!, args, env, timeout));
      if (options.logDir && args[0] !== "show") {
        appendFileSync(join(options.logDir, `${stackName}.log`), `$ terraform ${args.join(" ")}  (exit ${result.code})\n${result.output}\n`);
      }
      if (result.code !== 0) failures.push({ step, output: errorLines(result.output) });
      return result;
    };

    let adapted: AdaptedStack;
    try {
      adapted = await timed("adapt", () => adaptStack(original, emulatorSetup(emulator, region), { accountId, region }));
    } catch (error) {
      failures.push({ step: "adapt", output: String(error) });
      throw error;
    }
    leftOut = adapted.leftOut;
    adaptations = adapted.applied;
    const copy = scratchCopy(stackDir, stackName, emulatorOverride(adapted.stack, emulator.endpoint), adapted.stack);
    work = copy.work;
    const env = copy.env;

    if ((await tf("init", ["init", "-input=false", "-no-color"])).code !== 0) return report();
    const plan = await tf("plan", ["plan", "-input=false", "-lock=false", "-no-color", "-out=first.tfplan"]);
    if (plan.code !== 0) return report();
    const firstPlan = await tf("plan", ["show", "-json", "first.tfplan"]);
    planned = planChanges(firstPlan.output).filter((c) => c.actions.includes("create")).length + leftOut.length;

    const apply = await tf("apply", ["apply", "-input=false", "-lock=false", "-no-color", "-auto-approve", "first.tfplan"]);
    applied = countStateResources(work);
    if (apply.code === 0) {
      if (options.afterApply) {
        try {
          observed = await options.afterApply(emulator, { name: stackName, region });
        } catch (error) {
          failures.push({ step: "apply", output: `reading the applied resources failed: ${error instanceof Error ? error.stack : String(error)}` });
        }
      }
      const second = await tf("second plan", ["plan", "-input=false", "-lock=false", "-no-color", "-out=second.tfplan"]);
      if (second.code === 0) {
        const shown = await tf("second plan", ["show", "-json", "second.tfplan"]);
        for (const change of planChanges(shown.output)) {
          secondPlan.push({ ...change, artifact: knownArtifact(change)?.id });
        }
      }
    }
    // No refresh before destroy: the second plan has just read every resource back (and a failed
    // apply leaves nothing worth refreshing); destroy still deletes each one and waits for it.
    const destroy = await tf("destroy", ["destroy", "-input=false", "-lock=false", "-no-color", "-auto-approve", "-refresh=false"]);
    remainingAfterDestroy = countStateResources(work);
    destroyed = destroy.code === 0 && remainingAfterDestroy === 0;
    return report();
  } finally {
    await emulator.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  }

  function report(): StackApplyReport {
    seconds.total = (Date.now() - started) / 1000;
    return {
      stack: stackName,
      accountId,
      planned,
      applied,
      leftOut,
      adaptations,
      secondPlan,
      remainingAfterDestroy,
      destroyed,
      failures,
      seconds,
      observed,
    };
  }
}

/** What the adaptation step may create in a stack's emulator before Terraform runs. */
function emulatorSetup(emulator: Emulator, region: string): EmulatorSetup {
  const organizations = async <R>(body: (client: OrganizationsClient) => Promise<R>): Promise<R> => {
    const client = new OrganizationsClient(emulatorClientConfig(emulator, region));
    try {
      return await body(client);
    } finally {
      client.destroy();
    }
  };
  return {
    createHostedZone: (domain) => createHostedZone(emulator, region, domain),
    createOrganization: (policyTypes) =>
      organizations(async (client) => {
        await client.send(new CreateOrganizationCommand({ FeatureSet: "ALL" }));
        const rootId = (await client.send(new ListRootsCommand({}))).Roots![0].Id!;
        for (const type of policyTypes) {
          await client.send(new EnablePolicyTypeCommand({ RootId: rootId, PolicyType: type as PolicyType }));
        }
        return rootId;
      }),
    createOrganizationalUnit: (parentId, name) =>
      organizations(async (client) => (await client.send(new CreateOrganizationalUnitCommand({ ParentId: parentId, Name: name }))).OrganizationalUnit!.Id!),
    createAccount: (name) =>
      organizations(async (client) => {
        const status = (await client.send(new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }))).CreateAccountStatus!;
        if (!status.AccountId) throw new Error(`the emulator created no account for ${name} (state ${status.State})`);
        return status.AccountId;
      }),
  };
}

async function createHostedZone(emulator: Emulator, region: string, domain: string): Promise<string> {
  const client = new Route53Client(emulatorClientConfig(emulator, region));
  try {
    const zone = await client.send(new CreateHostedZoneCommand({ Name: domain, CallerReference: `apply-tier-${domain}` }));
    return zone.HostedZone!.Id!.replace(/^\/hostedzone\//, "");
  } finally {
    client.destroy();
  }
}

/** Terraform's error blocks from an output (all of it when there is none), at most 8,000 characters. */
function errorLines(output: string): string {
  const start = output.indexOf("Error:");
  const relevant = start >= 0 ? output.slice(start) : output;
  return relevant.length > 8000 ? `${relevant.slice(0, 8000)}\n...` : relevant;
}

/** Applies stacks in parallel, each on its own emulator. */
export function applyStacks<T>(stacks: ReadonlyArray<{ stack: string; dir: string }>, options: ApplyOptions<T> = {}): Promise<StackApplyReport[]> {
  return Promise.all(stacks.map((s) => applyStack(s.dir, s.stack, options)));
}

/** The per-stack lines the tier prints. */
export function formatReport(r: StackApplyReport): string {
  const byType = new Map<string, number>();
  for (const l of r.leftOut) byType.set(l.type, (byType.get(l.type) ?? 0) + 1);
  const percent = r.planned ? ((100 * r.applied) / r.planned).toFixed(1) : "0";
  const lines = [
    `${r.stack} (account ${r.accountId}): planned ${r.planned}, applied ${r.applied} (${percent}%), left out ${r.leftOut.length}`,
    ...[...byType].map(([type, n]) => {
      const reasons = [...new Set(r.leftOut.filter((l) => l.type === type).map((l) => l.reason))];
      return `  left out ${n} ${type}: ${reasons.length === 1 ? reasons[0] : reasons.join("; ")}`;
    }),
    `  second plan: ${r.secondPlan.length} change(s)` +
      (r.secondPlan.length ? "" : ", clean"),
    ...r.secondPlan.map((c) => `    ${c.artifact ? `artifact ${c.artifact}` : "FINDING"}: ${c.actions.join("/")} ${c.address} [${c.attributes.join(", ")}]`),
    `  destroy: ${r.destroyed ? "completed" : `FAILED (${r.remainingAfterDestroy ?? "?"} left in state)`}`,
    `  wall time ${r.seconds.total?.toFixed(0)} s (apply ${r.seconds.apply?.toFixed(0) ?? "-"} s, second plan ${r.seconds["second plan"]?.toFixed(0) ?? "-"} s, destroy ${r.seconds.destroy?.toFixed(0) ?? "-"} s)`,
    ...r.failures.map((f) => `  ${f.step} failed:\n${f.output.replace(/^/gm, "    ")}`),
  ];
  return lines.join("\n");
}

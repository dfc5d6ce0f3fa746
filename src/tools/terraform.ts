/**
 * Runs real Terraform against synthesized stacks with no AWS account and no network: `init` from a
 * local provider mirror, `validate`, and `plan` with an override that switches to a local backend and
 * gives the AWS provider placeholder credentials. Used by `npm run validate` and the test suite.
 */
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where the provider mirror lives; override with `TF_PROVIDER_MIRROR`. */
export const DEFAULT_PROVIDER_MIRROR = "/opt/tf-plugins";

export function providerMirror(): string {
  return process.env.TF_PROVIDER_MIRROR ?? DEFAULT_PROVIDER_MIRROR;
}

/** The Terraform binary; override with `TERRAFORM_BIN`. */
export function terraformBinary(): string {
  return process.env.TERRAFORM_BIN ?? "terraform";
}

/** Returns why the Terraform tier cannot run here, or undefined when it can. */
export function terraformUnavailableReason(): string | undefined {
  const version = spawnSync(terraformBinary(), ["version"], { encoding: "utf8", env: terraformEnv("/dev/null") });
  if (version.error || version.status !== 0) {
    return `terraform is not runnable as "${terraformBinary()}" (set TERRAFORM_BIN)`;
  }
  const aws = join(providerMirror(), "registry.terraform.io", "hashicorp", "aws");
  if (!existsSync(aws)) {
    return `no AWS provider in the mirror at ${providerMirror()} (set TF_PROVIDER_MIRROR)`;
  }
  return undefined;
}

/** Environment for a Terraform process: the given CLI config, no checkpoint calls, no prompts. */
export function terraformEnv(cliConfigFile: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfigFile,
    CHECKPOINT_DISABLE: "1",
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
  };
}

/** CLI config that installs providers only from the mirror and never from the network. */
export function cliConfig(mirror: string): string {
  return `provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(mirror)}
    include = ["registry.terraform.io/*/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
`;
}

/** Override merged over the stack: local state and an AWS provider that never calls AWS while planning. */
export const OFFLINE_OVERRIDE = {
  terraform: { backend: { local: { path: "offline.tfstate" } } },
  provider: {
    aws: {
      access_key: "offline-placeholder",
      secret_key: "offline-placeholder",
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_metadata_api_check: true,
      skip_region_validation: true,
      // The account guard needs the real account id, which an offline plan never asks for.
      allowed_account_ids: null,
    },
  },
};

/**
 * `settings` for every `aws` provider configuration a synthesized stack declares: the default one and
 * each alias (the disaster-recovery region's `aws.dr`). An override block merges only with the
 * provider configuration of the same alias, so an alias left out would keep its real settings.
 */
export function everyAwsProvider<T extends object>(stack: object, settings: T): T | Array<T & { alias?: string }> {
  const providers = (stack as { provider?: { aws?: Array<{ alias?: string }> } }).provider?.aws ?? [];
  const aliases = providers.map((p) => p.alias).filter((a): a is string => typeof a === "string");
  if (aliases.length === 0) return settings;
  return [settings, ...aliases.sort().map((alias) => ({ ...settings, alias }))];
}

/** {@link OFFLINE_OVERRIDE} for one stack, with the offline provider settings for every alias ({@link everyAwsProvider}). */
export function offlineOverride(stackDir: string): Record<string, unknown> {
  const stack = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as object;
  return { ...OFFLINE_OVERRIDE, provider: { aws: everyAwsProvider(stack, OFFLINE_OVERRIDE.provider.aws) } };
}

/** A value for every declared variable without a default, so `plan -input=false` has what it needs. */
export function placeholderVariables(stackDir: string): Record<string, string> {
  const stack = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as {
    variable?: Record<string, { default?: unknown }>;
  };
  const values: Record<string, string> = {};
  for (const [name, spec] of Object.entries(stack.variable ?? {})) {
    if (spec.default === undefined) {
      values[name] = "offline-placeholder";
    }
  }
  return values;
}

/**
 * The providers a synthesized stack requires, by local name: their registry address as the mirror
 * lays it out (`registry.terraform.io/<namespace>/<type>`; a bare source such as `aws` is HashiCorp's).
 */
export function requiredProviders(stack: object): Record<string, string> {
  const required = (stack as { terraform?: { required_providers?: Record<string, { source?: string }> } }).terraform?.required_providers ?? {};
  return Object.fromEntries(
    Object.entries(required).map(([name, { source }]) => {
      const parts = (source ?? name).split("/");
      const address = parts.length === 3 ? parts : parts.length === 2 ? ["registry.terraform.io", ...parts] : ["registry.terraform.io", "hashicorp", parts[0]];
      return [name, address.join("/")];
    }),
  );
}

/** The providers of a stack that the mirror does not hold, sorted. */
export function missingFromMirror(stack: object, mirror = providerMirror()): string[] {
  return Object.entries(requiredProviders(stack))
    .filter(([, address]) => !existsSync(join(mirror, address)))
    .map(([name]) => name)
    .sort();
}

/**
 * Providers whose resources read a live cluster while planning (`kubernetes_manifest` asks the API
 * server for the object's schema; Helm renders against it): a stack using them is validated, never
 * planned, without the cluster.
 */
export const CLUSTER_PROVIDERS = ["helm", "kubernetes"];

/** Why `terraform plan` cannot run on a stack without its cluster, or undefined when it can. */
export function planNeedsCluster(stack: object): string | undefined {
  const used = Object.keys(requiredProviders(stack)).filter((p) => CLUSTER_PROVIDERS.includes(p)).sort();
  return used.length > 0 ? `plan needs the cluster (${used.join(" and ")} providers read its API while planning)` : undefined;
}

export interface StackCheck {
  readonly stack: string;
  readonly ok: boolean;
  /** Why nothing ran (providers the mirror lacks); `ok` is true. */
  readonly skipped?: string;
  /** Why `init` and `validate` ran but `plan` did not; `ok` is true. */
  readonly planSkipped?: string;
  /** The step that failed, if any. */
  readonly failedStep?: "init" | "validate" | "plan";
  /** Output of the failed step (or empty). */
  readonly output: string;
  /** Resources the plan would create. */
  readonly toAdd?: number;
  readonly seconds: number;
}

/** Runs one Terraform command and collects its output (stdout and stderr interleaved). */
export function runTerraform(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs?: number,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(terraformBinary(), args, { cwd, env });
    let output = "";
    // SIGINT first: Terraform then stops its providers and writes the state it has.
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            output += `\nterraform ${args[0]} timed out after ${timeoutMs / 1000} s\n`;
            child.kill("SIGINT");
            setTimeout(() => child.exitCode === null && child.kill("SIGKILL"), 20_000).unref();
          }, timeoutMs);
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", (e) => resolve({ code: 127, output: String(e) }));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}

/** Reads "N to add" from `terraform plan -json` output. */
export function resourcesToAdd(planJsonLines: string): number | undefined {
  for (const line of planJsonLines.split("\n")) {
    if (!line.startsWith("{")) continue;
    const message = JSON.parse(line) as { type?: string; changes?: { add?: number } };
    if (message.type === "change_summary" && message.changes) {
      return message.changes.add;
    }
  }
  return undefined;
}

/** What {@link checkStack} runs besides `init` and `plan`. */
export interface CheckOptions {
  /**
   * Run `terraform validate` as its own step before `plan`. `plan` validates the configuration the
   * same way first (unknown arguments, types, value ranges against the provider schema) and fails
   * on the same errors, so the test tier leaves the separate step out: each step starts the
   * 700 MB provider and loads its schema again (about 4 CPU-seconds per stack).
   * @default true
   */
  readonly validate?: boolean;
}

/** A synthesized stack copied to a scratch folder, ready for `terraform init` there. */
export interface ScratchCopy {
  /** The scratch folder; the caller removes it. */
  readonly work: string;
  /** Environment for Terraform processes in it (the mirror-only CLI config). */
  readonly env: NodeJS.ProcessEnv;
}

/**
 * Copies a synthesized stack directory (without `.terraform/`) to a new scratch folder and writes
 * there `override` as `zz_offline_override.tf.json`, a placeholder for every variable without a
 * default (`offline.auto.tfvars.json`) and the mirror-only CLI config. `stackJson`, when given,
 * replaces the copy's `cdk.tf.json`. The synthesized output is never written to.
 */
export function scratchCopy(stackDir: string, stack: string, override: object, stackJson?: object): ScratchCopy {
  const work = mkdtempSync(join(tmpdir(), `tf-${stack}-`));
  cpSync(stackDir, work, { recursive: true, filter: (src) => !src.includes(`${join(stackDir, ".terraform")}`) });
  if (stackJson) writeFileSync(join(work, "cdk.tf.json"), JSON.stringify(stackJson, null, 2));
  writeFileSync(join(work, "zz_offline_override.tf.json"), JSON.stringify(override, null, 2));
  writeFileSync(join(work, "offline.auto.tfvars.json"), JSON.stringify(placeholderVariables(stackDir), null, 2));
  const rc = join(work, ".terraformrc");
  writeFileSync(rc, cliConfig(providerMirror()));
  return { work, env: terraformEnv(rc) };
}

/**
 * Copies a synthesized stack directory to a scratch folder and runs init, validate and plan there,
 * leaving the synthesized output untouched.
 */
export async function checkStack(stackDir: string, stack: string, options: CheckOptions = {}): Promise<StackCheck> {
  const started = Date.now();
  const json = JSON.parse(readFileSync(join(stackDir, "cdk.tf.json"), "utf8")) as object;
  const missing = missingFromMirror(json);
  if (missing.length > 0) {
    return { stack, ok: true, skipped: `providers ${missing.join(", ")} absent from the provider mirror at ${providerMirror()}`, output: "", seconds: 0 };
  }
  const needsCluster = planNeedsCluster(json);
  const { work, env } = scratchCopy(stackDir, stack, offlineOverride(stackDir));
  try {
    const seconds = () => (Date.now() - started) / 1000;

    const init = await runTerraform(work, ["init", "-input=false", "-no-color"], env);
    if (init.code !== 0) return { stack, ok: false, failedStep: "init", output: init.output, seconds: seconds() };
    if ((options.validate ?? true) || needsCluster) {
      const validate = await runTerraform(work, ["validate", "-no-color"], env);
      if (validate.code !== 0) {
        return { stack, ok: false, failedStep: "validate", output: validate.output, seconds: seconds() };
      }
    }
    if (needsCluster) return { stack, ok: true, planSkipped: needsCluster, output: "", seconds: seconds() };
    const plan = await runTerraform(work, ["plan", "-input=false", "-lock=false", "-refresh=false", "-json"], env);
    const toAdd = resourcesToAdd(plan.output);
    if (plan.code !== 0 || toAdd === undefined) {
      const errors = plan.output
        .split("\n")
        .filter((l) => l.includes('"@level":"error"'))
        .join("\n");
      return { stack, ok: false, failedStep: "plan", output: errors || plan.output, seconds: seconds() };
    }
    return { stack, ok: true, output: "", toAdd, seconds: seconds() };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The stacks of a synth output folder, sorted by name: those its `manifest.json` lists (each at its
 * `workingDirectory`), or every folder under `<outdir>/stacks` when there is no manifest.
 */
export function synthesizedStacks(outdir: string): Array<{ stack: string; dir: string }> {
  const manifestFile = join(outdir, "manifest.json");
  if (existsSync(manifestFile)) {
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as {
      stacks: Record<string, { name: string; workingDirectory: string }>;
    };
    return Object.values(manifest.stacks)
      .map((s) => ({ stack: s.name, dir: join(outdir, s.workingDirectory) }))
      .sort((a, b) => a.stack.localeCompare(b.stack));
  }
  const stacksDir = join(outdir, "stacks");
  return readdirSync(stacksDir)
    .sort()
    .map((stack) => ({ stack, dir: join(stacksDir, stack) }));
}

/** Checks stacks two at a time (the machines have two cores). */
export async function checkStacks(
  stacks: Array<{ stack: string; dir: string }>,
  concurrency = 2,
  options: CheckOptions = {},
): Promise<StackCheck[]> {
  const results: StackCheck[] = new Array(stacks.length);
  let next = 0;
  const worker = async () => {
    while (next < stacks.length) {
      const index = next++;
      results[index] = await checkStack(stacks[index].dir, stacks[index].stack, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, stacks.length) }, worker));
  return results;
}

import { TerraformStack } from "cdktf";
import { Construct, type IConstruct } from "constructs";
import { environmentSources } from "../../environments";
import { buildApp, finalizeAndCheck } from "../app";
import { formatViolation } from "../aspects/policy";
import type { EnvironmentConfig } from "../config/schema";
import { loadEnvironments } from "../config/load";
import type { StackJson } from "./synthesis";

/**
 * The synthesized stacks as the diagram and cost tools read them: every resource of a stack's
 * `cdk.tf.json` with its construct path (cdktf writes it to each resource's `//.metadata.path`),
 * plus, for workspace stacks, which tier built each top-level construct (from the construct tree).
 */

/** One resource of a synthesized stack. */
export interface StackResource {
  /** Terraform type, `aws_ecs_service`. */
  readonly type: string;
  /** Logical id (the Terraform name), `web_service_10983F6A`. */
  readonly name: string;
  /** `aws_ecs_service.web_service_10983F6A`. */
  readonly address: string;
  /** Construct path below the stack, `web/service` (the logical id when cdktf wrote no path). */
  readonly path: string;
  /** The resource's arguments as written to the JSON (references stay `${...}` strings). */
  readonly values: Record<string, any>;
}

/** A synthesized stack: its name, its JSON, its resources in JSON order, and tier ownership. */
export interface StackModel {
  readonly name: string;
  readonly json: StackJson;
  readonly resources: readonly StackResource[];
  /** Top-level construct id -> the tier that built it (workspace stacks; empty for others). */
  readonly tiers: ReadonlyMap<string, string>;
  /** The workspace's validated config; absent for bootstrap and organization stacks. */
  readonly config?: EnvironmentConfig;
}

/** Every resource of a stack's JSON, with its construct path. */
export function stackResources(json: StackJson): StackResource[] {
  const out: StackResource[] = [];
  for (const [type, byName] of Object.entries<Record<string, any>>(json.resource ?? {})) {
    for (const [name, values] of Object.entries<Record<string, any>>(byName)) {
      const full: string | undefined = values?.["//"]?.metadata?.path;
      const path = full ? full.split("/").slice(1).join("/") : name;
      out.push({ type, name, address: `${type}.${name}`, path, values });
    }
  }
  return out;
}

/** The top-level construct a resource belongs to: the first segment of its path. */
export function topConstruct(resource: Pick<StackResource, "path">): string {
  return resource.path.split("/")[0];
}

const REFERENCE = /\$\{([a-z][a-z0-9_]*)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_]+)/g;

/** Every `${type.name.attribute...}` reference in a value, as resource addresses with the attribute. */
export function referencesIn(value: unknown): Array<{ address: string; attribute: string }> {
  const text = typeof value === "string" ? value : JSON.stringify(value ?? null);
  const out: Array<{ address: string; attribute: string }> = [];
  for (const m of text.matchAll(REFERENCE)) {
    if (m[1] === "var" || m[1] === "local" || m[1] === "data") continue;
    out.push({ address: `${m[1]}.${m[2]}`, attribute: m[3] });
  }
  return out;
}

/** The value at a dotted path (`network_configuration.subnets`); arrays on the way are flattened. */
export function valuesAt(values: unknown, path: string): unknown[] {
  let current: unknown[] = [values];
  for (const key of path.split(".")) {
    current = current
      .flatMap((v) => (Array.isArray(v) ? v : [v]))
      .filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null)
      .map((v) => v[key])
      .filter((v) => v !== undefined);
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

/** The class name of a tier object (`NetworkTier`), if `value` is one. */
function tierName(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || value instanceof Construct) return undefined;
  const name = (value as object).constructor?.name;
  return name && /Tier$/.test(name) ? name : undefined;
}

/**
 * Constructs reachable from a tier's fields (through plain objects, arrays and maps, never entering
 * another tier), each with the depth it was found at: 1 for a field of the tier itself.
 */
function constructsOf(value: unknown, into: Map<IConstruct, number>, depth = 0, seen = new Set<unknown>()): void {
  if (typeof value !== "object" || value === null || seen.has(value) || depth > 4) return;
  seen.add(value);
  if (value instanceof Construct) {
    if (!into.has(value) || into.get(value)! > depth) into.set(value, depth);
    return;
  }
  if (depth > 0 && tierName(value)) return;
  const children = value instanceof Map ? [...value.values()] : Array.isArray(value) ? value : Object.values(value);
  for (const child of children) constructsOf(child, into, depth + 1, seen);
}

/**
 * Which tier built each top-level construct of a stack. Tiers are plain objects held in the stack's
 * fields (`stack.network`, `stack.web`, ...), not constructs, so ownership comes from the constructs
 * each tier keeps in its fields: the tier holding a construct most directly owns it (the operations
 * tier's `monitoring` field, not another tier's context that reaches it through the registry), the
 * first such tier on a tie. A construct no tier holds belongs to the tier of the nearest owned
 * construct created before it (tiers are built one after another), so a new tier or module needs no
 * change here.
 */
export function tierOwnership(stack: TerraformStack): Map<string, string> {
  const direct = new Map<string, { tier: string; depth: number }>();
  for (const field of Object.values(stack)) {
    const tier = tierName(field);
    if (!tier) continue;
    const found = new Map<IConstruct, number>();
    constructsOf(field, found);
    for (const [construct, depth] of found) {
      let top: IConstruct = construct;
      while (top.node.scope && top.node.scope !== stack) top = top.node.scope;
      const earlier = direct.get(top.node.id);
      if (top.node.scope === stack && (!earlier || earlier.depth > depth)) direct.set(top.node.id, { tier, depth });
    }
  }
  const owners = new Map<string, string>();
  let current: string | undefined;
  for (const child of stack.node.children) {
    current = direct.get(child.node.id)?.tier ?? current;
    if (current) owners.set(child.node.id, current);
  }
  return owners;
}

/**
 * Validates the repository's environments, builds every stack and resolves each once, exactly as
 * `npm run synth` does (policy pack included), and returns the models; nothing is written.
 */
export function synthesizePlatform(): StackModel[] {
  const environments = loadEnvironments(environmentSources);
  const platform = buildApp(environments);
  const violations = finalizeAndCheck(platform);
  if (violations.length > 0) throw new Error(violations.map(formatViolation).join("\n"));
  const workspaces = new Map<TerraformStack, EnvironmentConfig>(platform.workspaces.map((w) => [w, w.config]));
  return platform.stacks.map(({ stack }) => {
    const json = stack.toTerraform() as StackJson;
    return {
      name: stack.node.id,
      json,
      resources: stackResources(json),
      tiers: workspaces.has(stack) ? tierOwnership(stack) : new Map(),
      config: workspaces.get(stack),
    };
  });
}

import { Annotations, TerraformResource, TerraformStack, type IAspect } from "cdktf";
import type { IConstruct } from "constructs";

/** One resource of the synthesized stack as Terraform sees it (snake_case, references resolved to `${...}`). */
export interface PolicyResource {
  readonly type: string;
  /** Logical id within the stack (the key under `resource.<type>`). */
  readonly name: string;
  readonly config: Record<string, any>;
}

/** What a rule can see: the whole stack, and whether it is a production workspace. */
export interface PolicyContext {
  readonly stackName: string;
  readonly production: boolean;
  readonly stack: { resource?: Record<string, Record<string, Record<string, any>>>; provider?: Record<string, any[]> };
  /** All resources of one type. */
  resources(type: string): PolicyResource[];
  /** Resources of `type` whose configuration refers to `target` (`${target.type}.${target.name}.…`). */
  referencing(type: string, target: PolicyResource): PolicyResource[];
}

export interface PolicyRule {
  /** Checkov id where one exists (CKV_AWS_*, CKV2_AWS_*), otherwise a PLATFORM_* id. */
  readonly id: string;
  readonly description: string;
  /** Resource types the rule inspects; each one counts as a pass, a failure or a suppression. */
  readonly resourceTypes: readonly string[];
  /** Only production workspaces (and the bootstrap stack) are held to this rule. */
  readonly productionOnly?: boolean;
  /** Returns why the resource breaks the rule, or undefined when it complies. */
  check(resource: PolicyResource, context: PolicyContext): string | undefined;
}

export type Outcome = "pass" | "fail" | "suppressed";

export interface PolicyResult {
  readonly rule: PolicyRule;
  readonly stackName: string;
  readonly resource: PolicyResource;
  readonly outcome: Outcome;
  /** The failure message, or the suppression reason. */
  readonly detail?: string;
}

const SUPPRESSIONS = "platform:policy-suppressions";

/** Pseudo resource type under which rules see the stack's `provider.aws` blocks. */
export const PROVIDER_AWS = "provider.aws";

export interface Suppression {
  readonly ruleId: string;
  readonly reason: string;
}

/**
 * Exempts one resource from one rule, with a written reason. Suppressions are the only way past the
 * policy pack; `npm run policy` lists every one with its reason.
 */
export function suppressPolicy(resource: TerraformResource, ruleId: string, reason: string): void {
  if (!/^(CKV2?_AWS_\d+|PLATFORM_[A-Z0-9_]+)$/.test(ruleId)) {
    throw new Error(`suppressPolicy: "${ruleId}" is not a rule id`);
  }
  if (reason.trim().length < 15) {
    throw new Error(`suppressPolicy: ${ruleId} on ${resource.node.path} needs a written reason (at least 15 characters)`);
  }
  resource.node.addMetadata(SUPPRESSIONS, { ruleId, reason } satisfies Suppression);
}

function suppressionsByLogicalId(stack: TerraformStack): Map<string, Suppression[]> {
  const map = new Map<string, Suppression[]>();
  for (const node of stack.node.findAll()) {
    if (!(node instanceof TerraformResource)) continue;
    const entries = node.node.metadata.filter((m) => m.type === SUPPRESSIONS).map((m) => m.data as Suppression);
    if (entries.length > 0) {
      map.set(`${node.terraformResourceType}.${stack.getLogicalId(node)}`, entries);
    }
  }
  return map;
}

function contextFor(stackName: string, production: boolean, json: PolicyContext["stack"]): PolicyContext {
  const resources = (type: string): PolicyResource[] =>
    type === PROVIDER_AWS
      ? (json.provider?.aws ?? []).map((config, i) => ({ type, name: config.alias ?? String(i), config }))
      : Object.entries(json.resource?.[type] ?? {}).map(([name, config]) => ({ type, name, config }));
  return {
    stackName,
    production,
    stack: json,
    resources,
    referencing: (type, target) => {
      const needle = `\${${target.type}.${target.name}.`;
      return resources(type).filter((r) => JSON.stringify(r.config).includes(needle));
    },
  };
}

/** Evaluates rules against one synthesized stack JSON. */
export function evaluateJson(
  rules: readonly PolicyRule[],
  stackName: string,
  json: PolicyContext["stack"],
  options: { production: boolean; suppressions?: Map<string, Suppression[]> },
): PolicyResult[] {
  const context = contextFor(stackName, options.production, json);
  const results: PolicyResult[] = [];
  for (const rule of rules) {
    if (rule.productionOnly && !options.production) continue;
    for (const type of rule.resourceTypes) {
      for (const resource of context.resources(type)) {
        const failure = rule.check(resource, context);
        const suppression = options.suppressions?.get(`${type}.${resource.name}`)?.find((s) => s.ruleId === rule.id);
        if (suppression) {
          results.push({ rule, stackName, resource, outcome: "suppressed", detail: suppression.reason });
        } else {
          results.push({ rule, stackName, resource, outcome: failure ? "fail" : "pass", detail: failure });
        }
      }
    }
  }
  return results;
}

/** Whether a stack is held to production-only rules. */
export type ProductionPredicate = (stack: TerraformStack) => boolean;

/**
 * Evaluates rules against a stack as it would synthesize, or against `json` when the caller has
 * already resolved the stack (`stack.toTerraform()`), so the stack is not resolved twice.
 */
export function evaluateStack(
  rules: readonly PolicyRule[],
  stack: TerraformStack,
  production: boolean,
  json: PolicyContext["stack"] = stack.toTerraform(),
): PolicyResult[] {
  return evaluateJson(rules, stack.node.id, json, {
    production,
    suppressions: suppressionsByLogicalId(stack),
  });
}

/** One line per violation: `<stack>: <type>.<name> [RULE] message`. */
export function formatViolation(result: PolicyResult): string {
  return `${result.stackName}: ${result.resource.type}.${result.resource.name} [${result.rule.id}] ${result.detail}`;
}

/**
 * The policy pack as a cdktf Aspect: applied to a stack, it evaluates every rule when synthesis
 * visits the stack and adds an error annotation per violation, which makes synthesis fail.
 * A caller that has just evaluated the finished stack itself (the synth entry point) may mark it
 * {@link markVerified} so the work is not done twice.
 */
export class PolicyAspect implements IAspect {
  private readonly verified = new WeakSet<TerraformStack>();

  constructor(
    private readonly rules: readonly PolicyRule[],
    private readonly production: boolean,
  ) {}

  /** Evaluates every rule on `stack`, or on its already-resolved `json`. */
  evaluate(stack: TerraformStack, json?: PolicyContext["stack"]): PolicyResult[] {
    return evaluateStack(this.rules, stack, this.production, json);
  }

  /** Records that `stack`, as it is now and will be synthesized, passed {@link evaluate}. */
  markVerified(stack: TerraformStack): void {
    this.verified.add(stack);
  }

  visit(node: IConstruct): void {
    if (!(node instanceof TerraformStack) || this.verified.has(node)) return;
    for (const result of this.evaluate(node)) {
      if (result.outcome === "fail") {
        Annotations.of(node).addError(formatViolation(result));
      }
    }
  }
}

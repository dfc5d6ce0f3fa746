import { Testing, TerraformStack } from "cdktf";
import { environmentSources } from "../environments";
import { loadEnvironments } from "../src/config/load";
import type { EnvironmentConfig } from "../src/config/schema";
import type { NameContext } from "../src/lib/naming";

/** Parsed `cdk.tf.json` of one stack. */
export interface SynthJson {
  resource: Record<string, Record<string, Record<string, any>>>;
  data?: Record<string, Record<string, Record<string, any>>>;
  output?: Record<string, { value: unknown; description?: string }>;
  provider?: Record<string, Array<Record<string, any>>>;
  terraform: Record<string, any>;
}

export const testNaming: NameContext = { project: "acme", environment: "test" };
export const TEST_ACCOUNT = "123456789012";

/** Builds constructs inside a fresh stack and returns both the synth string (for matchers) and parsed JSON. */
export function synthConstruct(build: (stack: TerraformStack) => void): { synth: string; json: SynthJson } {
  const app = Testing.app();
  const stack = new TerraformStack(app, "test");
  build(stack);
  const synth = Testing.synth(stack);
  return { synth, json: JSON.parse(synth) as SynthJson };
}

export function synthStack(stack: TerraformStack): { synth: string; json: SynthJson } {
  const synth = Testing.synth(stack);
  return { synth, json: JSON.parse(synth) as SynthJson };
}

/** All resources of one type, keyed by logical id. */
export function resourcesOf(json: SynthJson, type: string): Record<string, Record<string, any>> {
  return json.resource[type] ?? {};
}

export function onlyResource(json: SynthJson, type: string): Record<string, any> {
  const all = Object.values(resourcesOf(json, type));
  if (all.length !== 1) {
    throw new Error(`expected exactly one ${type}, found ${all.length}`);
  }
  return all[0];
}

/** The logical id of a resource (for building `${type.id.attr}` references in assertions). */
export function logicalIdOf(json: SynthJson, type: string, predicate: (r: Record<string, any>) => boolean): string {
  const match = Object.entries(resourcesOf(json, type)).find(([, r]) => predicate(r));
  if (!match) {
    throw new Error(`no ${type} matches`);
  }
  return match[0];
}

/** A Terraform reference string as cdktf renders it. */
export function ref(type: string, logicalId: string, attribute: string): string {
  return `\${${type}.${logicalId}.${attribute}}`;
}

/** The validated repository environments (defaults filled in), cloned so tests may change them. */
export function environments(): EnvironmentConfig[] {
  return structuredClone(loadEnvironments(environmentSources));
}

/** Raw (unvalidated) environment data, cloned so a test can break it. */
export function rawEnvironment(name: string): Record<string, any> {
  const source = environmentSources.find((s) => s.file === `environments/${name}.ts`);
  if (!source) throw new Error(`no environment file for ${name}`);
  return structuredClone(source.data) as Record<string, any>;
}


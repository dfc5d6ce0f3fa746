import { Testing, TerraformStack } from "cdktf";
import { resolve } from "cdktf/lib/_tokens";
import { environmentSources } from "../environments";
import { loadEnvironments } from "../src/config/load";
import type { EnvironmentConfig } from "../src/config/schema";
import type { NameContext } from "../src/lib/naming";
import { ComputeTier } from "../src/tiers/compute";
import { tierContext, type TierContext } from "../src/tiers/context";
import { DatabaseTier } from "../src/tiers/database";
import { DataApiTier } from "../src/tiers/data-api";
import { EdgeTier } from "../src/tiers/edge";
import { ExternalServicesTier } from "../src/tiers/external-services";
import { TablesTier } from "../src/tiers/tables";
import { NetworkTier } from "../src/tiers/network";

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


/** A fresh stack with the tier context of one repository environment (dev unless named), optionally changed. */
export function testContext(options: { environment?: string; mutate?: (config: EnvironmentConfig) => void } = {}) {
  const name = options.environment ?? "dev";
  const config = environments().find((e) => e.name === name);
  if (!config) throw new Error(`no environment ${name}`);
  options.mutate?.(config);
  const stack = new TerraformStack(Testing.app(), config.name);
  const ctx = tierContext(stack, config);
  return { config, stack, ctx, synth: () => synthStack(stack).json };
}

/** The tiers every application tier builds on, as the workspace stack composes them. */
export function foundationTiers(ctx: TierContext, config: EnvironmentConfig) {
  const { availabilityZones } = config;
  const network = new NetworkTier(ctx, { availabilityZones, network: config.network, ecr: config.ecr });
  const database = new DatabaseTier(ctx, { database: config.database, network });
  const compute = new ComputeTier(ctx, { services: config.services, migrateCommand: config.database.migrateCommand, network, database });
  const edge = new EdgeTier(ctx, { loadBalancer: config.loadBalancer, domain: config.domain, firewall: config.operations, network });
  return { network, database, compute, edge };
}

/** The data API handler the tests bundle: a stand-in reading `STORE_CONFIG` as the real one does. */
export const FIXTURE_DATA_API_HANDLER = "test/fixtures/data-api-handler.ts";

/** The data-store tiers the services build on (tables, external services, the data API with the stand-in handler). */
export function dataStoreTiers(ctx: TierContext, config: EnvironmentConfig, database: DatabaseTier) {
  const tables = new TablesTier(ctx, { tables: config.tables });
  const externalServices = new ExternalServicesTier(ctx, { externalServices: config.externalServices });
  const dataApi = config.dataApi ? new DataApiTier(ctx, { dataApi: config.dataApi, database, tables, externalServices, handlerEntry: FIXTURE_DATA_API_HANDLER }) : undefined;
  return { tables, externalServices, dataApi };
}

/** The security group id reference of the group with this physical name. */
export function securityGroupRef(json: SynthJson, name: string): string {
  return ref("aws_security_group", logicalIdOf(json, "aws_security_group", (sg) => sg.name === name), "id");
}

/** A value holding tokens (a registry entry, an image URI) as it will appear in the stack's JSON. */
export function resolved<T>(stack: TerraformStack, value: T): T {
  return resolve(stack, value);
}

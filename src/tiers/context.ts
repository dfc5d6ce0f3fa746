import { TerraformOutput, type TerraformStack } from "cdktf";
import { MonitoringRegistry } from "../../modules/monitoring/registry";
import type { EnvironmentConfig } from "../config/schema";
import type { NameContext } from "../lib/naming";

/**
 * What every tier of one workspace shares. Built once by the workspace stack and handed to each
 * tier; tiers unpack it into module props (modules never receive it).
 */
export interface TierContext {
  /**
   * The workspace stack. Tiers are plain classes, not constructs, and create their modules directly
   * in the stack, so a resource's Terraform address does not depend on which tier builds it.
   */
  readonly scope: TerraformStack;
  /** `<project>-<env>`: the first two parts of every physical name (`physicalName()`). */
  readonly naming: NameContext;
  /** AWS region of every resource. */
  readonly region: string;
  /** The workspace's AWS account (12 digits). */
  readonly accountId: string;
  /** `production` turns on deletion protection and the other guardrails. */
  readonly stage: EnvironmentConfig["stage"];
  /**
   * Development workspaces are disposable: `terraform destroy` may delete repositories holding
   * images and buckets holding data. `stage === "development"`.
   */
  readonly disposable: boolean;
  /** Retention of application, ECS and function log groups, in days. */
  readonly logRetentionDays: number;
  /** The environment file the workspace comes from (`environments/dev.ts`), named in reasons and errors. */
  readonly configFile: string;
  /** Where tiers register what the alarms and dashboard watch; built by the operations tier. */
  readonly monitoring: MonitoringRegistry;
  /**
   * Declares a stack output owned by `owner` (the tier's name). An id declared twice is refused with
   * both owners named.
   */
  output(owner: string, id: string, value: unknown, description: string): TerraformOutput;
}

/** The context of the workspace built from `config` in `stack`. */
export function tierContext(stack: TerraformStack, config: EnvironmentConfig): TierContext {
  const owners = new Map<string, string>();
  return {
    scope: stack,
    naming: { project: config.project, environment: config.name },
    region: config.region,
    accountId: config.accountId,
    stage: config.stage,
    disposable: config.stage === "development",
    logRetentionDays: config.logRetentionDays,
    configFile: `environments/${config.name}.ts`,
    monitoring: new MonitoringRegistry(),
    output(owner, id, value, description) {
      const earlier = owners.get(id);
      if (earlier !== undefined) throw new Error(`${owner}: stack output "${id}" is already declared by ${earlier}`);
      owners.set(id, owner);
      return new TerraformOutput(stack, id, { value, description });
    },
  };
}

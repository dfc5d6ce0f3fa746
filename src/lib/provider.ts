import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { Construct } from "constructs";

export interface PlatformProviderProps {
  readonly project: string;
  /** Value of the Environment tag (a workspace name, or `bootstrap`). */
  readonly environment: string;
  readonly region: string;
  /** The only account this provider may act on: a guard against applying to the wrong account. */
  readonly accountId: string;
  /** Extra tags (cost allocation and the like) added to every resource that supports tags. */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Provider alias, for a second configuration in the same stack (the disaster-recovery region).
   * It carries the same account guard and default tags as the default provider.
   * @default none (the default provider)
   */
  readonly alias?: string;
}

/** The tags every resource carries, through the provider's `default_tags`. */
export function platformTags(props: PlatformProviderProps): Record<string, string> {
  return {
    ...props.tags,
    Project: props.project,
    Environment: props.environment,
    ManagedBy: "cdktf",
  };
}

/** The AWS provider as every platform stack configures it: pinned account, region and default tags. */
export function platformProvider(scope: Construct, props: PlatformProviderProps): AwsProvider {
  return new AwsProvider(scope, props.alias ? `aws-${props.alias}` : "aws", {
    ...(props.alias ? { alias: props.alias } : {}),
    region: props.region,
    allowedAccountIds: [props.accountId],
    defaultTags: [{ tags: platformTags(props) }],
  });
}

import { createHash } from "node:crypto";

/** Where a physical name is used: each AWS service has its own length limit and character set. */
export interface NameOptions {
  /** Maximum length the target service accepts. @default 64 */
  readonly maxLength?: number;
}

/**
 * Identifies the workspace a physical name belongs to. Every module receives one of these from its
 * stack and derives every physical name through {@link physicalName}.
 */
export interface NameContext {
  readonly project: string;
  /** Workspace (environment) name, for example `dev` or `prod`. */
  readonly environment: string;
}

const SAFE = /[^a-z0-9-]+/g;

function normalise(part: string): string {
  return part.toLowerCase().replace(SAFE, "-").replace(/-+/g, "-").replace(/^-|-$/g, "");
}

/**
 * The one naming helper: `<project>-<env>-<component>`, lower-case, hyphen-separated.
 *
 * When the result would exceed `maxLength`, it is shortened deterministically: the name is cut and a
 * 6-character hash of the full name is appended, so two long names never collide and the same input
 * always gives the same output.
 */
export function physicalName(ctx: NameContext, component: string, options: NameOptions = {}): string {
  const maxLength = options.maxLength ?? 64;
  const full = [ctx.project, ctx.environment, component].map(normalise).filter((p) => p.length > 0).join("-");
  if (full.length <= maxLength) {
    return full;
  }
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 6);
  const head = full.slice(0, maxLength - hash.length - 1).replace(/-+$/, "");
  return `${head}-${hash}`;
}

/** Length limits of the services the platform names, in one place. */
export const NAME_LIMITS = {
  s3Bucket: 63,
  iamRole: 64,
  albOrTargetGroup: 32,
  dbIdentifier: 63,
  ecrRepository: 256,
  logGroup: 512,
  dynamodbTable: 255,
  securityGroup: 255,
  sqsQueue: 80,
  lambdaFunction: 64,
  schedulerSchedule: 64,
  emrServerlessApplication: 64,
  cloudWatchAlarm: 255,
  cloudWatchDashboard: 255,
  snsTopic: 256,
  cloudTrail: 128,
  wafWebAcl: 128,
  eksCluster: 100,
  backupVaultOrPlan: 50,
  secretsManagerSecret: 512,
} as const;

import { z } from "zod";
import type { RefinementCtx } from "zod";
import { LOG_RETENTION_DAYS, isLogRetention } from "../lib/logs";

/**
 * IAM principals allowed to assume a workspace's developer role: account roots, users or roles,
 * each named in full. Wildcards are refused: a trust policy with `*` trusts more than anyone meant.
 */
export const principalArn = z
  .string()
  .refine((arn) => !arn.includes("*"), "wildcards are refused: name each principal ARN in full")
  .refine(
    // A wildcard is reported once, by the rule above.
    (arn) => arn.includes("*") || /^arn:aws[a-z-]*:iam::\d{12}:(root|user\/[\w+=,.@/-]+|role\/[\w+=,.@/-]+)$/.test(arn),
    "must be an IAM principal ARN (arn:aws:iam::<account>:root, :user/<name> or :role/<name>)",
  );

/** Graviton (arm64) instance types: the family's generation digit is followed by `g` (t4g, m7g, c7gn). */
const gravitonInstanceType = z
  .string()
  .regex(/^[a-z]+\d+g[a-z]*\.[a-z0-9]+$/, "must be a Graviton (arm64) instance type such as t4g.nano or m7g.medium");

/** A 5-field cron expression in UTC, as Auto Scaling scheduled actions take it. */
const unixCron = z
  .string()
  .regex(/^(\S+\s+){4}\S+$/, 'must be a 5-field cron expression in UTC, such as "0 20 * * *"');

/** `access`: the developer access host and developer role of a workspace (README "Developer access"). */
export const accessSchema = z
  .object({
    /** Create the access host (stopped until started) and the developer role. @default false */
    enabled: z.boolean().default(false),
    /** Principals that may assume `<project>-<env>-developer` (with MFA). Required when enabled. @default [] */
    allowedPrincipalArns: z.array(principalArn).default([]),
    /** Graviton instance type of the host. @default "t4g.nano" */
    instanceType: gravitonInstanceType.default("t4g.nano"),
    /** Longest developer role session, hours (production: 1). @default 1 */
    maxSessionHours: z.number().int().min(1).max(12).default(1),
    /** Session Manager idle timeout, minutes (1-60). @default 20 */
    idleSessionTimeoutMinutes: z.number().int().min(1).max(60).default(20),
    /** Retention of the session log group, days. @default the workspace's `logRetentionDays` */
    sessionLogRetentionDays: z
      .number()
      .int()
      .refine(isLogRetention, { message: `must be one of CloudWatch's retention periods (${LOG_RETENTION_DAYS.join(", ")})` })
      .optional(),
    /** Also write session logs to an encrypted S3 bucket. @default false */
    sessionLogsToS3: z.boolean().default(false),
    /**
     * Manage the account-region Session Manager preferences (`SSM-SessionManagerRunShell`: log
     * destinations, KMS, idle timeout). One per account and region: turn off where another stack
     * manages it (README "Developer access"). @default true
     */
    manageSessionPreferences: z.boolean().default(true),
    /** PostgreSQL role the developer role may connect as with IAM authentication (read-only). @default "app_readonly" */
    readOnlyDatabaseUser: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,62}$/, "must be a PostgreSQL identifier")
      .default("app_readonly"),
    /** When the host is stopped again every day (desired capacity 0), cron in UTC. @default "0 20 * * *" */
    stopSchedule: unixCron.default("0 20 * * *"),
  })
  .strict();

export type AccessConfig = z.output<typeof accessSchema>;

/** The rules of `access` that depend on other fields: added to `ctx` at `path`. */
export function checkAccess(
  access: AccessConfig,
  env: { stage: string; database: { masterUsername: string } },
  ctx: RefinementCtx,
): void {
  const issue = (field: string, message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["access", field], message });
  if (access.enabled && access.allowedPrincipalArns.length === 0) {
    issue("allowedPrincipalArns", "access is enabled but no principal may assume the developer role; list the principal ARNs");
  }
  if (env.stage === "production" && access.maxSessionHours > 1) {
    issue("maxSessionHours", `production: developer sessions last at most 1 hour (got ${access.maxSessionHours})`);
  }
  if (access.readOnlyDatabaseUser === env.database.masterUsername) {
    issue("readOnlyDatabaseUser", `"${access.readOnlyDatabaseUser}" is the master user; developers connect as a read-only role`);
  }
}

import { z } from "zod";

/** Settings of the ingestion Lambda, read from environment variables. */
export interface HandlerConfig {
  readonly emrApplicationId: string;
  readonly emrExecutionRoleArn: string;
  /** `s3://bucket/path/job.py`, the Spark entry point. */
  readonly jobScriptUri: string;
  /** Objects whose key ends with one of these (case-sensitive, like S3 suffix filters) start a job. */
  readonly keySuffixes: readonly string[];
  readonly dbHost: string;
  readonly dbPort: number;
  readonly dbName: string;
  readonly dbSecretArn: string;
  readonly emrLogUri?: string;
  readonly sparkSubmitParameters?: string;
}

/** Raised when the environment is invalid; `problems` holds one `VARIABLE: rule` line per violation. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid data-pipeline handler configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

// Values are trimmed, and unset and blank variables are treated alike (Terraform often renders an
// absent value as "").
const clean = (value: unknown) => (typeof value === "string" ? value.trim() || undefined : value);
const required = <T extends z.ZodTypeAny>(schema: T) => z.preprocess(clean, schema);
const optional = <T extends z.ZodTypeAny>(schema: T) => z.preprocess(clean, schema.optional());

const S3_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/\S/;
const S3_PREFIX_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/|$)/;

const envSchema = z.object({
  EMR_APPLICATION_ID: required(
    z.string({ required_error: "is required" }).regex(/^[0-9a-z]{1,64}$/, "must be an EMR Serverless application id (1-64 lower-case letters and digits)"),
  ),
  EMR_EXECUTION_ROLE_ARN: required(
    z
      .string({ required_error: "is required" })
      .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, "must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)"),
  ),
  JOB_SCRIPT_URI: required(
    z.string({ required_error: "is required" }).max(256, "must be at most 256 characters").regex(S3_URI, "must be an s3://bucket/key URI"),
  ),
  KEY_SUFFIXES: required(z.string({ required_error: "is required" })).transform((value: string, ctx) => {
    const suffixes = value
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (suffixes.length === 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must list at least one suffix, e.g. ".csv,.json"' });
      return z.NEVER;
    }
    return suffixes;
  }),
  DB_HOST: required(z.string({ required_error: "is required" })),
  DB_PORT: optional(
    z.coerce
      .number({ invalid_type_error: "must be a port number" })
      .int("must be a whole number")
      .min(1, "must be between 1 and 65535")
      .max(65535, "must be between 1 and 65535"),
  ).transform((port) => port ?? 5432),
  DB_NAME: required(z.string({ required_error: "is required" })),
  DB_SECRET_ARN: required(
    z
      .string({ required_error: "is required" })
      .regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:\S+$/, "must be a Secrets Manager secret ARN"),
  ),
  EMR_LOG_URI: optional(z.string().max(10280, "must be at most 10280 characters").regex(S3_PREFIX_URI, "must be an s3://bucket/prefix URI")),
  SPARK_SUBMIT_PARAMETERS: optional(z.string().max(102400, "must be at most 102400 characters")),
});

/** Validates the environment; throws {@link ConfigError} naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): HandlerConfig {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`);
    throw new ConfigError(problems);
  }
  const e = result.data;
  return {
    emrApplicationId: e.EMR_APPLICATION_ID,
    emrExecutionRoleArn: e.EMR_EXECUTION_ROLE_ARN,
    jobScriptUri: e.JOB_SCRIPT_URI,
    keySuffixes: e.KEY_SUFFIXES,
    dbHost: e.DB_HOST,
    dbPort: e.DB_PORT,
    dbName: e.DB_NAME,
    dbSecretArn: e.DB_SECRET_ARN,
    ...(e.EMR_LOG_URI !== undefined && { emrLogUri: e.EMR_LOG_URI }),
    ...(e.SPARK_SUBMIT_PARAMETERS !== undefined && { sparkSubmitParameters: e.SPARK_SUBMIT_PARAMETERS }),
  };
}

/**
 * What one data-store Lambda is told about its store: the data-api module serializes one
 * {@link StoreConfig} as JSON into the function's `STORE_CONFIG` environment variable, and the
 * handler parses it (once per container) with {@link storeConfigSchema}.
 */
import { z } from "zod";

/** The environment variable holding the store's JSON config. */
export const STORE_CONFIG_ENV = "STORE_CONFIG";

const name = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/);
const keyAttribute = z.object({ name: z.string().min(1), type: z.enum(["S", "N"]) }).strict();

export const storeConfigSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("aurora"),
      /** The route segment: `ANY /<name>/{proxy+}`. */
      name,
      /** The Aurora cluster, reached through the RDS Data API. */
      clusterArn: z.string().startsWith("arn:"),
      /** The Secrets Manager secret the Data API authenticates with. */
      secretArn: z.string().startsWith("arn:"),
      database: z.string().min(1),
      /** The SQL table (an identifier, never interpolated from a request). */
      table: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/),
    })
    .strict(),
  z
    .object({
      kind: z.literal("dynamodb"),
      name,
      tableName: z.string().min(3),
      partitionKey: keyAttribute,
      sortKey: keyAttribute.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("s3"),
      name,
      bucket: z.string().min(3),
      /** Documents live under `<prefix>/`; no trailing slash. */
      prefix: z.string().regex(/^[a-z0-9][a-z0-9/_-]*[a-z0-9]$/),
    })
    .strict(),
  z
    .object({
      kind: z.literal("http"),
      name,
      /** https only. */
      baseUrl: z.string().url().startsWith("https://"),
      timeoutMs: z.number().int().positive(),
      /** The Secrets Manager secret holding the external service's API key, when it needs one. */
      apiKeySecretArn: z.string().startsWith("arn:").optional(),
      /** The request header carrying the key. */
      apiKeyHeader: z.string().min(1).optional(),
    })
    .strict(),
]);

export type StoreConfig = z.infer<typeof storeConfigSchema>;
export type StoreKind = StoreConfig["kind"];

/**
 * CloudWatch metrics every data-store Lambda writes (embedded metric format, in its request log
 * line), in this namespace with the dimensions `FunctionName` and `Store`:
 * - `Requests` (Count, 1 per request), `ClientErrors` / `ServerErrors` (Count, 0 or 1: a 4xx / 5xx
 *   answer; their Average is the error rate), `Latency` (Milliseconds, the whole request);
 * - `AdapterErrors` (Count, 0 or 1 per request that reached the store's backend: it failed, timed out
 *   or its circuit was open; 404 and 409 are answers, not errors) and `AdapterLatency` (Milliseconds,
 *   the time spent in the backend, retries included). Alarm on `AdapterErrors` Average (error rate)
 *   and `AdapterLatency` p99.
 */
export const DATA_API_METRICS_NAMESPACE = "DataApi";
export const DATA_API_METRICS = {
  requests: "Requests",
  clientErrors: "ClientErrors",
  serverErrors: "ServerErrors",
  latency: "Latency",
  adapterErrors: "AdapterErrors",
  adapterLatency: "AdapterLatency",
} as const;
/** The dimension names of every metric above, in this order. */
export const DATA_API_METRIC_DIMENSIONS = ["FunctionName", "Store"] as const;

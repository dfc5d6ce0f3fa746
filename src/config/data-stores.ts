import { z } from "zod";
import type { RefinementCtx } from "zod";

/**
 * The data stores of a workspace: DynamoDB `tables`, the `externalServices` the application calls,
 * and the `dataApi` (an HTTP API with one Lambda per store). Each list is checked on its own here;
 * {@link checkDataStores} checks the references between them, the services and the database.
 */

const name = (what: string, max: number) =>
  z
    .string()
    .regex(new RegExp(`^[a-z][a-z0-9-]{0,${max - 1}}$`), `${what} must start with a letter and use lower-case letters, digits and hyphens (at most ${max} characters)`)
    .refine((s) => !s.endsWith("-") && !s.includes("--"), `${what} cannot end with or repeat hyphens`);

/** A DynamoDB attribute name the keys may use (letters, digits, `_`, `-`, `.`; 1-255). */
const attributeName = z.string().regex(/^[A-Za-z0-9_.-]{1,255}$/, "attribute names use letters, digits, '_', '-' and '.' (1 to 255)");

const capacityRange = z
  .object({
    /** Fewest capacity units target tracking may set. */
    min: z.number().int().min(1).max(40000),
    /** Most capacity units target tracking may set. */
    max: z.number().int().min(1).max(40000),
  })
  .strict()
  .refine((r) => r.min <= r.max, { message: "min must not exceed max", path: ["min"] });

const billing = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("on-demand") }).strict(),
  z
    .object({
      mode: z.literal("provisioned"),
      /** Read capacity of the table (and of each index), scaled by target tracking. */
      read: capacityRange,
      /** Write capacity of the table (and of each index), scaled by target tracking. */
      write: capacityRange,
      /** Consumed / provisioned capacity target tracking keeps, percent (20-90). @default 70 */
      targetUtilizationPercent: z.number().min(20).max(90).default(70),
    })
    .strict(),
]);

const globalSecondaryIndex = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, "index names have 3 to 255 letters, digits, '_', '-' or '.'"),
    /** A declared attribute (`attributes`). */
    partitionKey: attributeName,
    /** A declared attribute. @default none */
    sortKey: attributeName.optional(),
    /** Attributes copied into the index. @default "ALL" */
    projection: z.enum(["ALL", "KEYS_ONLY"]).default("ALL"),
  })
  .strict();

/** One DynamoDB table: `tables[]`. */
export const tableSchema = z
  .object({
    /** Short name; the table is `<project>-<env>-<name>`. */
    name: name("table name", 40),
    /** Every attribute a key of the table or of an index uses, with its type (S string, N number, B binary). */
    attributes: z.record(attributeName, z.enum(["S", "N", "B"])),
    /** Partition (hash) key: a declared attribute. */
    partitionKey: attributeName,
    /** Sort (range) key: a declared attribute. @default none */
    sortKey: attributeName.optional(),
    /** Global secondary indexes. @default [] */
    globalSecondaryIndexes: z.array(globalSecondaryIndex).max(20, "a table has at most 20 global secondary indexes").default([]),
    /** Attribute holding each item's expiry (epoch seconds); DynamoDB deletes expired items. @default none */
    ttlAttribute: attributeName.optional(),
    /** On-demand (pay per request) or provisioned with target-tracking autoscaling. @default { mode: "on-demand" } */
    billing: billing.default({ mode: "on-demand" }),
    /** DynamoDB Streams view type. @default none (no stream) */
    stream: z.enum(["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]).optional(),
    /** `aws-owned` (DynamoDB's default) or `customer-managed` (a KMS key of the table's own, exact key policy). @default "aws-owned" */
    encryption: z.enum(["aws-owned", "customer-managed"]).default("aws-owned"),
    /** Refuse to delete the table. Production keeps it on. @default true in production, false otherwise */
    deletionProtection: z.boolean().optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
    const declared = Object.keys(t.attributes);
    const used = new Set<string>();
    const key = (path: (string | number)[], attribute: string | undefined) => {
      if (attribute === undefined) return;
      used.add(attribute);
      if (!declared.includes(attribute)) issue(path, `"${attribute}" is not a declared attribute (${declared.join(", ") || "none declared"})`);
    };
    key(["partitionKey"], t.partitionKey);
    key(["sortKey"], t.sortKey);
    if (t.sortKey !== undefined && t.sortKey === t.partitionKey) issue(["sortKey"], "is the partition key");
    const indexNames = new Set<string>();
    t.globalSecondaryIndexes.forEach((gsi, i) => {
      key(["globalSecondaryIndexes", i, "partitionKey"], gsi.partitionKey);
      key(["globalSecondaryIndexes", i, "sortKey"], gsi.sortKey);
      if (indexNames.has(gsi.name)) issue(["globalSecondaryIndexes", i, "name"], `duplicate index name "${gsi.name}"`);
      indexNames.add(gsi.name);
    });
    // DynamoDB refuses attribute definitions no key uses (reported once the keys name declared attributes).
    const undeclared = [...used].some((a) => !declared.includes(a));
    for (const attribute of undeclared ? [] : declared) {
      if (!used.has(attribute)) issue(["attributes", attribute], "is used by no key of the table or its indexes (DynamoDB declares key attributes only)");
    }
    if (t.ttlAttribute !== undefined && (t.ttlAttribute === t.partitionKey || t.ttlAttribute === t.sortKey)) {
      issue(["ttlAttribute"], "is a key of the table; the expiry lives in its own attribute");
    }
  });

/** One external service the application calls over HTTPS: `externalServices[]`. */
export const externalServiceSchema = z
  .object({
    /** Short name: `EXTERNAL_<NAME>_URL` in the services that call it, secret `<project>-<env>-external-<name>`. */
    name: name("external service name", 20),
    /** Base URL, https only. */
    baseUrl: z
      .string()
      .url("must be a URL")
      .refine((u) => u.startsWith("https://"), "must be an https:// URL (calls leave the VPC; plain HTTP would expose them)"),
    /** Timeout of one call, milliseconds (100-30000). @default 3000 */
    timeoutMs: z.number().int().min(100).max(30000).default(3000),
    /** The service needs an API key: the platform creates an empty Secrets Manager secret for it (README "External services"). @default false */
    apiKey: z.boolean().default(false),
    /** Request header carrying the key. @default "x-api-key" */
    apiKeyHeader: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, "must be an HTTP header name").default("x-api-key"),
  })
  .strict();

const throttling = z
  .object({
    /** Requests per second, sustained. */
    rateLimit: z.number().min(1).max(10000),
    /** Requests accepted at once above the rate. */
    burstLimit: z.number().int().min(1).max(5000),
  })
  .strict();

const storeCommon = {
  /** The route segment: `ANY /<name>/{proxy+}`; the function is `<project>-<env>-data-api-<name>`. */
  name: name("store name", 30),
  /** Reserved concurrency of the store's function (1-1000). @default 5 */
  reservedConcurrency: z.number().int().min(1).max(1000).default(5),
  /** Memory of the function, MB (128-10240). @default 256 */
  memoryMb: z.number().int().min(128).max(10240).default(256),
  /** Timeout of the function, seconds (1-29: API Gateway waits at most 30 s). @default 10 */
  timeoutSeconds: z.number().int().min(1).max(29).default(10),
  /** Throttling of this store's route. @default the API's throttling */
  throttling: throttling.optional(),
};

const store = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("aurora"),
      ...storeCommon,
      /** The SQL table in `database.databaseName`. */
      table: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a PostgreSQL identifier"),
      /**
       * The credentials the RDS Data API signs in with. `dedicated` (default): an empty secret of the
       * store's own, filled with a database role that may use only this table (README "Data API").
       * `master`: the RDS-managed master secret (needs `database.passwordSource: "managed"`).
       */
      credentials: z.enum(["dedicated", "master"]).default("dedicated"),
    })
    .strict(),
  z
    .object({
      kind: z.literal("dynamodb"),
      ...storeCommon,
      /** A table of `tables[]`. */
      table: z.string(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("s3"),
      ...storeCommon,
      /** Key prefix of the documents in the data API's bucket (no leading or trailing "/"). @default the store's name */
      prefix: z
        .string()
        .regex(/^[a-z0-9][a-z0-9/_-]*[a-z0-9]$/, 'must be lower-case letters, digits, "/", "_" and "-", without a leading or trailing "/"')
        .optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("http"),
      ...storeCommon,
      /** An entry of `externalServices[]`. */
      service: z.string(),
    })
    .strict(),
]);

/** `dataApi`: the HTTP API in front of one Lambda per data store. */
export const dataApiSchema = z
  .object({
    /** Who may call: `iam` (SigV4 from the services' task roles) or `jwt` (a token of `issuer` for one of `audiences`). @default { type: "iam" } */
    authorization: z
      .discriminatedUnion("type", [
        z.object({ type: z.literal("iam") }).strict(),
        z
          .object({
            type: z.literal("jwt"),
            issuer: z.string().url("must be a URL").refine((u) => u.startsWith("https://"), "must be an https:// URL"),
            audiences: z.array(z.string().min(1)).min(1, "list at least one audience"),
          })
          .strict(),
      ])
      .default({ type: "iam" }),
    /** Default throttling of every route. @default { rateLimit: 50, burstLimit: 100 } */
    throttling: throttling.default({ rateLimit: 50, burstLimit: 100 }),
    /** The data stores, one function and one route each. */
    stores: z.array(store).min(1, "list at least one store"),
  })
  .strict();

/** `services[]` fields about the data stores. */
export const serviceDataStoreFields = {
  /** DynamoDB tables the service's task role may use: `read` or `read-write`, on the table and its indexes. @default [] */
  tables: z
    .array(z.object({ table: z.string(), access: z.enum(["read", "read-write"]) }).strict())
    .default([]),
  /** External services the service calls: their URL (and API key, as an ECS secret) in its environment. @default [] */
  externalServices: z.array(z.string()).default([]),
  /** The service calls the data API: `execute-api:Invoke` on it and `DATA_API_URL` in its environment. @default false */
  dataApi: z.boolean().default(false),
};

/** The environment variable carrying an external service's base URL. */
export const externalUrlVariable = (service: string) => `EXTERNAL_${service.toUpperCase().replace(/-/g, "_")}_URL`;
/** The ECS secret carrying an external service's API key. */
export const externalKeyVariable = (service: string) => `EXTERNAL_${service.toUpperCase().replace(/-/g, "_")}_API_KEY`;
/** The environment variable carrying the data API's base URL. */
export const DATA_API_URL_VARIABLE = "DATA_API_URL";

/** First Aurora PostgreSQL minor of each major the RDS Data API serves (Serverless v2 and provisioned). */
export const DATA_API_MIN_MINOR: Readonly<Record<number, number>> = { 13: 11, 14: 8, 15: 3, 16: 1, 17: 4 };

/** Whether the RDS Data API serves an Aurora PostgreSQL `major.minor`. */
export function dataApiSupportsEngine(engineVersion: string): boolean {
  const [major, minor] = engineVersion.split(".").map(Number);
  const first = DATA_API_MIN_MINOR[major];
  return first !== undefined && minor >= first;
}

type Table = z.output<typeof tableSchema>;
type ExternalService = z.output<typeof externalServiceSchema>;
type DataApi = z.output<typeof dataApiSchema>;

/** What {@link checkDataStores} reads of the environment. */
export interface DataStoresEnvironment {
  readonly project: string;
  readonly name: string;
  readonly stage: "development" | "production";
  readonly state: { readonly lockTable: string };
  readonly database: { readonly engineVersion: string; readonly passwordSource: "managed" | "ssm" };
  readonly tables: readonly Table[];
  readonly externalServices: readonly ExternalService[];
  readonly dataApi?: DataApi;
  readonly services?: ReadonlyArray<{
    readonly name: string;
    readonly environment: Readonly<Record<string, string>>;
    readonly tables: ReadonlyArray<{ readonly table: string; readonly access: string }>;
    readonly externalServices: readonly string[];
    readonly dataApi: boolean;
  }>;
}

/** The references between tables, external services, the data API, the services and the database. */
export function checkDataStores(env: DataStoresEnvironment, ctx: RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
  const tableNames = env.tables.map((t) => t.name);
  const serviceNames = env.externalServices.map((s) => s.name);
  const unique = (list: readonly { name: string }[], path: string) => {
    const seen = new Set<string>();
    list.forEach((item, i) => {
      if (seen.has(item.name)) issue([path, i, "name"], `duplicate name "${item.name}"`);
      seen.add(item.name);
    });
  };
  unique(env.tables, "tables");
  unique(env.externalServices, "externalServices");
  env.tables.forEach((t, i) => {
    if (`${env.project}-${env.name}-${t.name}` === env.state.lockTable) {
      issue(["tables", i, "name"], `"${env.project}-${env.name}-${t.name}" is the Terraform state lock table (state.lockTable)`);
    }
    if (env.stage === "production" && t.deletionProtection === false) {
      issue(["tables", i, "deletionProtection"], "production: table deletion protection must stay on");
    }
  });
  if (env.dataApi) {
    env.dataApi.stores.forEach((s, i) => {
      const path = ["dataApi", "stores", i];
      if (s.kind === "dynamodb") {
        const table = env.tables.find((t) => t.name === s.table);
        if (!table) issue([...path, "table"], `"${s.table}" is not in tables (${tableNames.join(", ") || "none"})`);
        else if ([table.partitionKey, table.sortKey].some((k) => k !== undefined && table.attributes[k] === "B")) {
          issue([...path, "table"], `"${s.table}" has a binary key; the data API serves string and number keys`);
        }
      }
      if (s.kind === "http" && !serviceNames.includes(s.service)) issue([...path, "service"], `"${s.service}" is not in externalServices (${serviceNames.join(", ") || "none"})`);
      if (s.kind === "aurora") {
        if (!dataApiSupportsEngine(env.database.engineVersion)) {
          const versions = Object.entries(DATA_API_MIN_MINOR).map(([major, minor]) => `${major}.${minor}`).join(", ");
          issue([...path, "kind"], `the RDS Data API needs Aurora PostgreSQL ${versions} or a later minor of that major (database.engineVersion is ${env.database.engineVersion})`);
        }
        if (s.credentials === "master" && env.database.passwordSource !== "managed") {
          issue([...path, "credentials"], 'the master credentials are in Secrets Manager only with database.passwordSource "managed"');
        }
      }
    });
    const seen = new Set<string>();
    env.dataApi.stores.forEach((s, i) => {
      if (seen.has(s.name)) issue(["dataApi", "stores", i, "name"], `duplicate store name "${s.name}"`);
      seen.add(s.name);
    });
  }
  (env.services ?? []).forEach((svc, i) => {
    const seenTables = new Set<string>();
    svc.tables.forEach((grant, j) => {
      if (!tableNames.includes(grant.table)) issue(["services", i, "tables", j, "table"], `"${grant.table}" is not in tables (${tableNames.join(", ") || "none"})`);
      if (seenTables.has(grant.table)) issue(["services", i, "tables", j, "table"], `"${grant.table}" is granted twice`);
      seenTables.add(grant.table);
    });
    svc.externalServices.forEach((ext, j) => {
      if (!serviceNames.includes(ext)) issue(["services", i, "externalServices", j], `"${ext}" is not in externalServices (${serviceNames.join(", ") || "none"})`);
      else if (externalUrlVariable(ext) in svc.environment) issue(["services", i, "environment", externalUrlVariable(ext)], `is set by the platform (the service calls external service "${ext}")`);
    });
    if (svc.dataApi && !env.dataApi) issue(["services", i, "dataApi"], "there is no dataApi in this environment");
    if (svc.dataApi && DATA_API_URL_VARIABLE in svc.environment) issue(["services", i, "environment", DATA_API_URL_VARIABLE], "is set by the platform (the service calls the data API)");
  });
}

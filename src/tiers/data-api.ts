import { DataApi, type DataStore } from "../../modules/data-api";
import { DATA_API_METRICS, DATA_API_METRICS_NAMESPACE } from "../../modules/data-api/handler/config";
import { SecureBucket } from "../../modules/s3-bucket";
import { suppressPolicy } from "../aspects/policy";
import type { EnvironmentConfig } from "../config/schema";
import { NAME_LIMITS, physicalName } from "../lib/naming";
import type { TierContext } from "./context";
import type { DatabaseTier } from "./database";
import type { ExternalServicesTier } from "./external-services";
import type { TablesTier } from "./tables";

/** The config slice the data-API tier reads, and the tiers it builds on. */
export interface DataApiTierProps {
  /** `dataApi`: authorization, throttling and the data stores. */
  readonly dataApi: NonNullable<EnvironmentConfig["dataApi"]>;
  /** The Aurora cluster `aurora` stores reach through the RDS Data API. */
  readonly database: DatabaseTier;
  /** The tables `dynamodb` stores serve. */
  readonly tables: TablesTier;
  /** The services `http` stores call. */
  readonly externalServices: ExternalServicesTier;
  /**
   * The handler's entry file, relative to the repository root.
   * @default "modules/data-api/handler/index.ts"
   */
  readonly handlerEntry?: string;
}

const OWNER = "DataApiTier";

/**
 * Data API: the HTTP API with one Lambda per store (modules/data-api). `aurora` stores reach the
 * cluster through the RDS Data API (the database tier turns its HTTP endpoint on), `dynamodb` stores
 * a table of the tables tier, `s3` stores a prefix of the API's documents bucket (modules/s3-bucket,
 * created when an `s3` store exists and backed up by the operations tier), `http` stores an external
 * service. Registers the API (5xx, p99 latency) and every function (errors, throttles; error rate and
 * p99 duration for `http` stores). Outputs: `data_api`.
 */
export class DataApiTier {
  readonly api: DataApi;
  /** The bucket of the `s3` stores' documents. @default none (no `s3` store) */
  readonly documentsBucket?: SecureBucket;
  /** IAM (SigV4) authorization: callers need {@link DataApi.invokeStatement}. */
  readonly iamAuthorization: boolean;

  constructor(ctx: TierContext, props: DataApiTierProps) {
    const spec = props.dataApi;
    const cluster = props.database.database;
    if (spec.stores.some((s) => s.kind === "s3")) {
      this.documentsBucket = new SecureBucket(ctx.scope, "data-api-documents", {
        bucketName: physicalName(ctx.naming, `data-api-${ctx.accountId}`, { maxLength: NAME_LIMITS.s3Bucket }),
        preventDestroy: ctx.stage === "production",
        // Development data is disposable: destroy may empty the bucket.
        forceDestroy: ctx.disposable,
      });
    }
    /** Store name -> the table of a `dynamodb` store. */
    const storeTables = new Map(spec.stores.flatMap((s) => (s.kind === "dynamodb" ? [[s.name, props.tables.table(s.table)] as const] : [])));
    const stores: DataStore[] = spec.stores.map((store) => {
      const common = {
        name: store.name,
        reservedConcurrency: store.reservedConcurrency,
        memoryMb: store.memoryMb,
        timeoutSeconds: store.timeoutSeconds,
        throttling: store.throttling,
      };
      switch (store.kind) {
        case "aurora": {
          if (store.credentials === "master" && !cluster.secretArn) {
            throw new Error(`${OWNER}: store ${store.name} uses the master credentials, which are in Secrets Manager only with passwordSource "managed" (the schema refuses this)`);
          }
          return {
            ...common,
            kind: "aurora",
            clusterArn: cluster.clusterArn,
            secretArn: store.credentials === "master" ? cluster.secretArn : undefined,
            database: cluster.databaseName,
            table: store.table,
          };
        }
        case "dynamodb": {
          const table = storeTables.get(store.name)!;
          return {
            ...common,
            kind: "dynamodb",
            tableName: table.tableName,
            tableArn: table.tableArn,
            partitionKey: keyOf(store.name, table.partitionKey),
            sortKey: table.sortKey ? keyOf(store.name, table.sortKey) : undefined,
            kmsKeyArn: table.kmsKeyArn,
          };
        }
        case "s3":
          return { ...common, kind: "s3", bucketName: this.documentsBucket!.bucketName, bucketArn: this.documentsBucket!.bucketArn, prefix: store.prefix ?? store.name };
        case "http": {
          const service = props.externalServices.service(store.service);
          return {
            ...common,
            kind: "http",
            baseUrl: service.spec.baseUrl,
            timeoutMs: service.spec.timeoutMs,
            apiKeySecretArn: service.secretArn,
            apiKeyHeader: service.secretArn ? service.spec.apiKeyHeader : undefined,
          };
        }
      }
    });
    this.api = new DataApi(ctx.scope, "data-api", {
      naming: ctx.naming,
      region: ctx.region,
      accountId: ctx.accountId,
      stores,
      authorization: spec.authorization,
      throttling: spec.throttling,
      logRetentionDays: ctx.logRetentionDays,
      handlerEntry: props.handlerEntry,
    });
    this.iamAuthorization = spec.authorization.type === "iam";

    ctx.monitoring.addHttpApi(OWNER, { name: "data", apiId: this.api.apiId });
    for (const [name, store] of this.api.stores) {
      // The table's key policy names the store's role (its own policy grants use of the key through DynamoDB).
      storeTables.get(name)?.allowKeyUse(store.role.arn);
      suppressPolicy(
        store.function,
        "CKV_AWS_117",
        `the ${store.spec.kind} store calls ${store.spec.kind === "http" ? "an external HTTPS service" : "AWS APIs"} over HTTPS only; nothing it reaches is in the VPC`,
      );
      ctx.monitoring.addFunction(OWNER, {
        name: `data-api-${name}`,
        functionName: store.functionName,
        // An external service's health shows in the metrics the handler publishes about its calls.
        ...(store.spec.kind === "http"
          ? {
              backendMetrics: {
                namespace: DATA_API_METRICS_NAMESPACE,
                dimensions: { FunctionName: store.functionName, Store: name },
                errorsMetric: DATA_API_METRICS.adapterErrors,
                latencyMetric: DATA_API_METRICS.adapterLatency,
              },
            }
          : {}),
      });
    }

    ctx.output(
      OWNER,
      "data_api",
      {
        endpoint: this.api.apiEndpoint,
        api_id: this.api.apiId,
        execution_arn: this.api.executionArn,
        authorization: spec.authorization.type,
        ...(this.documentsBucket ? { documents_bucket: this.documentsBucket.bucketName } : {}),
        stores: Object.fromEntries(
          [...this.api.stores].map(([name, s]) => [
            name,
            { kind: s.spec.kind, route: `ANY /${name}/{proxy+}`, function_name: s.functionName, ...(s.databaseSecret ? { database_secret_arn: s.databaseSecret.arn } : {}) },
          ]),
        ),
      },
      "Data API: endpoint (SigV4-signed requests to <endpoint>/<store>/...), its stores and the secrets to fill",
    );
  }

  /** ARNs of the buckets AWS Backup protects: the documents bucket when there is one. */
  get backupBucketArns(): string[] {
    return this.documentsBucket ? [this.documentsBucket.bucketArn] : [];
  }
}

function keyOf(store: string, key: { name: string; type: "S" | "N" | "B" }): { name: string; type: "S" | "N" } {
  if (key.type === "B") throw new Error(`${OWNER}: store ${store}: the data API serves string and number keys, not binary ("${key.name}")`);
  return { name: key.name, type: key.type };
}

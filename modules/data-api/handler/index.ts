/**
 * Data-store Lambda: one per configured store, behind `ANY /<store>/{proxy+}` of the data API (API
 * Gateway HTTP API, payload format 2.0). It reads its store from the `STORE_CONFIG` environment
 * variable (JSON, {@link StoreConfig}), builds that kind's adapter once per execution environment and
 * answers the HTTP contract of api.ts through the repository interface of repository.ts.
 *
 * Adapters and their AWS SDK clients are loaded with dynamic imports: the bundle holds all four, but a
 * container evaluates only its own store's client.
 */
import type { APIGatewayProxyHandlerV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { createApiHandler, type ApiHandler } from "./api";
import { STORE_CONFIG_ENV, storeConfigSchema, type StoreConfig } from "./config";
import { consoleWriter } from "./log";
import type { Repository } from "./repository";

export { createApiHandler, type ApiDeps, type ApiHandler } from "./api";
export { STORE_CONFIG_ENV, storeConfigSchema, type StoreConfig } from "./config";
export type { Item, ItemKey, Page, Repository } from "./repository";

/** The store config from the environment; throws one line naming the variable and each broken rule. */
export function loadStoreConfig(env: Record<string, string | undefined>): StoreConfig {
  const raw = env[STORE_CONFIG_ENV];
  if (raw === undefined || raw.trim() === "") throw new Error(`${STORE_CONFIG_ENV} is not set`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`${STORE_CONFIG_ENV} is not valid JSON`);
  }
  const result = storeConfigSchema.safeParse(json);
  if (!result.success) {
    throw new Error(`${STORE_CONFIG_ENV}: ${result.error.issues.map((issue) => `${issue.path.join(".") || "(root)"} ${issue.message}`).join("; ")}`);
  }
  return result.data;
}

/** The production repository for a store: the real AWS SDK client, region and credentials from the Lambda environment. */
export async function createRepository(config: StoreConfig): Promise<Repository<unknown>> {
  switch (config.kind) {
    case "aurora": {
      const [{ RDSDataClient }, { createAuroraRepository }] = await Promise.all([import("@aws-sdk/client-rds-data"), import("./adapters/aurora")]);
      return createAuroraRepository(config, new RDSDataClient({})) as Repository<unknown>;
    }
    case "dynamodb": {
      const [{ DynamoDBClient }, { createDynamoRepository }] = await Promise.all([import("@aws-sdk/client-dynamodb"), import("./adapters/dynamodb")]);
      return createDynamoRepository(config, new DynamoDBClient({})) as Repository<unknown>;
    }
    case "s3": {
      const [{ S3Client }, { createS3Repository }] = await Promise.all([import("@aws-sdk/client-s3"), import("./adapters/s3")]);
      return createS3Repository(config, new S3Client({})) as Repository<unknown>;
    }
    case "http": {
      const { createHttpRepository } = await import("./adapters/http");
      const secretArn = config.apiKeySecretArn;
      if (secretArn === undefined) return createHttpRepository(config) as Repository<unknown>;
      const { GetSecretValueCommand, SecretsManagerClient } = await import("@aws-sdk/client-secrets-manager");
      const secrets = new SecretsManagerClient({});
      // Read once per container; a failed read is retried by the next request.
      let key: Promise<string> | undefined;
      const apiKey = () => {
        key ??= secrets.send(new GetSecretValueCommand({ SecretId: secretArn })).then((output) => {
          if (!output.SecretString) throw new Error("http store: the API key secret has no value yet");
          return output.SecretString;
        });
        key.catch(() => (key = undefined));
        return key;
      };
      return createHttpRepository(config, { apiKey }) as Repository<unknown>;
    }
  }
}

let cached: Promise<ApiHandler> | undefined;

export const handler: APIGatewayProxyHandlerV2 = async (event, context) => {
  cached ??= (async () => {
    const config = loadStoreConfig(process.env);
    return createApiHandler({ store: config, repository: await createRepository(config) });
  })();
  let api: ApiHandler;
  try {
    api = await cached;
  } catch (error) {
    cached = undefined;
    // A broken deployment: say so in the log, answer a plain 500 with the request id.
    const requestId = event.requestContext?.requestId ?? context.awsRequestId;
    consoleWriter(JSON.stringify({ level: "error", message: "invalid configuration", requestId, error: error instanceof Error ? error.message : String(error) }));
    const result: APIGatewayProxyStructuredResultV2 = {
      statusCode: 500,
      headers: { "content-type": "application/json; charset=utf-8", "x-request-id": requestId },
      body: JSON.stringify({ error: { code: "internal", message: "internal error; quote the request id when reporting it", requestId } }),
    };
    return result;
  }
  return api(event, context);
};

/** Forgets the cached store so the next `handler` call reads the environment again. */
export function resetForTests(): void {
  cached = undefined;
}

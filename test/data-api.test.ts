import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../src/lib/paths";
import { ACCESS_LOG_FORMAT, AURORA_STORE_ACTIONS, DataApi, DYNAMODB_STORE_ACTIONS, type DataApiProps, type DataStore } from "../modules/data-api";
import { storeConfigSchema } from "../modules/data-api/handler/config";
import { decide } from "./iam-model";
import { TEST_ACCOUNT, onlyResource, ref, resourcesOf, synthConstruct, testNaming, type SynthJson } from "./helpers";

const CLUSTER = `arn:aws:rds:us-east-1:${TEST_ACCOUNT}:cluster:acme-test-db`;
const SECRET = `arn:aws:secretsmanager:us-east-1:${TEST_ACCOUNT}:secret:acme-test-db-AbCdEf`;
const TABLE = `arn:aws:dynamodb:us-east-1:${TEST_ACCOUNT}:table/acme-test-carts`;
const BUCKET = "arn:aws:s3:::acme-test-data-api";
const API_KEY = `arn:aws:secretsmanager:us-east-1:${TEST_ACCOUNT}:secret:acme-test-external-payments-AbCdEf`;
const KEY = `arn:aws:kms:us-east-1:${TEST_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

const STORES: DataStore[] = [
  { kind: "aurora", name: "customers", clusterArn: CLUSTER, secretArn: SECRET, database: "app", table: "customers" },
  { kind: "dynamodb", name: "carts", tableName: "acme-test-carts", tableArn: TABLE, partitionKey: { name: "customerId", type: "S" }, sortKey: { name: "cartId", type: "S" }, kmsKeyArn: KEY },
  { kind: "s3", name: "documents", bucketName: "acme-test-data-api", bucketArn: BUCKET, prefix: "documents", throttling: { rateLimit: 5, burstLimit: 10 } },
  { kind: "http", name: "payments", baseUrl: "https://api.payments.example.com/v1", timeoutMs: 3000, apiKeySecretArn: API_KEY, apiKeyHeader: "x-api-key" },
];

const base: DataApiProps = {
  naming: testNaming,
  region: "us-east-1",
  accountId: TEST_ACCOUNT,
  stores: STORES,
  logRetentionDays: 30,
  handlerEntry: "test/fixtures/data-api-handler.ts",
};

function dataApi(overrides: Partial<DataApiProps> = {}) {
  let api!: DataApi;
  const { json } = synthConstruct((stack) => {
    api = new DataApi(stack, "data-api", { ...base, ...overrides });
  });
  return { json, api };
}

/** The statements of the store's function role. */
function storePolicy(json: SynthJson, store: string): Array<Record<string, any>> {
  const policy = Object.values(resourcesOf(json, "aws_iam_role_policy")).find((p) => p.name === `data-api-${store}`)!;
  return JSON.parse(policy.policy).Statement;
}

function functionOf(json: SynthJson, store: string): Record<string, any> {
  return Object.values(resourcesOf(json, "aws_lambda_function")).find((f) => f.function_name === `acme-test-data-api-${store}`)!;
}

describe("DataApi", () => {
  it("builds an HTTP API with a $default stage, JSON access logs and default and per-route throttling", () => {
    const { json } = dataApi();
    const api = onlyResource(json, "aws_apigatewayv2_api");
    expect(api).toMatchObject({ name: "acme-test-data-api", protocol_type: "HTTP" });
    const apiId = Object.keys(resourcesOf(json, "aws_apigatewayv2_api"))[0];
    const stage = onlyResource(json, "aws_apigatewayv2_stage");
    const logsId = Object.entries(resourcesOf(json, "aws_cloudwatch_log_group")).find(([, g]) => g.name === "/aws/apigateway/acme-test-data-api/access")![0];
    expect(stage).toMatchObject({ name: "$default", auto_deploy: true, api_id: ref("aws_apigatewayv2_api", apiId, "id") });
    expect(stage.access_log_settings).toEqual({ destination_arn: ref("aws_cloudwatch_log_group", logsId, "arn"), format: ACCESS_LOG_FORMAT });
    const format = JSON.parse(ACCESS_LOG_FORMAT);
    for (const field of ["requestId", "sourceIp", "routeKey", "status", "responseLatency", "integrationError"]) expect(format).toHaveProperty(field);
    expect(stage.default_route_settings).toEqual({ throttling_rate_limit: 50, throttling_burst_limit: 100 });
    expect(stage.route_settings).toEqual([{ route_key: "ANY /documents/{proxy+}", throttling_rate_limit: 5, throttling_burst_limit: 10 }]);
    expect(resourcesOf(json, "aws_cloudwatch_log_group")[logsId].retention_in_days).toBe(30);
  });

  it("gives every store its function, route, integration and invoke permission", () => {
    const { json } = dataApi();
    const routes = Object.values(resourcesOf(json, "aws_apigatewayv2_route"));
    expect(routes.map((r) => r.route_key).sort()).toEqual(["ANY /carts/{proxy+}", "ANY /customers/{proxy+}", "ANY /documents/{proxy+}", "ANY /payments/{proxy+}"]);
    for (const r of routes) expect(r.authorization_type).toBe("AWS_IAM");
    const apiId = Object.keys(resourcesOf(json, "aws_apigatewayv2_api"))[0];
    for (const store of ["customers", "carts", "documents", "payments"]) {
      const [fnId, fn] = Object.entries(resourcesOf(json, "aws_lambda_function")).find(([, f]) => f.function_name === `acme-test-data-api-${store}`)!;
      expect(fn).toMatchObject({ architectures: ["arm64"], tracing_config: { mode: "Active" }, reserved_concurrent_executions: 5, handler: "index.handler", timeout: 10 });
      const [integrationId, integration] = Object.entries(resourcesOf(json, "aws_apigatewayv2_integration")).find(([, i]) => i.integration_uri === ref("aws_lambda_function", fnId, "arn"))!;
      expect(integration).toMatchObject({ integration_type: "AWS_PROXY", payload_format_version: "2.0" });
      const route = routes.find((r) => r.route_key === `ANY /${store}/{proxy+}`)!;
      expect(route.target).toBe(`integrations/${ref("aws_apigatewayv2_integration", integrationId, "id")}`);
      const permission = Object.values(resourcesOf(json, "aws_lambda_permission")).find((p) => p.function_name === ref("aws_lambda_function", fnId, "function_name"))!;
      expect(permission).toMatchObject({ principal: "apigateway.amazonaws.com", action: "lambda:InvokeFunction", source_account: TEST_ACCOUNT });
      expect(permission.source_arn).toBe(`${ref("aws_apigatewayv2_api", apiId, "execution_arn")}/*/*/${store}/*`);
      const logs = Object.entries(resourcesOf(json, "aws_cloudwatch_log_group")).find(([, g]) => g.name === `/aws/lambda/acme-test-data-api-${store}`)!;
      expect(fn.depends_on).toContain(`aws_cloudwatch_log_group.${logs[0]}`);
    }
  });

  it("tells each function its store in STORE_CONFIG, in the shape the handler parses", () => {
    const { json } = dataApi();
    const configs = ["customers", "carts", "documents", "payments"].map((s) => storeConfigSchema.parse(JSON.parse(functionOf(json, s).environment.variables.STORE_CONFIG)));
    expect(configs).toEqual([
      { kind: "aurora", name: "customers", clusterArn: CLUSTER, secretArn: SECRET, database: "app", table: "customers" },
      { kind: "dynamodb", name: "carts", tableName: "acme-test-carts", partitionKey: { name: "customerId", type: "S" }, sortKey: { name: "cartId", type: "S" } },
      { kind: "s3", name: "documents", bucket: "acme-test-data-api", prefix: "documents" },
      { kind: "http", name: "payments", baseUrl: "https://api.payments.example.com/v1", timeoutMs: 3000, apiKeySecretArn: API_KEY, apiKeyHeader: "x-api-key" },
    ]);
  });

  it("lets each function reach its own store only", () => {
    const { json } = dataApi();
    const aurora = storePolicy(json, "customers");
    for (const action of AURORA_STORE_ACTIONS) expect(decide(aurora, action, CLUSTER)).toBe("allow");
    expect(decide(aurora, "rds-data:ExecuteStatement", `${CLUSTER}-other`)).toBe("implicit-deny");
    expect(decide(aurora, "rds-data:BeginTransaction", CLUSTER)).toBe("implicit-deny");
    expect(decide(aurora, "secretsmanager:GetSecretValue", SECRET)).toBe("allow");
    expect(decide(aurora, "secretsmanager:GetSecretValue", API_KEY)).toBe("implicit-deny");

    const dynamo = storePolicy(json, "carts");
    for (const action of DYNAMODB_STORE_ACTIONS) expect(decide(dynamo, action, TABLE)).toBe("allow");
    expect(decide(dynamo, "dynamodb:UpdateItem", TABLE)).toBe("implicit-deny");
    expect(decide(dynamo, "dynamodb:BatchWriteItem", TABLE)).toBe("implicit-deny");
    expect(decide(dynamo, "dynamodb:GetItem", `${TABLE}-other`)).toBe("implicit-deny");
    expect(decide(dynamo, "kms:Decrypt", KEY, { "kms:ViaService": "dynamodb.us-east-1.amazonaws.com" })).toBe("allow");
    expect(decide(dynamo, "kms:Decrypt", KEY, { "kms:ViaService": "s3.us-east-1.amazonaws.com" })).toBe("implicit-deny");

    const s3 = storePolicy(json, "documents");
    expect(decide(s3, "s3:GetObject", `${BUCKET}/documents/a.json`)).toBe("allow");
    expect(decide(s3, "s3:PutObject", `${BUCKET}/documents/x/b.json`)).toBe("allow");
    expect(decide(s3, "s3:GetObject", `${BUCKET}/other/a.json`)).toBe("implicit-deny");
    expect(decide(s3, "s3:ListBucket", BUCKET, { "s3:prefix": "documents/" })).toBe("allow");
    expect(decide(s3, "s3:ListBucket", BUCKET, { "s3:prefix": "other/" })).toBe("implicit-deny");

    const http = storePolicy(json, "payments");
    expect(decide(http, "secretsmanager:GetSecretValue", API_KEY)).toBe("allow");
    expect(decide(http, "secretsmanager:GetSecretValue", SECRET)).toBe("implicit-deny");
    // Every role writes its own logs and traces, and nothing else.
    for (const store of ["customers", "carts", "documents", "payments"]) {
      expect(storePolicy(json, store).map((s) => s.Sid).slice(0, 2)).toEqual(["WriteLogs", "WriteTraces"]);
    }
  });

  it("creates the store's own database secret when none is given", () => {
    const { json } = dataApi({ stores: [{ kind: "aurora", name: "customers", clusterArn: CLUSTER, database: "app", table: "customers" }] });
    const [secretId, secret] = Object.entries(resourcesOf(json, "aws_secretsmanager_secret"))[0];
    expect(secret.name).toBe("acme-test-data-api-customers-db");
    const config = JSON.parse(functionOf(json, "customers").environment.variables.STORE_CONFIG);
    expect(config.secretArn).toBe(ref("aws_secretsmanager_secret", secretId, "arn"));
    expect(decide(storePolicy(json, "customers"), "secretsmanager:GetSecretValue", ref("aws_secretsmanager_secret", secretId, "arn"))).toBe("allow");
  });

  it("authorizes with a JWT authorizer when configured", () => {
    const { json } = dataApi({ authorization: { type: "jwt", issuer: "https://issuer.example.com", audiences: ["data"] } });
    const [authId, authorizer] = Object.entries(resourcesOf(json, "aws_apigatewayv2_authorizer"))[0];
    expect(authorizer).toMatchObject({ authorizer_type: "JWT", identity_sources: ["$request.header.Authorization"], jwt_configuration: { issuer: "https://issuer.example.com", audience: ["data"] } });
    for (const route of Object.values(resourcesOf(json, "aws_apigatewayv2_route"))) {
      expect(route).toMatchObject({ authorization_type: "JWT", authorizer_id: ref("aws_apigatewayv2_authorizer", authId, "id") });
    }
  });

  it("grants callers execute-api:Invoke on this API's routes only", () => {
    const { api } = dataApi();
    const statement = api.invokeStatement();
    expect(statement.Action).toBe("execute-api:Invoke");
    expect(String(statement.Resource)).toMatch(/\/\$default\/\*\/\*$/);
  });

  it.each([
    ["two stores of one name", { stores: [STORES[0], STORES[0]] }, 'DataApi: two stores are named "customers"'],
    ["an http base URL", { stores: [{ ...STORES[3], baseUrl: "http://api.payments.example.com" } as DataStore] }, "DataApi: store payments: baseUrl must be https://, got http://api.payments.example.com"],
    ["a timeout the integration cannot wait for", { stores: [{ ...STORES[0], timeoutSeconds: 30 }] }, "DataApi: store customers: timeoutSeconds must be a whole number from 1 to 29, got 30"],
    ["no stores", { stores: [] }, "DataApi: stores must list at least one data store"],
    ["a missing handler entry", { handlerEntry: "test/fixtures/missing-handler.ts" }, "LambdaBundle: the handler entry test/fixtures/missing-handler.ts does not exist"],
  ])("refuses %s", (_, overrides, message) => {
    expect(() => dataApi(overrides as Partial<DataApiProps>)).toThrow(message);
  });
});

describe("store roles match what the adapters call", () => {
  /** The SDK commands an adapter's source sends, as IAM actions of its service. */
  const commandsOf = (adapter: string, service: string): string[] => {
    const source = readFileSync(join(REPO_ROOT, "modules/data-api/handler/adapters", `${adapter}.ts`), "utf8");
    return [...new Set([...source.matchAll(/new (\w+)Command\(/g)].map((m) => `${service}:${m[1]}`))].sort();
  };

  it("grants the dynamodb store exactly the item calls its adapter makes", () => {
    expect([...DYNAMODB_STORE_ACTIONS].sort()).toEqual(commandsOf("dynamodb", "dynamodb"));
  });

  it("grants the aurora store exactly the Data API calls its adapter makes", () => {
    expect([...AURORA_STORE_ACTIONS].sort()).toEqual(commandsOf("aurora", "rds-data"));
  });
});

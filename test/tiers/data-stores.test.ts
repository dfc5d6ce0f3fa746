import { describe, expect, it } from "vitest";
import { PlatformMonitoring } from "../../modules/monitoring";
import { ComputeTier } from "../../src/tiers/compute";
import { DataApiTier } from "../../src/tiers/data-api";
import { DatabaseTier } from "../../src/tiers/database";
import { EdgeTier } from "../../src/tiers/edge";
import { NetworkTier } from "../../src/tiers/network";
import { ExternalServicesTier } from "../../src/tiers/external-services";
import { OperationsTier } from "../../src/tiers/operations";
import { ServicesTier } from "../../src/tiers/services";
import { TablesTier } from "../../src/tiers/tables";
import { decide } from "../iam-model";
import { FIXTURE_DATA_API_HANDLER, ref, resolved, resourcesOf, testContext, type SynthJson } from "../helpers";

const FIXTURE_HANDLER = FIXTURE_DATA_API_HANDLER;

/** The tiers of one repository environment up to the services and the operations, as the workspace composes them. */
function dataStores(options: Parameters<typeof testContext>[0] = {}) {
  const t = testContext(options);
  // As foundationTiers, with the cluster's Data API on for the aurora store (as the workspace does).
  const { availabilityZones } = t.config;
  const network = new NetworkTier(t.ctx, { availabilityZones, network: t.config.network, ecr: t.config.ecr });
  const database = new DatabaseTier(t.ctx, { database: t.config.database, network, dataApi: true });
  const compute = new ComputeTier(t.ctx, { services: t.config.services, migrateCommand: t.config.database.migrateCommand, network, database });
  const edge = new EdgeTier(t.ctx, { loadBalancer: t.config.loadBalancer, domain: t.config.domain, firewall: t.config.operations, network });
  const tables = new TablesTier(t.ctx, { tables: t.config.tables });
  const externalServices = new ExternalServicesTier(t.ctx, { externalServices: t.config.externalServices });
  const dataApi = t.config.dataApi ? new DataApiTier(t.ctx, { dataApi: t.config.dataApi, database, tables, externalServices, handlerEntry: FIXTURE_HANDLER }) : undefined;
  const services = new ServicesTier(t.ctx, { services: t.config.services, network, database, compute, edge, tables, externalServices, dataApi });
  const operations = new OperationsTier(t.ctx, { operations: { ...t.config.operations, backup: true }, database, tables, dataApi });
  return { ...t, tables, externalServices, dataApi, services, operations };
}

const tableId = (json: SynthJson, name: string) => Object.entries(resourcesOf(json, "aws_dynamodb_table")).find(([, t]) => t.name === name)![0];
const roleId = (json: SynthJson, name: string) => Object.entries(resourcesOf(json, "aws_iam_role")).find(([, r]) => r.name === name)![0];
/** Every statement of the inline policies of role `name`. */
function roleStatements(json: SynthJson, name: string): Array<Record<string, any>> {
  const role = ref("aws_iam_role", roleId(json, name), "id");
  return Object.values(resourcesOf(json, "aws_iam_role_policy"))
    .filter((p) => p.role === role)
    .flatMap((p) => JSON.parse(p.policy).Statement);
}

describe("TablesTier", () => {
  it("builds every table, deletion protection following the stage, and registers each", () => {
    const dev = dataStores();
    const json = dev.synth();
    const names = Object.values(resourcesOf(json, "aws_dynamodb_table")).map((t) => [t.name, t.deletion_protection_enabled]);
    expect(names.sort()).toEqual([
      ["acme-dev-carts", false],
      ["acme-dev-sessions", false],
    ]);
    expect(resolved(dev.stack, dev.ctx.monitoring.registered().tables)).toEqual([
      { name: "sessions", tableName: "acme-dev-sessions" },
      { name: "carts", tableName: "acme-dev-carts" },
    ]);
    const prod = dataStores({ environment: "prod" }).synth();
    expect(Object.values(resourcesOf(prod, "aws_dynamodb_table")).every((t) => t.deletion_protection_enabled === true)).toBe(true);
    expect(Object.keys(prod.output?.dynamodb_tables.value as object).sort()).toEqual(["carts", "sessions"]);
  });
});

describe("ServicesTier with data stores", () => {
  it("gives the web task role exactly its declared table access", () => {
    const t = dataStores();
    const json = t.synth();
    const statements = roleStatements(json, "acme-dev-web-task");
    const sessions = ref("aws_dynamodb_table", tableId(json, "acme-dev-sessions"), "arn");
    const carts = ref("aws_dynamodb_table", tableId(json, "acme-dev-carts"), "arn");
    expect(decide(statements, "dynamodb:PutItem", sessions)).toBe("allow");
    expect(decide(statements, "dynamodb:GetItem", carts)).toBe("allow");
    expect(decide(statements, "dynamodb:Query", `${carts}/index/by-status`)).toBe("allow");
    // carts is read-only for web.
    expect(decide(statements, "dynamodb:PutItem", carts)).toBe("implicit-deny");
    expect(decide(statements, "dynamodb:DeleteTable", sessions)).toBe("implicit-deny");
  });

  it("injects the external services' URLs and API keys, and the data API's URL and invoke grant", () => {
    const t = dataStores();
    const json = t.synth();
    const task = Object.values(resourcesOf(json, "aws_ecs_task_definition")).find((d) => d.family === "acme-dev-web")!;
    const [container] = JSON.parse(task.container_definitions);
    const env = Object.fromEntries(container.environment.map((e: any) => [e.name, e.value]));
    expect(env.EXTERNAL_PAYMENTS_URL).toBe("https://api.payments.example.com/v1");
    expect(env.EXTERNAL_NOTIFICATIONS_URL).toBe("https://api.notifications.example.com");
    const apiId = Object.keys(resourcesOf(json, "aws_apigatewayv2_api"))[0];
    expect(env.DATA_API_URL).toBe(ref("aws_apigatewayv2_api", apiId, "api_endpoint"));
    const secrets = Object.entries(resourcesOf(json, "aws_secretsmanager_secret"));
    const payments = ref("aws_secretsmanager_secret", secrets.find(([, s]) => s.name === "acme-dev-external-payments")![0], "arn");
    const notifications = ref("aws_secretsmanager_secret", secrets.find(([, s]) => s.name === "acme-dev-external-notifications")![0], "arn");
    expect(container.secrets).toEqual(expect.arrayContaining([
      { name: "EXTERNAL_PAYMENTS_API_KEY", valueFrom: payments },
      { name: "EXTERNAL_NOTIFICATIONS_API_KEY", valueFrom: notifications },
    ]));
    // The execution role reads exactly those keys (besides the database secret); the task role invokes the API.
    const execution = roleStatements(json, "acme-dev-web-exec");
    expect(decide(execution, "secretsmanager:GetSecretValue", payments)).toBe("allow");
    const customersSecret = ref("aws_secretsmanager_secret", secrets.find(([, s]) => s.name === "acme-dev-data-api-customers-db")![0], "arn");
    expect(decide(execution, "secretsmanager:GetSecretValue", customersSecret)).toBe("implicit-deny");
    const taskRole = roleStatements(json, "acme-dev-web-task");
    const executionArn = ref("aws_apigatewayv2_api", apiId, "execution_arn");
    expect(decide(taskRole, "execute-api:Invoke", `${executionArn}/$default/GET/carts/c1`)).toBe("allow");
    expect(decide(taskRole, "execute-api:Invoke", `arn:aws:execute-api:us-east-1:111122223333:other/$default/GET/carts/c1`)).toBe("implicit-deny");
  });

  it("gives services that declare nothing no table, key or API access", () => {
    const t = dataStores({ environment: "prod" });
    const json = t.synth();
    const api = roleStatements(json, "acme-prod-api-task");
    expect(api.some((s) => String(s.Action).includes("dynamodb") || String(s.Action).includes("execute-api"))).toBe(false);
  });
});

describe("DataApiTier", () => {
  it("serves the four store kinds from the platform's resources and turns on the cluster's Data API", () => {
    const t = dataStores();
    const json = t.synth();
    const configs = Object.fromEntries(
      Object.values(resourcesOf(json, "aws_lambda_function")).map((f) => [f.function_name, JSON.parse(f.environment.variables.STORE_CONFIG)]),
    );
    const clusterId = Object.keys(resourcesOf(json, "aws_rds_cluster"))[0];
    expect(resourcesOf(json, "aws_rds_cluster")[clusterId].enable_http_endpoint).toBe(true);
    expect(configs["acme-dev-data-api-customers"]).toMatchObject({ kind: "aurora", clusterArn: ref("aws_rds_cluster", clusterId, "arn"), database: "app", table: "customers" });
    expect(configs["acme-dev-data-api-carts"]).toMatchObject({ kind: "dynamodb", tableName: "acme-dev-carts", partitionKey: { name: "customerId", type: "S" }, sortKey: { name: "cartId", type: "S" } });
    const bucketId = Object.entries(resourcesOf(json, "aws_s3_bucket")).find(([, b]) => b.bucket === "acme-dev-data-api-111122223333")![0];
    expect(configs["acme-dev-data-api-documents"]).toEqual({ kind: "s3", name: "documents", bucket: ref("aws_s3_bucket", bucketId, "id"), prefix: "documents" });
    expect(configs["acme-dev-data-api-payments"]).toMatchObject({ kind: "http", baseUrl: "https://api.payments.example.com/v1", timeoutMs: 3000 });
  });

  it("names the store's role, the granted services and AWS Backup in a customer-managed table key's policy", () => {
    const json = dataStores({ environment: "prod" }).synth();
    const key = Object.values(resourcesOf(json, "aws_kms_key")).find((k) => String(k.description).includes("acme-prod-carts"))!;
    const users = JSON.parse(key.policy).Statement.find((s: any) => s.Sid === "AllowGrantedRolesThroughDynamoDb");
    expect(users.Principal.AWS).toEqual(
      ["acme-prod-data-api-carts", "acme-prod-web-task", "acme-prod-backup"].map((name) => ref("aws_iam_role", roleId(json, name), "arn")),
    );
    // The sessions table uses DynamoDB's own key: no key of its own.
    expect(Object.values(resourcesOf(json, "aws_kms_key")).some((k) => String(k.description).includes("acme-prod-sessions"))).toBe(false);
  });

  it("registers the API and each store's function; http stores also with the backend metrics their handler publishes", () => {
    const t = dataStores();
    t.synth();
    const registered = t.ctx.monitoring.registered();
    expect(registered.httpApis.map((a) => a.name)).toEqual(["data"]);
    expect(registered.functions.map((f) => [f.name, f.backendMetrics?.dimensions.Store])).toEqual([
      ["data-api-customers", undefined],
      ["data-api-carts", undefined],
      ["data-api-documents", undefined],
      ["data-api-payments", "payments"],
    ]);
    const payments = registered.functions.find((f) => f.name === "data-api-payments")!;
    // The names the handler writes in its embedded-metric log line (modules/data-api/handler/log.ts).
    expect(payments.backendMetrics).toMatchObject({ namespace: "DataApi", errorsMetric: "AdapterErrors", latencyMetric: "AdapterLatency" });
    expect(Object.keys(payments.backendMetrics!.dimensions)).toEqual(["FunctionName", "Store"]);
    expect(payments.backendMetrics!.dimensions.FunctionName).toBe(payments.functionName);
  });
});

describe("OperationsTier with data stores", () => {
  it("backs up the tables and the documents bucket, and alarms on tables, the API and the http store", () => {
    const t = dataStores();
    const json = t.synth();
    const selections = Object.values(resourcesOf(json, "aws_backup_selection")).flatMap((s) => s.resources);
    for (const table of ["acme-dev-sessions", "acme-dev-carts"]) expect(selections).toContain(ref("aws_dynamodb_table", tableId(json, table), "arn"));
    const bucketId = Object.entries(resourcesOf(json, "aws_s3_bucket")).find(([, b]) => b.bucket === "acme-dev-data-api-111122223333")![0];
    expect(selections).toContain(ref("aws_s3_bucket", bucketId, "arn"));

    const monitoring = t.operations.monitoring as PlatformMonitoring;
    const alarms = monitoring.alarms.map((a) => a.name);
    expect(alarms).toEqual(expect.arrayContaining([
      "acme-dev-dynamodb-carts-throttled",
      "acme-dev-dynamodb-carts-system-errors",
      "acme-dev-dynamodb-sessions-throttled",
      "acme-dev-api-data-5xx",
      "acme-dev-api-data-latency",
      "acme-dev-lambda-data-api-payments-error-rate",
      "acme-dev-lambda-data-api-payments-latency",
    ]));
    const rate = Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm")).find((a) => a.alarm_name === "acme-dev-lambda-data-api-payments-error-rate")!;
    const adapterErrors = rate.metric_query.find((q: any) => q.metric).metric;
    expect(adapterErrors).toMatchObject({ namespace: "DataApi", metric_name: "AdapterErrors", stat: "Average", dimensions: { Store: "payments" } });
    const latency = Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm")).find((a) => a.alarm_name === "acme-dev-lambda-data-api-payments-latency")!;
    expect(latency).toMatchObject({ namespace: "DataApi", metric_name: "AdapterLatency", extended_statistic: "p99" });
    expect(alarms).not.toContain("acme-dev-lambda-data-api-carts-error-rate");
    const throttled = Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm")).find((a) => a.alarm_name === "acme-dev-dynamodb-carts-throttled")!;
    const metrics = throttled.metric_query.filter((q: any) => q.metric).map((q: any) => q.metric);
    // ThrottledRequests exists per operation only: the alarm sums the operations.
    expect(metrics.every((m: any) => m.metric_name === "ThrottledRequests" && m.dimensions.TableName === "acme-dev-carts" && m.dimensions.Operation)).toBe(true);
    expect(metrics.map((m: any) => m.dimensions.Operation)).toEqual(expect.arrayContaining(["GetItem", "PutItem", "Query", "UpdateItem", "DeleteItem"]));
    expect(metrics.length).toBeLessThanOrEqual(10);
    const dashboard = JSON.parse(Object.values(resourcesOf(json, "aws_cloudwatch_dashboard"))[0].dashboard_body);
    const texts = dashboard.widgets.filter((w: any) => w.type === "text").map((w: any) => w.properties.markdown as string);
    expect(texts.some((m: string) => m.startsWith("## DynamoDB tables"))).toBe(true);
    expect(texts.some((m: string) => m.startsWith("## HTTP APIs"))).toBe(true);
  });
});

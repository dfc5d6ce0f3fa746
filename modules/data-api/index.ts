import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api";
import { Apigatewayv2Authorizer } from "@cdktf/provider-aws/lib/apigatewayv2-authorizer";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { AssetType, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import { policyDocument, regionalServicePrincipal, serviceTrustPolicy, type PolicyStatement } from "../../src/lib/iam";
import { LAMBDA_RUNTIME, lambdaBundle } from "../../src/lib/lambda-bundle";
import { LOG_RETENTION_DAYS } from "../../src/lib/logs";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";
import { STORE_CONFIG_ENV, type StoreConfig } from "./handler/config";

/** The handler every store's function runs, relative to the repository root. */
export const DATA_API_HANDLER_ENTRY = "modules/data-api/handler/index.ts";

/** What the `aurora` adapter calls: single parameterized statements through the RDS Data API. */
export const AURORA_STORE_ACTIONS = ["rds-data:ExecuteStatement"] as const;
/** What the `dynamodb` adapter calls on its table: get, conditional put, delete, and listing (Query by partition with a sort key, Scan without one). */
export const DYNAMODB_STORE_ACTIONS = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan"] as const;
/** What the `s3` adapter calls on the objects under its prefix. */
export const S3_STORE_OBJECT_ACTIONS = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"] as const;

/** Throttling of a route: sustained requests per second and the burst above it. */
export interface RouteThrottling {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

interface StoreBase {
  /** Route segment (`ANY /<name>/{proxy+}`) and function `<project>-<env>-data-api-<name>`. */
  readonly name: string;
  /** Reserved concurrency of the function (1-1000). @default 5 */
  readonly reservedConcurrency?: number;
  /** Memory, MB (128-10240). @default 256 */
  readonly memoryMb?: number;
  /** Timeout, seconds (1-29: the HTTP API integration waits at most 30 s). @default 10 */
  readonly timeoutSeconds?: number;
  /** Throttling of this store's route. @default the API's default throttling */
  readonly throttling?: RouteThrottling;
}

/** A table of the Aurora cluster, through the RDS Data API (the cluster's HTTP endpoint must be on). */
export interface AuroraDataStore extends StoreBase {
  readonly kind: "aurora";
  readonly clusterArn: string;
  /**
   * Secrets Manager secret (username and password) the Data API signs in with.
   * @default a new empty secret of the store's own (`<project>-<env>-data-api-<store>-db`), its value put
   * out of band: a database role that may use only this table
   */
  readonly secretArn?: string;
  /** Customer-managed key of that secret. @default none (AWS-managed key: no grant needed) */
  readonly secretKmsKeyArn?: string;
  readonly database: string;
  readonly table: string;
}

/** A DynamoDB table. */
export interface DynamoDbDataStore extends StoreBase {
  readonly kind: "dynamodb";
  readonly tableName: string;
  readonly tableArn: string;
  readonly partitionKey: { readonly name: string; readonly type: "S" | "N" };
  /** @default none */
  readonly sortKey?: { readonly name: string; readonly type: "S" | "N" };
  /** The table's customer-managed key (the caller must also add the function's role to its key policy). @default none */
  readonly kmsKeyArn?: string;
}

/** JSON documents under a prefix of a bucket. */
export interface S3DataStore extends StoreBase {
  readonly kind: "s3";
  readonly bucketName: string;
  readonly bucketArn: string;
  /** Key prefix, without leading or trailing "/". */
  readonly prefix: string;
  /** The bucket's customer-managed key. @default none (SSE-S3) */
  readonly kmsKeyArn?: string;
}

/** An external HTTPS service. */
export interface HttpDataStore extends StoreBase {
  readonly kind: "http";
  /** https:// base URL. */
  readonly baseUrl: string;
  /** Timeout of one call, milliseconds. */
  readonly timeoutMs: number;
  /** The secret holding the service's API key. @default none */
  readonly apiKeySecretArn?: string;
  /** Header carrying the key. @default none (the handler's default) */
  readonly apiKeyHeader?: string;
}

export type DataStore = AuroraDataStore | DynamoDbDataStore | S3DataStore | HttpDataStore;

/** Who may call the API. */
export type DataApiAuthorization = { readonly type: "iam" } | { readonly type: "jwt"; readonly issuer: string; readonly audiences: readonly string[] };

export interface DataApiProps {
  readonly naming: NameContext;
  readonly region: string;
  readonly accountId: string;
  /** One function and one route per store; names unique. */
  readonly stores: readonly DataStore[];
  /** @default { type: "iam" } (SigV4-signed requests; callers need `execute-api:Invoke`) */
  readonly authorization?: DataApiAuthorization;
  /** Default throttling of every route. @default { rateLimit: 50, burstLimit: 100 } */
  readonly throttling?: RouteThrottling;
  /** Retention of the access-log and function log groups, days (a CloudWatch value). @default 365 */
  readonly logRetentionDays?: number;
  /** The handler's entry file, relative to the repository root. @default "modules/data-api/handler/index.ts" */
  readonly handlerEntry?: string;
}

/** One built store: its function, role, log group and route. */
export interface DataApiStore {
  readonly spec: DataStore;
  /** The store's own database secret (aurora stores without `secretArn`). @default none */
  readonly databaseSecret?: SecretsmanagerSecret;
  readonly config: StoreConfig;
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly route: Apigatewayv2Route;
  readonly functionName: string;
}

/** The JSON access-log line: request id, caller, route, status, latency and any integration error. */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  sourceIp: "$context.identity.sourceIp",
  caller: "$context.identity.caller",
  requestTime: "$context.requestTime",
  httpMethod: "$context.httpMethod",
  routeKey: "$context.routeKey",
  path: "$context.path",
  status: "$context.status",
  responseLength: "$context.responseLength",
  responseLatency: "$context.responseLatency",
  integrationLatency: "$context.integrationLatency",
  integrationStatus: "$context.integrationStatus",
  integrationError: "$context.integrationErrorMessage",
  error: "$context.error.message",
});

function fail(message: string): never {
  throw new Error(`DataApi: ${message}`);
}

const checkInteger = (what: string, value: number, min: number, max: number) => {
  if (!Number.isInteger(value) || value < min || value > max) fail(`${what} must be a whole number from ${min} to ${max}, got ${value}`);
};

/**
 * The data API: an API Gateway HTTP API (`$default` stage, auto-deployed, default and per-route
 * throttling, JSON access logs) in front of one Lambda function per data store, each with its own
 * least-privilege role, log group and route `ANY /<store>/{proxy+}`, authorized by IAM (SigV4) or
 * a JWT authorizer. Every function runs the same handler (bundled at synthesis like the pipeline's,
 * arm64, X-Ray, reserved concurrency) and learns its store from `STORE_CONFIG`.
 */
export class DataApi extends Construct {
  readonly api: Apigatewayv2Api;
  readonly stage: Apigatewayv2Stage;
  readonly accessLogGroup: CloudwatchLogGroup;
  readonly authorizer?: Apigatewayv2Authorizer;
  /** Store name -> what was built for it, in props order. */
  readonly stores: ReadonlyMap<string, DataApiStore>;
  readonly apiId: string;
  /** `https://<id>.execute-api.<region>.amazonaws.com` (the `$default` stage is at the root). */
  readonly apiEndpoint: string;
  /** `arn:aws:execute-api:<region>:<account>:<id>`: `execute-api:Invoke` resources start with it. */
  readonly executionArn: string;
  readonly authorizationType: "AWS_IAM" | "JWT";

  constructor(scope: Construct, id: string, props: DataApiProps) {
    super(scope, id);
    const { naming, region, accountId } = props;
    if (props.stores.length === 0) fail("stores must list at least one data store");
    const names = new Set<string>();
    for (const s of props.stores) {
      if (!/^[a-z][a-z0-9-]{0,30}$/.test(s.name)) fail(`store name "${s.name}" must be 1-31 lower-case letters, digits and "-", starting with a letter`);
      if (names.has(s.name)) fail(`two stores are named "${s.name}"`);
      names.add(s.name);
      if (s.kind === "http" && !s.baseUrl.startsWith("https://")) fail(`store ${s.name}: baseUrl must be https://, got ${s.baseUrl}`);
      if (s.kind === "s3" && !/^[a-z0-9][a-z0-9/_-]*[a-z0-9]$/.test(s.prefix)) fail(`store ${s.name}: prefix "${s.prefix}" must have no leading or trailing "/"`);
      checkInteger(`store ${s.name}: reservedConcurrency`, s.reservedConcurrency ?? 5, 1, 1000);
      checkInteger(`store ${s.name}: memoryMb`, s.memoryMb ?? 256, 128, 10240);
      checkInteger(`store ${s.name}: timeoutSeconds`, s.timeoutSeconds ?? 10, 1, 29);
    }
    const retention = props.logRetentionDays ?? 365;
    if (!(LOG_RETENTION_DAYS as readonly number[]).includes(retention)) fail(`logRetentionDays must be a CloudWatch retention period, got ${retention}`);
    const authorization = props.authorization ?? { type: "iam" };
    if (authorization.type === "jwt" && (!authorization.issuer.startsWith("https://") || authorization.audiences.length === 0)) {
      fail("a JWT authorizer needs an https:// issuer and at least one audience");
    }
    const throttling = props.throttling ?? { rateLimit: 50, burstLimit: 100 };

    const apiName = physicalName(naming, "data-api");
    this.api = new Apigatewayv2Api(this, "api", {
      name: apiName,
      protocolType: "HTTP",
      description: `Data API of ${physicalName(naming, "")}: one route and Lambda function per data store`,
    });
    this.apiId = this.api.id;
    this.apiEndpoint = this.api.apiEndpoint;
    this.executionArn = this.api.executionArn;

    this.accessLogGroup = new CloudwatchLogGroup(this, "access-logs", {
      name: `/aws/apigateway/${apiName}/access`,
      retentionInDays: retention,
    });

    if (authorization.type === "jwt") {
      this.authorizer = new Apigatewayv2Authorizer(this, "jwt", {
        apiId: this.api.id,
        name: "jwt",
        authorizerType: "JWT",
        identitySources: ["$request.header.Authorization"],
        jwtConfiguration: { issuer: authorization.issuer, audience: [...authorization.audiences] },
      });
    }
    this.authorizationType = authorization.type === "jwt" ? "JWT" : "AWS_IAM";

    const bundle = lambdaBundle({ entry: props.handlerEntry ?? DATA_API_HANDLER_ENTRY, label: "data-api" });
    const code = new TerraformAsset(this, "function-code", { path: bundle.packagePath, type: AssetType.FILE, assetHash: bundle.sha256 });

    const built = new Map<string, DataApiStore>();
    for (const given of props.stores) {
      let spec = given;
      let databaseSecret: SecretsmanagerSecret | undefined;
      if (given.kind === "aurora" && given.secretArn === undefined) {
        databaseSecret = new SecretsmanagerSecret(this, `${given.name}-database-secret`, {
          name: physicalName(naming, `data-api-${given.name}-db`, { maxLength: NAME_LIMITS.secretsManagerSecret }),
          description: `Database credentials ({"username","password"}) of the ${given.name} data-API store: a role that may use only table ${given.table}; put out of band`,
        });
        spec = { ...given, secretArn: databaseSecret.arn };
      }
      const functionName = physicalName(naming, `data-api-${spec.name}`, { maxLength: NAME_LIMITS.lambdaFunction });
      const logGroup = new CloudwatchLogGroup(this, `${spec.name}-logs`, { name: `/aws/lambda/${functionName}`, retentionInDays: retention });
      const role = new IamRole(this, `${spec.name}-role`, {
        name: physicalName(naming, `data-api-${spec.name}`, { maxLength: NAME_LIMITS.iamRole }),
        description: `Role of the ${functionName} Lambda: its ${spec.kind} store only`,
        // Account-scoped (as the pipeline's function role): Lambda does not send aws:SourceArn when it assumes an execution role.
        assumeRolePolicy: serviceTrustPolicy("lambda.amazonaws.com", accountId),
      });
      const policy = new IamRolePolicy(this, `${spec.name}-policy`, {
        name: `data-api-${spec.name}`,
        role: role.id,
        policy: policyDocument([
          { Sid: "WriteLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logGroup.arn}:*` },
          // X-Ray has no resource-level permissions for these actions.
          { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], Resource: "*" },
          ...storeStatements(spec, region),
        ]),
      });
      const config = storeConfig(spec);
      const fn = new LambdaFunction(this, `${spec.name}-function`, {
        functionName,
        description: `Data API store ${spec.name} (${spec.kind}): ANY /${spec.name}/{proxy+}`,
        role: role.arn,
        filename: code.path,
        sourceCodeHash: bundle.packageSha256Base64,
        handler: "index.handler",
        runtime: LAMBDA_RUNTIME,
        architectures: ["arm64"],
        memorySize: spec.memoryMb ?? 256,
        timeout: spec.timeoutSeconds ?? 10,
        reservedConcurrentExecutions: spec.reservedConcurrency ?? 5,
        tracingConfig: { mode: "Active" },
        environment: { variables: { [STORE_CONFIG_ENV]: JSON.stringify(config) } },
        // The log group exists first (with its retention), and the role can act before the first invocation.
        dependsOn: [logGroup, policy],
      });
      const integration = new Apigatewayv2Integration(this, `${spec.name}-integration`, {
        apiId: this.api.id,
        integrationType: "AWS_PROXY",
        integrationUri: fn.arn,
        integrationMethod: "POST",
        payloadFormatVersion: "2.0",
        timeoutMilliseconds: Math.min(30000, (spec.timeoutSeconds ?? 10) * 1000 + 1000),
      });
      const routeKey = `ANY /${spec.name}/{proxy+}`;
      const route = new Apigatewayv2Route(this, `${spec.name}-route`, {
        apiId: this.api.id,
        routeKey,
        target: `integrations/${integration.id}`,
        authorizationType: this.authorizationType,
        authorizerId: this.authorizer?.id,
      });
      new LambdaPermission(this, `${spec.name}-invoke`, {
        statementId: "AllowDataApiRoute",
        action: "lambda:InvokeFunction",
        functionName: fn.functionName,
        principal: "apigateway.amazonaws.com",
        // This API, any stage and method, this store's paths only.
        sourceArn: `${this.api.executionArn}/*/*/${spec.name}/*`,
        sourceAccount: accountId,
      });
      built.set(spec.name, { spec, databaseSecret, config, function: fn, role, logGroup, route, functionName: fn.functionName });
    }
    this.stores = built;

    this.stage = new Apigatewayv2Stage(this, "stage", {
      apiId: this.api.id,
      name: "$default",
      autoDeploy: true,
      accessLogSettings: { destinationArn: this.accessLogGroup.arn, format: ACCESS_LOG_FORMAT },
      defaultRouteSettings: { throttlingRateLimit: throttling.rateLimit, throttlingBurstLimit: throttling.burstLimit },
      routeSettings: props.stores
        .filter((s) => s.throttling)
        .map((s) => ({ routeKey: `ANY /${s.name}/{proxy+}`, throttlingRateLimit: s.throttling!.rateLimit, throttlingBurstLimit: s.throttling!.burstLimit })),
      // Route settings name routes that must exist first.
      dependsOn: [...built.values()].map((s) => s.route),
    });
  }

  /**
   * The statement letting a caller (a task role) invoke every route of the API with SigV4 (IAM
   * authorization); with a JWT authorizer the token decides, and no IAM grant is needed.
   */
  invokeStatement(): PolicyStatement {
    return { Sid: "InvokeDataApi", Effect: "Allow", Action: "execute-api:Invoke", Resource: `${this.api.executionArn}/$default/*/*` };
  }
}

/** The handler's view of a store: what `STORE_CONFIG` holds. */
export function storeConfig(spec: DataStore): StoreConfig {
  switch (spec.kind) {
    case "aurora":
      if (!spec.secretArn) fail(`store ${spec.name}: no database secret`);
      return { kind: "aurora", name: spec.name, clusterArn: spec.clusterArn, secretArn: spec.secretArn, database: spec.database, table: spec.table };
    case "dynamodb":
      return { kind: "dynamodb", name: spec.name, tableName: spec.tableName, partitionKey: spec.partitionKey, ...(spec.sortKey ? { sortKey: spec.sortKey } : {}) };
    case "s3":
      return { kind: "s3", name: spec.name, bucket: spec.bucketName, prefix: spec.prefix };
    case "http":
      return {
        kind: "http",
        name: spec.name,
        baseUrl: spec.baseUrl,
        timeoutMs: spec.timeoutMs,
        ...(spec.apiKeySecretArn ? { apiKeySecretArn: spec.apiKeySecretArn } : {}),
        ...(spec.apiKeyHeader ? { apiKeyHeader: spec.apiKeyHeader } : {}),
      };
  }
}

/** Exactly what one store's function may do with its store. */
export function storeStatements(spec: DataStore, region: string): PolicyStatement[] {
  const decrypt = (sid: string, keyArn: string | undefined, service: string, actions: string[]): PolicyStatement[] =>
    keyArn ? [{ Sid: sid, Effect: "Allow", Action: actions, Resource: keyArn, Condition: { StringEquals: { "kms:ViaService": regionalServicePrincipal(service, region) } } }] : [];
  switch (spec.kind) {
    case "aurora":
      return [
        { Sid: "RunStatementsOnTheCluster", Effect: "Allow", Action: [...AURORA_STORE_ACTIONS], Resource: spec.clusterArn },
        { Sid: "ReadTheDatabaseSecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: spec.secretArn ?? fail(`store ${spec.name}: no database secret`) },
        ...decrypt("DecryptTheDatabaseSecret", spec.secretKmsKeyArn, "secretsmanager", ["kms:Decrypt"]),
      ];
    case "dynamodb":
      return [
        { Sid: "UseTheTable", Effect: "Allow", Action: [...DYNAMODB_STORE_ACTIONS], Resource: spec.tableArn },
        ...decrypt("UseTheTableKey", spec.kmsKeyArn, "dynamodb", ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]),
      ];
    case "s3":
      return [
        { Sid: "UseTheDocuments", Effect: "Allow", Action: [...S3_STORE_OBJECT_ACTIONS], Resource: `${spec.bucketArn}/${spec.prefix}/*` },
        { Sid: "ListTheDocuments", Effect: "Allow", Action: "s3:ListBucket", Resource: spec.bucketArn, Condition: { StringLike: { "s3:prefix": [`${spec.prefix}/`, `${spec.prefix}/*`] } } },
        ...decrypt("UseTheBucketKey", spec.kmsKeyArn, "s3", ["kms:Decrypt", "kms:GenerateDataKey"]),
      ];
    case "http":
      return spec.apiKeySecretArn ? [{ Sid: "ReadTheApiKey", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: spec.apiKeySecretArn }] : [];
  }
}

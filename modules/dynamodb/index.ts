import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { DynamodbTable } from "@cdktf/provider-aws/lib/dynamodb-table";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Lazy } from "cdktf";
import { Construct } from "constructs";
import { keyAdministrationStatement, partitionOf, policyDocument, regionalServicePrincipal, type PolicyStatement } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";

/** A key attribute: its name and DynamoDB scalar type. */
export interface TableKey {
  readonly name: string;
  /** `S` string, `N` number, `B` binary. */
  readonly type: "S" | "N" | "B";
}

/** A global secondary index. */
export interface TableIndex {
  readonly name: string;
  readonly partitionKey: TableKey;
  /** @default none */
  readonly sortKey?: TableKey;
  /** Attributes copied into the index. @default "ALL" */
  readonly projection?: "ALL" | "KEYS_ONLY";
}

/** Capacity units target tracking may set, from `min` to `max`. */
export interface CapacityRange {
  readonly min: number;
  readonly max: number;
}

/** Provisioned capacity of the table and of each index, scaled by target tracking. */
export interface ProvisionedBilling {
  readonly read: CapacityRange;
  readonly write: CapacityRange;
  /** Consumed / provisioned capacity the policies keep, percent (20-90). @default 70 */
  readonly targetUtilizationPercent?: number;
}

/** What a principal may do with the table: read, or read and write. */
export type TableAccess = "read" | "read-write";

/** Item actions of `read` access, on the table. */
export const TABLE_READ_ACTIONS = ["dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"] as const;
/** Item actions `read-write` adds, on the table. */
export const TABLE_WRITE_ACTIONS = ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"] as const;
/** The only actions that apply to an index. */
export const INDEX_ACTIONS = ["dynamodb:Query", "dynamodb:Scan"] as const;
/** What a principal needs of the table's customer-managed key, through DynamoDB only. */
export const TABLE_KEY_USE_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"] as const;

export interface DynamoTableProps {
  readonly naming: NameContext;
  readonly region: string;
  readonly accountId: string;
  /** Short name: the table is `<project>-<env>-<name>`. */
  readonly name: string;
  readonly partitionKey: TableKey;
  /** @default none */
  readonly sortKey?: TableKey;
  /** @default [] */
  readonly globalSecondaryIndexes?: readonly TableIndex[];
  /** Attribute holding each item's expiry (epoch seconds). @default none (no TTL) */
  readonly ttlAttribute?: string;
  /** Provisioned capacity with target-tracking autoscaling. @default none (on-demand) */
  readonly provisioned?: ProvisionedBilling;
  /** DynamoDB Streams view type. @default none (no stream) */
  readonly streamViewType?: "KEYS_ONLY" | "NEW_IMAGE" | "OLD_IMAGE" | "NEW_AND_OLD_IMAGES";
  /**
   * Encrypt with a customer-managed KMS key of the table's own. Its key policy lets the account
   * administer it, lets DynamoDB create the table's grant for the deployer, and lets exactly the
   * principals given to {@link DynamoTable.grant} use it, through DynamoDB only.
   * @default false (DynamoDB's AWS-owned key)
   */
  readonly customerManagedKey?: boolean;
  /** Days KMS waits before deleting the key once scheduled (7-30). @default 30 */
  readonly keyDeletionWindowDays?: number;
  /** Refuse to delete the table. @default true */
  readonly deletionProtection?: boolean;
}

function fail(message: string): never {
  throw new Error(`DynamoTable: ${message}`);
}

/**
 * One DynamoDB table: keys and global secondary indexes, TTL, on-demand or provisioned billing
 * (target tracking on the read and write capacity of the table and of each index), optional
 * stream, point-in-time recovery always on, deletion protection, and AWS-owned or customer-managed
 * encryption. {@link DynamoTable.grant} gives a role exactly the item actions of an access level on
 * the table and its indexes (and use of the key through DynamoDB).
 */
export class DynamoTable extends Construct {
  readonly table: DynamodbTable;
  readonly tableName: string;
  readonly tableArn: string;
  /** `<table ARN>/index/*`, or none without indexes. */
  readonly indexArns?: string;
  /** The stream's ARN. @default none */
  readonly streamArn?: string;
  readonly kmsKey?: KmsKey;
  readonly kmsKeyArn?: string;
  readonly partitionKey: TableKey;
  readonly sortKey?: TableKey;
  readonly autoscalingTargets: AppautoscalingTarget[] = [];
  /** Role ARNs allowed to use the key (see {@link grant}), in grant order. */
  private readonly keyUsers: string[] = [];
  private readonly region: string;

  constructor(scope: Construct, id: string, props: DynamoTableProps) {
    super(scope, id);
    const { naming, region, accountId } = props;
    this.region = region;
    const partition = partitionOf(region);
    const indexes = props.globalSecondaryIndexes ?? [];
    this.partitionKey = props.partitionKey;
    this.sortKey = props.sortKey;

    // Attribute definitions: every key attribute once, with one type.
    const attributes = new Map<string, string>();
    const declare = (key: TableKey | undefined, where: string) => {
      if (!key) return;
      const earlier = attributes.get(key.name);
      if (earlier !== undefined && earlier !== key.type) fail(`${where} declares "${key.name}" as ${key.type}, elsewhere it is ${earlier}`);
      attributes.set(key.name, key.type);
    };
    declare(props.partitionKey, "partitionKey");
    declare(props.sortKey, "sortKey");
    for (const gsi of indexes) {
      declare(gsi.partitionKey, `index ${gsi.name}`);
      declare(gsi.sortKey, `index ${gsi.name}`);
    }
    if (new Set(indexes.map((i) => i.name)).size !== indexes.length) fail("two global secondary indexes have the same name");
    const billing = props.provisioned;
    if (billing) {
      for (const [dimension, range] of Object.entries({ read: billing.read, write: billing.write })) {
        if (!Number.isInteger(range.min) || range.min < 1 || range.max < range.min) fail(`provisioned.${dimension} needs 1 <= min <= max, got ${range.min}-${range.max}`);
      }
    }
    const target = billing?.targetUtilizationPercent ?? 70;
    if (target < 20 || target > 90) fail(`targetUtilizationPercent must be 20-90, got ${target}`);

    this.tableName = physicalName(naming, props.name, { maxLength: NAME_LIMITS.dynamodbTable });

    if (props.customerManagedKey) {
      const window = props.keyDeletionWindowDays ?? 30;
      if (window < 7 || window > 30) fail(`keyDeletionWindowDays must be 7-30, got ${window}`);
      const viaDynamoDb = { "kms:ViaService": regionalServicePrincipal("dynamodb", region), "kms:CallerAccount": accountId };
      this.kmsKey = new KmsKey(this, "key", {
        description: `Encrypts the ${this.tableName} DynamoDB table`,
        enableKeyRotation: true,
        deletionWindowInDays: window,
        // Rendered at synthesis, so it names every role granted after construction.
        policy: Lazy.stringValue({
          produce: () => {
            const statements: PolicyStatement[] = [
              keyAdministrationStatement(partition, accountId),
              {
                // Whoever creates or updates the table (the deployer, through its IAM policy): DynamoDB
                // describes the key and creates the grant it encrypts with.
                Sid: "AllowTableManagementThroughDynamoDb",
                Effect: "Allow",
                Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
                Action: ["kms:CreateGrant", "kms:DescribeKey"],
                Resource: "*",
                Condition: { StringEquals: viaDynamoDb, Bool: { "kms:GrantIsForAWSResource": "true" } },
              },
              {
                Sid: "AllowDynamoDbToDescribeTheKey",
                Effect: "Allow",
                Principal: { Service: "dynamodb.amazonaws.com" },
                Action: ["kms:DescribeKey"],
                Resource: "*",
              },
            ];
            if (this.keyUsers.length > 0) {
              statements.push({
                Sid: "AllowGrantedRolesThroughDynamoDb",
                Effect: "Allow",
                Principal: { AWS: [...this.keyUsers] },
                Action: [...TABLE_KEY_USE_ACTIONS],
                Resource: "*",
                Condition: { StringEquals: viaDynamoDb },
              });
            }
            return policyDocument(statements);
          },
        }),
      });
      this.kmsKeyArn = this.kmsKey.arn;
      new KmsAlias(this, "key-alias", { name: `alias/${this.tableName}`, targetKeyId: this.kmsKey.keyId });
    }

    this.table = new DynamodbTable(this, "table", {
      name: this.tableName,
      billingMode: billing ? "PROVISIONED" : "PAY_PER_REQUEST",
      ...(billing ? { readCapacity: billing.read.min, writeCapacity: billing.write.min } : {}),
      hashKey: props.partitionKey.name,
      rangeKey: props.sortKey?.name,
      attribute: [...attributes.entries()].map(([name, type]) => ({ name, type })),
      globalSecondaryIndex: indexes.map((gsi) => ({
        name: gsi.name,
        hashKey: gsi.partitionKey.name,
        rangeKey: gsi.sortKey?.name,
        projectionType: gsi.projection ?? "ALL",
        ...(billing ? { readCapacity: billing.read.min, writeCapacity: billing.write.min } : {}),
      })),
      ttl: props.ttlAttribute ? { enabled: true, attributeName: props.ttlAttribute } : undefined,
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: this.kmsKey ? { enabled: true, kmsKeyArn: this.kmsKey.arn } : undefined,
      streamEnabled: props.streamViewType ? true : undefined,
      streamViewType: props.streamViewType,
      deletionProtectionEnabled: props.deletionProtection ?? true,
      // Target tracking owns the table's capacity once created, and its indexes' too: the provider
      // cannot ignore one attribute of an index, so the index blocks are ignored whole (changing an
      // index then takes an apply with this line lifted; README "DynamoDB tables").
      lifecycle: billing ? { ignoreChanges: ["read_capacity", "write_capacity", ...(indexes.length > 0 ? ["global_secondary_index"] : [])] } : undefined,
    });
    this.tableArn = this.table.arn;
    this.indexArns = indexes.length > 0 ? `${this.table.arn}/index/*` : undefined;
    this.streamArn = props.streamViewType ? this.table.streamArn : undefined;

    if (billing) {
      const scaled = [
        { id: "table", resourceId: `table/${this.tableName}`, kind: "table" },
        ...indexes.map((gsi) => ({ id: `index-${gsi.name}`, resourceId: `table/${this.tableName}/index/${gsi.name}`, kind: "index" })),
      ];
      for (const s of scaled) {
        for (const [dimension, range, metric] of [
          ["read", billing.read, "DynamoDBReadCapacityUtilization"],
          ["write", billing.write, "DynamoDBWriteCapacityUtilization"],
        ] as const) {
          const unit = dimension === "read" ? "ReadCapacityUnits" : "WriteCapacityUnits";
          const scalingTarget = new AppautoscalingTarget(this, `${s.id}-${dimension}-target`, {
            serviceNamespace: "dynamodb",
            scalableDimension: `dynamodb:${s.kind}:${unit}`,
            resourceId: s.resourceId,
            minCapacity: range.min,
            maxCapacity: range.max,
            dependsOn: [this.table],
          });
          this.autoscalingTargets.push(scalingTarget);
          new AppautoscalingPolicy(this, `${s.id}-${dimension}-policy`, {
            name: physicalName(naming, `${props.name}-${s.id === "table" ? "" : `${s.id}-`}${dimension}`, { maxLength: 255 }),
            policyType: "TargetTrackingScaling",
            serviceNamespace: scalingTarget.serviceNamespace,
            scalableDimension: scalingTarget.scalableDimension,
            resourceId: scalingTarget.resourceId,
            targetTrackingScalingPolicyConfiguration: {
              predefinedMetricSpecification: { predefinedMetricType: metric },
              targetValue: target,
            },
          });
        }
      }
    }
  }

  /**
   * Names `roleArn` in the key policy's statement for the table's users (through DynamoDB only), for a
   * role whose own policy grants it use of the key. Nothing without a customer-managed key.
   */
  allowKeyUse(roleArn: string): void {
    if (this.kmsKey && !this.keyUsers.includes(roleArn)) this.keyUsers.push(roleArn);
  }

  /**
   * The statements that give a principal `access` to the table: exactly the item actions of that
   * level on the table, `Query` and `Scan` on its indexes, and, with a customer-managed key, use of
   * the key through DynamoDB. Also adds `roleArn` to the key policy. Attach the statements to that role.
   */
  grant(roleArn: string, access: TableAccess): PolicyStatement[] {
    const sid = this.tableName.replace(/[^A-Za-z0-9]/g, "");
    const actions = access === "read" ? [...TABLE_READ_ACTIONS] : [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS].sort();
    const statements: PolicyStatement[] = [{ Sid: `${access === "read" ? "Read" : "ReadWrite"}${sid}`, Effect: "Allow", Action: actions, Resource: this.tableArn }];
    if (this.indexArns) statements.push({ Sid: `QueryIndexesOf${sid}`, Effect: "Allow", Action: [...INDEX_ACTIONS], Resource: this.indexArns });
    if (this.kmsKey) {
      this.allowKeyUse(roleArn);
      statements.push({
        Sid: `UseKeyOf${sid}`,
        Effect: "Allow",
        Action: [...TABLE_KEY_USE_ACTIONS],
        Resource: this.kmsKey.arn,
        Condition: { StringEquals: { "kms:ViaService": regionalServicePrincipal("dynamodb", this.region) } },
      });
    }
    return statements;
  }
}

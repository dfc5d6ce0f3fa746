import { DynamoTable } from "../../modules/dynamodb";
import { suppressPolicy } from "../aspects/policy";
import type { EnvironmentConfig } from "../config/schema";
import type { TierContext } from "./context";

/** The config slice the tables tier reads. */
export interface TablesTierProps {
  /** `tables`: keys, indexes, TTL, billing, stream and encryption of each DynamoDB table. */
  readonly tables: EnvironmentConfig["tables"];
}

const OWNER = "TablesTier";

/**
 * Tables: one DynamoDB table per `tables[]` entry (modules/dynamodb), point-in-time recovery on,
 * deletion protection on in production (or as configured), target tracking for provisioned ones.
 * The services tier grants each service exactly its declared access with {@link TablesTier.table};
 * the operations tier adds the tables to AWS Backup. Registers each table with the monitoring.
 * Outputs: `dynamodb_tables`.
 */
export class TablesTier {
  /** Table name (as configured) -> the table, in config order. */
  readonly tables: ReadonlyMap<string, DynamoTable>;

  constructor(ctx: TierContext, props: TablesTierProps) {
    const built = new Map<string, DynamoTable>();
    for (const spec of props.tables) {
      const key = (name: string) => ({ name, type: spec.attributes[name] });
      const table = new DynamoTable(ctx.scope, `table-${spec.name}`, {
        naming: ctx.naming,
        region: ctx.region,
        accountId: ctx.accountId,
        name: spec.name,
        partitionKey: key(spec.partitionKey),
        sortKey: spec.sortKey !== undefined ? key(spec.sortKey) : undefined,
        globalSecondaryIndexes: spec.globalSecondaryIndexes.map((gsi) => ({
          name: gsi.name,
          partitionKey: key(gsi.partitionKey),
          sortKey: gsi.sortKey !== undefined ? key(gsi.sortKey) : undefined,
          projection: gsi.projection,
        })),
        ttlAttribute: spec.ttlAttribute,
        provisioned: spec.billing.mode === "provisioned" ? spec.billing : undefined,
        streamViewType: spec.stream,
        customerManagedKey: spec.encryption === "customer-managed",
        deletionProtection: spec.deletionProtection ?? ctx.stage === "production",
      });
      if (spec.encryption === "aws-owned") {
        suppressPolicy(table.table, "CKV_AWS_119", `${ctx.configFile}: tables[${spec.name}].encryption is "aws-owned" (encrypted at rest with DynamoDB's AWS-owned key; "customer-managed" for a key of its own)`);
      }
      ctx.monitoring.addTable(OWNER, { name: spec.name, tableName: table.tableName });
      built.set(spec.name, table);
    }
    this.tables = built;
    if (built.size > 0) {
      ctx.output(
        OWNER,
        "dynamodb_tables",
        Object.fromEntries(
          [...built].map(([name, t]) => [name, { table_name: t.tableName, table_arn: t.tableArn, ...(t.streamArn ? { stream_arn: t.streamArn } : {}), ...(t.kmsKeyArn ? { kms_key_arn: t.kmsKeyArn } : {}) }]),
        ),
        "DynamoDB tables by name: table name and ARN, stream and key when present",
      );
    }
  }

  /** The table configured as `name`; the schema refuses references to unknown tables. */
  table(name: string): DynamoTable {
    const table = this.tables.get(name);
    if (!table) throw new Error(`${OWNER}: "${name}" is not in tables (the schema refuses unknown tables)`);
    return table;
  }

  /** ARNs of every table, for AWS Backup. */
  get tableArns(): string[] {
    return [...this.tables.values()].map((t) => t.tableArn);
  }
}

/**
 * A test double of the RDS Data API that executes each `ExecuteStatement` on a real PostgreSQL server
 * with its parameters, and answers the way the Data API does:
 * - `:name` placeholders become `$n` (a name used twice is one parameter); a placeholder without a
 *   parameter, or a parameter no placeholder uses, is refused, as the Data API refuses it;
 * - parameter values: `stringValue`, `longValue`, `doubleValue`, `booleanValue`, `isNull` (a
 *   `typeHint` of JSON, UUID, DATE, TIME, TIMESTAMP or DECIMAL sends the string for the server to cast);
 * - result fields by column type: bool -> booleanValue; int2/int4/int8/oid -> longValue;
 *   float4/float8 -> doubleValue; numeric, json, jsonb, text, timestamps and the rest -> stringValue;
 *   SQL NULL -> isNull. Rows come in `records` when the statement returns columns; otherwise
 *   `numberOfRecordsUpdated` holds the row count.
 * - a server error is a `BadRequestException` (the Data API's answer to a failing statement).
 */
import { BadRequestException, type ExecuteStatementCommandInput, type ExecuteStatementCommandOutput, type Field } from "@aws-sdk/client-rds-data";
import type { Client } from "pg";

/** Every statement the double ran, with its parameters as sent to PostgreSQL. */
export interface ExecutedStatement {
  readonly sql: string;
  readonly text: string;
  readonly values: unknown[];
}

const PLACEHOLDER = /(?<!:):([A-Za-z_][A-Za-z0-9_]*)/g;

function toPositional(sql: string, parameters: NonNullable<ExecuteStatementCommandInput["parameters"]>) {
  const byName = new Map(parameters.map((p) => [p.name ?? "", p]));
  const order: string[] = [];
  const text = sql.replace(PLACEHOLDER, (_match, name: string) => {
    if (!byName.has(name)) throw badRequest(`No value specified for parameter: ${name}`);
    let index = order.indexOf(name);
    if (index < 0) index = order.push(name) - 1;
    return `$${index + 1}`;
  });
  const unused = [...byName.keys()].filter((name) => !order.includes(name));
  if (unused.length > 0) throw badRequest(`Parameters not used in the statement: ${unused.join(", ")}`);
  const values = order.map((name) => {
    const value = (byName.get(name)!.value ?? {}) as {
      isNull?: boolean;
      stringValue?: string;
      longValue?: number;
      doubleValue?: number;
      booleanValue?: boolean;
      blobValue?: Uint8Array;
    };
    if (value.isNull) return null;
    if (value.stringValue !== undefined) return value.stringValue;
    if (value.longValue !== undefined) return String(value.longValue);
    if (value.doubleValue !== undefined) return value.doubleValue;
    if (value.booleanValue !== undefined) return value.booleanValue;
    if (value.blobValue !== undefined) return Buffer.from(value.blobValue);
    throw badRequest(`Unsupported value for parameter: ${name}`);
  });
  return { text, values };
}

function badRequest(message: string): BadRequestException {
  return new BadRequestException({ message, $metadata: { httpStatusCode: 400 } });
}

const LONG = new Set([20, 21, 23, 26]);
const DOUBLE = new Set([700, 701]);
const BOOL = 16;

function field(value: string | null, typeId: number): Field {
  if (value === null) return { isNull: true };
  if (typeId === BOOL) return { booleanValue: value === "t" };
  if (LONG.has(typeId)) return { longValue: Number(value) };
  if (DOUBLE.has(typeId)) return { doubleValue: Number(value) };
  return { stringValue: value };
}

/**
 * Runs Data API requests on `client` (connected with every type parser returning the server's text,
 * see {@link TEXT_TYPES}). `log`, when given, receives each statement.
 */
export function dataApiOnPostgres(client: Client, log?: ExecutedStatement[]) {
  return async (input: ExecuteStatementCommandInput): Promise<ExecuteStatementCommandOutput> => {
    if (!input.sql || !input.resourceArn || !input.secretArn) throw badRequest("sql, resourceArn and secretArn are required");
    const { text, values } = toPositional(input.sql, input.parameters ?? []);
    log?.push({ sql: input.sql, text, values });
    let result;
    try {
      result = await client.query({ text, values, rowMode: "array" });
    } catch (error) {
      throw badRequest(`ERROR: ${(error as Error).message}`);
    }
    const output: ExecuteStatementCommandOutput = { $metadata: { httpStatusCode: 200 }, numberOfRecordsUpdated: result.command === "SELECT" ? 0 : (result.rowCount ?? 0) };
    if (result.fields.length > 0) {
      output.records = (result.rows as (string | null)[][]).map((row) => row.map((value, i) => field(value, result.fields[i].dataTypeID)));
    }
    return output;
  };
}

/** `pg` client `types` option that keeps every value as the server's text (the double maps types itself). */
export const TEXT_TYPES = { getTypeParser: () => (value: string) => value };

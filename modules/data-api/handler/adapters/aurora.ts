/**
 * `aurora` adapter: one SQL table reached through the RDS Data API (Aurora PostgreSQL with the HTTP
 * endpoint enabled). Every statement is a constant string with `:name` parameters; request values only
 * ever travel as parameters. The table name comes from the store config (validated as an identifier)
 * and is quoted; it is the only part of a statement not fixed at build time.
 *
 * Versions are a bigint counter starting at 1, incremented by every write.
 */
import { ExecuteStatementCommand, type Field, type RDSDataClient, type SqlParameter } from "@aws-sdk/client-rds-data";
import { z } from "zod";
import type { StoreConfig } from "../config";
import { awsErrorName, ConflictError, InvalidInputError, NotFoundError, UnavailableError } from "../errors";
import type { DeleteOptions, Item, ItemData, Page, PutMode, QueryRequest, Repository } from "../repository";

export type AuroraStoreConfig = Extract<StoreConfig, { kind: "aurora" }>;

/**
 * The table the adapter expects, created by the application's migrations (the function's role has
 * Data API access, not DDL rights it does not need). `id` orders listings (keyset pagination).
 */
export function auroraTableDdl(table: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) {
    throw new Error(`aurora store: table ${JSON.stringify(table)} is not a lower-case SQL identifier`);
  }
  return [
    `CREATE TABLE IF NOT EXISTS "${table}" (`,
    "  id         text        PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 256),",
    "  data       jsonb       NOT NULL CHECK (jsonb_typeof(data) = 'object'),",
    "  version    bigint      NOT NULL DEFAULT 1,",
    "  created_at timestamptz NOT NULL DEFAULT now(),",
    "  updated_at timestamptz NOT NULL DEFAULT now()",
    ");",
  ].join("\n");
}

/** The DDL for a table named `items`, as documented. */
export const AURORA_TABLE_DDL = auroraTableDdl("items");

/** The statements the adapter sends, for a table name; exported so tests can list them. */
export function auroraStatements(table: string) {
  const t = `"${table}"`;
  const columns = "id, data, version";
  return {
    get: `SELECT ${columns} FROM ${t} WHERE id = :id`,
    create: `INSERT INTO ${t} (id, data) VALUES (:id, CAST(:data AS jsonb)) ON CONFLICT (id) DO NOTHING RETURNING ${columns}`,
    upsert:
      `INSERT INTO ${t} AS cur (id, data) VALUES (:id, CAST(:data AS jsonb)) ` +
      `ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, version = cur.version + 1, updated_at = now() RETURNING ${columns}`,
    update:
      `UPDATE ${t} SET data = CAST(:data AS jsonb), version = version + 1, updated_at = now() ` +
      `WHERE id = :id AND version = :expected RETURNING ${columns}`,
    delete: `DELETE FROM ${t} WHERE id = :id RETURNING version`,
    deleteVersion: `DELETE FROM ${t} WHERE id = :id AND version = :expected RETURNING version`,
    firstPage: `SELECT ${columns} FROM ${t} ORDER BY id LIMIT :limit`,
    nextPage: `SELECT ${columns} FROM ${t} WHERE id > :after ORDER BY id LIMIT :limit`,
  } as const;
}

/** `Retry-After` while a paused cluster resumes. */
const RESUME_RETRY_SECONDS = 15;

const cursorSchema = z.object({ after: z.string().min(1).max(256) }).strict();
type AuroraCursor = z.infer<typeof cursorSchema>;

const str = (name: string, value: string): SqlParameter => ({ name, value: { stringValue: value } });
const long = (name: string, value: number): SqlParameter => ({ name, value: { longValue: value } });
const json = (name: string, value: ItemData): SqlParameter => ({ name, value: { stringValue: JSON.stringify(value) }, typeHint: "JSON" });

/** A version from a request: a positive integer counter. */
function expectedVersion(version: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(version)) {
    // Not a version this store ever issued: it cannot match.
    throw new InvalidInputError([{ path: "header.if-match", message: "is not a version of this store (a positive integer)" }]);
  }
  return Number(version);
}

/** Reads one `id, data, version` row as the Data API returns it (bigint as longValue, jsonb as stringValue). */
function rowToItem(row: Field[]): Item {
  const [id, data, version] = row;
  if (id?.stringValue === undefined || data?.stringValue === undefined || version?.longValue === undefined) {
    throw new Error("aurora store: unexpected row shape");
  }
  return { id: id.stringValue, data: JSON.parse(data.stringValue) as ItemData, version: String(version.longValue) };
}

export function createAuroraRepository(config: AuroraStoreConfig, client: Pick<RDSDataClient, "send">): Repository<AuroraCursor> {
  const sql = auroraStatements(config.table);

  async function run(statement: string, parameters: SqlParameter[]): Promise<Field[][]> {
    let output;
    try {
      output = await client.send(
        new ExecuteStatementCommand({
          resourceArn: config.clusterArn,
          secretArn: config.secretArn,
          database: config.database,
          sql: statement,
          parameters,
        }),
      );
    } catch (error) {
      // A Serverless v2 cluster paused at 0 ACUs answers this while it resumes (seconds).
      if (awsErrorName(error) === "DatabaseResumingException") throw new UnavailableError("the database is resuming", RESUME_RETRY_SECONDS);
      if (awsErrorName(error) === "DatabaseUnavailableException") throw new UnavailableError("the database is unavailable");
      throw error;
    }
    return output.records ?? [];
  }

  async function exists(id: string): Promise<boolean> {
    return (await run(sql.get, [str("id", id)])).length > 0;
  }

  return {
    kind: "aurora",
    hasSortKey: false,
    cursorSchema,

    async get({ id }) {
      const rows = await run(sql.get, [str("id", id)]);
      return rows.length > 0 ? rowToItem(rows[0]) : undefined;
    },

    async put({ id }, data, mode: PutMode) {
      if (mode.mode === "create") {
        const rows = await run(sql.create, [str("id", id), json("data", data)]);
        if (rows.length === 0) throw new ConflictError("an item with this id exists");
        return rowToItem(rows[0]);
      }
      if (mode.expectedVersion === undefined) {
        return rowToItem((await run(sql.upsert, [str("id", id), json("data", data)]))[0]);
      }
      const rows = await run(sql.update, [str("id", id), json("data", data), long("expected", expectedVersion(mode.expectedVersion))]);
      if (rows.length > 0) return rowToItem(rows[0]);
      if (await exists(id)) throw new ConflictError("the item has another version");
      throw new NotFoundError();
    },

    async delete({ id }, options: DeleteOptions = {}) {
      if (options.expectedVersion === undefined) {
        if ((await run(sql.delete, [str("id", id)])).length === 0) throw new NotFoundError();
        return;
      }
      const rows = await run(sql.deleteVersion, [str("id", id), long("expected", expectedVersion(options.expectedVersion))]);
      if (rows.length > 0) return;
      if (await exists(id)) throw new ConflictError("the item has another version");
      throw new NotFoundError();
    },

    async query({ limit, cursor }: QueryRequest<AuroraCursor>): Promise<Page<AuroraCursor>> {
      // One row more than asked tells whether another page follows.
      const rows = cursor
        ? await run(sql.nextPage, [str("after", cursor.after), long("limit", limit + 1)])
        : await run(sql.firstPage, [long("limit", limit + 1)]);
      const items = rows.slice(0, limit).map(rowToItem);
      return rows.length > limit ? { items, cursor: { after: items[items.length - 1].id } } : { items };
    },
  };
}

/**
 * `dynamodb` adapter: one table. An item's attributes are its key attributes, the data's top-level
 * fields (so GSIs and other readers see plain attributes) and `version`, a number incremented by
 * every write. Writes are conditional:
 * - create: `attribute_not_exists(<partition key>)`;
 * - replace with an expected version: `#version = :expected`;
 * - replace without one: read the current version, then write on `#version = :current` (or
 *   `attribute_not_exists`), retried a few times when a concurrent writer wins.
 * Listings: a table with a sort key lists one partition (`partition` required) in sort-key order
 * with Query; a table without one is scanned (DynamoDB's order).
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { marshall, unmarshall } from "@aws-sdk/util-dynamodb";
import { z } from "zod";
import type { StoreConfig } from "../config";
import { awsErrorName, ConflictError, InvalidInputError, NotFoundError } from "../errors";
import type { Item, ItemData, ItemKey, Page, PutMode, QueryRequest, Repository } from "../repository";

export type DynamoStoreConfig = Extract<StoreConfig, { kind: "dynamodb" }>;

/** The attribute holding an item's version. */
export const VERSION_ATTRIBUTE = "version";
/** How often an unconditional replace re-reads and retries when a concurrent write wins. */
const REPLACE_ATTEMPTS = 3;

/**
 * JSON numbers are doubles: the request's number is stored as given and read back as a double, even
 * beyond 2^53 (where util-dynamodb would otherwise refuse to write or read it).
 */
const MARSHALL = { removeUndefinedValues: true, allowImpreciseNumbers: true } as const;
const UNMARSHALL = { wrapNumbers: (value: string) => Number(value) };

type KeyType = "S" | "N";
interface Condition {
  readonly expression: string;
  readonly names: Record<string, string>;
  readonly values?: Record<string, AttributeValue>;
}
type Cursor = Record<string, string | number>;

const NUMBER = /^-?(0|[1-9][0-9]{0,37})(\.[0-9]{1,38})?$/;

function keyValue(value: string, type: KeyType, path: string): string | number {
  if (type === "S") return value;
  if (!NUMBER.test(value)) throw new InvalidInputError([{ path, message: "must be a number (the key attribute is of type N)" }]);
  return Number(value);
}

export function createDynamoRepository(config: DynamoStoreConfig, client: Pick<DynamoDBClient, "send">): Repository<Cursor> {
  const pk = config.partitionKey;
  const sk = config.sortKey;
  const reserved = new Set([pk.name, ...(sk ? [sk.name] : []), VERSION_ATTRIBUTE]);

  const keyAttr = (type: KeyType) => (type === "S" ? z.string().min(1) : z.number());
  const cursorSchema: z.ZodType<Cursor> = z
    .object({ [pk.name]: keyAttr(pk.type), ...(sk && { [sk.name]: keyAttr(sk.type) }) })
    .strict() as unknown as z.ZodType<Cursor>;

  function keyOf({ id, sort }: ItemKey): Record<string, AttributeValue> {
    const key: Record<string, string | number> = { [pk.name]: keyValue(id, pk.type, "path.id") };
    if (sk) {
      if (sort === undefined) throw new InvalidInputError([{ path: "path.sort", message: "is required: this store's items are /items/{id}/{sort}" }]);
      key[sk.name] = keyValue(sort, sk.type, "path.sort");
    } else if (sort !== undefined) {
      throw new InvalidInputError([{ path: "path.sort", message: "is not allowed: this store's items are /items/{id}" }]);
    }
    return marshall(key);
  }

  function toItem(attributes: Record<string, AttributeValue>): Item {
    const { [pk.name]: id, [VERSION_ATTRIBUTE]: version, ...rest } = unmarshall(attributes, UNMARSHALL);
    const data: ItemData = { ...rest };
    let sort: string | undefined;
    if (sk) {
      sort = String(data[sk.name]);
      delete data[sk.name];
    }
    return { id: String(id), ...(sort !== undefined && { sort }), data, ...(version !== undefined && { version: String(version) }) };
  }

  function expected(version: string): number {
    if (!/^[1-9][0-9]{0,15}$/.test(version)) {
      throw new InvalidInputError([{ path: "header.if-match", message: "is not a version of this store (a positive integer)" }]);
    }
    return Number(version);
  }

  async function conditionalPut(key: Record<string, AttributeValue>, data: ItemData, version: number, condition: Condition) {
    const item = { ...marshall(data, MARSHALL), ...key, [VERSION_ATTRIBUTE]: { N: String(version) } };
    try {
      await client.send(
        new PutItemCommand({
          TableName: config.tableName,
          Item: item,
          ConditionExpression: condition.expression,
          ExpressionAttributeNames: condition.names,
          ...(condition.values && { ExpressionAttributeValues: condition.values }),
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return { ok: true as const, item: toItem(item) };
    } catch (error) {
      if (awsErrorName(error) !== "ConditionalCheckFailedException") throw error;
      return { ok: false as const, existed: (error as { Item?: unknown }).Item !== undefined };
    }
  }

  async function currentVersion(key: Record<string, AttributeValue>): Promise<number | undefined> {
    const output = await client.send(
      new GetItemCommand({
        TableName: config.tableName,
        Key: key,
        ConsistentRead: true,
        ProjectionExpression: "#version",
        ExpressionAttributeNames: { "#version": VERSION_ATTRIBUTE },
      }),
    );
    if (!output.Item) return undefined;
    const version = output.Item[VERSION_ATTRIBUTE]?.N;
    return version === undefined ? 0 : Number(version);
  }

  // DynamoDB refuses attribute names and values an expression does not use.
  const notExists: Condition = { expression: "attribute_not_exists(#pk)", names: { "#pk": pk.name } };
  const versionIs = (version: number): Condition => ({
    expression: "#version = :expected",
    names: { "#version": VERSION_ATTRIBUTE },
    values: { ":expected": { N: String(version) } },
  });

  /** The condition that the item is still as last read: absent, written without a version, or at `current`. */
  function conditionFor(current: number | undefined): Condition {
    if (current === undefined) return notExists;
    if (current === 0) {
      return { expression: "attribute_exists(#pk) AND attribute_not_exists(#version)", names: { "#pk": pk.name, "#version": VERSION_ATTRIBUTE } };
    }
    return versionIs(current);
  }

  return {
    kind: "dynamodb",
    hasSortKey: sk !== undefined,
    cursorSchema,

    async get(key) {
      const output = await client.send(new GetItemCommand({ TableName: config.tableName, Key: keyOf(key), ConsistentRead: true }));
      return output.Item ? toItem(output.Item) : undefined;
    },

    async put(itemKey, data, mode: PutMode) {
      const key = keyOf(itemKey);
      const clash = Object.keys(data).filter((name) => reserved.has(name));
      if (clash.length > 0) {
        throw new InvalidInputError(clash.map((name) => ({ path: `body.data.${name}`, message: "is a key or version attribute of this store" })));
      }
      if (mode.mode === "create") {
        const result = await conditionalPut(key, data, 1, notExists);
        if (!result.ok) throw new ConflictError("an item with this key exists");
        return result.item;
      }
      if (mode.expectedVersion !== undefined) {
        const version = expected(mode.expectedVersion);
        const result = await conditionalPut(key, data, version + 1, versionIs(version));
        if (result.ok) return result.item;
        if (result.existed) throw new ConflictError("the item has another version");
        throw new NotFoundError();
      }
      for (let attempt = 1; attempt <= REPLACE_ATTEMPTS; attempt++) {
        const current = await currentVersion(key);
        const result = await conditionalPut(key, data, (current ?? 0) + 1, conditionFor(current));
        if (result.ok) return result.item;
      }
      throw new ConflictError("the item kept changing; retry");
    },

    async delete(itemKey, options = {}) {
      const key = keyOf(itemKey);
      const version = options.expectedVersion === undefined ? undefined : expected(options.expectedVersion);
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: config.tableName,
            Key: key,
            ConditionExpression: version === undefined ? "attribute_exists(#pk)" : "attribute_exists(#pk) AND #version = :expected",
            ExpressionAttributeNames: { "#pk": pk.name, ...(version !== undefined && { "#version": VERSION_ATTRIBUTE }) },
            ...(version !== undefined && { ExpressionAttributeValues: { ":expected": { N: String(version) } } }),
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        );
      } catch (error) {
        if (awsErrorName(error) !== "ConditionalCheckFailedException") throw error;
        if ((error as { Item?: unknown }).Item !== undefined) throw new ConflictError("the item has another version");
        throw new NotFoundError();
      }
    },

    async query({ limit, cursor, partition }: QueryRequest<Cursor>): Promise<Page<Cursor>> {
      const start = cursor && { ExclusiveStartKey: marshall(cursor) };
      let output;
      if (sk) {
        if (partition === undefined) {
          throw new InvalidInputError([{ path: "query.partition", message: "is required: this store lists one partition at a time" }]);
        }
        const value = keyValue(partition, pk.type, "query.partition");
        if (cursor && cursor[pk.name] !== value) {
          throw new InvalidInputError([{ path: "query.next", message: "belongs to another listing (partition differs)" }]);
        }
        output = await client.send(
          new QueryCommand({
            TableName: config.tableName,
            KeyConditionExpression: "#pk = :pk",
            ExpressionAttributeNames: { "#pk": pk.name },
            ExpressionAttributeValues: marshall({ ":pk": value }),
            ScanIndexForward: true,
            Limit: limit,
            ...start,
          }),
        );
      } else {
        if (partition !== undefined) {
          throw new InvalidInputError([{ path: "query.partition", message: "is not allowed: this store has no sort key" }]);
        }
        output = await client.send(new ScanCommand({ TableName: config.tableName, Limit: limit, ...start }));
      }
      const items = (output.Items ?? []).map(toItem);
      const last = output.LastEvaluatedKey;
      return last ? { items, cursor: unmarshall(last, UNMARSHALL) as Cursor } : { items };
    },
  };
}

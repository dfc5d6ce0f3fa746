/**
 * The one repository interface every store kind implements. The HTTP layer (api.ts) speaks only to
 * this interface; an adapter (adapters/*.ts) maps it onto one backend.
 *
 * Semantics every adapter keeps:
 * - `get` resolves to `undefined` for a missing item (never throws {@link NotFoundError}).
 * - `put` with `mode: "create"` writes only when no item has the key, else {@link ConflictError}.
 * - `put` with `mode: "replace"` and an `expectedVersion` writes only when the stored item has that
 *   version: {@link NotFoundError} when there is no item, {@link ConflictError} when the version differs.
 *   Without `expectedVersion` it writes unconditionally (create or overwrite).
 * - `delete` raises {@link NotFoundError} for a missing item and {@link ConflictError} for a version
 *   mismatch when `expectedVersion` is given.
 * - `query` returns at most `limit` items in the store's order and a cursor when more may follow; the
 *   cursor is plain JSON that the adapter's `cursorSchema` accepts (api.ts wraps it in an opaque token).
 * - Every successful write returns the item as stored, with its new version.
 */
import type { z } from "zod";
import type { StoreKind } from "./config";
import type { ConflictError, NotFoundError } from "./errors";

/** An item's key: `id` (the partition key for DynamoDB) and, for DynamoDB tables with one, `sort`. */
export interface ItemKey {
  readonly id: string;
  readonly sort?: string;
}

/** The JSON object a store holds for a key. */
export type ItemData = Record<string, unknown>;

export interface Item extends ItemKey {
  readonly data: ItemData;
  /**
   * Opaque version: a counter for aurora and dynamodb, the object ETag for s3, the response ETag for
   * http (absent when the external service sends none). Changes on every write.
   */
  readonly version?: string;
}

export type PutMode = { readonly mode: "create" } | { readonly mode: "replace"; readonly expectedVersion?: string };

export interface DeleteOptions {
  readonly expectedVersion?: string;
}

export interface QueryRequest<Cursor> {
  /** 1..{@link MAX_PAGE_SIZE}. */
  readonly limit: number;
  /** Where the previous page stopped. */
  readonly cursor?: Cursor;
  /** DynamoDB tables with a sort key: the partition to list (items come in sort-key order). */
  readonly partition?: string;
}

export interface Page<Cursor> {
  readonly items: readonly Item[];
  /** Present when another page may follow. */
  readonly cursor?: Cursor;
}

export interface Repository<Cursor = unknown> {
  readonly kind: StoreKind;
  /** Whether keys have a `sort` part (DynamoDB tables with a sort key). */
  readonly hasSortKey: boolean;
  /** Validates a decoded cursor: what a page token may carry for this store. */
  readonly cursorSchema: z.ZodType<Cursor>;
  get(key: ItemKey): Promise<Item | undefined>;
  put(key: ItemKey, data: ItemData, mode: PutMode): Promise<Item>;
  delete(key: ItemKey, options?: DeleteOptions): Promise<void>;
  query(request: QueryRequest<Cursor>): Promise<Page<Cursor>>;
}

/** Page size when the request gives none. */
export const DEFAULT_PAGE_SIZE = 25;
/** Largest page a request may ask for. */
export const MAX_PAGE_SIZE = 100;

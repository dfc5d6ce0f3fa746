/**
 * Page tokens: opaque to clients, validated on the way back in.
 *
 * Format: `base64url(payload) "." base64url(check)` where payload is the JSON
 * `{"v":1,"s":"<store>","p":"<partition>"?,"c":<adapter cursor>}` and check is the first 12 bytes of
 * SHA-256 over a fixed label, the store name and the payload. A token that does not decode, whose
 * check does not match (any edited byte), that names another store or partition, or whose cursor the
 * adapter's schema refuses, is a 400. The check is a checksum, not a signature: it catches edited and
 * truncated tokens; it need not stop a forged one, because a token only says where a listing resumes
 * and the caller may list the whole store anyway.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { InvalidInputError } from "./errors";

const VERSION = 1;
/** Longest token accepted (a DynamoDB key of two 1 KiB attributes fits well within it). */
export const MAX_TOKEN_LENGTH = 4096;
const LABEL = "data-api-page-token";

const payloadSchema = z
  .object({ v: z.literal(VERSION), s: z.string(), p: z.string().optional(), c: z.unknown() })
  .strict();

function check(store: string, payload: string): Buffer {
  return createHash("sha256").update(`${LABEL}\0${store}\0${payload}`).digest().subarray(0, 12);
}

/** Wraps an adapter cursor into a token for `store` (and `partition`, when the listing has one). */
export function encodePageToken(store: string, cursor: unknown, partition?: string): string {
  const payload = JSON.stringify({ v: VERSION, s: store, ...(partition !== undefined && { p: partition }), c: cursor });
  return `${Buffer.from(payload).toString("base64url")}.${check(store, payload).toString("base64url")}`;
}

const invalid = (message: string) => new InvalidInputError([{ path: "query.next", message }]);

/** Unwraps a token from `GET ...?next=`; throws {@link InvalidInputError} for anything but a token this store issued. */
export function decodePageToken<Cursor>(token: string, store: string, cursorSchema: z.ZodType<Cursor>, partition?: string): Cursor {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
    throw invalid("is not a page token");
  }
  const [body, sum] = token.split(".");
  const payload = Buffer.from(body, "base64url").toString("utf8");
  const expected = check(store, payload);
  const given = Buffer.from(sum, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw invalid("is not a page token of this store (altered or truncated)");
  }
  let json: unknown;
  try {
    json = JSON.parse(payload);
  } catch {
    throw invalid("is not a page token");
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success || parsed.data.s !== store) {
    throw invalid("is not a page token of this store");
  }
  if (parsed.data.p !== partition) {
    throw invalid("belongs to another listing (partition differs)");
  }
  const cursor = cursorSchema.safeParse(parsed.data.c);
  if (!cursor.success) {
    throw invalid("is not a page token of this store");
  }
  return cursor.data;
}

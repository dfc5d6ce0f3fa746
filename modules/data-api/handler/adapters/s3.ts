/**
 * `s3` adapter: one JSON document per item at `<prefix>/<id>.json` in a platform bucket, the body
 * `{"id": ..., "data": {...}}`. The version is the object's ETag. Writes use S3 conditional requests:
 * create sends `If-None-Match: *`, a replace or delete with an expected version sends `If-Match`.
 * Listings go through ListObjectsV2 in key order (`StartAfter` the last id) and read each document.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { z } from "zod";
import type { StoreConfig } from "../config";
import { awsErrorName, awsErrorStatus, ConflictError, NotFoundError } from "../errors";
import type { Item, ItemData, Page, PutMode, QueryRequest, Repository } from "../repository";

export type S3StoreConfig = Extract<StoreConfig, { kind: "s3" }>;

const SUFFIX = ".json";
/** `after`: the last listed key, relative to the prefix. */
const cursorSchema = z.object({ after: z.string().min(1).max(1024) }).strict();
type S3Cursor = z.infer<typeof cursorSchema>;

const stripQuotes = (etag: string | undefined) => etag?.replace(/^(W\/)?"|"$/g, "");
const quote = (version: string) => `"${version.replace(/"/g, "")}"`;

const isMissing = (error: unknown) => awsErrorName(error) === "NoSuchKey" || awsErrorName(error) === "NotFound" || awsErrorStatus(error) === 404;
/** 412 PreconditionFailed; 409 ConditionalRequestConflict is a concurrent conditional write. */
const isConditionFailed = (error: unknown) =>
  awsErrorName(error) === "PreconditionFailed" || awsErrorName(error) === "ConditionalRequestConflict" || awsErrorStatus(error) === 412;

const documentSchema = z.object({ id: z.string(), data: z.record(z.unknown()) });

export function createS3Repository(config: S3StoreConfig, client: Pick<S3Client, "send">): Repository<S3Cursor> {
  const keyOf = (id: string) => `${config.prefix}/${id}${SUFFIX}`;
  const listPrefix = `${config.prefix}/`;

  async function read(id: string): Promise<Item | undefined> {
    try {
      const output = await client.send(new GetObjectCommand({ Bucket: config.bucket, Key: keyOf(id) }));
      const text = (await output.Body?.transformToString("utf-8")) ?? "";
      const document = documentSchema.parse(JSON.parse(text));
      return { id, data: document.data, ...(output.ETag && { version: stripQuotes(output.ETag) }) };
    } catch (error) {
      // Deleted between listing and reading: not part of the page.
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  return {
    kind: "s3",
    hasSortKey: false,
    cursorSchema,

    get: ({ id }) => read(id),

    async put({ id }, data: ItemData, mode: PutMode) {
      const condition =
        mode.mode === "create" ? { IfNoneMatch: "*" } : mode.expectedVersion !== undefined ? { IfMatch: quote(mode.expectedVersion) } : {};
      try {
        const output = await client.send(
          new PutObjectCommand({
            Bucket: config.bucket,
            Key: keyOf(id),
            Body: JSON.stringify({ id, data }),
            ContentType: "application/json",
            ...condition,
          }),
        );
        return { id, data, ...(output.ETag && { version: stripQuotes(output.ETag) }) };
      } catch (error) {
        if (isConditionFailed(error)) {
          throw new ConflictError(mode.mode === "create" ? "an item with this id exists" : "the item has another version");
        }
        if (isMissing(error)) throw new NotFoundError();
        throw error;
      }
    },

    async delete({ id }, options = {}) {
      // S3 deletes a missing key without complaint: a HEAD first tells 404 apart.
      try {
        await client.send(new HeadObjectCommand({ Bucket: config.bucket, Key: keyOf(id) }));
      } catch (error) {
        if (isMissing(error)) throw new NotFoundError();
        throw error;
      }
      try {
        await client.send(
          new DeleteObjectCommand({
            Bucket: config.bucket,
            Key: keyOf(id),
            ...(options.expectedVersion !== undefined && { IfMatch: quote(options.expectedVersion) }),
          }),
        );
      } catch (error) {
        if (isConditionFailed(error)) throw new ConflictError("the item has another version");
        if (isMissing(error)) throw new NotFoundError();
        throw error;
      }
    },

    async query({ limit, cursor }: QueryRequest<S3Cursor>): Promise<Page<S3Cursor>> {
      const output = await client.send(
        new ListObjectsV2Command({
          Bucket: config.bucket,
          Prefix: listPrefix,
          MaxKeys: limit,
          ...(cursor && { StartAfter: listPrefix + cursor.after }),
        }),
      );
      const ids = (output.Contents ?? [])
        .map((object) => object.Key ?? "")
        .filter((key) => key.endsWith(SUFFIX) && !key.slice(listPrefix.length).includes("/"))
        .map((key) => key.slice(listPrefix.length, -SUFFIX.length));
      const items = (await Promise.all(ids.map(read))).filter((item): item is Item => item !== undefined);
      const lastKey = output.Contents?.[output.Contents.length - 1]?.Key;
      if (!output.IsTruncated || lastKey === undefined) return { items };
      return { items, cursor: { after: lastKey.slice(listPrefix.length) } };
    },
  };
}

import { z } from "zod";

/** One S3 object named by an event notification, with its key already decoded. */
export interface S3ObjectEvent {
  /** e.g. `ObjectCreated:Put`, `ObjectCreated:CompleteMultipartUpload`, `ObjectRemoved:Delete`. */
  readonly eventName: string;
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly eTag?: string;
  readonly size?: number;
}

/** What an SQS message body from an S3 event notification holds. */
export type ParsedBody =
  | { readonly kind: "test-event" }
  | { readonly kind: "objects"; readonly objects: readonly S3ObjectEvent[] };

/** The body is not an S3 event notification; the SQS message should be reported as failed. */
export class MalformedMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedMessageError";
  }
}

const s3RecordSchema = z.object({
  eventName: z.string().min(1),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      // Absent for some events (delete markers, removals); S3 may also send versionId as null.
      size: z.number().nonnegative().optional(),
      versionId: z.string().min(1).nullish(),
      eTag: z.string().min(1).nullish(),
    }),
  }),
});

const notificationSchema = z.object({ Records: z.array(s3RecordSchema).min(1) });

/**
 * Decodes an object key as S3 writes it in event notifications: form-URL-encoded, so `+` is a space
 * and everything else is percent-encoded UTF-8 (`my+file%20name.csv` is `my file name.csv`).
 */
export function decodeS3Key(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, " "));
}

/** Parses one SQS message body; throws {@link MalformedMessageError} when it is not an S3 notification. */
export function parseS3NotificationBody(body: string): ParsedBody {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new MalformedMessageError("message body is not JSON");
  }
  if (isTestEvent(json)) {
    return { kind: "test-event" };
  }
  const parsed = notificationSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    throw new MalformedMessageError(`message body is not an S3 event notification: ${where}: ${issue.message}`);
  }
  const objects = parsed.data.Records.map((record, index): S3ObjectEvent => {
    const { bucket, object } = record.s3;
    let key: string;
    try {
      key = decodeS3Key(object.key);
    } catch {
      throw new MalformedMessageError(`Records.${index}.s3.object.key: "${object.key}" is not valid percent-encoding`);
    }
    return {
      eventName: record.eventName,
      bucket: bucket.name,
      key,
      ...(object.versionId && { versionId: object.versionId }),
      ...(object.eTag && { eTag: object.eTag }),
      ...(object.size !== undefined && { size: object.size }),
    };
  });
  return { kind: "objects", objects };
}

/** S3 sends `{"Service":"Amazon S3","Event":"s3:TestEvent",...}` when a notification is configured. */
function isTestEvent(json: unknown): boolean {
  return typeof json === "object" && json !== null && (json as { Event?: unknown }).Event === "s3:TestEvent";
}

/** Only object creations start ingestion jobs. */
export function isObjectCreated(eventName: string): boolean {
  return eventName.startsWith("ObjectCreated:");
}

/**
 * Data ingestion Lambda: S3 upload -> S3 event notification -> SQS -> this handler -> one EMR
 * Serverless Spark job per uploaded object (the job loads the file into Aurora).
 *
 * Runs behind an SQS event source mapping with `ReportBatchItemFailures`: the response lists exactly
 * the messages that failed (malformed body, or StartJobRun threw) so only those are redelivered.
 * Redelivery is safe because every job run carries a client token derived from the upload.
 */
import { EMRServerlessClient, StartJobRunCommand } from "@aws-sdk/client-emr-serverless";
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { loadConfig, type HandlerConfig } from "./config";
import { buildStartJobRunInput } from "./job-run";
import { describeError, jsonLogger, type Logger } from "./log";
import { isObjectCreated, parseS3NotificationBody } from "./s3-events";

export { ConfigError, loadConfig, type HandlerConfig } from "./config";
export { buildStartJobRunInput, clientTokenFor, jobNameFor } from "./job-run";
export { decodeS3Key, MalformedMessageError, parseS3NotificationBody, type S3ObjectEvent } from "./s3-events";

export type IngestHandler = (event: SQSEvent, context?: Pick<Context, "awsRequestId">) => Promise<SQSBatchResponse>;

export interface HandlerDeps {
  readonly config: HandlerConfig;
  /** Anything with the client's `send`; the real `EMRServerlessClient` in production. */
  readonly client: Pick<EMRServerlessClient, "send">;
  readonly log?: Logger;
}

/** Longest part of a bad message body copied into the log. */
const BODY_EXCERPT_LENGTH = 200;

/** Builds the handler around explicit configuration and client (what the tests use). */
export function createHandler({ config, client, log = jsonLogger }: HandlerDeps): IngestHandler {
  /** Starts the jobs for one SQS message; resolves to whether the message succeeded. */
  async function processMessage(record: SQSRecord, requestId: string | undefined): Promise<boolean> {
    const base = { messageId: record.messageId, ...(requestId && { requestId }) };

    let parsed;
    try {
      parsed = parseS3NotificationBody(record.body);
    } catch (error) {
      log("error", "malformed message", {
        ...base,
        error: describeError(error),
        body: record.body.slice(0, BODY_EXCERPT_LENGTH),
      });
      return false;
    }
    if (parsed.kind === "test-event") {
      log("info", "ignored s3:TestEvent", base);
      return true;
    }

    let ok = true;
    // One message may name several objects. Each gets its own attempt: if one fails the whole message is
    // redelivered, and the client tokens keep the ones that did start from starting twice.
    for (const object of parsed.objects) {
      const fields = { ...base, eventName: object.eventName, bucket: object.bucket, key: object.key };
      if (!isObjectCreated(object.eventName)) {
        log("info", "skipped: not an object creation", fields);
        continue;
      }
      if (!config.keySuffixes.some((suffix) => object.key.endsWith(suffix))) {
        log("info", "skipped: key suffix not configured", { ...fields, keySuffixes: config.keySuffixes });
        continue;
      }
      try {
        const input = buildStartJobRunInput(config, object);
        const output = await client.send(new StartJobRunCommand(input));
        log("info", "started job run", {
          ...fields,
          ...(object.versionId && { versionId: object.versionId }),
          jobRunId: output.jobRunId,
          clientToken: input.clientToken,
        });
      } catch (error) {
        ok = false;
        log("error", "failed to start job run", { ...fields, error: describeError(error) });
      }
    }
    return ok;
  }

  return async (event, context) => {
    const requestId = context?.awsRequestId;
    const batchItemFailures: SQSBatchItemFailure[] = [];
    // Sequential on purpose: batches are small, and one StartJobRun at a time stays clear of API throttling.
    for (const record of event.Records) {
      if (!(await processMessage(record, requestId))) {
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    log("info", "batch done", {
      ...(requestId && { requestId }),
      messages: event.Records.length,
      failed: batchItemFailures.length,
    });
    return { batchItemFailures };
  };
}

// The Lambda entry point: configuration from the environment, validated on the first invocation and
// kept with the client for the life of the execution environment.
let cached: IngestHandler | undefined;

export const handler: IngestHandler = async (event, context) => {
  if (!cached) {
    let config: HandlerConfig;
    try {
      config = loadConfig(process.env);
    } catch (error) {
      // Failing the whole invocation keeps every message on the queue (and, in the end, in the DLQ).
      jsonLogger("error", "invalid configuration", { error: describeError(error) });
      throw error;
    }
    cached = createHandler({ config, client: new EMRServerlessClient({}) });
  }
  return cached(event, context);
};

/** Forgets the cached configuration and client so the next `handler` call reads the environment again. */
export function resetForTests(): void {
  cached = undefined;
}

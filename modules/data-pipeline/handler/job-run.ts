import { createHash } from "node:crypto";
import type { StartJobRunCommandInput } from "@aws-sdk/client-emr-serverless";
import type { HandlerConfig } from "./config";
import type { S3ObjectEvent } from "./s3-events";

/** StartJobRun limits: `name` is 1-256 characters, `clientToken` 1-64. */
export const MAX_JOB_NAME_LENGTH = 256;
export const MAX_CLIENT_TOKEN_LENGTH = 64;

/**
 * Idempotency token for one upload: SHA-256 (64 hex characters) of bucket, key and the object's
 * version id, or its ETag when the bucket is not versioned. An SQS redelivery of the same upload gives
 * the same token, so EMR Serverless returns the existing job run instead of starting another one.
 * The version id `"null"` (objects written while versioning is suspended) names no particular upload,
 * so it falls back to the ETag too.
 */
export function clientTokenFor(object: Pick<S3ObjectEvent, "bucket" | "key" | "versionId" | "eTag">): string {
  const versionId = object.versionId !== "null" ? object.versionId : undefined;
  const revision = versionId ? `version:${versionId}` : object.eTag ? `etag:${object.eTag}` : "";
  if (!revision) {
    throw new Error("the notification has neither a version id nor an ETag, so the upload cannot be identified");
  }
  // JSON keeps the parts unambiguous whatever characters the key holds.
  const identity = JSON.stringify([object.bucket, object.key, revision]);
  return createHash("sha256").update(identity, "utf8").digest("hex").slice(0, MAX_CLIENT_TOKEN_LENGTH);
}

/** Readable job run name: `ingest-<last path segment of the key>`, cut to the API's 256 characters. */
export function jobNameFor(key: string): string {
  const basename = key.slice(key.lastIndexOf("/") + 1) || key;
  let name = `ingest-${basename}`;
  if (name.length > MAX_JOB_NAME_LENGTH) {
    name = name.slice(0, MAX_JOB_NAME_LENGTH);
    // Do not leave half of a surrogate pair at the end.
    if (/[\uD800-\uDBFF]$/.test(name)) {
      name = name.slice(0, -1);
    }
  }
  return name;
}

/** The StartJobRun request for one uploaded object. */
export function buildStartJobRunInput(config: HandlerConfig, object: S3ObjectEvent): StartJobRunCommandInput {
  return {
    applicationId: config.emrApplicationId,
    executionRoleArn: config.emrExecutionRoleArn,
    name: jobNameFor(object.key),
    clientToken: clientTokenFor(object),
    jobDriver: {
      sparkSubmit: {
        entryPoint: config.jobScriptUri,
        entryPointArguments: [
          "--bucket", object.bucket,
          "--key", object.key,
          "--db-host", config.dbHost,
          "--db-port", String(config.dbPort),
          "--db-name", config.dbName,
          "--db-secret-arn", config.dbSecretArn,
        ],
        ...(config.sparkSubmitParameters && { sparkSubmitParameters: config.sparkSubmitParameters }),
      },
    },
    ...(config.emrLogUri && {
      configurationOverrides: { monitoringConfiguration: { s3MonitoringConfiguration: { logUri: config.emrLogUri } } },
    }),
  };
}

/**
 * `npm run deploy:frontend -- <workspace> <build-dir> [--bucket NAME] [--distribution-id ID] [--no-wait]`:
 * uploads a built JavaScript app to the workspace's frontend bucket the way a CDN needs it
 * (README "Frontend"): every file with the content type of its extension; content-hashed assets
 * (the configured `frontend.hashedAssetPaths`) with `public, max-age=31536000, immutable`, every
 * other file with `no-cache`; the index document last, so no cached page ever names an asset that is
 * not there yet; files the new build no longer has deleted only after that; then an invalidation of
 * the index document, waited for.
 *
 * The bucket and distribution come from `--bucket`/`--distribution-id`, else `FRONTEND_BUCKET`/
 * `FRONTEND_DISTRIBUTION_ID`, else the workspace's `frontend` Terraform output
 * (`terraform output -json frontend` in `cdktf.out/stacks/<workspace>`, initialised).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { CloudFrontClient, CreateInvalidationCommand, waitUntilInvalidationCompleted } from "@aws-sdk/client-cloudfront";
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { environmentSources } from "../../environments";
import { loadEnvironments } from "../config/load";

/** Cache-Control of content-hashed assets: a year, never revalidated. */
export const IMMUTABLE = "public, max-age=31536000, immutable";
/** Cache-Control of the index document and every other file whose name does not change with its content. */
export const NO_CACHE = "no-cache";

/** Content types by file extension (lower case, without the dot); anything else is `application/octet-stream`. */
export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: "text/html; charset=utf-8",
  htm: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  json: "application/json",
  map: "application/json",
  webmanifest: "application/manifest+json",
  txt: "text/plain; charset=utf-8",
  xml: "application/xml",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  ico: "image/x-icon",
  woff: "font/woff",
  woff2: "font/woff2",
  ttf: "font/ttf",
  otf: "font/otf",
  wasm: "application/wasm",
  pdf: "application/pdf",
  mp4: "video/mp4",
  webm: "video/webm",
};

/** The content type of `key` by its extension. */
export function contentType(key: string): string {
  const dot = key.lastIndexOf(".");
  const ext = dot > key.lastIndexOf("/") ? key.slice(dot + 1).toLowerCase() : "";
  return CONTENT_TYPES[ext] ?? "application/octet-stream";
}

/** Whether `key` (no leading slash) falls under one of CloudFront's path patterns (`/assets/*`). */
export function matchesPathPattern(key: string, patterns: readonly string[]): boolean {
  const path = `/${key}`;
  return patterns.some((pattern) => {
    const regex = new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
    return regex.test(path);
  });
}

/** One object to upload. */
export interface PlannedUpload {
  readonly key: string;
  readonly file: string;
  readonly contentType: string;
  readonly cacheControl: string;
}

/**
 * The uploads of a build directory in order: every file but the index document (sorted by key),
 * then the index document. Refuses a build without the index document.
 */
export function planUploads(buildDir: string, options: { indexDocument: string; hashedAssetPaths: readonly string[] }): PlannedUpload[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.push(path);
    }
  };
  if (!statSync(buildDir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`deploy-frontend: ${buildDir} is not a directory`);
  walk(buildDir);
  const uploads = files
    .map((file) => {
      const key = relative(buildDir, file).split(sep).join("/");
      const hashed = key !== options.indexDocument && matchesPathPattern(key, options.hashedAssetPaths);
      return { key, file, contentType: contentType(key), cacheControl: hashed ? IMMUTABLE : NO_CACHE };
    })
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const index = uploads.find((u) => u.key === options.indexDocument);
  if (!index) throw new Error(`deploy-frontend: ${buildDir} has no ${options.indexDocument} at its root (is it the build output directory?)`);
  return [...uploads.filter((u) => u !== index), index];
}

export interface DeployOptions {
  readonly s3: S3Client;
  readonly cloudfront: CloudFrontClient;
  readonly bucket: string;
  readonly distributionId: string;
  readonly buildDir: string;
  readonly indexDocument: string;
  readonly hashedAssetPaths: readonly string[];
  /** Wait for the invalidation to complete. @default true */
  readonly wait?: boolean;
  /** Longest wait for the invalidation, seconds. @default 900 */
  readonly maxWaitSeconds?: number;
  /** Seconds between the first polls of the invalidation (the waiter backs off to 20). @default 5 */
  readonly pollSeconds?: number;
  /** Uploads in flight at once. @default 8 */
  readonly concurrency?: number;
  readonly log?: (line: string) => void;
}

export interface DeployResult {
  readonly uploaded: readonly string[];
  readonly deleted: readonly string[];
  readonly invalidationId: string;
}

/** Runs `task` over `items`, at most `limit` at a time, in order of start. */
async function inBatches<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Uploads the build, deletes what it no longer has, invalidates the index document. */
export async function deployFrontend(options: DeployOptions): Promise<DeployResult> {
  const log = options.log ?? (() => undefined);
  const uploads = planUploads(options.buildDir, options);
  const put = async (u: PlannedUpload) => {
    await options.s3.send(
      new PutObjectCommand({ Bucket: options.bucket, Key: u.key, Body: readFileSync(u.file), ContentType: u.contentType, CacheControl: u.cacheControl }),
    );
  };
  // Everything but the index document first (in parallel), then the index document alone.
  const index = uploads[uploads.length - 1];
  await inBatches(uploads.slice(0, -1), options.concurrency ?? 8, put);
  await put(index);
  log(`uploaded ${uploads.length} files to s3://${options.bucket} (${index.key} last)`);

  // Only now, with the new index document live, remove what the new build no longer has.
  const keep = new Set(uploads.map((u) => u.key));
  const stale: string[] = [];
  let token: string | undefined;
  do {
    const page = await options.s3.send(new ListObjectsV2Command({ Bucket: options.bucket, ContinuationToken: token }));
    for (const object of page.Contents ?? []) if (object.Key && !keep.has(object.Key)) stale.push(object.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  for (let i = 0; i < stale.length; i += 1000) {
    const batch = stale.slice(i, i + 1000);
    const result = await options.s3.send(new DeleteObjectsCommand({ Bucket: options.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }));
    if (result.Errors?.length) {
      throw new Error(`deploy-frontend: could not delete ${result.Errors.map((e) => `${e.Key} (${e.Code})`).join(", ")}`);
    }
  }
  if (stale.length > 0) log(`deleted ${stale.length} files the new build no longer has`);

  // The same build gives the same reference, so a retried run does not invalidate twice.
  const fingerprint = createHash("sha256");
  for (const u of uploads) fingerprint.update(u.key).update("\0").update(readFileSync(u.file)).update("\0");
  const invalidation = await options.cloudfront.send(
    new CreateInvalidationCommand({
      DistributionId: options.distributionId,
      InvalidationBatch: { CallerReference: `deploy-${fingerprint.digest("hex").slice(0, 32)}`, Paths: { Quantity: 1, Items: [`/${options.indexDocument}`] } },
    }),
  );
  const invalidationId = invalidation.Invalidation?.Id;
  if (!invalidationId) throw new Error("deploy-frontend: CloudFront returned no invalidation id");
  log(`invalidating /${options.indexDocument} (${invalidationId})`);
  if (options.wait ?? true) {
    await waitUntilInvalidationCompleted(
      { client: options.cloudfront, maxWaitTime: options.maxWaitSeconds ?? 900, minDelay: options.pollSeconds ?? 5, maxDelay: 20 },
      { DistributionId: options.distributionId, Id: invalidationId },
    );
    log("invalidation completed");
  }
  return { uploaded: uploads.map((u) => u.key), deleted: stale, invalidationId };
}

/** `--name value` flags and positional arguments. */
export function parseArgs(argv: readonly string[]): { positional: string[]; flags: Record<string, string | true> } {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--no-wait") flags["no-wait"] = true;
    else if (arg.startsWith("--")) {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) throw new Error(`deploy-frontend: ${arg} needs a value`);
      flags[arg.slice(2)] = value;
      i++;
    } else positional.push(arg);
  }
  for (const name of Object.keys(flags)) {
    if (!["bucket", "distribution-id", "no-wait"].includes(name)) throw new Error(`deploy-frontend: unknown option --${name}`);
  }
  return { positional, flags };
}

/** The bucket and distribution: flags, then environment variables, then the workspace's Terraform output. */
export function resolveTarget(
  workspace: string,
  flags: Record<string, string | true>,
  env: NodeJS.ProcessEnv,
  terraformOutput: () => { bucket?: string; distribution_id?: string },
): { bucket: string; distributionId: string } {
  let bucket = typeof flags.bucket === "string" ? flags.bucket : env.FRONTEND_BUCKET;
  let distributionId = typeof flags["distribution-id"] === "string" ? flags["distribution-id"] : env.FRONTEND_DISTRIBUTION_ID;
  if (!bucket || !distributionId) {
    const output = terraformOutput();
    bucket ??= output.bucket;
    distributionId ??= output.distribution_id;
  }
  if (!bucket || !distributionId) throw new Error(`deploy-frontend: no bucket or distribution id for ${workspace} (pass --bucket and --distribution-id)`);
  return { bucket, distributionId };
}

function terraformFrontendOutput(workspace: string): { bucket?: string; distribution_id?: string } {
  const dir = join("cdktf.out", "stacks", workspace);
  const run = spawnSync("terraform", [`-chdir=${dir}`, "output", "-json", "frontend"], { encoding: "utf8", env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  if (run.error || run.status !== 0) {
    throw new Error(`deploy-frontend: terraform output -json frontend failed in ${dir} (synthesize and terraform init it, or pass --bucket and --distribution-id): ${(run.stderr || String(run.error)).trim()}`);
  }
  return JSON.parse(run.stdout) as { bucket?: string; distribution_id?: string };
}

async function main(argv: string[]): Promise<void> {
  const { positional, flags } = parseArgs(argv);
  const [workspace, buildDir] = positional;
  if (!workspace || !buildDir || positional.length > 2) {
    throw new Error("usage: npm run deploy:frontend -- <workspace> <build-dir> [--bucket NAME] [--distribution-id ID] [--no-wait]");
  }
  const config = loadEnvironments(environmentSources).find((e) => e.name === workspace);
  if (!config) throw new Error(`deploy-frontend: no workspace "${workspace}" in environments/`);
  if (!config.frontend.enabled) throw new Error(`deploy-frontend: environments/${workspace}.ts does not enable the frontend`);
  const { bucket, distributionId } = resolveTarget(workspace, flags, process.env, () => terraformFrontendOutput(workspace));
  await deployFrontend({
    s3: new S3Client({ region: config.region }),
    // CloudFront's API is global (served from us-east-1).
    cloudfront: new CloudFrontClient({ region: "us-east-1" }),
    bucket,
    distributionId,
    buildDir,
    indexDocument: config.frontend.indexDocument,
    hashedAssetPaths: config.frontend.hashedAssetPaths,
    wait: flags["no-wait"] !== true,
    log: (line) => console.log(line),
  });
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: Error) => {
      console.error(error.message);
      process.exit(1);
    },
  );
}

import { CloudFrontClient, CreateDistributionCommand, CreateInvalidationCommand, GetInvalidationCommand } from "@aws-sdk/client-cloudfront";
import { CreateBucketCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { emulatorRequired, emulatorUnavailableReason, startEmulator, type Emulator } from "../src/tools/emulator";
import { IMMUTABLE, NO_CACHE, contentType, deployFrontend, matchesPathPattern, parseArgs, planUploads, resolveTarget } from "../src/tools/deploy-frontend";

/** A build directory with these files (path -> content). */
function build(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "frontend-build-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const BUILD = {
  "index.html": "<!doctype html><script src=/assets/app.3f2a9c1b.js></script>",
  "assets/app.3f2a9c1b.js": "console.log(1)",
  "assets/app.9e8d7c6b.css": "body{}",
  "assets/logo.5a5a5a5a.svg": "<svg/>",
  "favicon.ico": "ico",
  "robots.txt": "User-agent: *",
};
const OPTIONS = { indexDocument: "index.html", hashedAssetPaths: ["/assets/*"] };

describe("planUploads", () => {
  it("types each file by extension, caches hashed assets a year and everything else not at all, index document last", () => {
    const plan = planUploads(build(BUILD), OPTIONS);
    expect(plan.map((u) => [u.key, u.contentType, u.cacheControl])).toEqual([
      ["assets/app.3f2a9c1b.js", "text/javascript; charset=utf-8", IMMUTABLE],
      ["assets/app.9e8d7c6b.css", "text/css; charset=utf-8", IMMUTABLE],
      ["assets/logo.5a5a5a5a.svg", "image/svg+xml", IMMUTABLE],
      ["favicon.ico", "image/x-icon", NO_CACHE],
      ["robots.txt", "text/plain; charset=utf-8", NO_CACHE],
      ["index.html", "text/html; charset=utf-8", NO_CACHE],
    ]);
    expect(IMMUTABLE).toBe("public, max-age=31536000, immutable");
  });

  it("refuses a directory without the index document, or no directory", () => {
    expect(() => planUploads(build({ "app.js": "x" }), OPTIONS)).toThrow(/has no index.html at its root/);
    expect(() => planUploads(join(tmpdir(), "no-such-build-dir"), OPTIONS)).toThrow(/is not a directory/);
  });

  it("matches CloudFront path patterns and falls back to octet-stream for unknown extensions", () => {
    expect(matchesPathPattern("assets/a/b.js", ["/assets/*"])).toBe(true);
    expect(matchesPathPattern("static/assets/a.js", ["/assets/*"])).toBe(false);
    expect(matchesPathPattern("img/x.png", ["/assets/*", "/img/*.png"])).toBe(true);
    expect(contentType("data.bin")).toBe("application/octet-stream");
    expect(contentType("dir.v2/README")).toBe("application/octet-stream");
    expect(contentType("APP.JS")).toBe("text/javascript; charset=utf-8");
  });
});

describe("deployFrontend (mocked clients)", () => {
  // mockClient replaces `send` of every client of the class: restored after this block for the emulator's.
  const s3 = mockClient(S3Client);
  const cloudfront = mockClient(CloudFrontClient);
  const calls: string[] = [];
  afterAll(() => {
    s3.restore();
    cloudfront.restore();
  });

  beforeEach(() => {
    s3.reset();
    cloudfront.reset();
    calls.length = 0;
    s3.on(PutObjectCommand).callsFake((input) => {
      calls.push(`put ${input.Key}`);
      return {};
    });
    s3.on(ListObjectsV2Command).callsFake((input) => {
      calls.push("list");
      // Two pages: the old build's files, some of them kept.
      return input.ContinuationToken
        ? { Contents: [{ Key: "assets/app.0ld0ld00.js" }, { Key: "robots.txt" }], IsTruncated: false }
        : { Contents: [{ Key: "index.html" }, { Key: "old-page.html" }], IsTruncated: true, NextContinuationToken: "page-2" };
    });
    s3.on(DeleteObjectsCommand).callsFake((input) => {
      calls.push(`delete ${input.Delete.Objects.map((o: { Key: string }) => o.Key).join(",")}`);
      return {};
    });
    cloudfront.on(CreateInvalidationCommand).callsFake((input) => {
      calls.push(`invalidate ${input.InvalidationBatch.Paths.Items.join(",")}`);
      return { Invalidation: { Id: "I2J0I21PCUYOIK", Status: "InProgress" } };
    });
    let polls = 0;
    cloudfront.on(GetInvalidationCommand).callsFake(() => {
      calls.push("poll");
      return { Invalidation: { Id: "I2J0I21PCUYOIK", Status: ++polls < 2 ? "InProgress" : "Completed" } };
    });
  });

  const deploy = (extra: Partial<Parameters<typeof deployFrontend>[0]> = {}) =>
    deployFrontend({
      s3: new S3Client({ region: "us-east-1" }),
      cloudfront: new CloudFrontClient({ region: "us-east-1" }),
      bucket: "acme-dev-frontend-111122223333",
      distributionId: "E2EXAMPLE",
      buildDir: build(BUILD),
      ...OPTIONS,
      maxWaitSeconds: 60,
      pollSeconds: 1,
      ...extra,
    });

  it("uploads with content type and cache headers, the index document last, then deletes stale files, then invalidates and waits", async () => {
    const result = await deploy();
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.find((p) => p.Key === "assets/app.3f2a9c1b.js")).toMatchObject({ Bucket: "acme-dev-frontend-111122223333", ContentType: "text/javascript; charset=utf-8", CacheControl: IMMUTABLE });
    expect(puts.find((p) => p.Key === "index.html")).toMatchObject({ ContentType: "text/html; charset=utf-8", CacheControl: NO_CACHE });
    expect(String(puts.find((p) => p.Key === "favicon.ico")!.Body)).toBe("ico");
    // Order: every other file, the index document, the listing, the delete, the invalidation, the polls.
    const indexAt = calls.indexOf("put index.html");
    expect(calls.slice(0, indexAt).every((c) => c.startsWith("put "))).toBe(true);
    expect(calls.slice(0, indexAt)).toHaveLength(5);
    expect(calls.slice(indexAt + 1)).toEqual(["list", "list", "delete old-page.html,assets/app.0ld0ld00.js", "invalidate /index.html", "poll", "poll"]);
    expect(result).toEqual({ uploaded: expect.arrayContaining(["index.html"]), deleted: ["old-page.html", "assets/app.0ld0ld00.js"], invalidationId: "I2J0I21PCUYOIK" });
    const batch = cloudfront.commandCalls(CreateInvalidationCommand)[0].args[0].input;
    expect(batch.DistributionId).toBe("E2EXAMPLE");
    expect(batch.InvalidationBatch!.Paths).toEqual({ Quantity: 1, Items: ["/index.html"] });
  });

  it("gives the same build the same caller reference and another build another", async () => {
    await deploy();
    await deploy();
    await deploy({ buildDir: build({ ...BUILD, "index.html": "<!doctype html>v2" }) });
    const refs = cloudfront.commandCalls(CreateInvalidationCommand).map((c) => c.args[0].input.InvalidationBatch!.CallerReference);
    expect(refs[0]).toBe(refs[1]);
    expect(refs[2]).not.toBe(refs[0]);
    expect(refs[0]).toMatch(/^deploy-[0-9a-f]{32}$/);
  });

  it("does not wait with wait: false, and deletes nothing when the bucket holds only the new build", async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: Object.keys(BUILD).map((Key) => ({ Key })), IsTruncated: false });
    const result = await deploy({ wait: false });
    expect(result.deleted).toEqual([]);
    expect(s3.commandCalls(DeleteObjectsCommand)).toHaveLength(0);
    expect(cloudfront.commandCalls(GetInvalidationCommand)).toHaveLength(0);
  });

  it("stops before the listing and the invalidation when an upload fails", async () => {
    s3.on(PutObjectCommand, { Key: "index.html" }).rejects(new Error("AccessDenied"));
    await expect(deploy()).rejects.toThrow("AccessDenied");
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
    expect(cloudfront.commandCalls(CreateInvalidationCommand)).toHaveLength(0);
  });

  it("reports objects S3 could not delete", async () => {
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: "old-page.html", Code: "AccessDenied" }] });
    await expect(deploy()).rejects.toThrow("deploy-frontend: could not delete old-page.html (AccessDenied)");
  });
});

describe("deploy-frontend arguments", () => {
  it("takes the target from flags, then the environment, then the Terraform output", () => {
    const never = () => {
      throw new Error("terraform output not wanted");
    };
    expect(resolveTarget("dev", parseArgs(["dev", "dist", "--bucket", "b", "--distribution-id", "E1"]).flags, {}, never)).toEqual({ bucket: "b", distributionId: "E1" });
    expect(resolveTarget("dev", {}, { FRONTEND_BUCKET: "b2", FRONTEND_DISTRIBUTION_ID: "E2" }, never)).toEqual({ bucket: "b2", distributionId: "E2" });
    expect(resolveTarget("dev", { bucket: "b3" }, {}, () => ({ bucket: "ignored", distribution_id: "E3" }))).toEqual({ bucket: "b3", distributionId: "E3" });
    expect(() => resolveTarget("dev", {}, {}, () => ({}))).toThrow("deploy-frontend: no bucket or distribution id for dev (pass --bucket and --distribution-id)");
  });

  it("parses positionals and refuses unknown or empty options", () => {
    expect(parseArgs(["prod", "dist", "--no-wait"])).toEqual({ positional: ["prod", "dist"], flags: { "no-wait": true } });
    expect(() => parseArgs(["prod", "dist", "--bucket"])).toThrow("deploy-frontend: --bucket needs a value");
    expect(() => parseArgs(["prod", "dist", "--region", "x"])).toThrow("deploy-frontend: unknown option --region");
  });
});

const unavailable = emulatorUnavailableReason();
if (unavailable && emulatorRequired()) throw new Error(unavailable);

describe.skipIf(unavailable !== undefined)("deployFrontend against the emulator's S3 and CloudFront", () => {
  let emulator: Emulator;
  let s3: S3Client;
  let cloudfront: CloudFrontClient;
  let distributionId: string;
  const bucket = "acme-dev-frontend-111122223333";

  beforeAll(async () => {
    emulator = await startEmulator({ accountId: "111122223333" });
    const clientConfig = { region: "us-east-1", endpoint: emulator.endpoint, credentials: { accessKeyId: "testing", secretAccessKey: "testing" } };
    s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
    cloudfront = new CloudFrontClient(clientConfig);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const created = await cloudfront.send(
      new CreateDistributionCommand({
        DistributionConfig: {
          CallerReference: "deploy-frontend-test",
          Comment: "test",
          Enabled: true,
          Origins: { Quantity: 1, Items: [{ Id: "app", DomainName: `${bucket}.s3.us-east-1.amazonaws.com`, S3OriginConfig: { OriginAccessIdentity: "" } }] },
          DefaultCacheBehavior: { TargetOriginId: "app", ViewerProtocolPolicy: "redirect-to-https", CachePolicyId: "658327ea-f89d-4fab-a63d-7e88639e58f6" },
        },
      }),
    );
    distributionId = created.Distribution!.Id!;
    // The previous build: one file the new one drops, one it replaces.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "assets/app.0ld0ld00.js", Body: "old" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "index.html", Body: "old index" }));
  }, 60_000);

  afterAll(async () => {
    await emulator?.stop();
  });

  it("leaves exactly the new build in the bucket with its headers, and invalidates the index document", async () => {
    // moto answers an invalidation's status as "COMPLETED" where CloudFront says "Completed", which
    // the SDK's waiter never accepts: waiting is covered by the mocked tests above.
    const result = await deployFrontend({ s3, cloudfront, bucket, distributionId, buildDir: build(BUILD), ...OPTIONS, wait: false });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(Object.keys(BUILD).sort());
    const asset = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "assets/app.3f2a9c1b.js" }));
    expect(asset).toMatchObject({ ContentType: "text/javascript; charset=utf-8", CacheControl: IMMUTABLE });
    const index = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "index.html" }));
    expect(index).toMatchObject({ ContentType: "text/html; charset=utf-8", CacheControl: NO_CACHE });
    expect(await index.Body!.transformToString()).toBe(BUILD["index.html"]);
    expect(result.deleted).toEqual(["assets/app.0ld0ld00.js"]);
    const invalidation = await cloudfront.send(new GetInvalidationCommand({ DistributionId: distributionId, Id: result.invalidationId }));
    expect(invalidation.Invalidation?.InvalidationBatch?.Paths?.Items).toEqual(["/index.html"]);
  }, 60_000);
});

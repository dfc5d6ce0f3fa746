/**
 * Synth-time build of a TypeScript Lambda handler (the ingestion pipeline's, each data-API store's):
 * esbuild bundles the entry file with every dependency
 * (the AWS SDK client included, so the code runs against the SDK version it was tested with) into one
 * minified CommonJS file, zipped in-process (deterministically) into a content-addressed folder that a
 * `TerraformAsset` of type FILE ships. Zipping here rather than with an ARCHIVE asset keeps synthesis
 * fast: cdktf's archiver starts a separate process per stack.
 *
 * Deterministic: no source map, no legal comments, every path relative to the repository root
 * (`absWorkingDir`), and the file's modification time pinned, so the same source gives the same
 * bytes, the same asset hash and even a byte-identical zip.
 *
 * Fast: bundling the SDK takes esbuild about 0.2 s, so the result is cached twice: in memory for the
 * rest of the process (several stacks share one build), and on disk next to the bundle, keyed by the
 * content of the handler's own input files and the lockfile (not by the checkout's path). A later
 * process, in this checkout or another with the same sources, whose inputs hash the same reuses the
 * bundle without running esbuild.
 */
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSync, version as esbuildVersion, type BuildOptions } from "esbuild";
import { REPO_ROOT } from "./paths";
import { zipFiles } from "./zip";

/** The Lambda runtime the bundle targets; {@link ESBUILD_TARGET} must match it. */
export const LAMBDA_RUNTIME = "nodejs22.x";
/** esbuild target matching {@link LAMBDA_RUNTIME}. */
export const ESBUILD_TARGET = "node22";
/** The bundle's file name: the Lambda `handler` setting is `index.handler`. */
export const BUNDLE_FILE = "index.js";
/** The deployment package beside the bundle. */
export const PACKAGE_FILE = "function.zip";

/** Fixed modification time of the bundle file (its mode is fixed too), so the zip cdktf builds from it is byte-identical between runs. */
const FIXED_MTIME = new Date("2000-01-01T00:00:00Z");

/** The esbuild options of one entry point. */
const buildOptions = (entry: string) => ({
  absWorkingDir: REPO_ROOT,
  entryPoints: [entry],
  outfile: BUNDLE_FILE,
  bundle: true,
  // Dependencies by their path in this checkout, also when node_modules is a link: the inputs (and
  // so the cache key) do not depend on where the checkout is.
  preserveSymlinks: true,
  platform: "node",
  target: ESBUILD_TARGET,
  format: "cjs",
  minify: true,
  sourcemap: false,
  sourceRoot: "",
  legalComments: "none",
  charset: "utf8",
  write: false,
  metafile: true,
  logLevel: "silent",
}) satisfies BuildOptions;

/** Which handler to bundle, and the name its cached files carry. */
export interface LambdaBundleSpec {
  /** The handler's entry file, relative to the repository root (e.g. `modules/data-pipeline/handler/index.ts`). */
  readonly entry: string;
  /** Prefix of the cache folder and manifest names (`<label>-lambda-<hash>`), e.g. `data-pipeline`. */
  readonly label: string;
}

export interface LambdaBundle {
  /** Absolute path of the folder holding {@link BUNDLE_FILE} and {@link PACKAGE_FILE}. */
  readonly directory: string;
  /** Absolute path of the zip deployment package: the `TerraformAsset` source. */
  readonly packagePath: string;
  /** Base64 SHA-256 of the package: what Lambda reports as CodeSha256 and `source_code_hash` must equal. */
  readonly packageSha256Base64: string;
  /** SHA-256 (hex) of the bundle. */
  readonly sha256: string;
  /** Size of the bundle in bytes. */
  readonly bytes: number;
}

interface CacheManifest {
  /** Digest of the build settings and of every input file's path and content. */
  readonly inputsDigest: string;
  /** Input files esbuild read, relative to the repository root. */
  readonly inputs: string[];
  readonly sha256: string;
}

const sha256Of = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/** The build settings as they affect the output: the checkout's location (`absWorkingDir`) does not. */
const settingsKey = (entry: string) => JSON.stringify({ esbuildVersion, options: { ...buildOptions(entry), absWorkingDir: undefined } });

/**
 * Digest of the build settings plus each input's path and content; undefined when an input is gone.
 * Inputs under node_modules/ are covered by the lockfile (npm ci installs exactly it) rather than
 * read one by one: the AWS SDK alone is hundreds of files.
 */
function inputsDigest(entry: string, inputs: readonly string[]): string | undefined {
  const hash = createHash("sha256").update(settingsKey(entry));
  for (const file of ["package-lock.json", "node_modules/.package-lock.json"]) {
    // The installed tree (npm rewrites .package-lock.json on every install), not only the wanted one.
    const full = join(REPO_ROOT, file);
    hash.update(`\0${file}\0`).update(existsSync(full) ? readFileSync(full) : "");
  }
  for (const input of inputs) {
    hash.update(`\0${input}\0`);
    if (input.startsWith("node_modules/")) continue;
    const file = join(REPO_ROOT, input);
    if (!existsSync(file)) {
      return undefined;
    }
    hash.update(readFileSync(file));
  }
  return hash.digest("hex");
}

/** Writes a file atomically (parallel test workers may write the same file at the same time). */
function writeAtomically(file: string, data: string | Buffer, mtime?: Date): void {
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, data);
  chmodSync(partial, 0o644);
  if (mtime) {
    utimesSync(partial, mtime, mtime);
  }
  renameSync(partial, file);
}

/** Runs esbuild on `entry` (nothing written): the bundle text and the input files it read. */
export function bundleLambdaCode(entry: string): { code: string; inputs: string[] } {
  if (!existsSync(join(REPO_ROOT, entry))) {
    throw new Error(`LambdaBundle: the handler entry ${entry} does not exist`);
  }
  const result = buildSync(buildOptions(entry));
  if (result.errors.length > 0 || result.outputFiles.length !== 1) {
    throw new Error(`LambdaBundle: bundling ${entry} failed: ${result.errors.map((e) => e.text).join("; ")}`);
  }
  return { code: result.outputFiles[0].text, inputs: Object.keys(result.metafile.inputs).sort() };
}

/**
 * Writes (if missing) the zip package of a bundle and describes both. The folder is named by the
 * bundle's hash and the package is written atomically, so an existing package is this bundle's.
 */
function withPackage(directory: string, code: Buffer, sha256: string): LambdaBundle {
  const packagePath = join(directory, PACKAGE_FILE);
  let zip: Buffer;
  if (existsSync(packagePath)) {
    zip = readFileSync(packagePath);
  } else {
    zip = zipFiles([{ name: BUNDLE_FILE, data: code }]);
    writeAtomically(packagePath, zip, FIXED_MTIME);
  }
  return {
    directory,
    packagePath,
    packageSha256Base64: createHash("sha256").update(zip).digest("base64"),
    sha256,
    bytes: code.length,
  };
}

function bundleDirectory(spec: LambdaBundleSpec, outRoot: string, sha256: string): string {
  return join(outRoot, `${spec.label}-lambda-${sha256.slice(0, 16)}`);
}

/**
 * Always runs esbuild and writes `<outRoot>/<label>-lambda-<sha256 prefix>/index.js`, refreshing
 * the disk cache's manifest in `outRoot`. {@link lambdaBundle} is the cached form synthesis uses.
 */
export function buildLambdaBundle(spec: LambdaBundleSpec, outRoot: string = tmpdir()): LambdaBundle {
  const { code, inputs } = bundleLambdaCode(spec.entry);
  const sha256 = sha256Of(code);
  const directory = bundleDirectory(spec, outRoot, sha256);
  const file = join(directory, BUNDLE_FILE);
  mkdirSync(directory, { recursive: true });
  if (!existsSync(file) || readFileSync(file, "utf8") !== code) {
    writeAtomically(file, code, FIXED_MTIME);
  }
  utimesSync(file, FIXED_MTIME, FIXED_MTIME);
  const digest = inputsDigest(spec.entry, inputs);
  if (digest) {
    const manifest: CacheManifest = { inputsDigest: digest, inputs, sha256 };
    writeAtomically(manifestPath(spec, outRoot), JSON.stringify(manifest));
  }
  return withPackage(directory, Buffer.from(code, "utf8"), sha256);
}

/**
 * The cache manifest, named by the build settings and the handler's entry file, not by the
 * checkout's path: every clone of the same sources (CI, a test's copy) finds the same bundle.
 */
function manifestPath(spec: LambdaBundleSpec, outRoot: string): string {
  const key = sha256Of(`${settingsKey(spec.entry)}\0${readFileSync(join(REPO_ROOT, spec.entry), "utf8")}`);
  return join(outRoot, `${spec.label}-lambda-${key.slice(0, 12)}.json`);
}

/** The bundle from the disk cache when every input is unchanged since it was built, else undefined. */
function cachedOnDisk(spec: LambdaBundleSpec, outRoot: string): LambdaBundle | undefined {
  let manifest: CacheManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath(spec, outRoot), "utf8")) as CacheManifest;
  } catch {
    return undefined;
  }
  if (!Array.isArray(manifest.inputs) || inputsDigest(spec.entry, manifest.inputs) !== manifest.inputsDigest) {
    return undefined;
  }
  const directory = bundleDirectory(spec, outRoot, manifest.sha256);
  const file = join(directory, BUNDLE_FILE);
  if (!existsSync(file)) {
    return undefined;
  }
  const code = readFileSync(file);
  if (sha256Of(code) !== manifest.sha256) {
    return undefined;
  }
  utimesSync(file, FIXED_MTIME, FIXED_MTIME);
  return withPackage(directory, code, manifest.sha256);
}

/**
 * Where the bundle is cached between processes: a per-user folder under the temporary folder,
 * mode 0700, used only while it belongs to this user and nobody else may write to it (a bundle
 * found there is deployed); otherwise `.build/` in the checkout.
 */
function cacheRoot(): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  const shared = join(tmpdir(), `aws-web-platform-lambda-${uid ?? "user"}`);
  try {
    mkdirSync(shared, { recursive: true, mode: 0o700 });
    const stat = statSync(shared);
    if (stat.isDirectory() && (uid === undefined || stat.uid === uid) && (stat.mode & 0o022) === 0) return shared;
  } catch {
    // Not writable: fall through to the checkout.
  }
  const local = join(REPO_ROOT, ".build", "lambda");
  mkdirSync(local, { recursive: true });
  return local;
}

/** Bundles already built in this process, by entry and label. */
const cached = new Map<string, LambdaBundle>();

/**
 * The bundle of `spec.entry`: built (or taken from the disk cache) on first use, then reused for
 * the rest of the process (several stacks and several functions share one build).
 */
export function lambdaBundle(spec: LambdaBundleSpec): LambdaBundle {
  const key = `${spec.label}\0${spec.entry}`;
  let bundle = cached.get(key);
  if (!bundle || !existsSync(bundle.packagePath)) {
    const root = cacheRoot();
    bundle = cachedOnDisk(spec, root) ?? buildLambdaBundle(spec, root);
    cached.set(key, bundle);
  }
  return bundle;
}

#!/usr/bin/env node
/**
 * `npm run synth` and `cdktf synth` (cdktf.json's `app`): runs the app as precompiled JavaScript.
 *
 * esbuild bundles `src/main.ts` with its dependencies into one CommonJS file, `.build/app-<digest>.js`
 * (git-ignored). The digest covers every file under src/, modules/ and environments/, the lockfile,
 * the esbuild version and build options, and this file, so the bundle is rebuilt exactly when one of
 * them changes. A bundle is also kept in the temporary folder under the same digest, so another
 * checkout of the same sources on this machine (a fresh clone, a test's copy) reuses it instead of
 * spending about 1.5 s in esbuild. That folder is per user, mode 0700, and not used if anyone else
 * could write to it. Loading one bundle instead of hundreds of modules through tsx is
 * most of what makes a synthesis fast.
 *
 * The output is byte-identical to running the sources (`npx tsx src/main.ts`, which still works and
 * is the way to debug with TypeScript line numbers). Dependencies installed other than by the
 * lockfile (`npm link`, edits in node_modules/) are not noticed: delete `.build/` and
 * `$TMPDIR/aws-web-platform-app-<uid>/` after those.
 *
 * Usage: node src/tools/run-app.cjs [--build]   (--build: build or fetch the bundle, do not run it)
 */
"use strict";
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..", "..");
const BUILD_DIR = path.join(ROOT, ".build");
/** Per user, so another account on the machine cannot plant a bundle this one runs. */
const SHARED_DIR = path.join(os.tmpdir(), `aws-web-platform-app-${typeof process.getuid === "function" ? process.getuid() : "user"}`);
const SOURCE_DIRS = ["src", "modules", "environments"];
const SOURCE_FILE = /\.(ts|cts|mts|js|cjs|mjs|json)$/;

const BUILD_OPTIONS = {
  entryPoints: ["src/main.ts"],
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  // esbuild is a native tool the app calls at synth time (the Lambda bundle); it cannot be bundled.
  external: ["esbuild"],
  // `import.meta.url` for ES module builds of dependencies (see import-meta-shim.cjs).
  ...require("./import-meta-shim.cjs"),
  // Name dependencies by their path in this checkout, not where a linked node_modules really is:
  // the same sources then give the same bytes in every checkout (the shared cache relies on it).
  preserveSymlinks: true,
  sourcemap: false,
  legalComments: "none",
  charset: "utf8",
  logLevel: "silent",
  write: false,
};

/** Every source file below the source folders, relative to the root, sorted. */
function sourceFiles() {
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (SOURCE_FILE.test(entry.name)) files.push(rel);
    }
  };
  SOURCE_DIRS.forEach(walk);
  return files.sort();
}

function digest() {
  const esbuildVersion = require("esbuild/package.json").version;
  const hash = createHash("sha256").update(JSON.stringify({ esbuildVersion, BUILD_OPTIONS }));
  hash.update(fs.readFileSync(__filename));
  // What is installed, not only what should be: npm rewrites node_modules/.package-lock.json on
  // every install, so a synth between `git pull` and `npm ci` is not cached under the new lockfile.
  for (const file of ["package.json", "package-lock.json", "tsconfig.json", "node_modules/.package-lock.json"]) {
    const full = path.join(ROOT, file);
    hash.update(`\0${file}\0`).update(fs.existsSync(full) ? fs.readFileSync(full) : "");
  }
  for (const file of sourceFiles()) hash.update(`\0${file}\0`).update(fs.readFileSync(path.join(ROOT, file)));
  return hash.digest("hex").slice(0, 20);
}

/** Writes atomically: parallel runs (test workers) may produce the same file at once. */
function writeAtomically(file, data) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  fs.writeFileSync(partial, data);
  fs.renameSync(partial, file);
}

/** A build error as one line: `file:line:column: message`. */
function describe(error) {
  // esbuild's columns count from 0; editors count from 1.
  const where = error.location ? `${error.location.file}:${error.location.line}:${error.location.column + 1}: ` : "";
  return `${where}${error.text}`;
}

function build() {
  let result;
  try {
    result = require("esbuild").buildSync({ ...BUILD_OPTIONS, absWorkingDir: ROOT });
  } catch (error) {
    // buildSync throws on errors, with them listed on the error.
    const errors = error && Array.isArray(error.errors) && error.errors.length > 0 ? error.errors : [{ text: String(error) }];
    refuse(errors.map(describe));
  }
  if (result.outputFiles.length !== 1) refuse(["bundling src/main.ts produced no single output file"]);
  return result.outputFiles[0].contents;
}

/** Same contract as the app's own refusals: one line per problem on stderr, exit code 1. */
function refuse(lines) {
  for (const line of lines) process.stderr.write(`error: ${line}\n`);
  process.exit(1);
}

/**
 * Whether the shared folder can be trusted: it exists (made here with mode 0700 if not), belongs to
 * this user and nobody else may write to it. Otherwise it is not used at all.
 */
function sharedCacheUsable() {
  try {
    fs.mkdirSync(SHARED_DIR, { recursive: true, mode: 0o700 });
    const stat = fs.statSync(SHARED_DIR);
    const mine = typeof process.getuid !== "function" || stat.uid === process.getuid();
    return stat.isDirectory() && mine && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}
const SHARED = sharedCacheUsable();

/** The shared cache is an optimisation: a temporary folder that cannot be written is not an error. */
function share(file, data) {
  if (!SHARED) return;
  try {
    writeAtomically(file, data);
  } catch {
    // Another checkout will build its own.
  }
}

/** The bundle for the current sources: in .build/, else from the shared cache, else built now. */
function bundle() {
  const name = `app-${digest()}`;
  const file = path.join(BUILD_DIR, `${name}.js`);
  if (fs.existsSync(file)) return file;
  const shared = path.join(SHARED_DIR, `${name}.js`);
  let code;
  try {
    if (!SHARED) throw new Error("no shared cache");
    code = fs.readFileSync(shared);
  } catch {
    code = build();
    share(shared, code);
  }
  // Earlier bundles of this checkout are stale now (this digest's files may be in use by a
  // concurrent run: they are replaced atomically, never deleted).
  for (const old of fs.existsSync(BUILD_DIR) ? fs.readdirSync(BUILD_DIR) : []) {
    if (/^app-[0-9a-f]+\.(js|v8cache)$/.test(old) && !old.startsWith(`${name}.`)) fs.rmSync(path.join(BUILD_DIR, old), { force: true });
  }
  writeAtomically(file, code);
  return file;
}

/**
 * Runs the bundle as a CommonJS module with V8's code cache beside it (`app-<digest>.v8cache`, also
 * kept in the shared cache), written after the first run so it holds the functions that run
 * compiled too: later runs skip most of parsing and compiling 4 MB of JavaScript. (Node 22's module.enableCompileCache() does
 * the same; this project runs on Node 20.) A cache V8 rejects (another Node version) is rewritten.
 */
function run(file) {
  const Module = require("node:module");
  const vm = require("node:vm");
  const cacheFile = file.replace(/\.js$/, ".v8cache");
  const sharedCacheFile = path.join(SHARED_DIR, path.basename(cacheFile));
  let cachedData;
  for (const candidate of SHARED ? [cacheFile, sharedCacheFile] : [cacheFile]) {
    try {
      cachedData = fs.readFileSync(candidate);
      break;
    } catch {
      cachedData = undefined;
    }
  }
  const script = new vm.Script(Module.wrap(fs.readFileSync(file, "utf8")), { filename: file, cachedData });
  const app = new Module(file, module);
  app.filename = file;
  app.paths = Module._nodeModulePaths(path.dirname(file));
  script.runInThisContext().call(app.exports, app.exports, Module.createRequire(file), app, file, path.dirname(file));
  app.loaded = true;
  if (cachedData === undefined || script.cachedDataRejected) {
    const data = script.createCachedData();
    writeAtomically(cacheFile, data);
    share(sharedCacheFile, data);
  } else if (!fs.existsSync(cacheFile)) {
    writeAtomically(cacheFile, cachedData);
  }
}

const file = bundle();
if (!process.argv.includes("--build")) run(file);

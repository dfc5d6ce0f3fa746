/**
 * `npm run bench`: measures synthesis against a floor taken in the same run, so the ratios hold on
 * a busy or a different machine. Medians over `runs` (default 7), runs of each kind interleaved.
 *
 * - floor: `node -e 'require("cdktf")'`, the least any cdktf app costs;
 * - synth: `npm run synth` (the precompiled app) with its peak resident memory;
 * - fresh checkout: the first synth of a copy of the sources (no `.build/` yet; the bundle and its
 *   code cache come from the shared cache another checkout left) and of a first-ever synth (shared
 *   cache empty too, so esbuild builds the app);
 * - scale: the environments with 30x the workers and scheduled tasks, against 1x, both through the
 *   same bundled entry, giving milliseconds per resource beyond startup.
 *
 * Usage: npm run bench [-- <runs>]
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildSync } from "esbuild";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const importMetaShim = require("./import-meta-shim.cjs") as { define: Record<string, string>; banner: { js: string } };

const runs = Number(process.argv[2] ?? 7);
const SCALE = 30;
const root = resolve(__dirname, "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "platform-bench-"));
const rssFile = join(scratch, "rss");
const preload = join(scratch, "report-rss.cjs");
// Written by the measured process itself as it exits: its own peak resident set size in KiB.
writeFileSync(
  preload,
  `process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`,
);

interface Sample {
  readonly seconds: number;
  readonly peakMiB: number;
  readonly stdout: string;
}

function time(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Sample {
  // A fresh output folder each time (removed outside the timing): replacing a larger earlier
  // output, such as the scale run's, would otherwise be counted against the next run.
  const outdir = join(scratch, "out");
  rmSync(outdir, { recursive: true, force: true });
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ["--require", preload, ...args], {
    cwd: options.cwd ?? root,
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_OUTDIR: outdir, ...options.env },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (child.status !== 0) throw new Error(`${args.join(" ")} failed:\n${child.stderr}`);
  return { seconds, peakMiB: Number(readFileSync(rssFile, "utf8")) / 1024, stdout: child.stdout };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A copy of the sources with the dependencies linked, as a fresh clone after `npm ci`. */
function freshCheckout(): string {
  const dir = mkdtempSync(join(scratch, "checkout-"));
  for (const entry of ["src", "modules", "environments", "package.json", "package-lock.json", "tsconfig.json", "cdktf.json"]) {
    cpSync(join(root, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

try {
  const launcher = ["src/tools/run-app.cjs"];
  time(launcher); // builds or fetches the bundle and its code cache: the warm state users are in
  // Inside the checkout (git-ignored), so the bundle finds the repository root as the app does.
  const scaleEntry = join(root, ".build", "bench-scale-synth.js");
  buildSync({
    entryPoints: [join(root, "src/tools/scale-synth.ts")],
    absWorkingDir: root,
    outfile: scaleEntry,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["esbuild"],
    // As the precompiled app: `import.meta.url` for ES module builds of dependencies.
    ...importMetaShim,
    logLevel: "silent",
  });

  const floor: number[] = [];
  const synth: Sample[] = [];
  const fresh: number[] = [];
  const one: Sample[] = [];
  const many: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    floor.push(time(["-e", 'require("cdktf")']).seconds);
    synth.push(time(launcher));
    fresh.push(time(launcher, { cwd: freshCheckout() }).seconds);
    one.push(time([scaleEntry, "1"]));
    many.push(time([scaleEntry, String(SCALE)]));
  }
  // First-ever synth: nothing cached anywhere (own temporary folder for the shared caches).
  const coldTmp = mkdtempSync(join(scratch, "tmp-"));
  const cold = time(launcher, { cwd: freshCheckout(), env: { TMPDIR: coldTmp } }).seconds;

  const f = median(floor);
  const s = median(synth.map((x) => x.seconds));
  const fr = median(fresh);
  const r1 = Number(one[0].stdout.trim());
  const rN = Number(many[0].stdout.trim());
  const t1 = median(one.map((x) => x.seconds));
  const tN = median(many.map((x) => x.seconds));
  const perResourceMs = ((tN - t1) / (rN - r1)) * 1000;
  console.log(`${cpus().length} cores, node ${process.version}, ${runs} runs each, medians`);
  console.log(`floor (require cdktf)          ${f.toFixed(3)} s`);
  console.log(`npm run synth                  ${s.toFixed(3)} s   ${(s / f).toFixed(2)}x floor   peak RSS ${Math.max(...synth.map((x) => x.peakMiB)).toFixed(0)} MiB`);
  console.log(`fresh checkout, first synth    ${fr.toFixed(3)} s   ${(fr / s).toFixed(2)}x warm synth (shared cache warm)`);
  console.log(`first synth ever (no caches)   ${cold.toFixed(3)} s   ${(cold / s).toFixed(2)}x warm synth (esbuild builds the app), 1 run`);
  console.log(`scale 1x                       ${t1.toFixed(3)} s   ${r1} resources`);
  console.log(`scale ${SCALE}x                      ${tN.toFixed(3)} s   ${rN} resources   ${perResourceMs.toFixed(3)} ms per resource beyond startup   peak RSS ${Math.max(...many.map((x) => x.peakMiB)).toFixed(0)} MiB`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

/**
 * `npm run bench`: synthesizes every stack by running the entry point directly (Node with the tsx
 * loader, no cdktf CLI) several times, and prints the median wall time and the peak resident memory.
 *
 * Usage: npm run bench [-- <runs>]   (default 7 runs)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const runs = Number(process.argv[2] ?? 7);
const root = resolve(__dirname, "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "platform-bench-"));
const rssFile = join(scratch, "rss");
const preload = join(scratch, "report-rss.cjs");
// Written by the synth process itself as it exits: its own peak resident set size in KiB.
writeFileSync(
  preload,
  `process.on("exit", () => require("fs").writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));\n`,
);

function once(): { seconds: number; peakMiB: number } {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, ["--require", preload, "--import", "tsx", "src/main.ts"], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, CHECKPOINT_DISABLE: "1", CDKTF_OUTDIR: join(scratch, "out") },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (child.status !== 0) {
    throw new Error(`synth failed:\n${child.stderr}`);
  }
  return { seconds, peakMiB: Number(readFileSync(rssFile, "utf8")) / 1024 };
}

try {
  const samples = Array.from({ length: runs }, once);
  const times = samples.map((s) => s.seconds).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  const peak = Math.max(...samples.map((s) => s.peakMiB));
  console.log(`synth of all stacks, ${runs} runs, entry point run directly (node + tsx loader)`);
  console.log(`median ${median.toFixed(3)} s   min ${times[0].toFixed(3)} s   max ${times[times.length - 1].toFixed(3)} s`);
  console.log(`peak RSS ${peak.toFixed(0)} MiB`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

/**
 * The AWS emulator the apply tier runs Terraform against: moto's server (`moto_server`), one fresh
 * process per stack on a free loopback port, stopped by its process id.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/** The emulator's server binary; override with `MOTO_SERVER_BIN`. */
export function emulatorBinary(): string {
  return process.env.MOTO_SERVER_BIN ?? "moto_server";
}

/**
 * Whether a missing emulator or Terraform must fail the apply tier instead of skipping it: in CI
 * (`CI=true`) and wherever `PLATFORM_REQUIRE_EMULATOR=1` is set (`.ci/run` sets it).
 */
export function emulatorRequired(): boolean {
  return process.env.CI === "true" || process.env.PLATFORM_REQUIRE_EMULATOR === "1";
}

/** Returns why the emulator cannot run here, or undefined when it can. */
export function emulatorUnavailableReason(): string | undefined {
  const help = spawnSync(emulatorBinary(), ["--help"], { encoding: "utf8" });
  if (help.error || help.status !== 0) {
    return `the AWS emulator is not runnable as "${emulatorBinary()}" (install moto[server] or set MOTO_SERVER_BIN)`;
  }
  return undefined;
}

export interface EmulatorOptions {
  /** The account id every request is answered for (`MOTO_ACCOUNT_ID`). */
  readonly accountId: string;
}

/** A running emulator. */
export interface Emulator {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly pid: number;
  readonly accountId: string;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Settings of every emulator process: AWS managed policies loaded (roles attach them by ARN), the
 * account the stack's provider allows, and certificates the emulator reports as issued at once
 * instead of after its default 60 s (the certificate's validation resource still waits for it).
 */
function emulatorEnv(options: EmulatorOptions): NodeJS.ProcessEnv {
  return {
    ...process.env,
    MOTO_IAM_LOAD_MANAGED_POLICIES: "true",
    MOTO_ACCOUNT_ID: options.accountId,
    MOTO_ACM_VALIDATION_WAIT: "0",
  };
}

const running = new Map<number, ChildProcess>();
let exitHookInstalled = false;

/** Kills every emulator still running when this process exits, whatever the reason. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const pid of running.keys()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => process.exit(130));
  }
}

/** A port on the loopback interface that nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Starts a fresh emulator on a free loopback port and waits until it answers (at most 30 s). */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  installExitHook();
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn(emulatorBinary(), ["-H", "127.0.0.1", "-p", String(port)], {
      env: emulatorEnv(options),
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    if (child.pid === undefined) {
      throw new Error(`could not start ${emulatorBinary()}`);
    }
    const pid = child.pid;
    running.set(pid, child);
    const stop = async () => {
      if (!running.has(pid)) return;
      running.delete(pid);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
    };
    const endpoint = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && child.exitCode === null) {
      if (await answers(endpoint)) return { endpoint, pid, accountId: options.accountId, stop };
      await new Promise((r) => setTimeout(r, 200));
    }
    await stop();
    // Another process may have taken the port between the probe and the bind: try a new one.
    if (attempt >= 3) {
      throw new Error(`${emulatorBinary()} did not answer on ${endpoint}:\n${stderr}`);
    }
  }
}

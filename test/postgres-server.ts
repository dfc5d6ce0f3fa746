/**
 * A throwaway PostgreSQL server for tests: `initdb` into a temporary folder, `pg_ctl start` listening
 * only on a Unix socket in that folder (no TCP port, so nothing clashes with another server), trust
 * authentication, fsync off. Run as root (CI), the server runs as the `postgres` system user (or
 * `nobody`), since PostgreSQL refuses to run as root.
 *
 * Binaries: `PG_BIN` when set (only there), else the newest `/usr/lib/postgresql/<version>/bin` (Debian's
 * `postgresql` package), else `initdb`/`pg_ctl` on PATH.
 */
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PostgresServer {
  /** The socket folder: `host` for a client. */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  stop(): Promise<void>;
}

const PORT = 5432;

function onPath(command: string): string | undefined {
  const result = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  const found = result.stdout.trim();
  return result.status === 0 && found ? found : undefined;
}

/** The folder holding initdb and pg_ctl, or undefined. */
export function postgresBinDir(): string | undefined {
  const candidates: string[] = [];
  // PG_BIN, when set, is the only place looked at (also a way to see the skip: PG_BIN=/nonexistent).
  if (process.env.PG_BIN) {
    candidates.push(process.env.PG_BIN);
    return candidates.find((dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl")));
  }
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, "bin")));
  }
  const initdb = onPath("initdb");
  if (initdb) candidates.push(join(initdb, ".."));
  return candidates.find((dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl")));
}

/** Why a PostgreSQL server cannot be started here, or undefined when it can. */
export function postgresUnavailableReason(): string | undefined {
  if (!postgresBinDir()) return "PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's postgresql package (apt-get install -y postgresql) or set PG_BIN";
  if (process.getuid?.() === 0 && !serverUser()) return "running as root and neither the postgres nor the nobody user exists to run the server";
  return undefined;
}

/** CI sets PLATFORM_REQUIRE_POSTGRES=1: there a missing server fails the suite instead of skipping it. */
export function postgresRequired(): boolean {
  return process.env.PLATFORM_REQUIRE_POSTGRES === "1";
}

function serverUser(): { name: string; uid: number; gid: number } | undefined {
  for (const name of ["postgres", "nobody"]) {
    const id = spawnSync("id", ["-u", name], { encoding: "utf8" });
    const gid = spawnSync("id", ["-g", name], { encoding: "utf8" });
    if (id.status === 0 && gid.status === 0) return { name, uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  return undefined;
}

const execFileAsync = promisify(execFile);

/** Starts a server (without blocking the test worker); `stop()` ends it and removes its folder. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(postgresUnavailableReason());
  const root = mkdtempSync(join(tmpdir(), "pg-"));
  const data = join(root, "data");
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? serverUser() : undefined;
  if (asRoot && !user) throw new Error(postgresUnavailableReason());
  if (user) chownSync(root, user.uid, user.gid);
  const run = async (tool: string, args: string[]) => {
    const command = join(bin, tool);
    const [file, argv] = user ? ["runuser", ["-u", user.name, "--", command, ...args]] : [command, args];
    await execFileAsync(file, argv, { cwd: root, env: { ...process.env, LC_ALL: "C" } });
  };
  try {
    await run("initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
    await run("pg_ctl", [
      "-D",
      data,
      "-l",
      join(root, "server.log"),
      "-w",
      "-t",
      "60",
      "-o",
      `-k ${root} -p ${PORT} -c listen_addresses= -c fsync=off -c full_page_writes=off -c synchronous_commit=off`,
      "start",
    ]);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    host: root,
    port: PORT,
    user: "postgres",
    database: "postgres",
    async stop() {
      try {
        await run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}

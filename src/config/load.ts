import type { ZodIssue } from "zod";
import { environmentSchema, type EnvironmentConfig } from "./schema";

/** Raised when environment configuration is invalid; `problems` holds one line per violation. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid environment configuration:\n${problems.join("\n")}`);
    this.name = "ConfigError";
  }
}

/** An environment file and the data it exports, before validation. */
export interface EnvironmentSource {
  /** Path shown in error messages, relative to the repository root, e.g. `environments/dev.ts`. */
  readonly file: string;
  readonly data: unknown;
}

function formatPath(path: ReadonlyArray<string | number>): string {
  if (path.length === 0) {
    return "(root)";
  }
  return path.reduce<string>(
    (acc, part) => (typeof part === "number" ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part),
    "",
  );
}

/** One problem as the one line a refused config prints: file, field path, rule. */
export function formatIssue(file: string, issue: ZodIssue): string {
  let message = issue.message;
  if (issue.code === "invalid_enum_value") {
    message = `"${String(issue.received)}" is not one of ${issue.options.map((o) => `"${String(o)}"`).join(", ")}`;
  } else if (issue.code === "unrecognized_keys") {
    message = `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  }
  return `${file}: ${formatPath(issue.path)}: ${message}`;
}

/** Validates one environment; returns the problems as one line each instead of throwing. */
export function checkEnvironment(source: EnvironmentSource): { config?: EnvironmentConfig; problems: string[] } {
  const result = environmentSchema.safeParse(source.data);
  if (result.success) {
    return { config: result.data, problems: [] };
  }
  return { problems: result.error.issues.map((issue) => formatIssue(source.file, issue)) };
}

/** Names a workspace cannot take: the bootstrap stacks are `bootstrap-<account>`, and `organization`. */
const RESERVED_NAMES = ["bootstrap", "organization"];

/**
 * The account rules: a workspace has an account of its own unless both sides declare
 * `sharesAccountWith`; an account keeps its workspaces' state in one region (its bootstrap stack's);
 * a state bucket belongs to one account.
 */
function accountProblems(configs: ReadonlyArray<{ file: string; config: EnvironmentConfig }>): string[] {
  const problems: string[] = [];
  const byName = new Map(configs.map((c) => [c.config.name, c]));
  for (const { file, config } of configs) {
    config.sharesAccountWith.forEach((name, i) => {
      const other = byName.get(name);
      if (!other) {
        problems.push(`${file}: sharesAccountWith[${i}]: "${name}" is not a workspace`);
      } else if (other.config.accountId !== config.accountId) {
        problems.push(`${file}: sharesAccountWith[${i}]: "${name}" deploys to account ${other.config.accountId}, not ${config.accountId}`);
      }
    });
  }
  configs.forEach(({ file, config }, i) => {
    for (const { file: otherFile, config: other } of configs.slice(i + 1)) {
      if (other.accountId === config.accountId) {
        for (const [a, b, aFile] of [
          [config, other, file],
          [other, config, otherFile],
        ] as const) {
          if (!a.sharesAccountWith.includes(b.name)) {
            problems.push(
              `${aFile}: accountId: ${a.accountId} is also the account of "${b.name}"; give each workspace its own account, or list each other in sharesAccountWith`,
            );
          }
        }
        const preferences = (e: EnvironmentConfig) => e.access?.enabled === true && e.access.manageSessionPreferences;
        if (other.region === config.region && preferences(config) && preferences(other)) {
          problems.push(
            `${otherFile}: access.manageSessionPreferences: ${file} already manages the account's Session Manager preferences (SSM-SessionManagerRunShell, one per account and region); set it to false in one of them`,
          );
        }
        if (other.state.region !== config.state.region) {
          problems.push(
            `${otherFile}: state.region: ${other.state.region} differs from ${config.state.region} in ${file}; an account's bootstrap stack keeps its state in one region`,
          );
        }
      } else if (other.state.bucket === config.state.bucket) {
        problems.push(
          `${otherFile}: state.bucket: "${other.state.bucket}" is also the state bucket of ${file}, in another account; state lives in each workspace's own account`,
        );
      }
    }
  });
  return problems;
}

/**
 * Validates every environment and the rules that span them (one project, repository and
 * organization, unique names, the account rules of {@link accountProblems}). Throws {@link ConfigError} listing every problem found.
 */
export function loadEnvironments(sources: readonly EnvironmentSource[]): EnvironmentConfig[] {
  const problems: string[] = [];
  const configs: Array<{ file: string; config: EnvironmentConfig }> = [];
  for (const source of sources) {
    const checked = checkEnvironment(source);
    problems.push(...checked.problems);
    if (checked.config) {
      configs.push({ file: source.file, config: checked.config });
    }
  }
  const [first, ...rest] = configs;
  const names = new Map<string, string>();
  for (const { file, config } of configs) {
    const other = names.get(config.name);
    if (other) {
      problems.push(`${file}: name: "${config.name}" is already used by ${other}`);
    }
    names.set(config.name, file);
    if (RESERVED_NAMES.includes(config.name)) {
      problems.push(`${file}: name: "${config.name}" is reserved for the stacks that create the state backends and the organization policy`);
    }
  }
  for (const { file, config } of rest) {
    if (config.project !== first.config.project) {
      problems.push(`${file}: project: "${config.project}" differs from "${first.config.project}" in ${first.file}`);
    }
    if (JSON.stringify(config.github) !== JSON.stringify(first.config.github)) {
      problems.push(`${file}: github: differs from ${first.file}; one repository deploys every workspace`);
    }
    if (JSON.stringify(config.organization) !== JSON.stringify(first.config.organization)) {
      problems.push(`${file}: organization: differs from ${first.file}; every workspace account belongs to one organization`);
    }
  }
  problems.push(...accountProblems(configs));
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return configs.map((c) => c.config);
}

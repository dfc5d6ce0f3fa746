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

function formatIssue(file: string, issue: ZodIssue): string {
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

/**
 * Validates every environment and the rules that span them (one project, unique names, one state
 * region for the bootstrap stack). Throws {@link ConfigError} listing every problem found.
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
    if (config.name === "bootstrap") {
      problems.push(`${file}: name: "bootstrap" is reserved for the stack that creates the state backend`);
    }
  }
  for (const { file, config } of rest) {
    if (config.project !== first.config.project) {
      problems.push(`${file}: project: "${config.project}" differs from "${first.config.project}" in ${first.file}`);
    }
    if (config.accountId !== first.config.accountId) {
      problems.push(
        `${file}: accountId: ${config.accountId} differs from ${first.config.accountId} in ${first.file}; ` +
          "the bootstrap stack creates the state backend in one account",
      );
    }
    if (JSON.stringify(config.github) !== JSON.stringify(first.config.github)) {
      problems.push(`${file}: github: differs from ${first.file}; one repository deploys every workspace`);
    }
    if (config.state.region !== first.config.state.region) {
      problems.push(
        `${file}: state.region: ${config.state.region} differs from ${first.config.state.region} in ${first.file}; ` +
          "the bootstrap stack keeps all state in one region (set state.region)",
      );
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return configs.map((c) => c.config);
}

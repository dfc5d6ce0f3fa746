/**
 * The errors a repository (or the request parsing in front of it) raises. The HTTP layer maps each to
 * one status; anything else is a 500 whose body carries only the request id.
 */

/** One problem with the request: where (`path`, e.g. `body.data` or `query.limit`) and what rule. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

/** 400: the request is malformed (bad JSON, a failed zod check, a tampered pagination token). */
export class InvalidInputError extends Error {
  constructor(readonly issues: readonly Issue[]) {
    super(issues.map((issue) => `${issue.path}: ${issue.message}`).join("; "));
    this.name = "InvalidInputError";
  }
}

/** 404: the item (or route) does not exist. */
export class NotFoundError extends Error {
  constructor(message = "item not found") {
    super(message);
    this.name = "NotFoundError";
  }
}

/** 409: put-if-absent found an item, or the expected version is not the current one. */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConflictError";
  }
}

/** 405: the path exists, the method does not. */
export class MethodNotAllowedError extends Error {
  constructor(readonly allowed: readonly string[]) {
    super(`method not allowed; allowed: ${allowed.join(", ")}`);
    this.name = "MethodNotAllowedError";
  }
}

/**
 * 503: the store's backend did not answer usefully (an external service timed out, kept failing, or
 * its circuit breaker is open). The message names no internals.
 */
export class UnavailableError extends Error {
  constructor(
    message: string,
    /** Seconds after which a retry may succeed (the breaker's remaining cool-down). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "UnavailableError";
  }
}

/** A thrown value's AWS SDK error name (`ConditionalCheckFailedException`, `NoSuchKey`, ...). */
export function awsErrorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** The HTTP status the AWS SDK recorded on a thrown service error. */
export function awsErrorStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

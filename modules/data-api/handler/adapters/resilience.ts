/**
 * Timeouts, retries and a circuit breaker for calls to an external service.
 *
 * The breaker lives in module scope of the execution environment: each Lambda container keeps its
 * own count (no shared state, no extra service). With N warm containers, up to N trial calls reach a
 * failing service per cool-down; reserved concurrency bounds N.
 */

export interface ResilienceSettings {
  /** Attempts per call for idempotent requests (non-idempotent ones get exactly one). */
  readonly maxAttempts: number;
  /** Backoff cap for the first retry; doubles per retry ("full jitter": a random delay up to it). */
  readonly baseDelayMs: number;
  /** Largest backoff cap. */
  readonly maxDelayMs: number;
  /** Consecutive failed attempts that open the breaker. */
  readonly failureThreshold: number;
  /** How long an open breaker refuses calls before it lets one trial through. */
  readonly cooldownMs: number;
}

export const DEFAULT_RESILIENCE: ResilienceSettings = {
  maxAttempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 1000,
  failureThreshold: 5,
  cooldownMs: 30_000,
};

/** The delay before retry number `retry` (1 = first retry): uniform in [0, min(max, base * 2^(retry-1))). */
export function backoffDelay(retry: number, settings: ResilienceSettings, random: () => number = Math.random): number {
  const cap = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * cap);
}

export type BreakerState = "closed" | "open" | "half-open";

/** Closed -> (threshold consecutive failures) -> open -> (cool-down) -> half-open: one trial decides. */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private current: BreakerState = "closed";

  constructor(
    private readonly settings: Pick<ResilienceSettings, "failureThreshold" | "cooldownMs">,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): BreakerState {
    return this.current;
  }

  /** Whether a call may go out now; when not, how many milliseconds until a trial may. */
  permit(): { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number } {
    if (this.current === "closed") return { ok: true };
    const remaining = this.openedAt + this.settings.cooldownMs - this.now();
    if (this.current === "open" && remaining <= 0) {
      this.current = "half-open";
    }
    if (this.current === "half-open" && !this.trialInFlight) {
      this.trialInFlight = true;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.max(remaining, 0) || this.settings.cooldownMs };
  }

  success(): void {
    this.failures = 0;
    this.trialInFlight = false;
    this.current = "closed";
  }

  failure(): void {
    this.trialInFlight = false;
    this.failures++;
    if (this.current === "half-open" || this.failures >= this.settings.failureThreshold) {
      this.current = "open";
      this.openedAt = this.now();
    }
  }
}

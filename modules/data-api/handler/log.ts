/**
 * One JSON line per request: request id, store, method, route, status, latency (no payloads, no
 * keys, no secrets). The same line carries the request's CloudWatch metrics in the embedded metric
 * format (EMF), so metrics cost no API call and no extra line.
 */
import { DATA_API_METRIC_DIMENSIONS, DATA_API_METRICS, DATA_API_METRICS_NAMESPACE } from "./config";

export interface RequestRecord {
  readonly requestId: string;
  readonly lambdaRequestId?: string;
  readonly store: string;
  readonly kind: string;
  readonly method: string;
  /** `items` (collection), `item`, or `unmatched`. */
  readonly route: string;
  readonly status: number;
  readonly latencyMs: number;
  /** Present when the request reached the store's backend. */
  readonly adapter?: { readonly latencyMs: number; readonly failed: boolean };
  /** For 5xx answers: what failed (error name; AWS request id and status; messages of our own errors only). */
  readonly error?: Record<string, unknown>;
}

export type LineWriter = (line: string) => void;

/** Errors go to stderr, the rest to stdout (both reach CloudWatch Logs). */
export const consoleWriter: LineWriter = (line) => {
  if (line.includes('"level":"error"')) console.error(line);
  else console.log(line);
};

/** The log line (with EMF metrics) for one request. */
export function requestLine(record: RequestRecord, functionName: string, timestamp: number): string {
  const metrics: { Name: string; Unit: string }[] = [
    { Name: DATA_API_METRICS.requests, Unit: "Count" },
    { Name: DATA_API_METRICS.clientErrors, Unit: "Count" },
    { Name: DATA_API_METRICS.serverErrors, Unit: "Count" },
    { Name: DATA_API_METRICS.latency, Unit: "Milliseconds" },
  ];
  const values: Record<string, number> = {
    [DATA_API_METRICS.requests]: 1,
    [DATA_API_METRICS.clientErrors]: record.status >= 400 && record.status < 500 ? 1 : 0,
    [DATA_API_METRICS.serverErrors]: record.status >= 500 ? 1 : 0,
    [DATA_API_METRICS.latency]: record.latencyMs,
  };
  if (record.adapter) {
    metrics.push({ Name: DATA_API_METRICS.adapterErrors, Unit: "Count" }, { Name: DATA_API_METRICS.adapterLatency, Unit: "Milliseconds" });
    values[DATA_API_METRICS.adapterErrors] = record.adapter.failed ? 1 : 0;
    values[DATA_API_METRICS.adapterLatency] = record.adapter.latencyMs;
  }
  const { adapter, ...fields } = record;
  return JSON.stringify({
    level: record.status >= 500 ? "error" : "info",
    message: "request",
    ...fields,
    ...(adapter && { adapterLatencyMs: adapter.latencyMs, adapterFailed: adapter.failed }),
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{ Namespace: DATA_API_METRICS_NAMESPACE, Dimensions: [[...DATA_API_METRIC_DIMENSIONS]], Metrics: metrics }],
    },
    FunctionName: functionName,
    Store: record.store,
    ...values,
  });
}

/** A loggable view of a thrown value: never an AWS error's message (it can quote request values). */
export function describeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { name: "NonError" };
  const metadata = (error as { $metadata?: { requestId?: string; httpStatusCode?: number } }).$metadata;
  if (metadata) {
    return { name: error.name, ...(metadata.requestId && { awsRequestId: metadata.requestId }), ...(metadata.httpStatusCode && { httpStatus: metadata.httpStatusCode }) };
  }
  // Only messages this code writes itself (plain Errors, 503s); a SyntaxError or ZodError can quote data.
  const own = error.constructor === Error || error.name === "UnavailableError";
  return { name: error.name, ...(own && { message: error.message }) };
}

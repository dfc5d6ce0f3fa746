export type LogLevel = "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;
export type Logger = (level: LogLevel, message: string, fields?: LogFields) => void;

/** Writes one JSON object per line: `{"level","message",...fields}`; errors go to stderr. */
export const jsonLogger: Logger = (level, message, fields = {}) => {
  const line = JSON.stringify({ level, message, ...fields });
  if (level === "error") {
    console.error(line);
  } else {
    console.log(line);
  }
};

/** A loggable view of a thrown value: name and message (and the AWS request id when there is one). */
export function describeError(error: unknown): { name: string; message: string; requestId?: string } {
  if (error instanceof Error) {
    const requestId = (error as { $metadata?: { requestId?: string } }).$metadata?.requestId;
    return { name: error.name, message: error.message, ...(requestId && { requestId }) };
  }
  return { name: "NonError", message: String(error) };
}

/**
 * Validation of EventBridge Scheduler recurring expressions and time zones.
 *
 * Pure functions that return a one-line reason when the input is refused and `undefined` when it is
 * accepted; they never throw, so the zod config schema and the modules that take a schedule (scheduled tasks,
 * backup plans) can all call them. The rules follow the EventBridge cron and rate reference:
 *
 * | field        | values             | wildcards        |
 * | ------------ | ------------------ | ---------------- |
 * | minute       | 0-59               | `, - * /`        |
 * | hour         | 0-23               | `, - * /`        |
 * | day-of-month | 1-31               | `, - * ? / L W`  |
 * | month        | 1-12 or JAN-DEC    | `, - * /`        |
 * | day-of-week  | 1-7 or SUN-SAT     | `, - * ? L #`    |
 * | year         | 1970-2199          | `, - * /`        |
 *
 * Exactly one of day-of-month and day-of-week is `?`. The special forms (`L`, `LW`, `15W` in
 * day-of-month; `L`, `6L`, `3#2` in day-of-week) stand alone in their field, never in a list or range.
 * Ranges must run forwards (`22-2` is refused).
 */

interface CronField {
  /** Name used in messages. */
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Upper-case names, index 0 meaning `min`. */
  readonly names?: readonly string[];
  /** `?` allowed (day-of-month and day-of-week only). */
  readonly question?: boolean;
  /** `/` increments allowed (not in day-of-week). */
  readonly step: boolean;
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] as const;
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] as const;

const MINUTE: CronField = { name: "minute", min: 0, max: 59, step: true };
const HOUR: CronField = { name: "hour", min: 0, max: 23, step: true };
const DAY_OF_MONTH: CronField = { name: "day-of-month", min: 1, max: 31, question: true, step: true };
const MONTH: CronField = { name: "month", min: 1, max: 12, names: MONTHS, step: true };
const DAY_OF_WEEK: CronField = { name: "day-of-week", min: 1, max: 7, names: WEEKDAYS, question: true, step: false };
const YEAR: CronField = { name: "year", min: 1970, max: 2199, step: true };

const FIELDS = [MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK, YEAR] as const;
const FIELD_LIST = "minutes hours day-of-month month day-of-week year";

const RATE_UNITS: Readonly<Record<string, { singular: string; plural: string }>> = {
  minute: { singular: "minute", plural: "minutes" },
  minutes: { singular: "minute", plural: "minutes" },
  hour: { singular: "hour", plural: "hours" },
  hours: { singular: "hour", plural: "hours" },
  day: { singular: "day", plural: "days" },
  days: { singular: "day", plural: "days" },
};

const RATE_SHAPE = "rate must be a positive number of minutes, hours or days";

/** Quotes user input for a message, escaped so that every reason stays on one line. */
const q = (text: string): string =>
  JSON.stringify(text).replace(/[\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

/**
 * Returns why `expression` is not a recurring EventBridge Scheduler expression (`cron(...)` with six
 * fields or `rate(N unit)`), or undefined when it is one.
 */
export function scheduleProblem(expression: string): string | undefined {
  if (typeof expression !== "string" || expression.trim() === "") {
    return "schedule is empty; use cron(...) or rate(...)";
  }
  if (/[^\x20-\x7e]/.test(expression)) {
    return `schedule ${q(expression)} contains a line break, tab or non-ASCII character; write it on one line with spaces`;
  }
  if (expression !== expression.trim()) {
    return `schedule ${q(expression)} has leading or trailing spaces`;
  }
  const cron = /^cron\((.*)\)$/s.exec(expression);
  if (cron) {
    return cronProblem(cron[1]);
  }
  const rate = /^rate\((.*)\)$/s.exec(expression);
  if (rate) {
    return rateProblem(rate[1]);
  }
  if (expression.startsWith("at(")) {
    return "one-time at(...) schedules are not supported for a recurring task; use cron(...) or rate(...)";
  }
  return `schedule ${q(expression)} must be cron(...) or rate(...)`;
}

function rateProblem(body: string): string | undefined {
  const parts = body.trim() === "" ? [] : body.trim().split(/\s+/);
  if (parts.length !== 2 || body !== `${parts[0]} ${parts[1]}`) {
    return `${RATE_SHAPE}, written rate(<number> <unit>) with one space, got ${q(`rate(${body})`)}`;
  }
  const [value, unit] = parts;
  if (!/^\d+$/.test(value) || Number(value) < 1 || /^0/.test(value)) {
    return `${RATE_SHAPE}, got ${q(value)}`;
  }
  const known = RATE_UNITS[unit];
  if (!known) {
    return `rate unit ${q(unit)} is not one of minute(s), hour(s), day(s)`;
  }
  const count = Number(value);
  if (count === 1 && unit !== known.singular) {
    return `rate(1 ${unit}) must use the singular unit: rate(1 ${known.singular})`;
  }
  if (count > 1 && unit !== known.plural) {
    return `rate(${value} ${unit}) must use the plural unit: rate(${value} ${known.plural})`;
  }
  return undefined;
}

function cronProblem(body: string): string | undefined {
  const fields = body.trim() === "" ? [] : body.trim().split(/\s+/);
  if (fields.length !== FIELDS.length) {
    return `cron has ${fields.length} field${fields.length === 1 ? "" : "s"}, expected 6 (${FIELD_LIST})`;
  }
  const [minute, hour, dayOfMonth, month, dayOfWeek, year] = fields;
  const problem =
    listProblem(MINUTE, minute) ??
    listProblem(HOUR, hour) ??
    dayOfMonthProblem(dayOfMonth) ??
    listProblem(MONTH, month) ??
    dayOfWeekProblem(dayOfWeek) ??
    listProblem(YEAR, year);
  if (problem) {
    return problem;
  }
  if (dayOfMonth === "?" && dayOfWeek === "?") {
    return "day-of-month and day-of-week cannot both be ?; set one of them and use ? in the other";
  }
  if (dayOfMonth !== "?" && dayOfWeek !== "?") {
    return "day-of-month and day-of-week cannot both be set; use ? in one of them";
  }
  return undefined;
}

function dayOfMonthProblem(text: string): string | undefined {
  const upper = text.toUpperCase();
  if (upper === "L" || upper === "LW") {
    return undefined;
  }
  const weekday = /^(\d+)W$/.exec(upper);
  if (weekday) {
    return valueProblem(DAY_OF_MONTH, weekday[1]);
  }
  if (/[LW]/.test(upper)) {
    return specialProblem(DAY_OF_MONTH, text, "L, LW or <day>W (for example 15W)");
  }
  return listProblem(DAY_OF_MONTH, text);
}

function dayOfWeekProblem(text: string): string | undefined {
  const upper = text.toUpperCase();
  if (upper === "L") {
    return undefined;
  }
  const last = /^([0-9A-Z]+)L$/.exec(upper);
  if (last) {
    return valueProblem(DAY_OF_WEEK, last[1]);
  }
  const nth = /^([0-9A-Z]+)#(\d+)$/.exec(upper);
  if (nth) {
    const day = valueProblem(DAY_OF_WEEK, nth[1]);
    if (day) {
      return day;
    }
    const occurrence = Number(nth[2]);
    if (!/^[1-5]$/.test(nth[2])) {
      return `day-of-week ${q(text)}: the occurrence after # must be 1-5, got ${occurrence}`;
    }
    return undefined;
  }
  if (upper.includes("#") || /(^|[^A-Z])L/.test(upper)) {
    return specialProblem(DAY_OF_WEEK, text, "L, <day>L (for example 6L) or <day>#<n> (for example 3#2)");
  }
  return listProblem(DAY_OF_WEEK, text);
}

function specialProblem(field: CronField, text: string, forms: string): string {
  if (text.includes(",") || text.includes("-") || text.includes("/")) {
    return `${field.name} ${q(text)}: ${forms} must stand alone, not in a list, range or increment`;
  }
  return `${field.name} ${q(text)} is not a valid form; use ${forms}`;
}

/** A comma-separated list of `*`, values, ranges and increments. */
function listProblem(field: CronField, text: string): string | undefined {
  if (text === "?") {
    return field.question ? undefined : `? is only allowed in day-of-month or day-of-week, not in ${field.name}`;
  }
  const items = text.split(",");
  for (const item of items) {
    if (item === "") {
      return `${field.name} ${q(text)} has an empty list item`;
    }
    if (item === "?" || item === "*") {
      if (items.length > 1) {
        return `${field.name} ${q(text)}: ${item} cannot be part of a list`;
      }
      continue;
    }
    const problem = itemProblem(field, item);
    if (problem) {
      return problem;
    }
  }
  return undefined;
}

function itemProblem(field: CronField, item: string): string | undefined {
  const slash = item.split("/");
  if (slash.length > 2) {
    return `${field.name} ${q(item)} has more than one /`;
  }
  const [base, step] = slash;
  if (step !== undefined) {
    if (!field.step) {
      return `${field.name} does not allow / increments (${q(item)})`;
    }
    const span = field.max - field.min;
    if (!/^\d+$/.test(step) || Number(step) < 1 || Number(step) > span) {
      return `${field.name} increment ${q(step)} in ${q(item)} must be a whole number from 1 to ${span}`;
    }
    if (base === "*") {
      return undefined;
    }
  }
  if (base === "*") {
    return undefined;
  }
  if (base === "") {
    return `${field.name} ${q(item)} is missing a value before /`;
  }
  const range = base.split("-");
  if (range.length > 2 || range.some((r) => r === "")) {
    return `${field.name} ${q(item)} is not a value or a range like ${rangeExample(field)}`;
  }
  const bounds: number[] = [];
  for (const part of range) {
    const problem = valueProblem(field, part);
    if (problem) {
      return problem;
    }
    bounds.push(valueOf(field, part));
  }
  if (bounds.length === 2 && bounds[0] > bounds[1]) {
    return `${field.name} range ${q(base)} runs backwards; write it from low to high`;
  }
  return undefined;
}

function rangeExample(field: CronField): string {
  return field.names ? `${field.names[0]}-${field.names[field.names.length - 1]}` : `${field.min}-${field.max}`;
}

function valueOf(field: CronField, text: string): number {
  if (/^\d+$/.test(text)) {
    return Number(text);
  }
  return field.min + (field.names ?? []).indexOf(text.toUpperCase());
}

function valueProblem(field: CronField, text: string): string | undefined {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < field.min || value > field.max) {
      return `${field.name} ${value} is outside ${field.min}-${field.max}`;
    }
    return undefined;
  }
  if (field.names?.includes(text.toUpperCase())) {
    return undefined;
  }
  const allowed = field.names
    ? `${field.min}-${field.max} or ${field.names[0]}-${field.names[field.names.length - 1]}`
    : `a number from ${field.min} to ${field.max}`;
  return `${field.name} ${q(text)} is not ${allowed}`;
}

let knownTimeZones: ReadonlyMap<string, string> | undefined;

/** Lower-case name to canonical spelling of every zone this runtime lists, plus UTC and Etc/UTC. */
function timeZones(): ReadonlyMap<string, string> {
  if (!knownTimeZones) {
    const names = [...Intl.supportedValuesOf("timeZone"), "UTC", "Etc/UTC"];
    knownTimeZones = new Map(names.map((n) => [n.toLowerCase(), n]));
  }
  return knownTimeZones;
}

/**
 * Returns why `tz` is not an IANA time zone name EventBridge Scheduler accepts for
 * `schedule_expression_timezone`, or undefined when it is one. Accepts the runtime's canonical zones
 * (`Intl.supportedValuesOf("timeZone")`), `UTC` and `Etc/UTC`, and IANA aliases the runtime resolves
 * (such as `Asia/Kolkata` on an ICU that lists `Asia/Calcutta`) when spelled with IANA capitals.
 */
export function timeZoneProblem(tz: string): string | undefined {
  if (typeof tz !== "string" || tz === "") {
    return 'time zone is empty; use an IANA name such as "UTC" or "Europe/Berlin"';
  }
  const known = timeZones().get(tz.toLowerCase());
  if (known === tz) {
    return undefined;
  }
  if (known) {
    return `time zone ${q(tz)} must be spelled ${q(known)}`;
  }
  let resolves = true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
  } catch {
    resolves = false;
  }
  if (!resolves) {
    return `time zone ${q(tz)} is not an IANA time zone name (for example "UTC" or "Europe/Berlin")`;
  }
  if (tz.split("/").some((segment) => !/^[A-Z]/.test(segment))) {
    return `time zone ${q(tz)} is not spelled as in the IANA database (each part starts with a capital letter)`;
  }
  return undefined;
}

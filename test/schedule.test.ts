import { describe, expect, it } from "vitest";
import { scheduleProblem, timeZoneProblem } from "../src/lib/schedule";

const REFUSED: Array<[string, string]> = [
  ["cron(0 3 * * ?)", "cron has 5 fields, expected 6 (minutes hours day-of-month month day-of-week year)"],
  ["cron(0 3 * * ? * *)", "cron has 7 fields, expected 6 (minutes hours day-of-month month day-of-week year)"],
  ["cron(61 3 * * ? *)", "minute 61 is outside 0-59"],
  ["cron(0 24 * * ? *)", "hour 24 is outside 0-23"],
  ["cron(0 3 32 * ? *)", "day-of-month 32 is outside 1-31"],
  ["cron(0 3 0 * ? *)", "day-of-month 0 is outside 1-31"],
  ["cron(0 3 * 13 ? *)", "month 13 is outside 1-12"],
  ["cron(0 3 ? * 8 *)", "day-of-week 8 is outside 1-7"],
  ["cron(0 3 * * ? 2200)", "year 2200 is outside 1970-2199"],
  ["cron(0 3 * * ? 1969)", "year 1969 is outside 1970-2199"],
  ["cron(0 3 * FOO ? *)", 'month "FOO" is not 1-12 or JAN-DEC'],
  ["cron(0 3 * * MON *)", "day-of-month and day-of-week cannot both be set; use ? in one of them"],
  ["cron(0 3 1 * 2 *)", "day-of-month and day-of-week cannot both be set; use ? in one of them"],
  ["cron(0 3 ? * ? *)", "day-of-month and day-of-week cannot both be ?; set one of them and use ? in the other"],
  ["cron(? 3 * * ? *)", "? is only allowed in day-of-month or day-of-week, not in minute"],
  ["cron(0 22-2 * * ? *)", 'hour range "22-2" runs backwards; write it from low to high'],
  ["cron(0/0 * * * ? *)", 'minute increment "0" in "0/0" must be a whole number from 1 to 59'],
  ["cron(0 3 ? * 2/2 *)", 'day-of-week does not allow / increments ("2/2")'],
  ["cron(0 3 1,,15 * ? *)", 'day-of-month "1,,15" has an empty list item'],
  ["cron(0 3 32W * ? *)", "day-of-month 32 is outside 1-31"],
  ["cron(0 3 1-5W * ? *)", 'day-of-month "1-5W": L, LW or <day>W (for example 15W) must stand alone, not in a list, range or increment'],
  ["cron(0 3 ? * 3#1,6#3 *)", 'day-of-week "3#1,6#3": L, <day>L (for example 6L) or <day>#<n> (for example 3#2) must stand alone, not in a list, range or increment'],
  ["cron(0 3 ? * 3#6 *)", 'day-of-week "3#6": the occurrence after # must be 1-5, got 6'],
  ["cron(0 3 ? * 9L *)", "day-of-week 9 is outside 1-7"],
  ["cron(0 3 * * L *)", "day-of-month and day-of-week cannot both be set; use ? in one of them"],
  ["rate(0 minutes)", 'rate must be a positive number of minutes, hours or days, got "0"'],
  ["rate(-5 minutes)", 'rate must be a positive number of minutes, hours or days, got "-5"'],
  ["rate(1.5 hours)", 'rate must be a positive number of minutes, hours or days, got "1.5"'],
  ["rate(1 minutes)", "rate(1 minutes) must use the singular unit: rate(1 minute)"],
  ["rate(2 minute)", "rate(2 minute) must use the plural unit: rate(2 minutes)"],
  ["rate(1 days)", "rate(1 days) must use the singular unit: rate(1 day)"],
  ["rate(2 weeks)", 'rate unit "weeks" is not one of minute(s), hour(s), day(s)'],
  ["rate(5 seconds)", 'rate unit "seconds" is not one of minute(s), hour(s), day(s)'],
  ["rate(5)", 'rate must be a positive number of minutes, hours or days, written rate(<number> <unit>) with one space, got "rate(5)"'],
  ["at(2030-01-01T00:00:00)", "one-time at(...) schedules are not supported for a recurring task; use cron(...) or rate(...)"],
  ["0 3 * * ? *", 'schedule "0 3 * * ? *" must be cron(...) or rate(...)'],
  ["", "schedule is empty; use cron(...) or rate(...)"],
  [" rate(5 minutes)", 'schedule " rate(5 minutes)" has leading or trailing spaces'],
  ["rate(5\nminutes)", 'schedule "rate(5\\nminutes)" contains a line break, tab or non-ASCII character; write it on one line with spaces'],
];

describe("scheduleProblem", () => {
  it.each([
    "cron(0 3 * * ? *)",
    "cron(15 10 ? * MON-FRI *)",
    "cron(0/15 8-17 ? * 2-6 *)",
    "cron(*/5 * * * ? *)",
    "cron(0 12 1,15 JAN,JUL ? 2025-2030)",
    "cron(0 0 L * ? *)",
    "cron(0 0 LW * ? *)",
    "cron(0 9 15W * ? *)",
    "cron(0 18 ? * 6L *)",
    "cron(0 10 ? * 3#2 *)",
    "cron(0 10 ? * L *)",
    "cron(0 10 ? * sun *)",
    "cron(59 23 31 12 ? 2199)",
    "rate(1 minute)",
    "rate(5 minutes)",
    "rate(1 hour)",
    "rate(12 hours)",
    "rate(1 day)",
    "rate(7 days)",
  ])("accepts %s", (expression) => {
    expect(scheduleProblem(expression)).toBeUndefined();
  });

  it.each(REFUSED)("refuses %j: %s", (expression, reason) => {
    expect(scheduleProblem(expression)).toBe(reason);
  });

  it("keeps every reason on one line", () => {
    const tricky = ["rate(5\r\nminutes)", "cron(0\n3 * * ? *\n)", "cron(0 3 * FOO\u2028 ? *)", "rate(\u20285 minutes)", "nightly\n"];
    for (const expression of [...REFUSED.map(([e]) => e), ...tricky]) {
      const reason = scheduleProblem(expression);
      expect(reason, expression).toBeDefined();
      expect(reason).not.toMatch(/[\r\n\u2028\u2029]/);
    }
  });
});

describe("timeZoneProblem", () => {
  it.each(["UTC", "Etc/UTC", "Europe/Berlin", "America/New_York", "America/Argentina/Buenos_Aires", "Asia/Kolkata", "Etc/GMT+5"])(
    "accepts %s",
    (tz) => {
      expect(timeZoneProblem(tz)).toBeUndefined();
    },
  );

  it.each([
    ["Mars/Olympus", 'time zone "Mars/Olympus" is not an IANA time zone name (for example "UTC" or "Europe/Berlin")'],
    ["CEST", 'time zone "CEST" is not an IANA time zone name (for example "UTC" or "Europe/Berlin")'],
    ["+01:00", 'time zone "+01:00" is not an IANA time zone name (for example "UTC" or "Europe/Berlin")'],
    ["europe/berlin", 'time zone "europe/berlin" must be spelled "Europe/Berlin"'],
    ["utc", 'time zone "utc" must be spelled "UTC"'],
    ["Europe/Berlin ", 'time zone "Europe/Berlin " is not an IANA time zone name (for example "UTC" or "Europe/Berlin")'],
    ["", 'time zone is empty; use an IANA name such as "UTC" or "Europe/Berlin"'],
  ])("refuses %j", (tz, reason) => {
    expect(timeZoneProblem(tz)).toBe(reason);
  });
});

import { afterEach, describe, expect, it, vi } from "vitest";
import { alertsKeyPolicy, alertsTopicPolicy } from "../modules/monitoring";
import { DEFAULT_COST_ASSUMPTIONS, estimatePlatform, estimateStack, FREE_TYPES, PRICERS, PRICES, resolveAssumptions, runsPerMonth } from "../src/lib/cost";
import { formatMarkdown } from "../src/lib/cost";
import type { StackModel } from "../src/lib/stack-model";
import { main as cost } from "../src/tools/cost";
import { platformModels } from "./platform-models";

const workspace = (name: string) => platformModels().find((m) => m.name === name)!;
const estimate = (name: string) => estimatePlatform([workspace(name)])[0];
/** A workspace model with its config changed (the resources stay those of the repository). */
const withConfig = (name: string, change: (config: any) => void): StackModel => {
  const m = workspace(name);
  const config = structuredClone(m.config!);
  change(config);
  return { ...m, config };
};

describe("price table (src/lib/cost/prices.json)", () => {
  it("gives every entry a region, unit, price, date and AWS pricing-page source, ids unique", () => {
    expect(new Set(PRICES.map((p) => `${p.id}@${p.region}`)).size).toBe(PRICES.length);
    for (const p of PRICES) {
      expect(p.region, p.id).toMatch(/^[a-z]{2}-[a-z]+-\d$/);
      expect(p.unit, p.id).not.toBe("");
      expect(p.price, p.id).toBeGreaterThan(0);
      expect(p.date, p.id).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(p.source, p.id).toMatch(/^https:\/\/aws\.amazon\.com\/[a-z0-9/.-]+\/$/);
    }
  });

  it("holds every price the estimates of the repository's stacks use", () => {
    const used = estimatePlatform(platformModels()).flatMap((e) => e.items.map((i) => i.priceId)).filter((id) => id !== "none");
    expect(used.filter((id) => !PRICES.some((p) => p.id === id))).toEqual([]);
  });
});

describe("every billable resource type is priced", () => {
  it("each resource type in the stacks has a pricer or is listed free with a reason", () => {
    const types = new Set(platformModels().flatMap((m) => m.resources.map((r) => r.type)));
    expect([...types].filter((t) => !PRICERS[t] && !FREE_TYPES[t]).sort()).toEqual([]);
    expect(Object.keys(PRICERS).filter((t) => FREE_TYPES[t])).toEqual([]);
  });

  it("no resource of any stack is left not priced", () => {
    expect(estimatePlatform(platformModels()).flatMap((e) => e.notPriced)).toEqual([]);
  });

  it("a resource type with no price entry is reported not priced, never counted as zero", () => {
    const m = workspace("dev");
    const json = { resource: { aws_mystery_appliance: { a: { "//": { metadata: { path: "dev/x/a" } } } } } };
    const e = estimateStack({ ...m, json, resources: [{ type: "aws_mystery_appliance", name: "a", address: "aws_mystery_appliance.a", path: "x/a", values: {} }] }, DEFAULT_COST_ASSUMPTIONS, "us-east-1");
    expect(e.notPriced).toEqual([{ address: "aws_mystery_appliance.a", type: "aws_mystery_appliance", tier: "Other", reason: "no price entry for this resource type" }]);
    expect(e.monthly).toBe(0);
    // A region without prices is reported the same way.
    expect(estimateStack(m, DEFAULT_COST_ASSUMPTIONS, "eu-west-1").notPriced.length).toBeGreaterThan(10);
  });
});

describe("estimates read the stacks", () => {
  const items = (name: string, type: string) => estimate(name).items.filter((i) => i.type === type);

  it("prices NAT gateways per gateway-hour and per GB, splitting the assumed traffic", () => {
    const nat = items("prod", "aws_nat_gateway");
    expect(nat.filter((i) => i.priceId === "nat.hour").map((i) => i.monthly)).toEqual([32.85, 32.85, 32.85].map((n) => expect.closeTo(n, 6)));
    expect(nat.filter((i) => i.priceId === "nat.gb").reduce((n, i) => n + i.quantity, 0)).toBeCloseTo(DEFAULT_COST_ASSUMPTIONS.natGbPerMonth, 6);
    expect(items("dev", "aws_nat_gateway").filter((i) => i.priceId === "nat.hour")).toHaveLength(1);
  });

  it("splits a service's minimum tasks by its capacity-provider strategy: base on-demand, the rest by weight, Spot discounted", () => {
    // prod web: 3 tasks minimum, base 2 on FARGATE, then FARGATE:FARGATE_SPOT 1:3; 1 vCPU, 2 GB, x86.
    const web = estimate("prod").items.filter((i) => i.address === "aws_ecs_service.web_service_10983F6A");
    const cpu = (spot: boolean) => web.find((i) => i.priceId === "fargate.x86.vcpu" && i.item.includes("Spot") === spot)!;
    expect(cpu(false).quantity).toBeCloseTo(2.25 * 730, 6);
    expect(cpu(true).quantity).toBeCloseTo(0.75 * 730, 6);
    expect(cpu(true).unitPrice).toBeCloseTo(0.04048 * 0.3, 9);
    expect(web.some((i) => i.item.startsWith("Container Insights"))).toBe(true);
  });

  it("prices scheduled tasks per run from the expression, and a paused schedule at zero runs", () => {
    expect(runsPerMonth("rate(6 hours)", 730)).toBeCloseTo(730 / 6, 6);
    expect(runsPerMonth("cron(0 2 * * ? *)", 730)).toBeCloseTo(730 / 24, 6);
    expect(runsPerMonth("cron(0/15 8-17 ? * MON-FRI *)", 730)).toBeCloseTo(4 * 10 * 5 * (730 / 24 / 7), 6);
    const paused = items("dev", "aws_scheduler_schedule");
    expect(paused.map((i) => i.quantity)).toEqual([0]);
    const cleanup = items("prod", "aws_scheduler_schedule").filter((i) => i.address.includes("cleanup") && i.priceId === "fargate.x86.vcpu");
    expect(cleanup[0].quantity).toBeCloseTo((730 / 6) * (10 / 60) * 0.25, 6);
  });

  it("prices Aurora Serverless v2 at the assumed average and reports the minimum", () => {
    const e = estimate("prod");
    const acu = e.items.filter((i) => i.priceId === "aurora.acu");
    expect(acu).toHaveLength(2); // writer and reader
    const average = 1 + DEFAULT_COST_ASSUMPTIONS.aurora.averageLoad * (16 - 1);
    expect(acu[0].quantity).toBeCloseTo(average * 730, 6);
    expect(e.auroraAtMinimum?.monthly).toBeCloseTo(2 * 1 * 730 * 0.12, 2);
    expect(e.items.some((i) => i.type === "aws_rds_cluster" && i.priceId === "secrets.secret")).toBe(true);
  });

  it("stores recovery points in the DR vault the plan copies to, buckets at the S3 backup rate, tables at their size", () => {
    const vaults = items("prod", "aws_backup_vault");
    const dr = vaults.filter((i) => i.address.includes("backup-dr"));
    // The cluster, the two pipeline buckets and the data API's documents bucket at 40 GB each; two tables at 1 GB each.
    expect(dr.map((i) => [i.priceId, i.quantity])).toEqual([
      ["backup.aurora.gb", 40],
      ["backup.s3.gb", 120],
      ["backup.dynamodb.gb", 2],
    ]);
    const primary = vaults.filter((i) => !i.address.includes("backup-dr"));
    expect(primary.find((i) => i.priceId === "backup.s3.gb")?.quantity).toBe(120);
    expect(primary.find((i) => i.priceId === "backup.copy.gb")?.quantity).toBe(162);
  });

  it("gives dead-letter queues their own, smaller request assumption", () => {
    const sqs = items("prod", "aws_sqs_queue");
    expect(sqs.filter((i) => i.item.includes("dead-letter")).length).toBe(4);
    expect(sqs.filter((i) => !i.item.includes("dead-letter")).length).toBe(2);
  });

  it("applies a workspace's costAssumptions over the defaults", () => {
    expect(resolveAssumptions({ natGbPerMonth: 7, aurora: { storageGb: 1 } })).toMatchObject({ natGbPerMonth: 7, aurora: { storageGb: 1, averageLoad: DEFAULT_COST_ASSUMPTIONS.aurora.averageLoad } });
    const base = estimateStack(workspace("prod"), DEFAULT_COST_ASSUMPTIONS, "us-east-1").monthly;
    const more = estimatePlatform([withConfig("prod", (c) => (c.costAssumptions = { natGbPerMonth: 1050 }))])[0].monthly;
    expect(more - base).toBeCloseTo(1000 * 0.045, 1);
    // dev's file lowers traffic, so its estimate is below the defaults'.
    expect(estimate("dev").monthly).toBeLessThan(estimateStack(workspace("dev"), DEFAULT_COST_ASSUMPTIONS, "us-east-1").monthly);
  });

  it("sums by tier and by kind to the total", () => {
    for (const e of estimatePlatform(platformModels())) {
      const sum = (rows: Record<string, number>) => Object.values(rows).reduce((n, v) => n + v, 0);
      expect(sum(e.byTier)).toBeCloseTo(e.monthly, 1);
      expect(sum(e.byKind)).toBeCloseTo(e.monthly, 1);
    }
    expect(Object.keys(estimate("prod").byTier)).toEqual(expect.arrayContaining(["DatabaseTier", "NetworkTier", "ServicesTier", "OperationsTier"]));
  });
});

describe("npm run cost", () => {
  afterEach(() => vi.restoreAllMocks());
  const run = (argv: string[], models?: StackModel[]) => {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((s) => (out.push(String(s)), true));
    vi.spyOn(console, "error").mockImplementation((s) => void err.push(String(s)));
    const code = cost(argv, models ?? platformModels());
    vi.restoreAllMocks();
    return { code, out: out.join(""), err: err.join("\n") };
  };

  it("passes within the budgets and prints each workspace by tier and kind", () => {
    const { code, out } = run(["--workspace", "dev", "--workspace", "prod"]);
    expect(code).toBe(0);
    expect(out).toMatch(/^dev \(us-east-1\): \$\d+\.\d\d per month, budget \$250\.00$/m);
    expect(out).toContain("  by tier:");
    expect(out).toContain("  by kind:");
  });

  it("exits 1 when an estimate exceeds its budget", () => {
    const tight = withConfig("dev", (c) => (c.budgets = { monthlyUsd: 20, actualAlertPercent: [100], forecastAlertPercent: 100 }));
    const { code, err } = run(["--workspace", "dev"], [tight]);
    expect(code).toBe(1);
    expect(err).toMatch(/^error: dev: estimate \$\d+\.\d\d exceeds the budget of \$20\.00 \(budgets\.monthlyUsd\)$/);
  });

  it("--json gives every stack's total, tiers, kinds and items", () => {
    const { code, out } = run(["--json"]);
    expect(code).toBe(0);
    const parsed = JSON.parse(out) as { currency: string; stacks: Array<{ stack: string; monthly: number; budget?: number }> };
    expect(parsed.currency).toBe("USD");
    expect(parsed.stacks.map((s) => s.stack)).toEqual(platformModels().map((m) => m.name));
    expect(parsed.stacks.find((s) => s.stack === "prod")).toMatchObject({ monthly: estimate("prod").monthly, budget: 1200 });
  });

  it("--markdown shows the change against a baseline, by tier", () => {
    const now = estimatePlatform([workspace("prod")]);
    const before = [{ stack: "prod", monthly: now[0].monthly - 10, byTier: { ...now[0].byTier, ServicesTier: now[0].byTier.ServicesTier - 10 } }];
    const md = formatMarkdown(now, before);
    expect(md).toContain(`| prod | $${now[0].monthly.toFixed(2)} | +$10.00 | $1200.00 |`);
    expect(md).toContain("| ServicesTier |");
    expect(formatMarkdown(now)).toContain("| n/a |");
    expect(run(["--baseline", "x.json"]).code).toBe(2);
  });
});

describe("budget guard", () => {
  it("creates the prod budget with actual and forecast alerts to the alerts topic", () => {
    const budget = Object.values(workspace("prod").json.resource.aws_budgets_budget) as Array<Record<string, any>>;
    expect(budget).toHaveLength(1);
    expect(budget[0]).toMatchObject({ budget_type: "COST", time_unit: "MONTHLY", limit_amount: "1200.00", limit_unit: "USD", account_id: "444455556666" });
    expect(budget[0].cost_filter).toBeUndefined();
    expect(budget[0].notification.map((n: any) => [n.notification_type, n.threshold])).toEqual([["ACTUAL", 80], ["ACTUAL", 100], ["FORECASTED", 100]]);
    const topic = Object.keys(workspace("prod").json.resource.aws_sns_topic)[0];
    for (const n of budget[0].notification) expect(n.subscriber_sns_topic_arns).toEqual([`\${aws_sns_topic.${topic}.arn}`]);
  });

  it("lets budgets.amazonaws.com publish to the topic, for this account's budgets only, and use its key", () => {
    const json = workspace("prod").json;
    const policy = JSON.parse((Object.values(json.resource.aws_sns_topic_policy)[0] as any).policy);
    expect(policy.Statement.find((s: any) => s.Sid === "BudgetsPublish")).toEqual({
      Sid: "BudgetsPublish",
      Effect: "Allow",
      Principal: { Service: "budgets.amazonaws.com" },
      Action: "sns:Publish",
      Resource: expect.stringMatching(/^\$\{aws_sns_topic\..+\.arn\}$/),
      Condition: { StringEquals: { "aws:SourceAccount": "444455556666" }, ArnLike: { "aws:SourceArn": "arn:aws:budgets::444455556666:*" } },
    });
    const key = Object.values(json.resource.aws_kms_key).map((k: any) => JSON.parse(k.policy)).find((p: any) => p.Statement.some((s: any) => s.Sid === "BudgetsEncryptNotifications"));
    expect(key.Statement.find((s: any) => s.Sid === "BudgetsEncryptNotifications").Condition).toEqual({
      StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": "arn:aws:sns:us-east-1:444455556666:acme-prod-alerts" },
    });
  });

  it("grants Budgets nothing when no budget is configured", () => {
    expect(alertsTopicPolicy("arn:aws:sns:us-east-1:1:t", "1", "x").some((s) => s.Sid === "BudgetsPublish")).toBe(false);
    expect(alertsKeyPolicy("aws", "1", "arn:aws:sns:us-east-1:1:t").some((s) => s.Sid === "BudgetsEncryptNotifications")).toBe(false);
  });
});

describe("README", () => {
  it("shows the current dev, prod and staging-eks estimates", async () => {
    const { readFileSync } = await import("node:fs");
    const readme = readFileSync(`${__dirname}/../README.md`, "utf8");
    for (const name of ["dev", "prod", "staging-eks"]) {
      expect(readme, `${name} total (run npm run cost and update README "Cost estimate")`).toContain(`**$${estimate(name).monthly.toFixed(2)}**`);
    }
  });
});

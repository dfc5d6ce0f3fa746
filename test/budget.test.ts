import { describe, expect, it } from "vitest";
import { WorkspaceBudget } from "../modules/budget";
import { onlyResource, synthConstruct, testNaming } from "./helpers";

const props = { naming: testNaming, accountId: "123456789012", monthlyUsd: 99.5, topicArn: "arn:aws:sns:us-east-1:123456789012:acme-test-alerts" };

describe("WorkspaceBudget", () => {
  it("is a monthly cost budget of the account with actual and forecast alerts to the topic", () => {
    const { json } = synthConstruct((stack) => new WorkspaceBudget(stack, "budget", { ...props, actualAlertPercent: [100, 50, 100] }));
    const budget = onlyResource(json, "aws_budgets_budget");
    expect(budget).toMatchObject({ name: "acme-test-monthly-cost", account_id: "123456789012", budget_type: "COST", time_unit: "MONTHLY", limit_amount: "99.50", limit_unit: "USD" });
    expect(budget.cost_filter).toBeUndefined();
    expect(budget.notification).toEqual([
      { comparison_operator: "GREATER_THAN", notification_type: "ACTUAL", threshold: 50, threshold_type: "PERCENTAGE", subscriber_sns_topic_arns: [props.topicArn] },
      { comparison_operator: "GREATER_THAN", notification_type: "ACTUAL", threshold: 100, threshold_type: "PERCENTAGE", subscriber_sns_topic_arns: [props.topicArn] },
      { comparison_operator: "GREATER_THAN", notification_type: "FORECASTED", threshold: 100, threshold_type: "PERCENTAGE", subscriber_sns_topic_arns: [props.topicArn] },
    ]);
  });

  it("counts only the workspace's Environment tag in a shared account", () => {
    const { json } = synthConstruct((stack) => new WorkspaceBudget(stack, "budget", { ...props, filterByEnvironmentTag: true }));
    expect(onlyResource(json, "aws_budgets_budget").cost_filter).toEqual([{ name: "TagKeyValue", values: ["user:Environment$test"] }]);
  });

  it("refuses a limit that is not positive", () => {
    expect(() => synthConstruct((stack) => new WorkspaceBudget(stack, "budget", { ...props, monthlyUsd: 0 }))).toThrow("WorkspaceBudget budget: monthlyUsd must be positive, got 0");
  });
});

import { BudgetsBudget } from "@cdktf/provider-aws/lib/budgets-budget";
import { Construct } from "constructs";
import { physicalName, type NameContext } from "../../src/lib/naming";

export interface WorkspaceBudgetProps {
  readonly naming: NameContext;
  /** The account the budget lives in and watches. */
  readonly accountId: string;
  /** Monthly cost limit in USD. */
  readonly monthlyUsd: number;
  /** The SNS topic notified (its policy must let budgets.amazonaws.com publish). */
  readonly topicArn: string;
  /** Notify when actual cost passes these percentages of the limit. @default [80, 100] */
  readonly actualAlertPercent?: readonly number[];
  /** Notify when the month's forecast passes this percentage of the limit. @default 100 */
  readonly forecastAlertPercent?: number;
  /**
   * Count only costs tagged `Environment=<environment>` (a cost allocation tag that must be
   * activated in the billing console), for accounts that hold more than one workspace.
   * @default false (the whole account: one workspace per account)
   */
  readonly filterByEnvironmentTag?: boolean;
}

/**
 * A monthly AWS Budgets cost budget for one workspace: notifications to the alerts topic when the
 * actual cost passes each of `actualAlertPercent` and when the forecast passes
 * `forecastAlertPercent`. Plans without AWS access (no data sources).
 */
export class WorkspaceBudget extends Construct {
  readonly budget: BudgetsBudget;
  readonly budgetName: string;

  constructor(scope: Construct, id: string, props: WorkspaceBudgetProps) {
    super(scope, id);
    if (!(props.monthlyUsd > 0)) throw new Error(`WorkspaceBudget ${id}: monthlyUsd must be positive, got ${props.monthlyUsd}`);
    const actual = [...new Set(props.actualAlertPercent ?? [80, 100])].sort((a, b) => a - b);
    const notification = (type: "ACTUAL" | "FORECASTED", threshold: number) => ({
      comparisonOperator: "GREATER_THAN",
      notificationType: type,
      threshold,
      thresholdType: "PERCENTAGE",
      subscriberSnsTopicArns: [props.topicArn],
    });
    this.budgetName = physicalName(props.naming, "monthly-cost");
    this.budget = new BudgetsBudget(this, "budget", {
      name: this.budgetName,
      accountId: props.accountId,
      budgetType: "COST",
      timeUnit: "MONTHLY",
      limitAmount: props.monthlyUsd.toFixed(2),
      limitUnit: "USD",
      costFilter: props.filterByEnvironmentTag ? [{ name: "TagKeyValue", values: [`user:Environment$${props.naming.environment}`] }] : undefined,
      notification: [...actual.map((p) => notification("ACTUAL", p)), notification("FORECASTED", props.forecastAlertPercent ?? 100)],
    });
  }
}

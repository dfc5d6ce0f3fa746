/** The alerts topic's key policy and topic policy. */
import { denyWithoutTls, keyAdministrationStatement, type PolicyStatement } from "../../src/lib/iam";
import { CLOUDWATCH_KEY_ACTIONS } from "./props";

/**
 * The key policy: the account administers the key through IAM; CloudWatch (and, with `budgets`, AWS
 * Budgets) may use it for this topic only.
 */
export function alertsKeyPolicy(partition: string, accountId: string, topicArn: string, budgets = false): PolicyStatement[] {
  const budgetStatements: PolicyStatement[] = budgets
    ? [
        {
          Sid: "BudgetsEncryptNotifications",
          Effect: "Allow",
          Principal: { Service: "budgets.amazonaws.com" },
          Action: [...CLOUDWATCH_KEY_ACTIONS],
          Resource: "*",
          Condition: { StringEquals: { "kms:EncryptionContext:aws:sns:topicArn": topicArn } },
        },
      ]
    : [];
  return [
    keyAdministrationStatement(partition, accountId),
    {
      Sid: "CloudWatchAlarmsEncryptNotifications",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: [...CLOUDWATCH_KEY_ACTIONS],
      Resource: "*",
      Condition: {
        StringEquals: {
          "aws:SourceAccount": accountId,
          "kms:EncryptionContext:aws:sns:topicArn": topicArn,
        },
      },
    },
    ...budgetStatements,
  ];
}

/**
 * The topic policy: CloudWatch alarms of this environment may publish, and only over TLS; with
 * `budgetsPartition`, so may the account's AWS Budgets (the statement AWS documents in "Creating an
 * Amazon SNS topic for budget notifications").
 */
export function alertsTopicPolicy(topicArn: string, accountId: string, alarmArnPattern: string, budgetsPartition?: string): PolicyStatement[] {
  return [
    servicePublishes("CloudWatchAlarmsPublish", "cloudwatch.amazonaws.com", topicArn, accountId, alarmArnPattern),
    ...(budgetsPartition ? [servicePublishes("BudgetsPublish", "budgets.amazonaws.com", topicArn, accountId, `arn:${budgetsPartition}:budgets::${accountId}:*`)] : []),
    denyWithoutTls("sns:Publish", topicArn),
  ];
}

/** An AWS service may publish to the topic on behalf of this account's resources matching `sourceArn` only. */
function servicePublishes(sid: string, service: string, topicArn: string, accountId: string, sourceArn: string): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Principal: { Service: service },
    Action: "sns:Publish",
    Resource: topicArn,
    Condition: { StringEquals: { "aws:SourceAccount": accountId }, ArnLike: { "aws:SourceArn": sourceArn } },
  };
}


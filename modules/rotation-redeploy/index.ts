import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SfnStateMachine } from "@cdktf/provider-aws/lib/sfn-state-machine";
import { Lazy } from "cdktf";
import { Construct } from "constructs";
import { partitionOf, policyDocument, serviceTrustPolicy } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";

/** An ECS service that reads the secret when its tasks start. */
export interface RedeployedService {
  /** Short name, unique among the services: the state's name in the state machine (`web`, `worker-default`). */
  readonly name: string;
  /** Name of the ECS cluster the service runs on (in the service's ARN, which the IAM policy lists). */
  readonly clusterName: string;
  /** ARN of that cluster (what the state machine passes to UpdateService). */
  readonly clusterArn: string;
  /** Name of the ECS service. */
  readonly serviceName: string;
}

export interface RotationRedeployProps {
  readonly naming: NameContext;
  readonly region: string;
  readonly accountId: string;
  /** ARN of the Secrets Manager secret whose rotation restarts the services. */
  readonly secretArn: string;
  /** Retention of the state machine's execution log group, in days. */
  readonly logRetentionDays: number;
}

/**
 * The EventBridge pattern of a new current value of one secret: Secrets Manager sends the native
 * `Secret Label Updated` event (no CloudTrail trail needed) with the secret's ARN in `resources`
 * whenever a staging label moves to a new version, and `AWSCURRENT` moves when a rotation (RDS's
 * managed rotation included) or a manual update finishes. Source: Secrets Manager User Guide,
 * "Secret Label Updated event".
 */
export function currentValueChangedPattern(secretArn: string): Record<string, unknown> {
  return {
    source: ["aws.secretsmanager"],
    "detail-type": ["Secret Label Updated"],
    resources: [secretArn],
    detail: { labelUpdated: ["AWSCURRENT"] },
  };
}

/** `arn:<partition>:ecs:<region>:<account>:service/<cluster>/<service>`. */
export function ecsServiceArn(partition: string, region: string, accountId: string, clusterName: string, serviceName: string): string {
  return `arn:${partition}:ecs:${region}:${accountId}:service/${clusterName}/${serviceName}`;
}

const STATE_NAME = /^[A-Za-z0-9-]{1,80}$/;

/**
 * Restarts the ECS services that read a rotated secret. ECS resolves a task's secrets only when a
 * container starts, so after Secrets Manager rotates database credentials, running tasks keep the
 * old password and cannot open new connections. An EventBridge rule on the secret's new current
 * value ({@link currentValueChangedPattern}) starts a Step Functions state machine that calls `ecs:UpdateService`
 * with `forceNewDeployment` on every registered service in parallel (AWS SDK integration, retried
 * with backoff): each service rolls its tasks with the new value within minutes, through its normal
 * deployment (health checks, circuit breaker). Tasks started later (scheduled tasks, one-off runs)
 * read the current value anyway.
 *
 * Least privilege: the rule's role may only start this state machine; the state machine's role may
 * only update the registered services (and deliver its own logs, which CloudWatch Logs authorizes on
 * `*` only). Executions are logged (errors and outcomes, no payload data) to a log group with
 * retention.
 */
export class RotationRedeploy extends Construct {
  readonly stateMachine: SfnStateMachine;
  readonly rule: CloudwatchEventRule;
  readonly logGroup: CloudwatchLogGroup;
  /** ARN of the state machine (for alarms on failed executions). */
  readonly stateMachineArn: string;
  private readonly services: RedeployedService[] = [];

  constructor(scope: Construct, id: string, props: RotationRedeployProps) {
    super(scope, id);
    const partition = partitionOf(props.region);
    const name = (component: string, maxLength?: number) => physicalName(props.naming, component, { maxLength });
    const machineName = name("rotation-redeploy", 80);

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/vendedlogs/states/${machineName}`,
      retentionInDays: props.logRetentionDays,
    });

    const machineRole = new IamRole(this, "state-machine-role", {
      name: name("rotation-redeploy-sfn", NAME_LIMITS.iamRole),
      description: "Forces a new deployment of the ECS services that read the rotated database credentials",
      assumeRolePolicy: serviceTrustPolicy("states.amazonaws.com", props.accountId),
    });
    new IamRolePolicy(this, "state-machine-policy", {
      name: "redeploy-services",
      role: machineRole.id,
      policy: Lazy.stringValue({
        produce: () =>
          policyDocument([
            {
              Sid: "RedeployServices",
              Effect: "Allow",
              Action: "ecs:UpdateService",
              Resource: this.services.map((s) => ecsServiceArn(partition, props.region, props.accountId, s.clusterName, s.serviceName)),
            },
            {
              Sid: "DeliverExecutionLogs",
              Effect: "Allow",
              // Step Functions log delivery: CloudWatch Logs authorizes these on "*" only.
              Action: [
                "logs:CreateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:DescribeLogGroups",
                "logs:DescribeResourcePolicies",
                "logs:GetLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:UpdateLogDelivery",
              ],
              Resource: "*",
            },
          ]),
      }),
    });

    this.stateMachine = new SfnStateMachine(this, "state-machine", {
      name: machineName,
      type: "STANDARD",
      roleArn: machineRole.arn,
      definition: Lazy.stringValue({ produce: () => this.definition(partition) }),
      loggingConfiguration: {
        logDestination: `${this.logGroup.arn}:*`,
        includeExecutionData: false,
        level: "ERROR",
      },
    });
    this.stateMachineArn = this.stateMachine.arn;

    this.rule = new CloudwatchEventRule(this, "rotation-rule", {
      name: name("db-secret-rotated", 64),
      description: "The database credentials secret rotated: redeploy the services that read it",
      eventPattern: JSON.stringify(currentValueChangedPattern(props.secretArn)),
    });
    const ruleRole = new IamRole(this, "rule-role", {
      name: name("rotation-redeploy-events", NAME_LIMITS.iamRole),
      description: "Lets the rotation rule start the redeploy state machine",
      assumeRolePolicy: serviceTrustPolicy("events.amazonaws.com", props.accountId, this.rule.arn),
    });
    new IamRolePolicy(this, "rule-policy", {
      name: "start-redeploy",
      role: ruleRole.id,
      policy: policyDocument([{ Sid: "StartRedeploy", Effect: "Allow", Action: "states:StartExecution", Resource: this.stateMachine.arn }]),
    });
    new CloudwatchEventTarget(this, "rotation-target", {
      rule: this.rule.name,
      arn: this.stateMachine.arn,
      roleArn: ruleRole.arn,
    });
  }

  /** Registers a service to redeploy after each rotation. */
  addService(service: RedeployedService): void {
    if (!STATE_NAME.test(service.name)) {
      throw new Error(`RotationRedeploy: service name "${service.name}" must be 1-80 letters, digits or hyphens`);
    }
    if (this.services.some((s) => s.name === service.name)) {
      throw new Error(`RotationRedeploy: service "${service.name}" is registered twice`);
    }
    this.services.push(service);
  }

  /** Names of the registered services, in registration order. */
  get serviceNames(): string[] {
    return this.services.map((s) => s.name);
  }

  private definition(partition: string): string {
    if (this.services.length === 0) {
      // Raised when the stack is resolved, after every tier had its chance to register.
      throw new Error("RotationRedeploy: no service registered; nothing would be redeployed");
    }
    return JSON.stringify(
      {
        Comment: "Force a new deployment of every service that reads the rotated secret",
        StartAt: "RedeployServices",
        States: {
          RedeployServices: {
            Type: "Parallel",
            End: true,
            Branches: this.services.map((s) => ({
              StartAt: s.name,
              States: {
                [s.name]: {
                  Type: "Task",
                  Resource: `arn:${partition}:states:::aws-sdk:ecs:updateService`,
                  // The cluster by ARN, which exists only once the cluster does: until then the
                  // definition is unknown to a plan, which leaves it to CreateStateMachine's own
                  // validation instead of calling ValidateStateMachineDefinition while planning.
                  Parameters: { Cluster: s.clusterArn, Service: s.serviceName, ForceNewDeployment: true },
                  Retry: [{ ErrorEquals: ["States.ALL"], IntervalSeconds: 10, MaxAttempts: 5, BackoffRate: 2 }],
                  End: true,
                },
              },
            })),
          },
        },
      },
      null,
      2,
    );
  }
}

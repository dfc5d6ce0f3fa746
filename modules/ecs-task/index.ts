import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { Lazy } from "cdktf";
import { Construct } from "constructs";
import { partitionOf, policyDocument, serviceTrustPolicy, type PolicyStatement } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";

/** An ECS `secrets` entry: an environment variable filled from Secrets Manager or SSM at task start. */
export interface ContainerSecret {
  readonly name: string;
  /** Secrets Manager ARN (optionally `:json-key::`) or SSM parameter ARN. */
  readonly valueFrom: string;
}

/** What the execution role may read to inject `secrets`: exactly these ARNs and nothing else. */
export interface SecretReadGrants {
  readonly secretsManagerArns?: readonly string[];
  readonly ssmParameterArns?: readonly string[];
  /** Customer-managed KMS keys those secrets are encrypted with. */
  readonly kmsKeyArns?: readonly string[];
}

/** The statements that read exactly `grants`: the secrets, the parameters and their keys. */
export function secretReadStatements(grants: SecretReadGrants): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  if (grants.secretsManagerArns?.length) {
    statements.push({ Sid: "ReadSecrets", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: [...grants.secretsManagerArns] });
  }
  if (grants.ssmParameterArns?.length) {
    statements.push({ Sid: "ReadParameters", Effect: "Allow", Action: "ssm:GetParameters", Resource: [...grants.ssmParameterArns] });
  }
  if (grants.kmsKeyArns?.length) {
    statements.push({ Sid: "DecryptSecrets", Effect: "Allow", Action: "kms:Decrypt", Resource: [...grants.kmsKeyArns] });
  }
  return statements;
}

/** Valid Fargate task sizes: CPU units to the memory sizes (MiB) allowed with them. */
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: [1024, 2048, 3072, 4096],
  1024: [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  2048: Array.from({ length: 13 }, (_, i) => 4096 + i * 1024),
  4096: Array.from({ length: 23 }, (_, i) => 8192 + i * 1024),
  8192: Array.from({ length: 12 }, (_, i) => 16384 + i * 4096),
  16384: Array.from({ length: 12 }, (_, i) => 32768 + i * 8192),
};

/** Returns why a cpu/memory pair is not a Fargate size, or undefined when it is. */
export function fargateSizeProblem(cpu: number, memory: number): string | undefined {
  const allowed = FARGATE_SIZES[cpu];
  if (!allowed) {
    return `cpu ${cpu} is not a Fargate size (${Object.keys(FARGATE_SIZES).join(", ")})`;
  }
  if (!allowed.includes(memory)) {
    return `memory ${memory} MiB does not fit cpu ${cpu} (allowed: ${allowed[0]}-${allowed[allowed.length - 1]} MiB in Fargate steps)`;
  }
  return undefined;
}

/** The application image and what every task built from it shares: account, logs, configuration. */
export interface TaskImageProps {
  readonly naming: NameContext;
  readonly region: string;
  readonly accountId: string;
  /** Image URI, for example `${repositoryUrl}:${imageTag}`. */
  readonly image: string;
  /** ECR repository the image comes from; the execution role may pull only from it. */
  readonly repositoryArn: string;
  /** Plain environment variables (never credentials; use `secrets`). @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** Variables injected from Secrets Manager or SSM. @default [] */
  readonly secrets?: readonly ContainerSecret[];
  /** ARNs the execution role may read for `secrets`. Required when `secrets` is not empty. @default none */
  readonly secretReadGrants?: SecretReadGrants;
  /** Retention of the task's log group, in days. @default 365 */
  readonly logRetentionDays?: number;
}

/** A container health check (ECS `healthCheck`). */
export interface ContainerHealthCheck {
  readonly command: readonly string[];
  /** Seconds between checks. @default 30 */
  readonly intervalSeconds?: number;
  /** Seconds before a check fails. @default 5 */
  readonly timeoutSeconds?: number;
  /** Failures before the container is unhealthy. @default 3 */
  readonly retries?: number;
  /** Seconds after start during which failures do not count. @default 60 */
  readonly startPeriodSeconds?: number;
}

/** Just the {@link TaskImageProps} of a larger props object, to hand on to a {@link FargateTask}. */
export function taskImageProps(props: TaskImageProps): TaskImageProps {
  const { naming, region, accountId, image, repositoryArn, environment, secrets, secretReadGrants, logRetentionDays } = props;
  return { naming, region, accountId, image, repositoryArn, environment, secrets, secretReadGrants, logRetentionDays };
}

export interface FargateTaskProps extends TaskImageProps {
  /** Component name: the task family is `<project>-<env>-<component>`. */
  readonly component: string;
  /** CPU units. @default 256 */
  readonly cpu?: number;
  /** Memory in MiB; must fit `cpu`. @default 512 */
  readonly memory?: number;
  /** Container name. @default "app" */
  readonly containerName?: string;
  /** Command override. @default the image's CMD */
  readonly command?: readonly string[];
  /** Port the container listens on. @default none */
  readonly containerPort?: number;
  /**
   * Name of the container port's mapping, with HTTP as its application protocol: what ECS Service
   * Connect publishes (and then reports HTTP metrics for). Needs `containerPort`.
   * @default none (an unnamed mapping)
   */
  readonly portName?: string;
  /**
   * Where the task runs: `FARGATE`, or `EC2` for container instances of a capacity provider (the
   * Fargate size table and its 120-second stop limit then do not apply; the task still uses awsvpc).
   * @default "FARGATE"
   */
  readonly compatibility?: "FARGATE" | "EC2";
  /**
   * A health check ECS runs in the container: `command` (`["CMD", ...]` or `["CMD-SHELL", "..."]`)
   * exits 0 when healthy. @default none
   */
  readonly healthCheck?: ContainerHealthCheck;
  /** Mount the root filesystem read-only; a writable scratch volume is mounted at `scratchPath`. @default true */
  readonly readonlyRootFilesystem?: boolean;
  /** Where the writable scratch volume is mounted. @default "/tmp" */
  readonly scratchPath?: string;
  /** Seconds ECS waits after SIGTERM before SIGKILL (Fargate maximum 120). @default 30 */
  readonly stopTimeoutSeconds?: number;
  /** CPU architecture. @default "X86_64" */
  readonly cpuArchitecture?: "X86_64" | "ARM64";
  /** Grant the task role the SSM channels `aws ecs execute-command` needs. @default false */
  readonly enableExecuteCommand?: boolean;
  /**
   * ARN of the CloudWatch log group the cluster logs ECS Exec sessions to (`FargateCluster.execLogGroupArn`).
   * With `enableExecuteCommand`, the task role may then write session logs to it; ECS Exec logging to the
   * cluster's group needs this, or the session audit trail is not written. Leave it out only when the
   * cluster logs sessions elsewhere (or not at all). Ignored without `enableExecuteCommand`. @default none
   */
  readonly execLogGroupArn?: string;
}

/**
 * A task definition (Fargate, or EC2 capacity with awsvpc networking) with its log group and two roles: an execution role that may pull from
 * one repository, write to one log group and read exactly the secrets it injects, and a task role for
 * the application, empty until a module grants it something with {@link FargateTask.grant}.
 */
export class FargateTask extends Construct {
  readonly taskDefinition: EcsTaskDefinition;
  readonly taskDefinitionArn: string;
  readonly family: string;
  readonly containerName: string;
  readonly containerPort?: number;
  /** Name of the container port's mapping (Service Connect), when set. */
  readonly portName?: string;
  /** Region of the task's log group. */
  readonly region: string;
  /** Whether the container has a health check of its own. */
  readonly hasHealthCheck: boolean;
  readonly executionRole: IamRole;
  readonly taskRole: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  private readonly environment = new Map<string, string>();
  private readonly secretNames: ReadonlySet<string>;
  private readonly component: string;
  private rendered = false;

  constructor(scope: Construct, id: string, props: FargateTaskProps) {
    super(scope, id);
    const cpu = props.cpu ?? 256;
    const memory = props.memory ?? 512;
    const compatibility = props.compatibility ?? "FARGATE";
    const sizeProblem = compatibility === "FARGATE" ? fargateSizeProblem(cpu, memory) : cpu < 128 || memory < 128 ? "cpu and memory must be at least 128" : undefined;
    if (sizeProblem) {
      throw new Error(`FargateTask ${props.component}: ${sizeProblem}`);
    }
    const stopTimeout = props.stopTimeoutSeconds ?? 30;
    if (stopTimeout < 2 || stopTimeout > 120) {
      throw new Error(`FargateTask ${props.component}: stopTimeoutSeconds must be 2-120, got ${stopTimeout}`);
    }
    if (props.portName !== undefined && (!props.containerPort || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(props.portName))) {
      throw new Error(`FargateTask ${props.component}: portName "${props.portName}" needs a containerPort and 1-64 lower-case letters, digits, '_' or '-'`);
    }
    const secrets = props.secrets ?? [];
    this.secretNames = new Set(secrets.map((s) => s.name));
    this.component = props.component;
    const grants = props.secretReadGrants ?? {};
    if (secrets.length > 0 && !grants.secretsManagerArns?.length && !grants.ssmParameterArns?.length) {
      throw new Error(`FargateTask ${props.component}: secrets need secretReadGrants naming what the execution role may read`);
    }
    const partition = partitionOf(props.region);
    this.family = physicalName(props.naming, props.component);
    this.containerName = props.containerName ?? "app";
    this.containerPort = props.containerPort;
    this.portName = props.portName;
    this.region = props.region;
    this.hasHealthCheck = props.healthCheck !== undefined;
    if (props.healthCheck && !["CMD", "CMD-SHELL"].includes(props.healthCheck.command[0] ?? "")) {
      throw new Error(`FargateTask ${props.component}: healthCheck.command must start with "CMD" or "CMD-SHELL"`);
    }
    const roleName = (suffix: string) => physicalName(props.naming, `${props.component}-${suffix}`, { maxLength: NAME_LIMITS.iamRole });
    const ecsTrust = serviceTrustPolicy(
      "ecs-tasks.amazonaws.com",
      props.accountId,
      `arn:${partition}:ecs:${props.region}:${props.accountId}:*`,
    );

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/ecs/${this.family}`,
      retentionInDays: props.logRetentionDays ?? 365,
    });

    this.executionRole = new IamRole(this, "execution-role", {
      name: roleName("exec"),
      description: `ECS agent role of ${this.family}: pull the image, write logs, read its secrets`,
      assumeRolePolicy: ecsTrust,
    });
    const executionStatements: PolicyStatement[] = [
      // GetAuthorizationToken has no resource-level permissions.
      { Sid: "EcrLogin", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
      {
        Sid: "PullImage",
        Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
        Resource: props.repositoryArn,
      },
      {
        Sid: "WriteLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${this.logGroup.arn}:*`,
      },
    ];
    executionStatements.push(...secretReadStatements(grants));
    new IamRolePolicy(this, "execution-policy", {
      name: "task-execution",
      role: this.executionRole.id,
      policy: policyDocument(executionStatements),
    });

    this.taskRole = new IamRole(this, "task-role", {
      name: roleName("task"),
      description: `Application role of ${this.family}`,
      assumeRolePolicy: ecsTrust,
    });
    if (props.enableExecuteCommand) {
      const execStatements: PolicyStatement[] = [
        {
          Sid: "EcsExecChannels",
          Effect: "Allow",
          // The SSM message channels have no resource-level permissions.
          Action: [
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel",
          ],
          Resource: "*",
        },
      ];
      if (props.execLogGroupArn) {
        // The SSM agent in the task writes the session transcript to the cluster's exec log group.
        execStatements.push(
          {
            Sid: "EcsExecSessionLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
            Resource: [props.execLogGroupArn, `${props.execLogGroupArn}:*`],
          },
          {
            Sid: "EcsExecFindLogGroup",
            Effect: "Allow",
            // DescribeLogGroups has no resource-level permissions.
            Action: "logs:DescribeLogGroups",
            Resource: "*",
          },
        );
      }
      this.grant("execute-command", execStatements);
    }

    const readonlyRoot = props.readonlyRootFilesystem ?? true;
    // ECS Exec's agent writes to these paths; with a read-only root they must be writable volumes.
    const execVolumes =
      props.enableExecuteCommand && readonlyRoot
        ? [
            { name: "exec-managed-agents", path: "/managed-agents" },
            { name: "exec-ssm-state", path: "/var/lib/amazon/ssm" },
            { name: "exec-ssm-logs", path: "/var/log/amazon/ssm" },
          ]
        : [];
    for (const [name, value] of Object.entries(props.environment ?? {})) this.environment.set(name, value);
    const container: Record<string, unknown> = {
      name: this.containerName,
      image: props.image,
      essential: true,
      ...(props.command ? { command: [...props.command] } : {}),
      ...(props.containerPort
        ? {
            portMappings: [
              props.portName
                ? { name: props.portName, containerPort: props.containerPort, protocol: "tcp", appProtocol: "http" }
                : { containerPort: props.containerPort, protocol: "tcp" },
            ],
          }
        : {}),
      // Filled in at synthesis (see containerDefinitions), so it includes addEnvironment().
      environment: undefined,
      secrets: [...secrets].sort((a, b) => a.name.localeCompare(b.name)).map((s) => ({ name: s.name, valueFrom: s.valueFrom })),
      readonlyRootFilesystem: readonlyRoot,
      privileged: false,
      mountPoints: [
        { sourceVolume: "scratch", containerPath: props.scratchPath ?? "/tmp", readOnly: false },
        ...execVolumes.map((v) => ({ sourceVolume: v.name, containerPath: v.path, readOnly: false })),
      ],
      linuxParameters: { initProcessEnabled: true },
      ...(props.healthCheck
        ? {
            healthCheck: {
              command: [...props.healthCheck.command],
              interval: props.healthCheck.intervalSeconds ?? 30,
              timeout: props.healthCheck.timeoutSeconds ?? 5,
              retries: props.healthCheck.retries ?? 3,
              startPeriod: props.healthCheck.startPeriodSeconds ?? 60,
            },
          }
        : {}),
      stopTimeout,
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": this.logGroup.name,
          "awslogs-region": props.region,
          "awslogs-stream-prefix": props.component,
        },
      },
    };

    this.taskDefinition = new EcsTaskDefinition(this, "task-definition", {
      family: this.family,
      requiresCompatibilities: [compatibility],
      networkMode: "awsvpc",
      cpu: String(cpu),
      memory: String(memory),
      executionRoleArn: this.executionRole.arn,
      taskRoleArn: this.taskRole.arn,
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: props.cpuArchitecture ?? "X86_64" },
      volume: [{ name: "scratch" }, ...execVolumes.map((v) => ({ name: v.name }))],
      // Rendered at synthesis, so variables added with addEnvironment() after construction are included.
      // The container keeps its key order; environment is sorted by name.
      containerDefinitions: Lazy.stringValue({ produce: () => JSON.stringify([{ ...container, environment: this.sortedEnvironment() }]) }),
    });
    this.taskDefinitionArn = this.taskDefinition.arn;
  }

  /**
   * Adds plain environment variables to the container (never credentials: those are `secrets`), for
   * wiring that exists only once other resources are built, such as the queues a producer sends to.
   * A name already set (as a variable or a secret) is refused, so two callers cannot silently
   * overwrite each other's value, and nothing may be added once the definition was rendered.
   */
  addEnvironment(variables: Readonly<Record<string, string>>): void {
    if (this.rendered) {
      throw new Error(`FargateTask ${this.component}: environment added after the task definition was rendered`);
    }
    for (const [name, value] of Object.entries(variables)) {
      if (this.environment.has(name) || this.secretNames.has(name)) {
        throw new Error(`FargateTask ${this.component}: environment variable ${name} is already set`);
      }
      this.environment.set(name, value);
    }
  }

  private sortedEnvironment(): Array<{ name: string; value: string }> {
    this.rendered = true;
    return [...this.environment.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => ({ name, value }));
  }

  /** Adds an inline policy to the task role (the application's permissions). */
  grant(id: string, statements: PolicyStatement[]): IamRolePolicy {
    return new IamRolePolicy(this, `task-policy-${id}`, {
      name: id,
      role: this.taskRole.id,
      policy: policyDocument(statements),
    });
  }
}

export interface TaskSecurityGroupProps {
  readonly naming: NameContext;
  /** Component name; the group is named `<project>-<env>-<component>`. */
  readonly component: string;
  readonly vpcId: string;
  /** What the tasks are, for the group's description. */
  readonly description: string;
}

/**
 * The security group of a set of Fargate tasks: no ingress, egress HTTPS only (AWS APIs, ECR,
 * external services). Other ports are opened one destination group at a time with {@link allowEgressTo}.
 */
export class TaskSecurityGroup extends Construct {
  readonly securityGroup: SecurityGroup;
  readonly securityGroupId: string;

  constructor(scope: Construct, id: string, props: TaskSecurityGroupProps) {
    super(scope, id);
    const name = physicalName(props.naming, props.component);
    this.securityGroup = new SecurityGroup(this, "sg", {
      name,
      description: props.description,
      vpcId: props.vpcId,
      tags: { Name: name },
    });
    this.securityGroupId = this.securityGroup.id;
    new VpcSecurityGroupEgressRule(this, "https-out", {
      securityGroupId: this.securityGroup.id,
      description: "HTTPS to AWS APIs and external services",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      cidrIpv4: "0.0.0.0/0",
    });
  }

  /** Opens egress to another security group (for example the database's) on one TCP port. */
  allowEgressTo(id: string, destinationSecurityGroupId: string, port: number, description: string): VpcSecurityGroupEgressRule {
    return new VpcSecurityGroupEgressRule(this, `egress-${id}`, {
      securityGroupId: this.securityGroup.id,
      description,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: destinationSecurityGroupId,
    });
  }
}

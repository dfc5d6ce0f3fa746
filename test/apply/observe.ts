/**
 * What the apply tier's assertions read back from a stack's emulator after apply, through the AWS SDK
 * v3 clients (the API's answers, not the Terraform JSON). Runs while the emulator is up; the tests
 * assert on the returned snapshot after every stack has been destroyed.
 */
import {
  DescribeNatGatewaysCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
  type NatGateway,
  type RouteTable,
  type SecurityGroup,
  type Subnet,
  type Vpc,
} from "@aws-sdk/client-ec2";
import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListClustersCommand,
  ListServicesCommand,
  ListTaskDefinitionsCommand,
  type Cluster,
  type Service,
  type TaskDefinition,
} from "@aws-sdk/client-ecs";
import {
  GetPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  type Role,
} from "@aws-sdk/client-iam";
import {
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ListFunctionsCommand,
  type EventSourceMappingConfiguration,
  type FunctionConfiguration,
} from "@aws-sdk/client-lambda";
import {
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  S3Client,
  type PublicAccessBlockConfiguration,
  type ServerSideEncryptionRule,
} from "@aws-sdk/client-s3";
import {
  DescribePolicyCommand,
  ListPoliciesCommand,
  ListRootsCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
  type PolicyTargetSummary,
  type Root,
} from "@aws-sdk/client-organizations";
import { GetScheduleCommand, ListSchedulesCommand, SchedulerClient, type GetScheduleCommandOutput } from "@aws-sdk/client-scheduler";
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { emulatorClientConfig } from "../../src/tools/apply";
import type { Emulator } from "../../src/tools/emulator";

export interface BucketObservation {
  readonly name: string;
  readonly encryption: ServerSideEncryptionRule[];
  readonly publicAccessBlock?: PublicAccessBlockConfiguration;
  readonly versioning?: string;
  readonly policy?: { Statement: Array<Record<string, any>> };
  readonly objectCount: number;
}

export interface RoleObservation {
  readonly role: Role;
  readonly inlinePolicies: Record<string, { Statement: Array<Record<string, any>> }>;
  readonly attachedPolicyArns: string[];
}

export interface CommonObservation {
  readonly buckets: BucketObservation[];
  readonly roles: RoleObservation[];
  /** ARNs of the managed policies attached to any role, each one the API could get. */
  readonly managedPolicyArns: string[];
}

export interface WorkspaceObservation extends CommonObservation {
  readonly vpcs: Vpc[];
  readonly subnets: Subnet[];
  readonly routeTables: RouteTable[];
  readonly natGateways: NatGateway[];
  readonly securityGroups: SecurityGroup[];
  readonly clusters: Cluster[];
  readonly services: Service[];
  readonly taskDefinitions: TaskDefinition[];
  /** Queue name -> its attributes. */
  readonly queues: Record<string, Record<string, string>>;
  readonly functions: Array<{ configuration: FunctionConfiguration; reservedConcurrency?: number; eventSources: EventSourceMappingConfiguration[] }>;
  readonly schedules: GetScheduleCommandOutput[];
}

export interface OrganizationObservation extends CommonObservation {
  readonly roots: Root[];
  /** The organization's own resource control policies (not the AWS-managed one), with their targets. */
  readonly resourceControlPolicies: Array<{ name: string; description?: string; content: unknown; targets: PolicyTargetSummary[] }>;
}

function clients(emulator: Emulator, region: string) {
  const config = emulatorClientConfig(emulator, region);
  return {
    ec2: new EC2Client(config),
    ecs: new ECSClient(config),
    iam: new IAMClient(config),
    lambda: new LambdaClient(config),
    s3: new S3Client(config),
    scheduler: new SchedulerClient(config),
    sqs: new SQSClient(config),
  };
}

type Clients = ReturnType<typeof clients>;

/** The answer, or undefined when the API says the thing does not exist. */
async function optional<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    const name = (error as { name?: string }).name ?? "";
    if (/NoSuch|NotFound/.test(name)) return undefined;
    throw error;
  }
}

async function observeCommon(c: Clients): Promise<CommonObservation> {
  const buckets: BucketObservation[] = [];
  for (const { Name } of (await c.s3.send(new ListBucketsCommand({}))).Buckets ?? []) {
    const name = Name!;
    const encryption = await optional(c.s3.send(new GetBucketEncryptionCommand({ Bucket: name })));
    const access = await optional(c.s3.send(new GetPublicAccessBlockCommand({ Bucket: name })));
    const versioning = await c.s3.send(new GetBucketVersioningCommand({ Bucket: name }));
    const policy = await optional(c.s3.send(new GetBucketPolicyCommand({ Bucket: name })));
    const objects = await c.s3.send(new ListObjectsV2Command({ Bucket: name }));
    buckets.push({
      name,
      encryption: encryption?.ServerSideEncryptionConfiguration?.Rules ?? [],
      publicAccessBlock: access?.PublicAccessBlockConfiguration,
      versioning: versioning.Status,
      policy: policy?.Policy ? JSON.parse(policy.Policy) : undefined,
      objectCount: objects.KeyCount ?? 0,
    });
  }
  const roles: RoleObservation[] = [];
  for (const listed of (await c.iam.send(new ListRolesCommand({ MaxItems: 1000 }))).Roles ?? []) {
    const role = (await c.iam.send(new GetRoleCommand({ RoleName: listed.RoleName }))).Role!;
    const inlinePolicies: RoleObservation["inlinePolicies"] = {};
    for (const policyName of (await c.iam.send(new ListRolePoliciesCommand({ RoleName: role.RoleName }))).PolicyNames ?? []) {
      const document = (await c.iam.send(new GetRolePolicyCommand({ RoleName: role.RoleName, PolicyName: policyName }))).PolicyDocument!;
      inlinePolicies[policyName] = JSON.parse(decodeURIComponent(document));
    }
    const attached = await c.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role.RoleName }));
    roles.push({ role, inlinePolicies, attachedPolicyArns: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn!) });
  }
  const managedPolicyArns: string[] = [];
  for (const arn of new Set(roles.flatMap((r) => r.attachedPolicyArns))) {
    if (await optional(c.iam.send(new GetPolicyCommand({ PolicyArn: arn })))) managedPolicyArns.push(arn);
  }
  return { buckets, roles, managedPolicyArns };
}

/** Buckets and roles: what every stack has. */
export async function observeCommonStack(emulator: Emulator, region: string): Promise<CommonObservation> {
  const c = clients(emulator, region);
  try {
    return await observeCommon(c);
  } finally {
    Object.values(c).forEach((client) => client.destroy());
  }
}

/** A workspace stack: network, security groups, ECS, queues, buckets, roles, Lambda, schedules. */
export async function observeWorkspace(emulator: Emulator, region: string): Promise<WorkspaceObservation> {
  const c = clients(emulator, region);
  try {
    const common = await observeCommon(c);
    const vpcs = (await c.ec2.send(new DescribeVpcsCommand({}))).Vpcs ?? [];
    const subnets = (await c.ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
    const routeTables = (await c.ec2.send(new DescribeRouteTablesCommand({}))).RouteTables ?? [];
    const natGateways = (await c.ec2.send(new DescribeNatGatewaysCommand({}))).NatGateways ?? [];
    const securityGroups = (await c.ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? [];

    const clusters: Cluster[] = [];
    const services: Service[] = [];
    const taskDefinitions = new Map<string, TaskDefinition>();
    const allClusters = (await c.ecs.send(new ListClustersCommand({}))).clusterArns ?? [];
    if (allClusters.length > 0) {
      clusters.push(...((await c.ecs.send(new DescribeClustersCommand({ clusters: allClusters, include: ["SETTINGS", "CONFIGURATIONS"] }))).clusters ?? []));
    }
    for (const cluster of clusters) {
      const arns = (await c.ecs.send(new ListServicesCommand({ cluster: cluster.clusterArn }))).serviceArns ?? [];
      if (arns.length === 0) continue;
      const described = (await c.ecs.send(new DescribeServicesCommand({ cluster: cluster.clusterArn, services: arns }))).services ?? [];
      services.push(...described);
    }
    for (const arn of (await c.ecs.send(new ListTaskDefinitionsCommand({}))).taskDefinitionArns ?? []) {
      const definition = (await c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }))).taskDefinition!;
      taskDefinitions.set(definition.family!, definition);
    }

    const queues: WorkspaceObservation["queues"] = {};
    for (const url of (await c.sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []) {
      const attributes = (await c.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] }))).Attributes ?? {};
      queues[url.split("/").pop()!] = attributes;
    }

    const functions: WorkspaceObservation["functions"] = [];
    for (const listed of (await c.lambda.send(new ListFunctionsCommand({}))).Functions ?? []) {
      const configuration = await c.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: listed.FunctionName }));
      const concurrency = await c.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: listed.FunctionName }));
      const mappings = await c.lambda.send(new ListEventSourceMappingsCommand({ FunctionName: configuration.FunctionArn }));
      functions.push({ configuration, reservedConcurrency: concurrency.ReservedConcurrentExecutions, eventSources: mappings.EventSourceMappings ?? [] });
    }

    const schedules: GetScheduleCommandOutput[] = [];
    for (const s of (await c.scheduler.send(new ListSchedulesCommand({}))).Schedules ?? []) {
      schedules.push(await c.scheduler.send(new GetScheduleCommand({ Name: s.Name, GroupName: s.GroupName })));
    }
    return {
      ...common,
      vpcs,
      subnets,
      routeTables,
      natGateways,
      securityGroups,
      clusters,
      services,
      taskDefinitions: [...taskDefinitions.values()],
      queues,
      functions,
      schedules,
    };
  } finally {
    Object.values(c).forEach((client) => client.destroy());
  }
}

/** The organization stack: the organization's roots and its resource control policies with their targets. */
export async function observeOrganization(emulator: Emulator, region: string): Promise<OrganizationObservation> {
  const c = clients(emulator, region);
  const organizations = new OrganizationsClient(emulatorClientConfig(emulator, region));
  try {
    const common = await observeCommon(c);
    const roots = (await organizations.send(new ListRootsCommand({}))).Roots ?? [];
    const resourceControlPolicies: OrganizationObservation["resourceControlPolicies"] = [];
    const listed = (await organizations.send(new ListPoliciesCommand({ Filter: "RESOURCE_CONTROL_POLICY" }))).Policies ?? [];
    for (const summary of listed.filter((p) => !p.AwsManaged)) {
      const policy = (await organizations.send(new DescribePolicyCommand({ PolicyId: summary.Id }))).Policy!;
      const targets = (await organizations.send(new ListTargetsForPolicyCommand({ PolicyId: summary.Id }))).Targets ?? [];
      resourceControlPolicies.push({
        name: policy.PolicySummary!.Name!,
        description: policy.PolicySummary!.Description,
        content: JSON.parse(policy.Content!),
        targets,
      });
    }
    return { ...common, roots, resourceControlPolicies };
  } finally {
    organizations.destroy();
    Object.values(c).forEach((client) => client.destroy());
  }
}

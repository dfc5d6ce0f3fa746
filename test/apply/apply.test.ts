import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { workspaceBoundaryArn } from "../../modules/github-oidc";
import { capacityProviderStrategy, type CapacityStrategy } from "../../modules/ecs-alb/cluster";
import { subnetCidr, SUBNET_TIERS } from "../../modules/vpc";
import { buildApp, finalizeAndCheck } from "../../src/app";
import { partitionOf } from "../../src/lib/iam";
import { isZoneId } from "../../src/lib/zones";
import { physicalName, type NameContext } from "../../src/lib/naming";
import { applySkipReason, applyStacks, formatReport, type StackApplyReport } from "../../src/tools/apply";
import { emulatorRequired, emulatorUnavailableReason } from "../../src/tools/emulator";
import { KNOWN_SECOND_PLAN_ARTIFACTS, type StackJson } from "../../src/tools/emulator-adaptations";
import { placeholderVariables, synthesizedStacks, terraformUnavailableReason } from "../../src/tools/terraform";
import { environments } from "../helpers";
import { ORGANIZATION_STACK } from "../../src/stacks/organization";
import {
  observeCommonStack,
  observeOrganization,
  observeWorkspace,
  type CommonObservation,
  type OrganizationObservation,
  type WorkspaceObservation,
} from "./observe";

/**
 * The apply tier: every synthesized stack applied to its own AWS emulator (moto_server), read back
 * through the AWS SDK, planned again and destroyed. `npm run test:apply`; not part of `npm test`.
 */
const unavailable = terraformUnavailableReason() ?? emulatorUnavailableReason();
if (unavailable && !emulatorRequired()) {
  console.warn(`Apply tier skipped: ${unavailable}`);
}

describe("apply tier prerequisites", () => {
  it.runIf(emulatorRequired())("Terraform, the provider mirror and the AWS emulator are installed (required in CI)", () => {
    expect(unavailable).toBeUndefined();
  });
});

const MIN_APPLIED_SHARE = 0.9;

/** What `npm run synth` writes, in a scratch folder: the JSON the policy pack checked. */
function synthesize(configs: ReturnType<typeof environments>): { outdir: string; stacks: Array<{ stack: string; dir: string }> } {
  const outdir = mkdtempSync(join(tmpdir(), "platform-apply-"));
  const platform = buildApp(configs, outdir);
  if (finalizeAndCheck(platform).length > 0) throw new Error("the policy pack refuses the stacks; run npm test");
  platform.app.synth();
  // Stacks the emulator cannot serve (an EKS workspace's apps stack), named with the reason.
  const stacks = synthesizedStacks(outdir).filter(({ stack, dir }) => {
    const reason = applySkipReason(JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as StackJson);
    if (reason) console.log(`apply tier: ${stack} skipped: ${reason}`);
    return reason === undefined;
  });
  return { outdir, stacks };
}

describe.skipIf(unavailable !== undefined)("apply tier: apply, read back, plan again, destroy", () => {
  const configs = environments();
  // Collected even when skipped: synthesize only when the tier runs.
  const { outdir, stacks } = unavailable ? { outdir: undefined, stacks: [] } : synthesize(configs);
  const stackNames = stacks.map((s) => s.stack);
  const workspaceNames = configs.map((c) => c.name);
  const workspaceStack = stacks.find((s) => workspaceNames.includes(s.stack));
  const imageTag = workspaceStack ? placeholderVariables(workspaceStack.dir).image_tag : "";
  const reports = new Map<string, StackApplyReport>();

  beforeAll(async () => {
    const started = Date.now();
    const results = await applyStacks(stacks, {
      afterApply: (emulator, { name, region }) =>
        workspaceNames.includes(name)
          ? observeWorkspace(emulator, region)
          : name === ORGANIZATION_STACK
            ? observeOrganization(emulator, region)
            : observeCommonStack(emulator, region),
      logDir: process.env.APPLY_TIER_LOG_DIR,
    });
    for (const r of results) {
      reports.set(r.stack, r);
      console.log(formatReport(r));
    }
    console.log(`apply tier: ${results.length} stacks in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }, 25 * 60_000);
  afterAll(() => outdir && rmSync(outdir, { recursive: true, force: true }));

  it("applies every stack of the synthesized output, the workspaces among them", () => {
    expect([...reports.keys()].sort()).toEqual([...stackNames].sort());
    expect(stackNames).toEqual(expect.arrayContaining(workspaceNames));
  });

  /** The resource types a stack declares (its synthesized JSON). */
  const declaredTypes = new Map(
    stacks.map((s) => [s.stack, new Set(Object.keys((JSON.parse(readFileSync(join(s.dir, "cdk.tf.json"), "utf8")) as StackJson).resource ?? {}))]),
  );

  describe.each(stackNames)("%s", (stack) => {
    const report = () => reports.get(stack)!;
    const declares = (type: string) => declaredTypes.get(stack)!.has(type);

    it("runs init, plan and apply without an error", () => {
      const failed = report().failures.filter((f) => f.step !== "destroy");
      expect(failed.map((f) => `${f.step}: ${f.output}`)).toEqual([]);
    });

    it(`applies at least ${MIN_APPLIED_SHARE * 100}% of its planned resources; only listed types are left out`, () => {
      const r = report();
      expect(r.planned).toBeGreaterThan(0);
      expect(r.applied).toBe(r.planned - r.leftOut.length);
      expect(r.applied / r.planned).toBeGreaterThanOrEqual(MIN_APPLIED_SHARE);
    });

    it("plans nothing after apply but known emulator artifacts", () => {
      const r = report();
      expect(r.failures.filter((f) => f.step === "second plan")).toEqual([]);
      const findings = r.secondPlan.filter((c) => c.artifact === undefined);
      expect(findings.map((c) => `${c.actions.join("/")} ${c.address} [${c.attributes.join(", ")}]`)).toEqual([]);
    });

    it("destroys everything it applied", () => {
      const r = report();
      expect(r.failures.filter((f) => f.step === "destroy").map((f) => f.output)).toEqual([]);
      expect(r.remainingAfterDestroy).toBe(0);
      expect(r.destroyed).toBe(true);
    });

    it.runIf(declares("aws_s3_bucket"))("every bucket is encrypted, private, and its policy denies plain HTTP unless Terraform writes an object to it", () => {
      const { buckets } = report().observed as CommonObservation;
      expect(buckets.length).toBeGreaterThan(0);
      for (const b of buckets) {
        expect(b.encryption.map((e) => e.ApplyServerSideEncryptionByDefault?.SSEAlgorithm), b.name).toEqual([expect.stringMatching(/^(AES256|aws:kms)$/)]);
        expect(b.publicAccessBlock, b.name).toEqual({
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        });
        expect(b.policy, b.name).toBeDefined();
        const tlsDeny = b.policy!.Statement.find((s) => s.Effect === "Deny" && s.Condition?.Bool?.["aws:SecureTransport"] === "false");
        // The adaptation step drops the deny only where Terraform itself writes an object.
        if (b.objectCount === 0) expect(tlsDeny, b.name).toBeDefined();
      }
    });

    it.runIf(declares("aws_iam_role"))("every role's managed policies exist and every inline policy names its actions", () => {
      const { roles, managedPolicyArns } = report().observed as CommonObservation;
      expect(roles.length).toBeGreaterThan(0);
      for (const { role, inlinePolicies, attachedPolicyArns } of roles) {
        for (const arn of attachedPolicyArns) expect(managedPolicyArns, role.RoleName).toContain(arn);
        for (const [name, document] of Object.entries(inlinePolicies)) {
          for (const statement of document.Statement) {
            const actions = [statement.Action ?? statement.NotAction].flat();
            expect(actions.length, `${role.RoleName}/${name}`).toBeGreaterThan(0);
            expect(actions, `${role.RoleName}/${name}: no "*" action`).not.toContain("*");
          }
        }
      }
    });
  });

  describe.each(configs.map((c) => [c.name, c] as const))("workspace %s, read back from the emulator", (name, config) => {
    // The service named web (the config has services[] now); the cluster's default strategy is services[0]'s.
    const webSpec = config.services.find((s) => s.name === "web")!;
    const naming: NameContext = { project: config.project, environment: name };
    const observed = () => reports.get(name)!.observed as WorkspaceObservation;
    const vpc = () => observed().vpcs.find((v) => v.CidrBlock === config.network.cidr)!;
    const group = (component: string) => {
      const g = observed().securityGroups.find((sg) => sg.GroupName === physicalName(naming, component));
      expect(g, `security group ${physicalName(naming, component)}`).toBeDefined();
      return g!;
    };
    // Referenced group ids come back as `<account>/sg-...` from the emulator; AWS gives the bare id.
    const groupIds = (permission: { UserIdGroupPairs?: Array<{ GroupId?: string }> }) =>
      (permission.UserIdGroupPairs ?? []).map((p) => p.GroupId!.replace(/^\d{12}\//, ""));

    it("VPC with DNS, one subnet per tier and zone at the planned CIDR, none mapping public IPs", () => {
      expect(vpc()).toBeDefined();
      const subnets = observed().subnets.filter((s) => s.VpcId === vpc().VpcId);
      expect(subnets).toHaveLength(SUBNET_TIERS.length * config.availabilityZones.length);
      for (const tier of SUBNET_TIERS) {
        config.availabilityZones.forEach((zone, index) => {
          const subnet = subnets.find((s) => s.CidrBlock === subnetCidr(config.network.cidr, tier, index));
          expect(subnet, `${tier} ${zone}`).toBeDefined();
          // Zones given by ID (use1-az1) are placed by ID; the name they map to differs per account.
          expect(isZoneId(zone) ? subnet!.AvailabilityZoneId : subnet!.AvailabilityZone).toBe(zone);
          expect(subnet!.Tags).toContainEqual({ Key: "Tier", Value: tier });
          expect(subnet!.MapPublicIpOnLaunch).toBe(false);
        });
      }
    });

    it(`route tables: public to the internet gateway, private through ${config.network.natStrategy === "per-az" ? "their zone's" : "the one"} NAT gateway, database without a default route`, () => {
      const { subnets, routeTables, natGateways } = observed();
      const nats = natGateways.filter((n) => n.VpcId === vpc().VpcId && n.State !== "deleted");
      expect(nats).toHaveLength(config.network.natStrategy === "per-az" ? config.availabilityZones.length : 1);
      const defaultRoute = (subnetId: string) => {
        const table = routeTables.find((t) => t.Associations?.some((a) => a.SubnetId === subnetId));
        expect(table, `route table of ${subnetId}`).toBeDefined();
        return table!.Routes?.find((r) => r.DestinationCidrBlock === "0.0.0.0/0");
      };
      config.availabilityZones.forEach((zone, index) => {
        const subnetOf = (tier: (typeof SUBNET_TIERS)[number]) => subnets.find((s) => s.CidrBlock === subnetCidr(config.network.cidr, tier, index))!;
        expect(defaultRoute(subnetOf("public").SubnetId!)?.GatewayId, `public ${zone}`).toMatch(/^igw-/);
        const natId = defaultRoute(subnetOf("private").SubnetId!)?.NatGatewayId;
        const nat = nats.find((n) => n.NatGatewayId === natId);
        expect(nat, `private ${zone} routes through a NAT gateway`).toBeDefined();
        const natZone = subnets.find((s) => s.SubnetId === nat!.SubnetId)!;
        expect(natZone.CidrBlock, "NAT gateways sit in public subnets").toBe(
          subnetCidr(config.network.cidr, "public", config.network.natStrategy === "per-az" ? index : 0),
        );
        expect(defaultRoute(subnetOf("database").SubnetId!), `database ${zone}`).toBeUndefined();
      });
    });

    // An EKS workspace has no load balancer, ECS cluster or task roles of its own (the cluster is left out in the emulator).
    const ecsOnly = config.compute !== "ecs";
    it.skipIf(ecsOnly)("security groups chain CloudFront (or the internet) -> load balancer -> service -> database, and nothing else reaches in", () => {
      const alb = group("alb");
      const web = group("web");
      const db = group("db");
      const port = webSpec.containerPort;
      const internetPorts = alb.IpPermissions!.filter((p) => p.IpRanges?.some((r) => r.CidrIp === "0.0.0.0/0")).map((p) => p.FromPort);
      if (config.frontend.enabled) {
        // Behind CloudFront: only its origin-facing prefix list, on the listener's port.
        expect(internetPorts).toEqual([]);
        const listenerPort = config.domain?.hostedZoneId ? 443 : 80;
        expect(alb.IpPermissions!.map((p) => [p.FromPort, p.ToPort, (p.PrefixListIds ?? []).map((l) => l.PrefixListId)])).toEqual([[listenerPort, listenerPort, ["pl-3b927c52"]]]);
      } else {
        expect(internetPorts.sort()).toEqual(config.domain ? [443, 80] : [80]);
      }
      expect(alb.IpPermissionsEgress!.map((p) => [p.FromPort, p.ToPort, groupIds(p)])).toEqual([[port, port, [web.GroupId]]]);
      expect(web.IpPermissions!.map((p) => [p.FromPort, p.ToPort, groupIds(p), p.IpRanges ?? []])).toEqual([[port, port, [alb.GroupId], []]]);
      expect(db.IpPermissions!.every((p) => p.FromPort === 5432 && p.ToPort === 5432 && (p.IpRanges ?? []).length === 0)).toBe(true);
      expect(db.IpPermissions!.flatMap(groupIds)).toContain(web.GroupId);
      // Every other group admits nobody.
      const task = (component: string) => observed().securityGroups.find((sg) => sg.GroupName === physicalName(naming, component));
      for (const worker of config.workers) {
        expect(task(`worker-${worker.name}`)?.IpPermissions, worker.name).toEqual([]);
      }
    });

    it.skipIf(ecsOnly)("ECS cluster with both Fargate capacity providers and each EC2 service's, the services and their task definitions", () => {
      const { clusters, services, taskDefinitions } = observed();
      const cluster = clusters.find((c) => c.clusterName === physicalName(naming, "cluster"));
      expect(cluster).toBeDefined();
      const ec2Providers = config.services.filter((s) => s.compute === "ec2").map((s) => physicalName(naming, `${s.name}-capacity`));
      expect([...(cluster!.capacityProviders ?? [])].sort()).toEqual(["FARGATE", "FARGATE_SPOT", ...ec2Providers].sort());
      expect(cluster!.settings).toContainEqual({ name: "containerInsights", value: "enhanced" });
      const expected = [...config.services.map((s) => physicalName(naming, s.name)), ...config.workers.map((w) => physicalName(naming, `worker-${w.name}`))];
      expect(services.map((s) => s.serviceName).sort()).toEqual(expected.sort());
      const web = services.find((s) => s.serviceName === physicalName(naming, "web"))!;
      expect(web.networkConfiguration?.awsvpcConfiguration?.assignPublicIp).toBe("DISABLED");
      expect(web.loadBalancers?.[0]?.containerPort).toBe(webSpec.containerPort);
      const webTask = taskDefinitions.find((t) => web.taskDefinition === t.taskDefinitionArn)!;
      expect(webTask).toBeDefined();
      expect([webTask.cpu, webTask.memory]).toEqual([String(webSpec.cpu), String(webSpec.memory)]);
      expect(webTask.requiresCompatibilities).toEqual(["FARGATE"]);
      const container = webTask.containerDefinitions![0];
      expect(container.image).toMatch(new RegExp(`/${physicalName(naming, webSpec.repository)}:${imageTag}$`));
      expect(container.readonlyRootFilesystem).toBe(webSpec.readonlyRootFilesystem);
      expect(container.privileged ?? false).toBe(false);
      for (const worker of config.workers) {
        const task = taskDefinitions.find((t) => t.family === physicalName(naming, `worker-${worker.name}`));
        expect([task?.cpu, task?.memory], worker.name).toEqual([String(worker.cpu), String(worker.memory)]);
      }
    });

    it.skipIf(ecsOnly)("capacity strategies: the cluster default and each schedule's, as configured", () => {
      const { clusters, schedules } = observed();
      // The emulator keeps no strategy on ECS services (see the ecs-service-launch-settings artifact).
      // An absent base is 0 in the API's answers.
      const normal = (strategy: ReadonlyArray<{ capacityProvider?: string; base?: number; weight?: number }>) =>
        strategy.map((s) => ({ capacityProvider: s.capacityProvider, base: s.base ?? 0, weight: s.weight }));
      const expected = (capacity?: CapacityStrategy) => normal(capacityProviderStrategy(capacity));
      const cluster = clusters.find((c) => c.clusterName === physicalName(naming, "cluster"))!;
      expect(normal(cluster.defaultCapacityProviderStrategy ?? [])).toEqual(expected(config.services[0].capacity));
      for (const task of config.scheduledTasks) {
        const schedule = schedules.find((s) => s.Name === physicalName(naming, `task-${task.name}`));
        const strategy = schedule?.Target?.EcsParameters?.CapacityProviderStrategy ?? [];
        expect(normal(strategy), task.name).toEqual(expected(task.capacity));
      }
    });

    it("worker queues redrive to their dead-letter queues after maxReceiveCount, encrypted, with a policy", () => {
      const { queues } = observed();
      for (const worker of config.workers) {
        const queue = queues[physicalName(naming, worker.name)];
        const dlq = queues[physicalName(naming, `${worker.name}-dlq`)];
        expect(queue, worker.name).toBeDefined();
        expect(dlq, `${worker.name} dead-letter queue`).toBeDefined();
        expect(JSON.parse(queue.RedrivePolicy)).toEqual({ deadLetterTargetArn: dlq.QueueArn, maxReceiveCount: worker.maxReceiveCount });
        expect(Number(queue.VisibilityTimeout)).toBe(worker.visibilityTimeoutSeconds);
        expect(queue.SqsManagedSseEnabled).toBe("true");
        expect(JSON.parse(queue.Policy).Statement.length).toBeGreaterThan(0);
      }
      if (config.dataPipeline?.enabled) {
        const ingest = queues[physicalName(naming, "ingest")];
        expect(JSON.parse(ingest.RedrivePolicy).deadLetterTargetArn).toBe(queues[physicalName(naming, "ingest-dlq")].QueueArn);
      }
    });

    it("every workspace role carries the workspace's permissions boundary; execution roles may pull and log", () => {
      const { roles } = observed();
      const own = roles.filter((r) => r.role.RoleName!.startsWith(`${config.project}-${name}-`));
      expect(own.length).toBeGreaterThan(0);
      const boundary = workspaceBoundaryArn(partitionOf(config.region), config.accountId, config.project, name);
      for (const { role } of own) {
        expect(role.PermissionsBoundary?.PermissionsBoundaryArn, role.RoleName).toBe(boundary);
      }
      const execution = own.filter((r) => r.role.RoleName!.endsWith("-exec"));
      if (config.compute === "eks") {
        // Pod Identity roles instead of task execution roles: each one applied, with its trust.
        const pods = own.filter((r) => r.role.RoleName!.startsWith(`${config.project}-${name}-pod-`));
        expect(pods.length).toBe(3 + config.services.length + config.workers.length);
        for (const { role } of pods) expect(decodeURIComponent(role.AssumeRolePolicyDocument ?? "")).toContain("pods.eks.amazonaws.com");
        return;
      }
      expect(execution.length).toBeGreaterThan(0);
      for (const { role, inlinePolicies } of execution) {
        const actions = Object.values(inlinePolicies).flatMap((d) => d.Statement.flatMap((s) => [s.Action].flat()));
        expect(actions, role.RoleName).toEqual(expect.arrayContaining(["ecr:BatchGetImage", "logs:PutLogEvents"]));
      }
    });

    const pipeline = config.dataPipeline;
    it.runIf(pipeline?.enabled)("the pipeline's Lambda function: configuration, concurrency and its queue", () => {
      const { functions, queues } = observed();
      const fn = functions.find((f) => f.configuration.FunctionName === physicalName(naming, "ingest"));
      expect(fn).toBeDefined();
      expect(fn!.configuration.TracingConfig?.Mode).toBe("Active");
      expect(fn!.reservedConcurrency).toBe(pipeline!.reservedConcurrency);
      expect(fn!.configuration.Environment?.Variables).toMatchObject({ DB_NAME: config.database.databaseName, DB_PORT: "5432" });
      expect(fn!.configuration.Role).toMatch(/:role\//);
      expect(fn!.eventSources).toHaveLength(1);
      expect(fn!.eventSources[0].EventSourceArn).toBe(queues[physicalName(naming, "ingest")].QueueArn);
      expect(fn!.eventSources[0].BatchSize).toBe(pipeline!.batchSize);
    });

    it("each schedule runs its task definition on the cluster, in the private subnets, with its state and time zone", () => {
      const { schedules, clusters, subnets } = observed();
      const cluster = clusters.find((c) => c.clusterName === physicalName(naming, "cluster"))!;
      const privateSubnets = config.availabilityZones.map((_, i) => subnets.find((s) => s.CidrBlock === subnetCidr(config.network.cidr, "private", i))!.SubnetId);
      expect(schedules).toHaveLength(config.scheduledTasks.length);
      for (const task of config.scheduledTasks) {
        const schedule = schedules.find((s) => s.Name === physicalName(naming, `task-${task.name}`));
        expect(schedule, task.name).toBeDefined();
        expect(schedule!.ScheduleExpression).toBe(task.schedule);
        expect(schedule!.ScheduleExpressionTimezone).toBe(task.timeZone);
        expect(schedule!.State).toBe(task.enabled ? "ENABLED" : "DISABLED");
        expect(schedule!.Target?.Arn).toBe(cluster.clusterArn);
        const ecs = schedule!.Target?.EcsParameters;
        expect(ecs?.TaskDefinitionArn).toMatch(new RegExp(`:task-definition/${physicalName(naming, `task-${task.name}`)}:\\d+$`));
        expect([...(ecs?.NetworkConfiguration?.awsvpcConfiguration?.Subnets ?? [])].sort()).toEqual([...privateSubnets].sort());
        expect(ecs?.NetworkConfiguration?.awsvpcConfiguration?.AssignPublicIp).toBe("DISABLED");
        expect(schedule!.Target?.RetryPolicy?.MaximumRetryAttempts).toBe(task.maximumAttempts);
        expect(schedule!.Target?.DeadLetterConfig?.Arn).toMatch(/^arn:aws:sqs:/);
      }
    });
  });

  const organizationStack = stacks.find((s) => s.stack === ORGANIZATION_STACK);
  describe.runIf(organizationStack !== undefined)("the organization stack, read back from the emulator", () => {
    const organization = configs.find((c) => c.organization)?.organization;
    const synthesized = () =>
      Object.values((JSON.parse(readFileSync(join(organizationStack!.dir, "cdk.tf.json"), "utf8")) as StackJson).resource?.aws_organizations_policy ?? {});

    it("each resource control policy has the synthesized content and is attached to the organization's root, once per configured target", () => {
      const { roots, resourceControlPolicies } = reports.get(ORGANIZATION_STACK)!.observed as OrganizationObservation;
      expect(roots).toHaveLength(1);
      const expected = synthesized().filter((p) => p.type === "RESOURCE_CONTROL_POLICY");
      expect(expected.length).toBeGreaterThan(0);
      expect(resourceControlPolicies.map((p) => p.name).sort()).toEqual(expected.map((p) => p.name as string).sort());
      for (const policy of expected) {
        const observedPolicy = resourceControlPolicies.find((p) => p.name === policy.name)!;
        expect(observedPolicy.content, policy.name).toEqual(JSON.parse(policy.content as string));
        expect(observedPolicy.description).toBe(policy.description);
        // The configured root is the emulator's root (organization-in-emulator); OUs and accounts get their own counterparts.
        const rootTargets = organization!.targetIds.filter((t) => t.startsWith("r-"));
        expect(observedPolicy.targets.filter((t) => t.Type === "ROOT").map((t) => t.TargetId)).toEqual(rootTargets.length ? [roots[0].Id] : []);
        expect(observedPolicy.targets).toHaveLength(organization!.targetIds.length);
      }
    });
  });

  it("every known second-plan artifact names its cause", () => {
    for (const artifact of KNOWN_SECOND_PLAN_ARTIFACTS) {
      expect(artifact.cause.length, artifact.id).toBeGreaterThan(20);
      expect(artifact.attributes.length, artifact.id).toBeGreaterThan(0);
    }
  });
});

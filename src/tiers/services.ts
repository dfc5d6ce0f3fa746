import { FargateTask, type TaskImageProps } from "../../modules/ecs-task";
import { WebService } from "../../modules/ecs-alb";
import { suppressPolicy } from "../aspects/policy";
import type { EnvironmentConfig } from "../config/schema";
import { DATA_API_URL_VARIABLE, externalKeyVariable, externalUrlVariable } from "../config/data-stores";
import type { ComputeTier } from "./compute";
import type { TierContext } from "./context";
import type { DataApiTier } from "./data-api";
import type { DatabaseTier } from "./database";
import type { EdgeTier } from "./edge";
import type { ExternalServicesTier } from "./external-services";
import type { NetworkTier } from "./network";
import type { TablesTier } from "./tables";
import type { QueueProducer } from "./workers";

/** The config slice the services tier reads, and the tiers it builds on. */
export interface ServicesTierProps {
  /** `services`: each entry's size, image, route or callers, scaling and compute. */
  readonly services: EnvironmentConfig["services"];
  /** The VPC and its private subnets. */
  readonly network: NetworkTier;
  /** The database: its connection settings, `connect()` and the redeploy on credential rotation. */
  readonly database: DatabaseTier;
  /** The cluster, its Service Connect namespace, EC2 capacity and the task image settings. */
  readonly compute: ComputeTier;
  /** The public load balancer the public services register with. */
  readonly edge: EdgeTier;
  /** The DynamoDB tables services are granted (`services[].tables`). @default none (no service may list tables) */
  readonly tables?: TablesTier;
  /** The external services services call (`services[].externalServices`). @default none */
  readonly externalServices?: ExternalServicesTier;
  /** The data API services call (`services[].dataApi`). @default none */
  readonly dataApi?: DataApiTier;
}

/** One built service: its config entry, task definition and ECS service. */
export interface AppService {
  readonly spec: EnvironmentConfig["services"][number];
  readonly task: FargateTask;
  readonly service: WebService;
}

const OWNER = "ServicesTier";
/** The Service Connect port name every published service uses in its task definition. */
const SERVICE_CONNECT_PORT = "http";

/**
 * Services: one ECS service per `services[]` entry (modules/ecs-task, modules/ecs-alb), each with
 * its own task role, log group, security group, alarms and dashboard section. Public services get
 * a target group and a listener rule on the edge tier's load balancer (path and/or host, at the
 * configured priority); a service that others call publishes its port through ECS Service Connect
 * under its name (`http://<name>:<port>`), and only the services that list it in `calls` are
 * admitted to it. Services run on Fargate or on their EC2 capacity provider (compute tier).
 * Connected to the database and redeployed after credential rotation unless `database: false`;
 * producers of the workers tier by `sendsTo`. Registers the load balancer with the first public
 * service's target group, every other public service's target group, and every service. Outputs:
 * `services`, and `web_service_name`, `web_security_group_id` for a service named `web`.
 */
export class ServicesTier {
  /** Service name -> the built service, in config order. */
  readonly services: ReadonlyMap<string, AppService>;
  /** The services that send work to worker queues, for the workers tier. */
  readonly producers: readonly QueueProducer[];

  constructor(ctx: TierContext, props: ServicesTierProps) {
    const { network } = props.network;
    const { cluster } = props.compute;
    const { loadBalancer } = props.edge;
    const called = new Set(props.services.flatMap((s) => s.calls));
    const byName = new Map(props.services.map((s) => [s.name, s]));
    const built = new Map<string, AppService>();
    // The load balancer's own alarms watch `web`'s target group when it is public, else the first
    // public service's; every other public service's target group has alarms named after it.
    const publicServices = props.services.filter((s) => s.public);
    const primary = publicServices.find((s) => s.name === "web") ?? publicServices[0];

    // Callees first: a caller is deployed after the services it calls (the schema refuses cycles).
    for (const spec of deploymentOrder(props.services)) {
      const ec2 = spec.compute === "ec2" ? props.compute.ec2Capacity(spec.name, spec.ec2!) : undefined;
      const task = new FargateTask(ctx.scope, `${spec.name}-task`, {
        ...withExternalServiceKeys(props.compute.taskImage(spec.repository, spec.environment, spec.database), spec.externalServices, props.externalServices),
        component: spec.name,
        cpu: spec.cpu,
        memory: spec.memory,
        command: spec.command,
        containerPort: spec.containerPort,
        portName: called.has(spec.name) ? SERVICE_CONNECT_PORT : undefined,
        compatibility: ec2 ? "EC2" : "FARGATE",
        cpuArchitecture: spec.ec2?.architecture === "arm64" ? "ARM64" : "X86_64",
        readonlyRootFilesystem: spec.readonlyRootFilesystem,
        enableExecuteCommand: spec.enableExecuteCommand,
        execLogGroupArn: cluster.execLogGroupArn,
        healthCheck: spec.containerHealthCheck,
      });
      // Each callee's endpoint, by name: API_URL=http://api:9000 for a service that calls `api`.
      if (spec.calls.length > 0) {
        task.addEnvironment(
          Object.fromEntries(spec.calls.map((callee) => [`${callee.toUpperCase().replace(/-/g, "_")}_URL`, `http://${callee}:${byName.get(callee)!.containerPort}`])),
        );
      }
      connectDataStores(task, spec, props);
      const usesServiceConnect = called.has(spec.name) || spec.calls.length > 0;
      const service = new WebService(ctx.scope, spec.name, {
        naming: ctx.naming,
        component: spec.name,
        vpcId: network.vpcId,
        subnetIds: network.privateSubnetIds,
        clusterName: cluster.clusterName,
        clusterArn: cluster.clusterArn,
        ...(spec.public ? { loadBalancer, route: spec.public } : {}),
        ...(usesServiceConnect
          ? {
              serviceConnect: {
                namespaceArn: props.compute.serviceConnectNamespaceArn(),
                ...(called.has(spec.name) ? { publish: { discoveryName: spec.name } } : {}),
              },
            }
          : {}),
        ...(ec2 ? { ec2CapacityProvider: ec2.capacityProviderName } : { capacity: spec.capacity }),
        task,
        desiredCount: spec.desiredCount,
        healthCheck: spec.healthCheck,
        deregistrationDelaySeconds: spec.deregistrationDelaySeconds,
        healthCheckGracePeriodSeconds: spec.healthCheckGracePeriodSeconds,
        enableExecuteCommand: spec.enableExecuteCommand,
        callees: spec.calls.map((callee) => built.get(callee)!.service),
        dependsOn: [cluster.capacityProviders],
        scaling: {
          minCount: spec.minCount,
          maxCount: spec.maxCount,
          cpuTargetPercent: spec.cpuTargetPercent,
          memoryTargetPercent: spec.memoryTargetPercent,
          requestsPerTarget: spec.requestsPerTarget,
          scaleInCooldownSeconds: spec.scaleInCooldownSeconds,
          scaleOutCooldownSeconds: spec.scaleOutCooldownSeconds,
        },
      });
      if (!spec.readonlyRootFilesystem) {
        suppressPolicy(task.taskDefinition, "CKV_AWS_336", `${ctx.configFile} sets services[${spec.name}].readonlyRootFilesystem = false`);
      }
      if (spec.database) {
        props.database.connect(spec.name, service.tasksSecurityGroup);
        props.database.redeployOnRotation({ name: spec.name, clusterName: cluster.clusterName, clusterArn: cluster.clusterArn, serviceName: service.serviceName });
      }

      if (service.targetGroup) {
        if (spec === primary) {
          ctx.monitoring.setLoadBalancer(OWNER, { arnSuffix: loadBalancer.arnSuffix, targetGroupArnSuffix: service.targetGroup.arnSuffix, serviceName: spec.name });
        } else {
          ctx.monitoring.addTargetGroup(OWNER, { name: spec.name, loadBalancerArnSuffix: loadBalancer.arnSuffix, targetGroupArnSuffix: service.targetGroup.arnSuffix });
        }
      }
      ctx.monitoring.addService(OWNER, {
        name: spec.name,
        clusterName: cluster.clusterName,
        serviceName: service.serviceName,
        minRunning: spec.minCount,
        ...(called.has(spec.name) ? { discoveryName: spec.name } : {}),
      });
      built.set(spec.name, { spec, task, service });
    }

    // Service Connect: each callee admits exactly its declared callers, on its port.
    for (const { spec, service } of built.values()) {
      for (const callee of spec.calls) built.get(callee)!.service.allowFrom(spec.name, service.tasksSecurityGroup);
    }
    // In config order, whatever order they were built in.
    this.services = new Map(props.services.map((s) => [s.name, built.get(s.name)!]));
    this.producers = [...this.services.values()].filter((s) => s.spec.sendsTo.length > 0).map((s) => ({ name: s.spec.name, task: s.task, queues: s.spec.sendsTo }));

    ctx.output(
      OWNER,
      "services",
      Object.fromEntries(
        [...this.services].map(([name, s]) => [
          name,
          {
            service_name: s.service.serviceName,
            security_group_id: s.service.securityGroupId,
            task_role_arn: s.task.taskRole.arn,
            log_group: s.task.logGroup.name,
            ...(called.has(name) ? { service_connect_endpoint: `http://${name}:${s.spec.containerPort}` } : {}),
          },
        ]),
      ),
      "ECS services by name: service, security group, task role, log group and Service Connect endpoint",
    );
    const web = built.get("web");
    if (web) {
      ctx.output(OWNER, "web_service_name", web.service.serviceName, "ECS service of the web service");
      ctx.output(OWNER, "web_security_group_id", web.service.securityGroupId, "Security group of the web service's tasks");
    }
  }
}

/** The task image with the API keys of the external services `spec` calls added as ECS secrets. */
function withExternalServiceKeys(image: TaskImageProps, calls: readonly string[], external: ExternalServicesTier | undefined): TaskImageProps {
  const keys = calls.flatMap((name) => {
    if (!external) throw new Error(`${OWNER}: a service calls external service "${name}", and there are none (the schema refuses this)`);
    const arn = external.service(name).secretArn;
    return arn ? [{ name: externalKeyVariable(name), valueFrom: arn }] : [];
  });
  if (keys.length === 0) return image;
  const grants = image.secretReadGrants ?? {};
  return {
    ...image,
    secrets: [...(image.secrets ?? []), ...keys],
    secretReadGrants: { ...grants, secretsManagerArns: [...(grants.secretsManagerArns ?? []), ...keys.map((k) => k.valueFrom)] },
  };
}

/**
 * The data stores a service declares: exactly its access to each listed table (task role), the URL
 * of each external service it calls, and the data API's URL with `execute-api:Invoke` on it.
 */
function connectDataStores(task: FargateTask, spec: EnvironmentConfig["services"][number], props: ServicesTierProps): void {
  if (spec.tables.length > 0) {
    if (!props.tables) throw new Error(`${OWNER}: ${spec.name} is granted tables, and there are none (the schema refuses this)`);
    const tables = props.tables;
    task.grant("dynamodb", spec.tables.flatMap((grant) => tables.table(grant.table).grant(task.taskRole.arn, grant.access)));
  }
  if (spec.externalServices.length > 0) {
    const external = props.externalServices!;
    task.addEnvironment(Object.fromEntries(spec.externalServices.map((name) => [externalUrlVariable(name), external.service(name).spec.baseUrl])));
  }
  if (spec.dataApi) {
    if (!props.dataApi) throw new Error(`${OWNER}: ${spec.name} calls the data API, and there is none (the schema refuses this)`);
    task.addEnvironment({ [DATA_API_URL_VARIABLE]: props.dataApi.api.apiEndpoint });
    if (props.dataApi.iamAuthorization) task.grant("data-api", [props.dataApi.api.invokeStatement()]);
  }
}

/** The services, each after the services it calls (config order otherwise). */
function deploymentOrder<T extends { name: string; calls: readonly string[] }>(services: readonly T[]): T[] {
  const ordered: T[] = [];
  const place = (s: T, path: readonly string[]): void => {
    if (ordered.includes(s)) return;
    if (path.includes(s.name)) throw new Error(`${OWNER}: calls go round through ${s.name} (the schema refuses cycles)`);
    for (const callee of s.calls) {
      const target = services.find((x) => x.name === callee);
      if (!target) throw new Error(`${OWNER}: ${s.name} calls "${callee}", which is not a service`);
      place(target, [...path, s.name]);
    }
    ordered.push(s);
  };
  for (const s of services) place(s, []);
  return ordered;
}

import type { FargateTask } from "../../modules/ecs-task";
import { CeleryWorker, workerQueueName } from "../../modules/worker";
import type { EnvironmentConfig } from "../config/schema";
import type { ComputeTier } from "./compute";
import type { TierContext } from "./context";
import type { DatabaseTier } from "./database";
import type { NetworkTier } from "./network";

/** A task that sends Celery tasks to some of the workers' queues. */
export interface QueueProducer {
  /** Short name, used in the send policy's id (`web`). */
  readonly name: string;
  readonly task: FargateTask;
  /** The workers (`workers[].name`) it sends to. */
  readonly queues: readonly string[];
}

/** The config slice the workers tier reads, and the tiers it builds on. */
export interface WorkersTierProps {
  /** `workers`: one Celery worker service per entry, each on its own queue. */
  readonly workers: EnvironmentConfig["workers"];
  /**
   * Tasks that send work: each may send to the queues of the workers it names and gets the broker
   * settings for them as environment (see {@link WorkersTier}). @default none
   */
  readonly producers?: readonly QueueProducer[];
  /** The VPC and its private subnets. */
  readonly network: NetworkTier;
  /** The database: its connection settings and `connect()`. */
  readonly database: DatabaseTier;
  /** The cluster and the application task settings (`appTask`). */
  readonly compute: ComputeTier;
}

const OWNER = "WorkersTier";

/**
 * Workers: one Celery worker per `workers[]` entry (modules/worker: SQS queue and dead-letter
 * queue, Fargate service scaled on queue depth), connected to the database. A producer may send to
 * the queues it names (`services[].sendsTo`) and nothing else, and gets `CELERY_BROKER_URL`,
 * `CELERY_BROKER_REGION` and those queues as Celery's `predefined_queues` JSON
 * (`CELERY_PREDEFINED_QUEUES`, queue name -> URL), so it never lists or creates queues. Registers each worker's service and queue with the monitoring. Outputs:
 * `worker_queues`.
 */
export class WorkersTier {
  /** Worker name (`workers[].name`) -> its worker, in config order. */
  readonly workers: ReadonlyMap<string, CeleryWorker>;

  constructor(ctx: TierContext, props: WorkersTierProps) {
    const { network } = props.network;
    const { cluster, appTask } = props.compute;
    const workers = new Map<string, CeleryWorker>();
    for (const spec of props.workers) {
      const worker = new CeleryWorker(ctx.scope, `worker-${spec.name}`, {
        ...appTask,
        name: spec.name,
        vpcId: network.vpcId,
        subnetIds: network.privateSubnetIds,
        clusterName: cluster.clusterName,
        clusterArn: cluster.clusterArn,
        command: spec.command,
        cpu: spec.cpu,
        memory: spec.memory,
        taskTimeLimitSeconds: spec.taskTimeLimitSeconds,
        visibilityTimeoutSeconds: spec.visibilityTimeoutSeconds,
        maxReceiveCount: spec.maxReceiveCount,
        minCount: spec.minCount,
        maxCount: spec.maxCount,
        capacity: spec.capacity,
        cpuTargetPercent: spec.cpuTargetPercent,
        dependsOn: [cluster.capacityProviders],
      });
      const id = `worker-${spec.name}`;
      props.database.connect(id, worker.tasksSecurityGroup);
      props.database.redeployOnRotation({ name: id, clusterName: cluster.clusterName, clusterArn: cluster.clusterArn, serviceName: worker.serviceName });
      ctx.monitoring.addService(OWNER, { name: id, clusterName: cluster.clusterName, serviceName: worker.serviceName, minRunning: spec.minCount });
      ctx.monitoring.addQueue(OWNER, { name: id, queueName: worker.queueName, deadLetterQueueName: worker.deadLetterQueueName });
      workers.set(spec.name, worker);
    }
    this.workers = workers;

    for (const producer of props.producers ?? []) {
      const targets = producer.queues.map((name) => {
        const worker = workers.get(name);
        if (!worker) throw new Error(`${OWNER}: producer ${producer.name} sends to "${name}", which is not a worker`);
        return [name, worker] as const;
      });
      if (targets.length === 0) continue;
      producer.task.addEnvironment({
        CELERY_BROKER_URL: "sqs://",
        CELERY_BROKER_REGION: ctx.region,
        CELERY_PREDEFINED_QUEUES: JSON.stringify(Object.fromEntries(targets.map(([name, w]) => [workerQueueName(ctx.naming, name), { url: w.queueUrl }]))),
      });
      for (const [, worker] of targets) worker.grantSend(producer.name, producer.task.taskRole.name);
    }

    ctx.output(
      OWNER,
      "worker_queues",
      Object.fromEntries(
        [...workers].map(([name, w]) => [
          name,
          { queue_url: w.queueUrl, queue_arn: w.queueArn, dlq_url: w.deadLetterQueueUrl, dlq_arn: w.deadLetterQueueArn, service_name: w.serviceName },
        ]),
      ),
      "Celery worker queues, dead-letter queues and services by worker name",
    );
  }
}

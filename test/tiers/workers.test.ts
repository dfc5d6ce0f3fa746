import { describe, expect, it } from "vitest";
import type { EnvironmentConfig } from "../../src/config/schema";
import { ServicesTier } from "../../src/tiers/services";
import { WorkersTier } from "../../src/tiers/workers";
import { PRODUCER_ACTIONS } from "../../modules/worker";
import { dataStoreTiers, foundationTiers, ref, resolved, resourcesOf, securityGroupRef, testContext, type SynthJson } from "../helpers";

function workers(options: Parameters<typeof testContext>[0] & { producers?: boolean } = {}) {
  const t = testContext(options);
  const foundation = foundationTiers(t.ctx, t.config);
  const web = new ServicesTier(t.ctx, { services: t.config.services, ...foundation, ...dataStoreTiers(t.ctx, t.config, foundation.database) });
  const tier = new WorkersTier(t.ctx, { workers: t.config.workers, producers: options.producers === false ? [] : web.producers, ...foundation });
  return { ...t, web, tier, json: t.synth() };
}

const webEnvironment = (json: SynthJson): Record<string, string> => {
  const definition = Object.values(resourcesOf(json, "aws_ecs_task_definition")).find((t) => t.family === "acme-dev-web")!;
  return Object.fromEntries(JSON.parse(definition.container_definitions)[0].environment.map((e: { name: string; value: string }) => [e.name, e.value]));
};
const queueId = (json: SynthJson, name: string) => Object.entries(resourcesOf(json, "aws_sqs_queue")).find(([, q]) => q.name === name)![0];
const addSecondWorker = (c: EnvironmentConfig) => {
  c.workers.push({ ...c.workers[0], name: "mail", minCount: 2 });
  c.services[0].sendsTo = ["default", "mail"];
};

describe("WorkersTier", () => {
  it("gives producers the broker settings and the URLs of the queues they name, by queue name", () => {
    const { json } = workers({ mutate: addSecondWorker });
    const env = webEnvironment(json);
    expect(env.CELERY_BROKER_URL).toBe("sqs://");
    expect(env.CELERY_BROKER_REGION).toBe("us-east-1");
    expect(JSON.parse(env.CELERY_PREDEFINED_QUEUES)).toEqual({
      "acme-dev-default": { url: ref("aws_sqs_queue", queueId(json, "acme-dev-default"), "url") },
      "acme-dev-mail": { url: ref("aws_sqs_queue", queueId(json, "acme-dev-mail"), "url") },
    });
    // The service environment is still there.
    expect(env.APP_ENV).toBe("dev");
  });

  it("lets a producer send to none but the queues it names", () => {
    const { json } = workers({ mutate: (c) => c.workers.push({ ...c.workers[0], name: "mail", minCount: 2 }) });
    expect(Object.keys(JSON.parse(webEnvironment(json).CELERY_PREDEFINED_QUEUES))).toEqual(["acme-dev-default"]);
    const resources = Object.values(resourcesOf(json, "aws_iam_role_policy"))
      .filter((p) => p.name.startsWith("sqs-send-"))
      .map((p) => JSON.parse(p.policy).Statement[0].Resource);
    expect(resources).toEqual([ref("aws_sqs_queue", queueId(json, "acme-dev-default"), "arn")]);
  });

  it("lets each producer's task role send to each worker queue it names, and only producers", () => {
    const { json } = workers({ mutate: addSecondWorker });
    const webRole = Object.entries(resourcesOf(json, "aws_iam_role")).find(([, r]) => r.name === "acme-dev-web-task")![0];
    const sendPolicies = Object.values(resourcesOf(json, "aws_iam_role_policy")).filter((p) => p.name.startsWith("sqs-send-"));
    expect(sendPolicies.map((p) => p.role)).toEqual([ref("aws_iam_role", webRole, "name"), ref("aws_iam_role", webRole, "name")]);
    expect(sendPolicies.map((p) => JSON.parse(p.policy).Statement[0].Action)).toEqual([PRODUCER_ACTIONS, PRODUCER_ACTIONS]);
    const resources = sendPolicies.map((p) => JSON.parse(p.policy).Statement[0].Resource).sort();
    expect(resources).toEqual([ref("aws_sqs_queue", queueId(json, "acme-dev-default"), "arn"), ref("aws_sqs_queue", queueId(json, "acme-dev-mail"), "arn")].sort());

    const alone = workers({ producers: false });
    expect(webEnvironment(alone.json).CELERY_BROKER_URL).toBeUndefined();
    expect(Object.values(resourcesOf(alone.json, "aws_iam_role_policy")).filter((p) => p.name.startsWith("sqs-send-"))).toEqual([]);
  });

  it("without workers, producers keep their environment and no queue exists", () => {
    const { json } = workers({
      mutate: (c) => {
        c.workers = [];
        c.services[0].sendsTo = [];
      },
    });
    expect(Object.keys(webEnvironment(json)).filter((k) => k.startsWith("CELERY_"))).toEqual([]);
    expect(json.resource.aws_sqs_queue).toBeUndefined();
    expect(json.output?.worker_queues.value).toEqual({});
  });

  it("connects each worker to the database", () => {
    const { json } = workers();
    const db = securityGroupRef(json, "acme-dev-db");
    const intoDb = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).filter((r) => r.security_group_id === db);
    expect(intoDb.map((r) => r.referenced_security_group_id)).toContain(securityGroupRef(json, "acme-dev-worker-default"));
  });

  it("registers each worker's service (after the web service) and queue, in config order", () => {
    const { ctx, stack, json } = workers({ mutate: addSecondWorker });
    const registered = resolved(stack, ctx.monitoring.registered());
    expect(registered.services.map((s) => [s.name, s.minRunning])).toEqual([
      ["web", 1],
      ["worker-default", 0],
      ["worker-mail", 2],
    ]);
    expect(registered.queues).toEqual([
      { name: "worker-default", queueName: ref("aws_sqs_queue", queueId(json, "acme-dev-default"), "name"), deadLetterQueueName: ref("aws_sqs_queue", queueId(json, "acme-dev-default-dlq"), "name") },
      { name: "worker-mail", queueName: ref("aws_sqs_queue", queueId(json, "acme-dev-mail"), "name"), deadLetterQueueName: ref("aws_sqs_queue", queueId(json, "acme-dev-mail-dlq"), "name") },
    ]);
  });

  it("outputs every worker's queues and service by worker name", () => {
    const { json } = workers();
    const out = json.output?.worker_queues.value as Record<string, Record<string, string>>;
    expect(Object.keys(out)).toEqual(["default"]);
    expect(out.default.queue_url).toBe(ref("aws_sqs_queue", queueId(json, "acme-dev-default"), "url"));
    expect(out.default.dlq_arn).toBe(ref("aws_sqs_queue", queueId(json, "acme-dev-default-dlq"), "arn"));
  });
});

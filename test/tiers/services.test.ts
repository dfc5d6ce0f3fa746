import { describe, expect, it } from "vitest";
import { POLICY_RULES, evaluateStack } from "../../src/aspects/policy";
import { ServicesTier } from "../../src/tiers/services";
import { dataStoreTiers, foundationTiers, onlyResource, ref, resolved, resourcesOf, securityGroupRef, testContext } from "../helpers";

function web(options: Parameters<typeof testContext>[0] = {}) {
  const t = testContext(options);
  const foundation = foundationTiers(t.ctx, t.config);
  const tier = new ServicesTier(t.ctx, { services: t.config.services, ...foundation, ...dataStoreTiers(t.ctx, t.config, foundation.database) });
  return { ...t, tier, json: t.synth() };
}

describe("ServicesTier (dev: one public service)", () => {
  const { json, ctx, stack } = web();

  it("runs the web service in the private subnets behind the edge tier's load balancer, on the container port", () => {
    const service = onlyResource(json, "aws_ecs_service");
    const privateSubnets = Object.entries(resourcesOf(json, "aws_subnet")).filter(([, s]) => s.tags.Tier === "private").map(([id]) => ref("aws_subnet", id, "id"));
    expect(service.network_configuration.subnets).toEqual(privateSubnets);
    expect(service.network_configuration.assign_public_ip).toBe(false);
    const targetGroup = Object.keys(resourcesOf(json, "aws_lb_target_group"))[0];
    expect(service.load_balancer).toEqual([expect.objectContaining({ target_group_arn: ref("aws_lb_target_group", targetGroup, "arn"), container_port: 8000 })]);
    const webSg = securityGroupRef(json, "acme-dev-web");
    const albSg = securityGroupRef(json, "acme-dev-alb");
    const intoWeb = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).filter((r) => r.security_group_id === webSg);
    expect(intoWeb).toEqual([expect.objectContaining({ referenced_security_group_id: albSg, from_port: 8000 })]);
  });

  it("connects the web tasks to the database", () => {
    const db = securityGroupRef(json, "acme-dev-db");
    const webSg = securityGroupRef(json, "acme-dev-web");
    const intoDb = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).filter((r) => r.security_group_id === db);
    expect(intoDb.map((r) => r.referenced_security_group_id)).toContain(webSg);
  });

  it("registers the load balancer with the web target group, and the web service with its minimum", () => {
    const lb = Object.keys(resourcesOf(json, "aws_lb"))[0];
    const tg = Object.keys(resourcesOf(json, "aws_lb_target_group"))[0];
    const service = Object.keys(resourcesOf(json, "aws_ecs_service"))[0];
    const registered = resolved(stack, ctx.monitoring.registered());
    expect(registered.loadBalancer).toEqual({ arnSuffix: ref("aws_lb", lb, "arn_suffix"), targetGroupArnSuffix: ref("aws_lb_target_group", tg, "arn_suffix"), serviceName: "web" });
    expect(registered.services).toEqual([
      { name: "web", clusterName: expect.stringContaining("aws_ecs_cluster."), serviceName: ref("aws_ecs_service", service, "name"), minRunning: 1 },
    ]);
    expect(registered.targetGroups).toEqual([]);
  });

  it("a writable root filesystem is exempted from the read-only rule with the config file named; read-only is not", () => {
    const rule = (s: typeof stack) => evaluateStack(POLICY_RULES, s, false).filter((r) => r.rule.id === "CKV_AWS_336" && r.resource.config.family === "acme-dev-web");
    expect(rule(stack).map((r) => r.outcome)).toEqual(["pass"]);
    const writable = web({ mutate: (c) => (c.services[0].readonlyRootFilesystem = false) });
    expect(rule(writable.stack).map((r) => [r.outcome, r.detail])).toEqual([["suppressed", "environments/dev.ts sets services[web].readonlyRootFilesystem = false"]]);
  });

  it("declares the services output, and the web outputs for a service named web", () => {
    const service = Object.keys(resourcesOf(json, "aws_ecs_service"))[0];
    expect(json.output?.web_service_name.value).toBe(ref("aws_ecs_service", service, "name"));
    expect(json.output?.web_security_group_id.value).toBe(securityGroupRef(json, "acme-dev-web"));
    expect((json.output?.services.value as any).web).toMatchObject({ service_name: ref("aws_ecs_service", service, "name"), security_group_id: securityGroupRef(json, "acme-dev-web") });
    expect((json.output?.services.value as any).web.service_connect_endpoint).toBeUndefined();
    // Nobody calls anybody in dev: no Service Connect anywhere.
    expect(onlyResource(json, "aws_ecs_service").service_connect_configuration).toBeUndefined();
    expect(json.resource.aws_service_discovery_http_namespace).toBeUndefined();
  });

  it("routes by the configured priority, paths and hosts", () => {
    const { json: routed } = web({
      mutate: (c) => (c.services[0].public = { priority: 7, pathPatterns: ["/app/*"], hostHeaders: ["app.example.com", "*.example.org"] }),
    });
    expect(onlyResource(routed, "aws_lb_listener_rule")).toMatchObject({
      priority: 7,
      condition: [{ path_pattern: { values: ["/app/*"] } }, { host_header: { values: ["app.example.com", "*.example.org"] } }],
    });
  });
});

describe("ServicesTier (prod: public web calls internal api on EC2 through Service Connect)", () => {
  const { json, ctx, stack, tier } = web({ environment: "prod" });
  const service = (name: string) => Object.values(resourcesOf(json, "aws_ecs_service")).find((s) => s.name === `acme-prod-${name}`)!;
  const ingressInto = (sg: string) => Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).filter((r) => r.security_group_id === sg);
  const namespace = ref("aws_service_discovery_http_namespace", Object.keys(resourcesOf(json, "aws_service_discovery_http_namespace"))[0], "arn");

  it("creates the workspace's Service Connect namespace as the cluster's default", () => {
    expect(onlyResource(json, "aws_service_discovery_http_namespace").name).toBe("acme-prod");
    expect(onlyResource(json, "aws_ecs_cluster").service_connect_defaults).toEqual({ namespace });
  });

  it("publishes api under its name and port; web joins as a client only", () => {
    expect(service("api").service_connect_configuration).toMatchObject({
      enabled: true,
      namespace,
      service: [{ port_name: "http", discovery_name: "api", client_alias: { port: 9000, dns_name: "api" } }],
      log_configuration: { log_driver: "awslogs", options: expect.objectContaining({ "awslogs-stream-prefix": "service-connect" }) },
    });
    expect(service("web").service_connect_configuration).toMatchObject({ enabled: true, namespace });
    expect(service("web").service_connect_configuration.service).toBeUndefined();
    const apiTask = Object.values(resourcesOf(json, "aws_ecs_task_definition")).find((t) => t.family === "acme-prod-api")!;
    expect(JSON.parse(apiTask.container_definitions)[0].portMappings).toEqual([{ name: "http", containerPort: 9000, protocol: "tcp", appProtocol: "http" }]);
  });

  it("admits exactly web into api on api's port, and opens web's egress to api only", () => {
    const api = securityGroupRef(json, "acme-prod-api");
    const webSg = securityGroupRef(json, "acme-prod-web");
    expect(ingressInto(api)).toEqual([expect.objectContaining({ referenced_security_group_id: webSg, from_port: 9000, to_port: 9000, ip_protocol: "tcp" })]);
    const webEgress = Object.values(resourcesOf(json, "aws_vpc_security_group_egress_rule")).filter((r) => r.security_group_id === webSg && r.referenced_security_group_id === api);
    expect(webEgress).toEqual([expect.objectContaining({ from_port: 9000, to_port: 9000 })]);
    // api is internal: no target group, no listener rule, no ingress from the load balancer.
    expect(service("api").load_balancer).toBeUndefined();
    expect(service("api").health_check_grace_period_seconds).toBeUndefined();
    expect(Object.values(resourcesOf(json, "aws_lb_target_group")).map((t) => t.name)).toEqual(["acme-prod-web"]);
  });

  it("runs api on its EC2 capacity provider, spread over zones, with an arm64 EC2 task definition", () => {
    const provider = Object.keys(resourcesOf(json, "aws_ecs_capacity_provider"))[0];
    expect(service("api").capacity_provider_strategy).toEqual([{ capacity_provider: ref("aws_ecs_capacity_provider", provider, "name"), base: 0, weight: 1 }]);
    expect(service("api").ordered_placement_strategy).toEqual([
      { type: "spread", field: "attribute:ecs.availability-zone" },
      { type: "spread", field: "instanceId" },
    ]);
    const apiTask = Object.values(resourcesOf(json, "aws_ecs_task_definition")).find((t) => t.family === "acme-prod-api")!;
    expect(apiTask).toMatchObject({ requires_compatibilities: ["EC2"], network_mode: "awsvpc", runtime_platform: { cpu_architecture: "ARM64" } });
    expect(onlyResource(json, "aws_ecs_cluster_capacity_providers").capacity_providers).toEqual(["FARGATE", "FARGATE_SPOT", ref("aws_ecs_capacity_provider", provider, "name")]);
  });

  it("gives each service its own task role, log group and Service Connect alarm target", () => {
    const roles = Object.values(resourcesOf(json, "aws_iam_role")).map((r) => r.name);
    expect(roles).toEqual(expect.arrayContaining(["acme-prod-web-task", "acme-prod-api-task"]));
    const groups = Object.values(resourcesOf(json, "aws_cloudwatch_log_group")).map((g) => g.name);
    expect(groups).toEqual(expect.arrayContaining(["/ecs/acme-prod-web", "/ecs/acme-prod-api"]));
    const registered = resolved(stack, ctx.monitoring.registered());
    expect(registered.services.find((s) => s.name === "api")).toMatchObject({ discoveryName: "api", minRunning: 2 });
    expect(registered.services.find((s) => s.name === "web")?.discoveryName).toBeUndefined();
    expect((json.output?.services.value as any).api.service_connect_endpoint).toBe("http://api:9000");
  });

  it("deploys web after api, redeploys it when its callees change, and tells it api's endpoint", () => {
    const apiService = Object.entries(resourcesOf(json, "aws_ecs_service")).find(([, s]) => s.name === "acme-prod-api")![0];
    expect(service("web").depends_on).toContain(`aws_ecs_service.${apiService}`);
    expect(service("web")).toMatchObject({ force_new_deployment: true, triggers: { service_connect_callees: "api" } });
    expect(service("api").triggers).toBeUndefined();
    const webTask = Object.values(resourcesOf(json, "aws_ecs_task_definition")).find((t) => t.family === "acme-prod-web")!;
    const env = Object.fromEntries(JSON.parse(webTask.container_definitions)[0].environment.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env.API_URL).toBe("http://api:9000");
    // The shared application tasks do not get it: they are no Service Connect clients.
    const migrate = Object.values(resourcesOf(json, "aws_ecs_task_definition")).find((t) => t.family === "acme-prod-migrate")!;
    expect(JSON.parse(migrate.container_definitions)[0].environment.map((e: { name: string }) => e.name)).not.toContain("API_URL");
  });

  it("gives an internal service a container health check with the grace period, when configured", () => {
    const checked = web({
      environment: "prod",
      mutate: (c) => (c.services[1].containerHealthCheck = { command: ["CMD-SHELL", "curl -fs http://localhost:9000/health || exit 1"], intervalSeconds: 30, timeoutSeconds: 5, retries: 3, startPeriodSeconds: 60 }),
    });
    const api = Object.values(resourcesOf(checked.json, "aws_ecs_service")).find((s) => s.name === "acme-prod-api")!;
    expect(api.health_check_grace_period_seconds).toBe(60);
    const task = Object.values(resourcesOf(checked.json, "aws_ecs_task_definition")).find((t) => t.family === "acme-prod-api")!;
    expect(JSON.parse(task.container_definitions)[0].healthCheck).toEqual({
      command: ["CMD-SHELL", "curl -fs http://localhost:9000/health || exit 1"],
      interval: 30,
      timeout: 5,
      retries: 3,
      startPeriod: 60,
    });
  });

  it("makes web the only producer, of the queues it names", () => {
    expect(tier.producers.map((p) => [p.name, p.queues])).toEqual([["web", ["default"]]]);
  });

  it("registers a second public service's target group with the monitoring", () => {
    const two = web({
      environment: "prod",
      mutate: (c) => {
        c.services[1].public = { priority: 50, pathPatterns: ["/api/*"] };
      },
    });
    const registered = resolved(two.stack, two.ctx.monitoring.registered());
    const tg = Object.entries(resourcesOf(two.json, "aws_lb_target_group")).find(([, t]) => t.name === "acme-prod-api")![0];
    expect(registered.targetGroups).toEqual([
      { name: "api", loadBalancerArnSuffix: expect.stringContaining("aws_lb."), targetGroupArnSuffix: ref("aws_lb_target_group", tg, "arn_suffix") },
    ]);
    const rules = Object.values(resourcesOf(two.json, "aws_lb_listener_rule")).map((r) => [r.priority, r.condition]);
    expect(rules).toEqual(expect.arrayContaining([[50, [{ path_pattern: { values: ["/api/*"] } }]], [100, [{ path_pattern: { values: ["/*"] } }]]]));
  });

  it("leaves the database out of a service that does not use it", () => {
    const noDb = web({ environment: "prod", mutate: (c) => (c.services[1].database = false) });
    const apiTask = Object.values(resourcesOf(noDb.json, "aws_ecs_task_definition")).find((t) => t.family === "acme-prod-api")!;
    const container = JSON.parse(apiTask.container_definitions)[0];
    expect(container.secrets).toEqual([]);
    expect(container.environment.map((e: { name: string }) => e.name)).not.toContain("DB_HOST");
    const db = securityGroupRef(noDb.json, "acme-prod-db");
    const intoDb = Object.values(resourcesOf(noDb.json, "aws_vpc_security_group_ingress_rule")).filter((r) => r.security_group_id === db);
    expect(intoDb.map((r) => r.referenced_security_group_id)).toEqual(
      expect.arrayContaining([securityGroupRef(noDb.json, "acme-prod-web"), securityGroupRef(noDb.json, "acme-prod-migrate")]),
    );
    expect(intoDb.map((r) => r.referenced_security_group_id)).not.toContain(securityGroupRef(noDb.json, "acme-prod-api"));
    expect(noDb.ctx.monitoring.registered().stateMachines).toHaveLength(1);
  });
});

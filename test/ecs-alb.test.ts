import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsClusterCapacityProviders } from "@cdktf/provider-aws/lib/ecs-cluster-capacity-providers";
import { Lb } from "@cdktf/provider-aws/lib/lb";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group";
import type { TerraformStack } from "cdktf";
import { describe, expect, it } from "vitest";
import {
  FargateCluster,
  PublicLoadBalancer,
  WebService,
  capacityProviderStrategy,
  elbLogDeliveryStatement,
  type PublicLoadBalancerProps,
  type WebServiceProps,
} from "../modules/ecs-alb";
import { FargateTask } from "../modules/ecs-task";
import { TEST_ACCOUNT, onlyResource, ref, resourcesOf, synthConstruct, testNaming, type SynthJson } from "./helpers";

const CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/0b7c5a3e-1111-2222-3333-444455556666";

interface Options {
  lb?: Partial<PublicLoadBalancerProps>;
  service?: Partial<WebServiceProps>;
}

function platform(options: Options = {}) {
  return synthConstruct((stack: TerraformStack) => {
    const cluster = new FargateCluster(stack, "cluster", { naming: testNaming, execLogRetentionDays: 30 });
    const lb = new PublicLoadBalancer(stack, "alb", {
      naming: testNaming,
      region: "eu-west-1",
      accountId: TEST_ACCOUNT,
      vpcId: "vpc-123",
      subnetIds: ["subnet-pub-a", "subnet-pub-b"],
      ...options.lb,
    });
    const task = new FargateTask(stack, "task", {
      naming: testNaming,
      component: "web",
      region: "eu-west-1",
      accountId: TEST_ACCOUNT,
      image: "repo:tag",
      repositoryArn: "arn:aws:ecr:eu-west-1:123456789012:repository/web",
      containerPort: 8000,
    });
    new WebService(stack, "web", {
      naming: testNaming,
      component: "web",
      vpcId: "vpc-123",
      subnetIds: ["subnet-priv-a", "subnet-priv-b"],
      clusterName: cluster.clusterName,
      clusterArn: cluster.clusterArn,
      loadBalancer: lb,
      task,
      ...options.service,
    });
  });
}

const sgId = (json: SynthJson, name: string) =>
  Object.entries(resourcesOf(json, "aws_security_group")).find(([, sg]) => sg.name === name)![0];

describe("FargateCluster", () => {
  const { synth, json } = platform();

  it("enables Container Insights and logs ECS Exec sessions", () => {
    const execGroup = Object.entries(resourcesOf(json, "aws_cloudwatch_log_group")).find(([, g]) => g.name.endsWith("/exec"))!;
    expect(execGroup[1]).toMatchObject({ name: "/ecs/acme-test-cluster/exec", retention_in_days: 30 });
    expect(synth).toHaveResourceWithProperties(EcsCluster, {
      name: "acme-test-cluster",
      setting: [{ name: "containerInsights", value: "enhanced" }],
      configuration: {
        execute_command_configuration: {
          logging: "OVERRIDE",
          log_configuration: { cloud_watch_log_group_name: ref("aws_cloudwatch_log_group", execGroup[0], "name") },
        },
      },
    });
  });

  it("exposes the ARN of its ECS Exec log group for the tasks' session-log grants", () => {
    const { json: wired } = synthConstruct((stack: TerraformStack) => {
      const cluster = new FargateCluster(stack, "cluster", { naming: testNaming });
      new FargateTask(stack, "task", {
        naming: testNaming,
        component: "web",
        region: "eu-west-1",
        accountId: TEST_ACCOUNT,
        image: "repo:tag",
        repositoryArn: "arn:aws:ecr:eu-west-1:123456789012:repository/web",
        enableExecuteCommand: true,
        execLogGroupArn: cluster.execLogGroupArn,
      });
    });
    const [execGroupId] = Object.entries(resourcesOf(wired, "aws_cloudwatch_log_group")).find(([, g]) => g.name === "/ecs/acme-test-cluster/exec")!;
    const statements = Object.values(resourcesOf(wired, "aws_iam_role_policy")).flatMap((p) => JSON.parse(p.policy).Statement);
    const arn = ref("aws_cloudwatch_log_group", execGroupId, "arn");
    expect(statements).toContainEqual({
      Sid: "EcsExecSessionLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
      Resource: [arn, `${arn}:*`],
    });
  });

  it("offers FARGATE and FARGATE_SPOT", () => {
    expect(synth).toHaveResourceWithProperties(EcsClusterCapacityProviders, {
      capacity_providers: ["FARGATE", "FARGATE_SPOT"],
      default_capacity_provider_strategy: [{ capacity_provider: "FARGATE_SPOT", weight: 1 }],
    });
  });

  it("builds capacity strategies: Spot only, or an on-demand base plus weights", () => {
    expect(capacityProviderStrategy()).toEqual([{ capacityProvider: "FARGATE_SPOT", weight: 1 }]);
    expect(capacityProviderStrategy({ onDemandBase: 2, onDemandWeight: 1, spotWeight: 3 })).toEqual([
      { capacityProvider: "FARGATE", base: 2, weight: 1 },
      { capacityProvider: "FARGATE_SPOT", weight: 3 },
    ]);
    expect(() => capacityProviderStrategy({ onDemandWeight: 0, spotWeight: 0 })).toThrow(/at least one/);
  });
});

describe("PublicLoadBalancer", () => {
  it("is internet-facing in the public subnets, drops invalid headers and is protected from deletion", () => {
    const { synth, json } = platform();
    expect(synth).toHaveResourceWithProperties(Lb, {
      name: "acme-test-alb",
      internal: false,
      load_balancer_type: "application",
      subnets: ["subnet-pub-a", "subnet-pub-b"],
      security_groups: [ref("aws_security_group", sgId(json, "acme-test-alb"), "id")],
      drop_invalid_header_fields: true,
      idle_timeout: 60,
      enable_deletion_protection: true,
    });
  });

  it("without a certificate serves HTTP only, opening only port 80", () => {
    const { json } = platform();
    const listeners = Object.values(resourcesOf(json, "aws_lb_listener"));
    expect(listeners).toHaveLength(1);
    expect(listeners[0]).toMatchObject({ port: 80, protocol: "HTTP", default_action: [{ type: "fixed-response" }] });
    const ingress = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).filter(
      (r) => r.security_group_id === ref("aws_security_group", sgId(json, "acme-test-alb"), "id"),
    );
    expect(ingress.map((r) => [r.from_port, r.cidr_ipv4])).toEqual([[80, "0.0.0.0/0"]]);
  });

  it("with a certificate serves HTTPS with a TLS 1.3 policy and redirects HTTP with a 301", () => {
    const { synth, json } = platform({ lb: { certificateArn: CERT } });
    expect(synth).toHaveResourceWithProperties(LbListener, {
      port: 443,
      protocol: "HTTPS",
      ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      certificate_arn: CERT,
    });
    expect(synth).toHaveResourceWithProperties(LbListener, {
      port: 80,
      protocol: "HTTP",
      default_action: [{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", status_code: "HTTP_301" } }],
    });
    const ports = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule"))
      .filter((r) => r.cidr_ipv4 === "0.0.0.0/0")
      .map((r) => r.from_port)
      .sort();
    expect(ports).toEqual([443, 80]);
  });

  it("writes access logs to a private, SSE-S3, TLS-only bucket that ELB may write to", () => {
    const { json } = platform();
    const bucket = onlyResource(json, "aws_s3_bucket");
    expect(bucket.bucket).toBe(`acme-test-alb-logs-${TEST_ACCOUNT}`);
    const bucketId = Object.keys(resourcesOf(json, "aws_s3_bucket"))[0];
    const lb = onlyResource(json, "aws_lb");
    expect(lb.access_logs).toEqual({ bucket: ref("aws_s3_bucket", bucketId, "id"), prefix: "alb", enabled: true });
    const policyId = Object.keys(resourcesOf(json, "aws_s3_bucket_policy"))[0];
    expect(lb.depends_on).toEqual([`aws_s3_bucket_policy.${policyId}`]);
    const statements = JSON.parse(onlyResource(json, "aws_s3_bucket_policy").policy).Statement;
    expect(statements[0].Sid).toBe("DenyInsecureTransport");
    expect(statements[1]).toEqual({
      Sid: "AllowElbLogDelivery",
      Effect: "Allow",
      Principal: { AWS: "arn:aws:iam::156460612806:root" },
      Action: "s3:PutObject",
      Resource: `${ref("aws_s3_bucket", bucketId, "arn")}/alb/AWSLogs/${TEST_ACCOUNT}/*`,
    });
    expect(onlyResource(json, "aws_s3_bucket_server_side_encryption_configuration").rule).toEqual([
      { apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } },
    ]);
  });

  it("uses the log-delivery service principal in regions opened after August 2022", () => {
    expect(elbLogDeliveryStatement("arn:aws:s3:::b", "alb", "ap-southeast-5", TEST_ACCOUNT).Principal).toEqual({
      Service: "logdelivery.elasticloadbalancing.amazonaws.com",
    });
  });

  it("can drop access logs and deletion protection (dev)", () => {
    const { json } = platform({ lb: { accessLogs: false, deletionProtection: false } });
    expect(json.resource.aws_s3_bucket).toBeUndefined();
    expect(onlyResource(json, "aws_lb").enable_deletion_protection).toBe(false);
    expect(onlyResource(json, "aws_lb").access_logs).toBeUndefined();
  });
});

describe("WebService", () => {
  const { synth, json } = platform();
  const service = onlyResource(json, "aws_ecs_service");
  const albSg = ref("aws_security_group", sgId(json, "acme-test-alb"), "id");
  const webSg = ref("aws_security_group", sgId(json, "acme-test-web"), "id");

  it("routes the listener to an ip target group with the configured health check", () => {
    const tg = Object.keys(resourcesOf(json, "aws_lb_target_group"))[0];
    expect(synth).toHaveResourceWithProperties(LbTargetGroup, {
      name: "acme-test-web",
      target_type: "ip",
      port: 8000,
      protocol: "HTTP",
      deregistration_delay: "30",
      health_check: { enabled: true, path: "/health", matcher: "200-399", healthy_threshold: 2, unhealthy_threshold: 3, interval: 15, timeout: 5, protocol: "HTTP" },
    });
    const listener = Object.keys(resourcesOf(json, "aws_lb_listener"))[0];
    expect(onlyResource(json, "aws_lb_listener_rule")).toMatchObject({
      listener_arn: ref("aws_lb_listener", listener, "arn"),
      action: [{ type: "forward", target_group_arn: ref("aws_lb_target_group", tg, "arn") }],
      condition: [{ path_pattern: { values: ["/*"] } }],
    });
  });

  it("runs tasks in private subnets without public IPs, behind the target group", () => {
    const tg = Object.keys(resourcesOf(json, "aws_lb_target_group"))[0];
    expect(service.network_configuration).toEqual({
      subnets: ["subnet-priv-a", "subnet-priv-b"],
      security_groups: [webSg],
      assign_public_ip: false,
    });
    expect(service.load_balancer).toEqual([{ target_group_arn: ref("aws_lb_target_group", tg, "arn"), container_name: "app", container_port: 8000 }]);
  });

  it("deploys safely: circuit breaker with rollback, healthy percentages, grace period, desired count left to autoscaling", () => {
    expect(service).toMatchObject({
      deployment_circuit_breaker: { enable: true, rollback: true },
      deployment_minimum_healthy_percent: 100,
      deployment_maximum_percent: 200,
      health_check_grace_period_seconds: 60,
      desired_count: 1,
      lifecycle: { ignore_changes: ["desired_count"] },
      capacity_provider_strategy: [{ capacity_provider: "FARGATE_SPOT", weight: 1 }],
    });
  });

  it("chains security groups: internet -> ALB -> tasks on the container port only", () => {
    const ingress = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule"));
    const intoTasks = ingress.filter((r) => r.security_group_id === webSg);
    expect(intoTasks).toEqual([expect.objectContaining({ referenced_security_group_id: albSg, from_port: 8000, to_port: 8000, ip_protocol: "tcp" })]);
    const egress = Object.values(resourcesOf(json, "aws_vpc_security_group_egress_rule"));
    expect(egress.filter((r) => r.security_group_id === albSg)).toEqual([
      expect.objectContaining({ referenced_security_group_id: webSg, from_port: 8000, to_port: 8000 }),
    ]);
    expect(egress.filter((r) => r.security_group_id === webSg)).toEqual([
      expect.objectContaining({ cidr_ipv4: "0.0.0.0/0", from_port: 443, to_port: 443 }),
    ]);
    for (const sg of Object.values(resourcesOf(json, "aws_security_group"))) {
      expect(sg.description.length).toBeGreaterThan(10);
      expect(sg.ingress).toBeUndefined();
    }
  });

  it("scales on average CPU at 80% by default, with cooldowns", () => {
    expect(synth).toHaveResourceWithProperties(AppautoscalingTarget, {
      service_namespace: "ecs",
      scalable_dimension: "ecs:service:DesiredCount",
      min_capacity: 1,
      max_capacity: 4,
    });
    const target = onlyResource(json, "aws_appautoscaling_target");
    expect(target.resource_id).toMatch(/^service\/\$\{aws_ecs_cluster\.[\w]+\.name\}\/\$\{aws_ecs_service\.[\w]+\.name\}$/);
    const policies = Object.values(resourcesOf(json, "aws_appautoscaling_policy"));
    expect(policies).toHaveLength(1);
    expect(policies[0].target_tracking_scaling_policy_configuration).toEqual({
      target_value: 80,
      scale_in_cooldown: 300,
      scale_out_cooldown: 60,
      predefined_metric_specification: { predefined_metric_type: "ECSServiceAverageCPUUtilization" },
    });
  });

  it("adds memory and request-count policies when asked", () => {
    const { json: scaled } = platform({ service: { scaling: { memoryTargetPercent: 75, requestsPerTarget: 500, minCount: 2, maxCount: 6 } } });
    const configs = Object.values(resourcesOf(scaled, "aws_appautoscaling_policy")).map((p) => p.target_tracking_scaling_policy_configuration);
    expect(configs.map((c) => c.predefined_metric_specification.predefined_metric_type)).toEqual([
      "ECSServiceAverageCPUUtilization",
      "ECSServiceAverageMemoryUtilization",
      "ALBRequestCountPerTarget",
    ]);
    const lb = Object.keys(resourcesOf(scaled, "aws_lb"))[0];
    const tg = Object.keys(resourcesOf(scaled, "aws_lb_target_group"))[0];
    expect(configs[2].predefined_metric_specification.resource_label).toBe(
      `${ref("aws_lb", lb, "arn_suffix")}/${ref("aws_lb_target_group", tg, "arn_suffix")}`,
    );
    expect(onlyResource(scaled, "aws_ecs_service").desired_count).toBe(2);
  });

  it("refuses a desired count outside min..max, min above max, a health path without / and a task without a port", () => {
    expect(() => platform({ service: { desiredCount: 9 } })).toThrow(/desiredCount 9 is outside 1-4/);
    expect(() => platform({ service: { scaling: { minCount: 5, maxCount: 2 }, desiredCount: 5 } })).toThrow(/WebService web: minCount 5 is above maxCount 2/);
    expect(() => platform({ service: { healthCheck: { path: "health" } } })).toThrow(/healthCheck.path must start with "\/"/);
    expect(() =>
      synthConstruct((stack) => {
        const lb = new PublicLoadBalancer(stack, "alb", { naming: testNaming, region: "eu-west-1", accountId: TEST_ACCOUNT, vpcId: "v", subnetIds: ["s"] });
        const task = new FargateTask(stack, "task", { naming: testNaming, component: "w", region: "eu-west-1", accountId: TEST_ACCOUNT, image: "i", repositoryArn: "r" });
        new WebService(stack, "web", { naming: testNaming, component: "w", vpcId: "v", subnetIds: ["s"], clusterName: "c", clusterArn: "a", loadBalancer: lb, task });
      }),
    ).toThrow(/WebService w: the task must declare a containerPort/);
  });
});

describe("WebService: internal, Service Connect and EC2 capacity", () => {
  /** A public `web` that calls an internal `api` published through Service Connect, api on an EC2 capacity provider. */
  function mesh(overrides: Partial<WebServiceProps> = {}) {
    return synthConstruct((stack: TerraformStack) => {
      const cluster = new FargateCluster(stack, "cluster", { naming: testNaming, serviceConnect: true });
      cluster.addCapacityProvider("acme-test-api-capacity");
      const lb = new PublicLoadBalancer(stack, "alb", { naming: testNaming, region: "eu-west-1", accountId: TEST_ACCOUNT, vpcId: "vpc-123", subnetIds: ["a", "b"] });
      const task = (component: string, port: number, extra: Record<string, unknown> = {}) =>
        new FargateTask(stack, `${component}-task`, {
          naming: testNaming,
          component,
          region: "eu-west-1",
          accountId: TEST_ACCOUNT,
          image: "repo:tag",
          repositoryArn: "arn:aws:ecr:eu-west-1:123456789012:repository/app",
          containerPort: port,
          ...extra,
        });
      const common = { naming: testNaming, vpcId: "vpc-123", subnetIds: ["p-a", "p-b"], clusterName: cluster.clusterName, clusterArn: cluster.clusterArn };
      const namespaceArn = cluster.serviceConnectNamespace!.arn;
      const api = new WebService(stack, "api", {
        ...common,
        component: "api",
        task: task("api", 9000, { portName: "http", compatibility: "EC2", cpuArchitecture: "ARM64", cpu: 1000, memory: 1500 }),
        serviceConnect: { namespaceArn, publish: { discoveryName: "api" } },
        ec2CapacityProvider: "acme-test-api-capacity",
        ...overrides,
      });
      const web = new WebService(stack, "web", {
        ...common,
        component: "web",
        loadBalancer: lb,
        route: { priority: 20, hostHeaders: ["app.example.com"] },
        task: task("web", 8000),
        serviceConnect: { namespaceArn },
      });
      api.allowFrom("web", web.tasksSecurityGroup);
    });
  }
  const { json } = mesh();
  const service = (name: string) => Object.values(resourcesOf(json, "aws_ecs_service")).find((s) => s.name === `acme-test-${name}`)!;
  const namespace = ref("aws_service_discovery_http_namespace", Object.keys(resourcesOf(json, "aws_service_discovery_http_namespace"))[0], "arn");

  it("the cluster holds the Service Connect namespace as its default and associates the EC2 capacity provider", () => {
    expect(onlyResource(json, "aws_service_discovery_http_namespace").name).toBe("acme-test");
    expect(onlyResource(json, "aws_ecs_cluster").service_connect_defaults).toEqual({ namespace });
    expect(onlyResource(json, "aws_ecs_cluster_capacity_providers").capacity_providers).toEqual(["FARGATE", "FARGATE_SPOT", "acme-test-api-capacity"]);
  });

  it("an internal service has no target group, listener rule, load-balancer ingress or grace period", () => {
    expect(service("api").load_balancer).toBeUndefined();
    expect(service("api").health_check_grace_period_seconds).toBeUndefined();
    expect(Object.values(resourcesOf(json, "aws_lb_target_group")).map((t) => t.name)).toEqual(["acme-test-web"]);
    expect(Object.values(resourcesOf(json, "aws_lb_listener_rule"))).toEqual([
      expect.objectContaining({ priority: 20, condition: [{ host_header: { values: ["app.example.com"] } }] }),
    ]);
  });

  it("publishes the named port under the discovery name, logs the proxy with the task, and makes the caller a client", () => {
    const taskLogs = Object.entries(resourcesOf(json, "aws_cloudwatch_log_group")).find(([, g]) => g.name === "/ecs/acme-test-api")![0];
    expect(service("api").service_connect_configuration).toEqual({
      enabled: true,
      namespace,
      service: [{ port_name: "http", discovery_name: "api", client_alias: { port: 9000, dns_name: "api" } }],
      log_configuration: {
        log_driver: "awslogs",
        options: { "awslogs-group": ref("aws_cloudwatch_log_group", taskLogs, "name"), "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "service-connect" },
      },
    });
    expect(service("web").service_connect_configuration).toMatchObject({ enabled: true, namespace });
    expect(service("web").service_connect_configuration.service).toBeUndefined();
  });

  it("admits the caller on the callee's port and opens the caller's egress to it, nothing else", () => {
    const apiSg = ref("aws_security_group", sgId(json, "acme-test-api"), "id");
    const webSg = ref("aws_security_group", sgId(json, "acme-test-web"), "id");
    const ingress = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).filter((r) => r.security_group_id === apiSg);
    expect(ingress).toEqual([expect.objectContaining({ referenced_security_group_id: webSg, from_port: 9000, to_port: 9000, ip_protocol: "tcp" })]);
    const egress = Object.values(resourcesOf(json, "aws_vpc_security_group_egress_rule")).filter((r) => r.security_group_id === webSg && r.referenced_security_group_id === apiSg);
    expect(egress).toEqual([expect.objectContaining({ from_port: 9000, to_port: 9000, description: "Service Connect to api" })]);
  });

  it("runs on the EC2 capacity provider, spread over zones then instances, with an EC2 task definition", () => {
    expect(service("api").capacity_provider_strategy).toEqual([{ capacity_provider: "acme-test-api-capacity", base: 0, weight: 1 }]);
    expect(service("api").ordered_placement_strategy).toEqual([
      { type: "spread", field: "attribute:ecs.availability-zone" },
      { type: "spread", field: "instanceId" },
    ]);
    const task = Object.values(resourcesOf(json, "aws_ecs_task_definition")).find((t) => t.family === "acme-test-api")!;
    expect(task).toMatchObject({ requires_compatibilities: ["EC2"], network_mode: "awsvpc", cpu: "1000", memory: "1500", runtime_platform: { cpu_architecture: "ARM64" } });
    expect(service("web").ordered_placement_strategy).toBeUndefined();
  });

  it("refuses a route without a load balancer, publishing without a port name, the Fargate split on EC2 and request scaling without a load balancer", () => {
    expect(() => mesh({ route: { priority: 1, pathPatterns: ["/*"] } })).toThrow("WebService api: route needs the loadBalancer it is a rule of");
    expect(() => mesh({ capacity: { spotWeight: 1 } })).toThrow("WebService api: capacity is the Fargate split; an EC2 capacity provider takes the whole service");
    expect(() => mesh({ scaling: { requestsPerTarget: 100 } })).toThrow("WebService api: requestsPerTarget scales on load-balancer requests; an internal service has none");
    expect(() =>
      synthConstruct((stack) => {
        const task = new FargateTask(stack, "t", { naming: testNaming, component: "x", region: "eu-west-1", accountId: TEST_ACCOUNT, image: "i", repositoryArn: "r", containerPort: 80 });
        new WebService(stack, "x", { naming: testNaming, component: "x", vpcId: "v", subnetIds: ["s"], clusterName: "c", clusterArn: "a", task, serviceConnect: { namespaceArn: "n", publish: { discoveryName: "x" } } });
      }),
    ).toThrow("WebService x: serviceConnect.publish needs a task with a portName");
  });
});

describe("PublicLoadBalancer behind CloudFront", () => {
  const header = { name: "X-Origin-Verify", value: "0123456789abcdef0123456789abcdef" };

  it("admits only the prefix list, on the application listener's port, instead of the internet", () => {
    for (const [certificateArn, port] of [[CERT, 443], [undefined, 80]] as const) {
      const { json } = platform({ lb: { certificateArn, ingressPrefixListId: "pl-3b927c52", requiredHeader: header } });
      const albSg = ref("aws_security_group", sgId(json, "acme-test-alb"), "id");
      const ingress = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).filter((r) => r.security_group_id === albSg);
      expect(ingress).toEqual([expect.objectContaining({ prefix_list_id: "pl-3b927c52", from_port: port, to_port: port, ip_protocol: "tcp" })]);
      expect(ingress[0].cidr_ipv4).toBeUndefined();
    }
  });

  it("adds the required header to the service's listener rule, after its path and host conditions", () => {
    const { json } = platform({ lb: { requiredHeader: header }, service: { route: { priority: 10, pathPatterns: ["/api/*"], hostHeaders: ["app.example.com"] } } });
    expect(onlyResource(json, "aws_lb_listener_rule").condition).toEqual([
      { path_pattern: { values: ["/api/*"] } },
      { host_header: { values: ["app.example.com"] } },
      { http_header: { http_header_name: "X-Origin-Verify", values: [header.value] } },
    ]);
    // Without it, the rule is as before.
    expect(onlyResource(platform().json, "aws_lb_listener_rule").condition).toEqual([{ path_pattern: { values: ["/*"] } }]);
  });

  it("refuses a header name ALB would not match and a route that leaves no room for the header", () => {
    expect(() => platform({ lb: { requiredHeader: { name: "X Origin", value: "v" } } })).toThrow(/requiredHeader.name must be letters, digits and hyphens/);
    expect(() =>
      platform({ lb: { requiredHeader: header }, service: { route: { priority: 10, pathPatterns: ["/a", "/b", "/c"], hostHeaders: ["a.example.com", "b.example.com"] } } }),
    ).toThrow(/the route's 5 path and host values and the required header exceed the 5 values of a listener rule/);
  });
});

import { Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { buildApp } from "../src/app";
import { environments, onlyResource, ref, resourcesOf, synthStack, type SynthJson } from "./helpers";

function synthWorkspaces(mutate?: (envs: ReturnType<typeof environments>) => void) {
  const envs = environments();
  mutate?.(envs);
  const { workspaces } = buildApp(envs, Testing.app().outdir);
  return Object.fromEntries(workspaces.map((w) => [w.config.name, synthStack(w).json])) as Record<string, SynthJson>;
}

const { dev, prod } = synthWorkspaces();

const sgIdByName = (json: SynthJson, name: string) =>
  ref("aws_security_group", Object.entries(resourcesOf(json, "aws_security_group")).find(([, sg]) => sg.name === name)![0], "id");

const containerOf = (json: SynthJson, family: string) => {
  const definition = Object.values(resourcesOf(json, "aws_ecs_task_definition")).find((t) => t.family === family)!;
  return JSON.parse(definition.container_definitions)[0];
};

describe.each([
  ["dev", dev],
  ["prod", prod],
] as const)("%s: security-group chain internet -> ALB -> web -> database", (name, json) => {
  const alb = sgIdByName(json, `acme-${name}-alb`);
  const web = sgIdByName(json, `acme-${name}-web`);
  const migrate = sgIdByName(json, `acme-${name}-migrate`);
  const db = sgIdByName(json, `acme-${name}-db`);
  const ingress = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule"));

  it("admits nothing from the internet: the load balancer takes CloudFront's origin-facing servers on its listener's port only", () => {
    expect(ingress.filter((r) => r.cidr_ipv4 !== undefined || r.cidr_ipv6 !== undefined)).toEqual([]);
    const fromCloudFront = ingress.filter((r) => r.prefix_list_id !== undefined);
    // HTTP in dev (no certificate on the load balancer), HTTPS in prod (origin.app.example.com).
    const port = name === "prod" ? 443 : 80;
    expect(fromCloudFront).toEqual([expect.objectContaining({ security_group_id: alb, prefix_list_id: "pl-3b927c52", from_port: port, to_port: port })]);
    expect(ingress.filter((r) => r.security_group_id === alb)).toHaveLength(1);
  });

  it("admits web tasks only from the load balancer, on the container port", () => {
    expect(ingress.filter((r) => r.security_group_id === web)).toEqual([
      expect.objectContaining({ referenced_security_group_id: alb, from_port: 8000, to_port: 8000 }),
    ]);
  });

  it("admits the database only from application tasks (web, migrate, workers, scheduled tasks), on 5432", () => {
    const worker = sgIdByName(json, `acme-${name}-worker-default`);
    const report = sgIdByName(json, `acme-${name}-task-nightly-report`);
    const clients = [web, migrate, worker, report];
    const intoDb = ingress.filter((r) => r.security_group_id === db);
    expect(intoDb.map((r) => r.referenced_security_group_id)).toEqual(expect.arrayContaining(clients));
    expect(intoDb.every((r) => r.from_port === 5432 && r.to_port === 5432 && r.cidr_ipv4 === undefined)).toBe(true);
    expect(intoDb.map((r) => r.referenced_security_group_id)).not.toContain(alb);
    const egress = Object.values(resourcesOf(json, "aws_vpc_security_group_egress_rule"));
    const toDb = egress.filter((r) => r.referenced_security_group_id === db).map((r) => r.security_group_id);
    expect(new Set(toDb)).toEqual(new Set(intoDb.map((r) => r.referenced_security_group_id)));
  });

  it("puts the cluster in the isolated database subnets", () => {
    const cluster = onlyResource(json, "aws_rds_cluster");
    const group = Object.keys(resourcesOf(json, "aws_db_subnet_group"))[0];
    expect(cluster.db_subnet_group_name).toBe(ref("aws_db_subnet_group", group, "name"));
    expect(cluster.vpc_security_group_ids).toEqual([db]);
  });
});

describe("web tasks get the database through ECS secrets, never plain environment", () => {
  it.each([
    ["dev", dev],
    ["prod", prod],
  ] as const)("%s", (name, json) => {
    const cluster = Object.keys(resourcesOf(json, "aws_rds_cluster"))[0];
    const secret = `\${aws_rds_cluster.${cluster}.master_user_secret[0].secret_arn}`;
    for (const family of [`acme-${name}-web`, `acme-${name}-migrate`]) {
      const container = containerOf(json, family);
      // Besides the database credentials, web gets the API keys of the external services it calls (the migrate task none).
      const database = container.secrets.filter((x: { name: string }) => x.name.startsWith("DB_"));
      expect(database).toEqual([
        { name: "DB_PASSWORD", valueFrom: `${secret}:password::` },
        { name: "DB_USERNAME", valueFrom: `${secret}:username::` },
      ]);
      expect(container.secrets.filter((x: { name: string }) => !x.name.startsWith("DB_")).map((x: { name: string }) => x.name)).toEqual(
        family.endsWith("-web") ? ["EXTERNAL_NOTIFICATIONS_API_KEY", "EXTERNAL_PAYMENTS_API_KEY"] : [],
      );
      const env = Object.fromEntries(container.environment.map((e: { name: string; value: string }) => [e.name, e.value]));
      expect(env.DB_HOST).toBe(ref("aws_rds_cluster", cluster, "endpoint"));
      expect(env).not.toHaveProperty("DB_PASSWORD");
      expect(container.image).toMatch(/^\$\{aws_ecr_repository\.[\w]+\.repository_url\}:\$\{var\.image_tag\}$/);
    }
  });
});

describe("services wait for the cluster's capacity providers", () => {
  it.each([
    ["dev", dev],
    ["prod", prod],
  ] as const)("%s", (_name, json) => {
    const association = Object.keys(resourcesOf(json, "aws_ecs_cluster_capacity_providers"))[0];
    for (const service of Object.values(resourcesOf(json, "aws_ecs_service"))) {
      expect(service.depends_on).toContain(`aws_ecs_cluster_capacity_providers.${association}`);
    }
  });
});

describe("ECS Exec (dev only)", () => {
  it("lets dev's web tasks open exec channels and write session logs to the cluster's exec log group", () => {
    const group = Object.entries(resourcesOf(dev, "aws_cloudwatch_log_group")).find(([, g]) => String(g.name).endsWith("/exec"))![0];
    const policy = Object.values(resourcesOf(dev, "aws_iam_role_policy")).find((p) => p.name === "execute-command")!;
    const statements = JSON.parse(policy.policy).Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({ Sid: "EcsExecSessionLogs", Resource: [ref("aws_cloudwatch_log_group", group, "arn"), `${ref("aws_cloudwatch_log_group", group, "arn")}:*`] }),
    );
    expect(onlyResource(dev, "aws_ecs_cluster").configuration.execute_command_configuration.logging).toBe("OVERRIDE");
    expect(Object.values(resourcesOf(prod, "aws_iam_role_policy")).some((p) => p.name === "execute-command")).toBe(false);
  });
});

describe("permissions boundary", () => {
  it.each([
    ["dev", dev],
    ["prod", prod],
  ] as const)("%s: every role carries the workspace's boundary, so CI can create it and it can never reach IAM or state", (name, json) => {
    const roles = Object.values(resourcesOf(json, "aws_iam_role"));
    expect(roles.length).toBeGreaterThan(10);
    for (const role of roles) {
      const account = name === "dev" ? "111122223333" : "444455556666";
      expect(role.permissions_boundary, role.name).toBe(`arn:aws:iam::${account}:policy/acme-${name}-boundary`);
    }
  });

  it("is left off without a GitHub repository (no CI roles to bound)", () => {
    const { dev: local } = synthWorkspaces((envs) => envs.forEach((e) => (e.github = undefined)));
    expect(Object.values(resourcesOf(local, "aws_iam_role")).every((r) => r.permissions_boundary === undefined)).toBe(true);
  });
});

describe("migration task", () => {
  it("runs the configured command with the application image and a long stop timeout", () => {
    const container = containerOf(dev, "acme-dev-migrate");
    expect(container.command).toEqual(["python", "manage.py", "migrate", "--noinput"]);
    expect(container.stopTimeout).toBe(120);
    // A task definition only: nothing runs it until an operator does.
    expect(Object.values(resourcesOf(dev, "aws_ecs_service")).map((s) => s.name)).not.toContain("acme-dev-migrate");
  });
});

describe("dev and prod differ as configured", () => {
  it("prod: two instances across AZs, deletion protection, final snapshot, Performance Insights, 14-day backups", () => {
    const cluster = onlyResource(prod, "aws_rds_cluster");
    expect(cluster).toMatchObject({ deletion_protection: true, skip_final_snapshot: false, backup_retention_period: 14 });
    const instances = Object.values(resourcesOf(prod, "aws_rds_cluster_instance"));
    expect(instances).toHaveLength(2);
    expect(new Set(instances.map((i) => i.availability_zone)).size).toBe(2);
    expect(instances.every((i) => i.performance_insights_enabled === true)).toBe(true);
    expect(cluster.serverlessv2_scaling_configuration).toEqual({ min_capacity: 1, max_capacity: 16 });
  });

  it("dev: one small Serverless v2 instance that can be deleted", () => {
    const cluster = onlyResource(dev, "aws_rds_cluster");
    expect(cluster).toMatchObject({ deletion_protection: false, skip_final_snapshot: true, backup_retention_period: 3 });
    expect(Object.values(resourcesOf(dev, "aws_rds_cluster_instance"))).toHaveLength(1);
    expect(cluster.serverlessv2_scaling_configuration).toEqual({ min_capacity: 0.5, max_capacity: 2 });
  });

  it("prod runs an on-demand base plus Spot; dev Spot only", () => {
    const web = (json: SynthJson, env: string) => Object.values(resourcesOf(json, "aws_ecs_service")).find((s) => s.name === `acme-${env}-web`)!;
    expect(web(prod, "prod").capacity_provider_strategy).toEqual([
      { capacity_provider: "FARGATE", base: 2, weight: 1 },
      { capacity_provider: "FARGATE_SPOT", weight: 3 },
    ]);
    expect(web(dev, "dev").capacity_provider_strategy).toEqual([{ capacity_provider: "FARGATE_SPOT", weight: 1 }]);
  });

  it("prod's load balancer is protected and logs access; dev's is neither", () => {
    expect(onlyResource(prod, "aws_lb")).toMatchObject({ enable_deletion_protection: true, access_logs: { enabled: true } });
    expect(onlyResource(dev, "aws_lb").enable_deletion_protection).toBe(false);
    expect(onlyResource(dev, "aws_lb").access_logs).toBeUndefined();
  });

  it("a provisioned instance class drops the Serverless v2 capacity settings", () => {
    const { prod: provisioned } = synthWorkspaces((envs) => (envs[1].database.instanceClass = "db.r6g.large"));
    expect(onlyResource(provisioned, "aws_rds_cluster").serverlessv2_scaling_configuration).toBeUndefined();
    expect(Object.values(resourcesOf(provisioned, "aws_rds_cluster_instance")).map((i) => i.instance_class)).toEqual(["db.r6g.large", "db.r6g.large"]);
    // No ACU alarm without Serverless v2.
    expect(Object.values(resourcesOf(provisioned, "aws_cloudwatch_metric_alarm")).map((a) => a.alarm_name)).not.toContain("acme-prod-db-acu-utilization");
  });

  it("a certificate switches the listener to HTTPS and the service URL to https", () => {
    const cert = "arn:aws:acm:us-east-1:123456789012:certificate/0b7c5a3e-1111-2222-3333-444455556666";
    const { dev: https } = synthWorkspaces((envs) => (envs[0].loadBalancer.certificateArn = cert));
    expect(Object.values(resourcesOf(https, "aws_lb_listener")).map((l) => l.protocol).sort()).toEqual(["HTTP", "HTTPS"]);
    expect(String(https.output?.service_url.value)).toMatch(/^https:\/\//);
  });

  it("the ssm password path injects the SSM parameter and grants exactly it", () => {
    const { dev: ssm } = synthWorkspaces((envs) => {
      envs[0].database.passwordSource = "ssm";
      envs[0].dataPipeline = undefined;
    });
    const parameter = Object.keys(resourcesOf(ssm, "aws_ssm_parameter"))[0];
    const arn = ref("aws_ssm_parameter", parameter, "arn");
    expect(containerOf(ssm, "acme-dev-web").secrets.filter((x: { name: string }) => x.name.startsWith("DB_"))).toEqual([{ name: "DB_PASSWORD", valueFrom: arn }]);
    const execPolicy = Object.values(resourcesOf(ssm, "aws_iam_role_policy")).find(
      (p) => p.name === "task-execution" && JSON.stringify(p.policy).includes("ssm:GetParameters"),
    )!;
    expect(JSON.parse(execPolicy.policy).Statement).toContainEqual({ Sid: "ReadParameters", Effect: "Allow", Action: "ssm:GetParameters", Resource: [arn] });
    expect(ssm.provider?.random).toHaveLength(1);
  });
});

describe("workers and scheduled tasks are wired into each workspace", () => {
  it.each([
    ["dev", dev],
    ["prod", prod],
  ] as const)("%s: the web task role may send to each worker queue and the web tier knows its URL", (name, json) => {
    const queue = Object.entries(resourcesOf(json, "aws_sqs_queue")).find(([, q]) => q.name === `acme-${name}-default`)![0];
    const webTaskRole = Object.entries(resourcesOf(json, "aws_iam_role")).find(([, r]) => r.name === `acme-${name}-web-task`)![0];
    const send = Object.values(resourcesOf(json, "aws_iam_role_policy")).filter((p) => p.role === ref("aws_iam_role", webTaskRole, "name"));
    expect(send).toHaveLength(1);
    expect(JSON.parse(send[0].policy).Statement).toEqual([
      expect.objectContaining({ Effect: "Allow", Action: ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"], Resource: ref("aws_sqs_queue", queue, "arn") }),
    ]);
    const env = Object.fromEntries(containerOf(json, `acme-${name}-web`).environment.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ CELERY_BROKER_URL: "sqs://", CELERY_BROKER_REGION: "us-east-1" });
    expect(JSON.parse(env.CELERY_PREDEFINED_QUEUES)).toEqual({ [`acme-${name}-default`]: { url: ref("aws_sqs_queue", queue, "url") } });
  });

  it("dev's worker scales to zero and its report schedule is paused; prod keeps a worker and runs both schedules", () => {
    const target = (json: SynthJson) =>
      Object.values(resourcesOf(json, "aws_appautoscaling_target")).find((t) => String(t.resource_id).includes("worker"))!;
    expect(target(dev).min_capacity).toBe(0);
    expect(target(prod).min_capacity).toBe(1);
    const states = (json: SynthJson) => Object.fromEntries(Object.values(resourcesOf(json, "aws_scheduler_schedule")).map((s) => [s.name, s.state]));
    expect(states(dev)).toEqual({ "acme-dev-task-nightly-report": "DISABLED" });
    expect(states(prod)).toEqual({ "acme-prod-task-nightly-report": "ENABLED", "acme-prod-task-cleanup-sessions": "ENABLED" });
    const schedule = Object.values(resourcesOf(prod, "aws_scheduler_schedule")).find((s) => s.name === "acme-prod-task-nightly-report")!;
    // Each workspace has its own schedule group, so Scheduler metrics (per group) never mix dev and prod.
    const group = Object.entries(resourcesOf(prod, "aws_scheduler_schedule_group"))[0];
    expect(group[1].name).toBe("acme-prod-schedules");
    expect(schedule.group_name).toBe(ref("aws_scheduler_schedule_group", group[0], "name"));
    expect(Object.values(resourcesOf(dev, "aws_scheduler_schedule_group"))[0].name).toBe("acme-dev-schedules");
    const scheduleAlarms = Object.values(resourcesOf(prod, "aws_cloudwatch_metric_alarm")).filter((a) => String(a.alarm_name).includes("schedules"));
    expect(scheduleAlarms.length).toBeGreaterThan(0);
    for (const alarm of scheduleAlarms) expect(alarm.dimensions).toEqual({ ScheduleGroup: "acme-prod-schedules" });
    expect(scheduleAlarms.map((a) => a.alarm_name).sort()).toEqual(["acme-prod-schedules-dropped", "acme-prod-schedules-target-errors"]);
    expect(schedule).toMatchObject({ schedule_expression: "cron(0 2 * * ? *)", schedule_expression_timezone: "Europe/Berlin" });
  });

  it("workers and scheduled tasks run the application image with the database credentials", () => {
    for (const family of ["acme-prod-worker-default", "acme-prod-task-nightly-report"]) {
      const container = containerOf(prod, family);
      expect(container.image).toMatch(/:\$\{var\.image_tag\}$/);
      expect(container.secrets.map((s: { name: string }) => s.name)).toEqual(["DB_PASSWORD", "DB_USERNAME"]);
    }
  });
});

describe("data pipeline wiring", () => {
  it.each([
    ["dev", dev],
    ["prod", prod],
  ] as const)("%s: the Spark jobs reach the database and read its managed secret", (name, json) => {
    const cluster = Object.keys(resourcesOf(json, "aws_rds_cluster"))[0];
    const secret = `\${aws_rds_cluster.${cluster}.master_user_secret[0].secret_arn}`;
    const fn = Object.values(resourcesOf(json, "aws_lambda_function")).find((f) => f.function_name === `acme-${name}-ingest`)!;
    expect(fn.environment.variables).toMatchObject({
      DB_HOST: ref("aws_rds_cluster", cluster, "endpoint"),
      DB_SECRET_ARN: secret,
      DB_NAME: "app",
    });
    const pipelineSg = sgIdByName(json, Object.values(resourcesOf(json, "aws_security_group")).find((sg) => String(sg.name).includes("ingest"))!.name);
    const db = sgIdByName(json, `acme-${name}-db`);
    const ingress = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule"));
    expect(ingress).toContainEqual(expect.objectContaining({ security_group_id: db, referenced_security_group_id: pipelineSg, from_port: 5432 }));
    expect(json.output?.data_pipeline).toBeDefined();
  });

  it("the notification filters come from the environment", () => {
    const notification = onlyResource(prod, "aws_s3_bucket_notification");
    expect(notification.queue.map((q: { filter_suffix: string }) => q.filter_suffix).sort()).toEqual([".csv", ".csv.gz", ".json"]);
    expect(onlyResource(prod, "aws_emrserverless_application").maximum_capacity).toMatchObject({ cpu: "64 vCPU", memory: "256 GB", disk: "1000 GB" });
  });

  it("can be switched off", () => {
    const { dev: without } = synthWorkspaces((envs) => (envs[0].dataPipeline!.enabled = false));
    // Only the data API's functions remain.
    expect(Object.values(without.resource.aws_lambda_function ?? {}).map((f) => f.function_name).filter((n) => !String(n).startsWith("acme-dev-data-api-"))).toEqual([]);
    expect(without.output?.data_pipeline).toBeUndefined();
  });
});

describe("operations: monitoring, audit, edge and backups", () => {
  it("prod serves HTTPS on its domain with a DNS-validated certificate the listener waits for", () => {
    const validation = Object.keys(resourcesOf(prod, "aws_acm_certificate_validation"))[0];
    const https = Object.values(resourcesOf(prod, "aws_lb_listener")).find((l) => l.protocol === "HTTPS")!;
    expect(https.certificate_arn).toBe(ref("aws_acm_certificate_validation", validation, "certificate_arn"));
    // Behind CloudFront the load balancer's certificate and alias are origin.<domain>; the domain is the distribution's.
    const certificates = Object.values(resourcesOf(prod, "aws_acm_certificate"));
    expect(certificates.find((c) => c.provider === undefined)).toMatchObject({ domain_name: "origin.app.example.com", validation_method: "DNS" });
    const lb = Object.keys(resourcesOf(prod, "aws_lb"))[0];
    const alias = Object.values(resourcesOf(prod, "aws_route53_record")).find((r) => r.type === "A" && r.name === "origin.app.example.com")!;
    expect(alias).toMatchObject({ zone_id: "Z0123456789EXAMPLEZONE" });
    expect(alias.alias).toMatchObject({ name: ref("aws_lb", lb, "dns_name"), zone_id: ref("aws_lb", lb, "zone_id") });
    expect(prod.output?.service_url.value).toBe("https://app.example.com");
  });

  it("prod puts the WAF in front of CloudFront (none on its load balancer behind it), keeps a trail and backs the database up", () => {
    const [acl, webAcl] = Object.entries(resourcesOf(prod, "aws_wafv2_web_acl")).find(([, a]) => a.scope === "CLOUDFRONT")!;
    expect(Object.values(resourcesOf(prod, "aws_wafv2_web_acl")).map((a) => a.scope)).toEqual(["CLOUDFRONT"]);
    expect(webAcl.provider).toBe("aws.edge");
    expect(onlyResource(prod, "aws_cloudfront_distribution").web_acl_id).toBe(ref("aws_wafv2_web_acl", acl, "arn"));
    expect(prod.resource.aws_wafv2_web_acl_association).toBeUndefined();
    expect(onlyResource(prod, "aws_cloudtrail")).toMatchObject({ is_multi_region_trail: true, enable_log_file_validation: true });
    const cluster = Object.keys(resourcesOf(prod, "aws_rds_cluster"))[0];
    // With disaster recovery the pipeline buckets are selected too (test/disaster-recovery.test.ts).
    expect(onlyResource(prod, "aws_backup_selection").resources[0]).toBe(ref("aws_rds_cluster", cluster, "arn"));
    expect(onlyResource(prod, "aws_backup_plan").rule).toEqual([expect.objectContaining({ lifecycle: { delete_after: 35 } })]);
  });

  it("dev enables none of WAF, backups or HTTPS (its config turns them off), and keeps its own account's trail", () => {
    for (const type of ["aws_wafv2_web_acl", "aws_backup_plan"]) {
      expect(dev.resource[type], type).toBeUndefined();
    }
    // The only certificate is CloudFront's (us-east-1); the load balancer serves HTTP to CloudFront.
    expect(onlyResource(dev, "aws_acm_certificate")).toMatchObject({ domain_name: "app.dev.example.com", provider: "aws.edge" });
    expect(Object.values(resourcesOf(dev, "aws_lb_listener")).map((l) => l.protocol)).toEqual(["HTTP"]);
    expect(onlyResource(dev, "aws_cloudtrail")).toMatchObject({ name: "acme-dev-trail", is_multi_region_trail: true });
  });

  it.each([
    ["dev", dev],
    ["prod", prod],
  ] as const)("%s: alarms cover every tier and notify the encrypted alerts topic", (name, json) => {
    const topic = Object.keys(resourcesOf(json, "aws_sns_topic"))[0];
    const alarms = Object.values(resourcesOf(json, "aws_cloudwatch_metric_alarm"));
    const names = alarms.map((a) => a.alarm_name as string);
    for (const expected of [
      `acme-${name}-alb-5xx-rate`,
      `acme-${name}-alb-unhealthy-hosts`,
      `acme-${name}-ecs-web-cpu`,
      `acme-${name}-ecs-web-running-tasks`,
      `acme-${name}-db-cpu`,
      `acme-${name}-queue-worker-default-dlq-messages`,
      `acme-${name}-queue-ingest-oldest-message`,
      `acme-${name}-lambda-ingest-errors`,
      `acme-${name}-emr-ingest-failed-jobs`,
    ]) {
      const alarm = alarms.find((a) => a.alarm_name === expected);
      expect(alarm, expected).toBeDefined();
      expect(alarm!.alarm_actions).toEqual([ref("aws_sns_topic", topic, "arn")]);
      expect(alarm!.ok_actions).toEqual([ref("aws_sns_topic", topic, "arn")]);
    }
    expect(onlyResource(json, "aws_sns_topic").kms_master_key_id).toMatch(/^\$\{aws_kms_key\./);
    // Replica lag only where there are readers (prod); a worker that scales to zero has no running-task alarm (dev).
    expect(names.includes(`acme-${name}-db-replica-lag`)).toBe(name === "prod");
    expect(names.includes(`acme-${name}-ecs-worker-default-running-tasks`)).toBe(name === "prod");
  });

  it("dev can be destroyed even with images pushed and files landed; prod cannot", () => {
    expect(onlyResource(dev, "aws_ecr_repository").force_delete).toBe(true);
    expect(Object.values(resourcesOf(prod, "aws_ecr_repository")).map((r) => r.force_delete)).toEqual([false, false]);
    const pipelineBuckets = (json: SynthJson) => Object.values(resourcesOf(json, "aws_s3_bucket")).filter((b) => /landing|artifacts/.test(String(b.bucket)));
    expect(pipelineBuckets(dev).map((b) => b.force_destroy)).toEqual([true, true]);
    // prod also holds the landing bucket's replica in the DR region.
    expect(pipelineBuckets(prod).map((b) => b.force_destroy)).toEqual([false, false, false]);
  });

  it("prod protects its stateful resources from destruction", () => {
    for (const bucket of Object.values(resourcesOf(prod, "aws_s3_bucket")).filter((b) => /landing|artifacts/.test(String(b.bucket)))) {
      expect(bucket.lifecycle).toEqual({ prevent_destroy: true });
    }
    expect(onlyResource(prod, "aws_rds_cluster").deletion_protection).toBe(true);
  });
});

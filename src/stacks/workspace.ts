import { Lazy, TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { AuditTrail } from "../../modules/audit";
import { AuroraPostgres } from "../../modules/aurora";
import { BackupPlan } from "../../modules/backup";
import { DataPipeline } from "../../modules/data-pipeline";
import { ContainerRegistry, type RepositoryOutput } from "../../modules/ecr";
import { FargateCluster, PublicLoadBalancer, WebService } from "../../modules/ecs-alb";
import { FargateTask, TaskSecurityGroup, type TaskImageProps } from "../../modules/ecs-task";
import { HttpsEndpoint, WebFirewall } from "../../modules/edge";
import { PlatformMonitoring } from "../../modules/monitoring";
import { ScheduleGroup, ScheduledTask } from "../../modules/scheduled-task";
import { Network } from "../../modules/vpc";
import { CeleryWorker, workerQueueName } from "../../modules/worker";
import { suppressPolicy } from "../aspects/policy";
import type { EnvironmentConfig } from "../config/schema";
import { useRemoteState } from "../lib/backend";
import type { NameContext } from "../lib/naming";
import { platformProvider } from "../lib/provider";

/**
 * One workspace (environment): the provider and remote state, then the platform's tiers composed
 * from the environment's validated config: network and registry, database, web tier, and the
 * one-off migration task.
 */
export class WorkspaceStack extends TerraformStack {
  readonly config: EnvironmentConfig;
  readonly naming: NameContext;
  readonly network: Network;
  readonly registry: ContainerRegistry;
  /** `image_tag` variable: CI deploys a new image with `-var image_tag=<git sha>` and nothing else changes. */
  readonly imageTag: TerraformVariable;
  readonly database: AuroraPostgres;
  readonly cluster: FargateCluster;
  readonly loadBalancer: PublicLoadBalancer;
  readonly webTask: FargateTask;
  readonly web: WebService;
  readonly migrateTask: FargateTask;
  readonly migrateSecurityGroup: TaskSecurityGroup;
  readonly workers: CeleryWorker[];
  readonly scheduledTasks: ScheduledTask[];
  /** This workspace's schedule group: Scheduler metrics are per group, so dev and prod never mix. */
  readonly scheduleGroup?: ScheduleGroup;
  readonly pipeline?: DataPipeline;
  readonly https?: HttpsEndpoint;
  readonly monitoring: PlatformMonitoring;
  readonly audit?: AuditTrail;
  readonly firewall?: WebFirewall;
  readonly backup?: BackupPlan;

  constructor(scope: Construct, config: EnvironmentConfig) {
    super(scope, config.name);
    this.config = config;
    this.naming = { project: config.project, environment: config.name };

    platformProvider(this, {
      project: config.project,
      environment: config.name,
      region: config.region,
      accountId: config.accountId,
      tags: config.tags,
    });
    useRemoteState(this, config);

    this.network = new Network(this, "network", {
      naming: this.naming,
      accountId: config.accountId,
      region: config.region,
      cidr: config.network.cidr,
      availabilityZones: config.availabilityZones,
      natStrategy: config.network.natStrategy,
      flowLogRetentionDays: config.network.flowLogRetentionDays,
    });
    // Development workspaces are disposable: `terraform destroy` may delete repositories holding images.
    const disposable = config.stage === "development";
    this.registry = new ContainerRegistry(this, "ecr", {
      naming: this.naming,
      repositories: config.ecr.repositories,
      forceDelete: disposable,
    });
    this.imageTag = new TerraformVariable(this, "image_tag", {
      type: "string",
      description: "Tag of the application image in ECR (immutable; CI passes the git SHA)",
      validation: [
        {
          condition: '${can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))}',
          errorMessage: "image_tag must be a valid Docker tag (letters, digits, '_', '.', '-'; at most 128 characters).",
        },
      ],
    });

    this.database = this.buildDatabase();
    this.cluster = new FargateCluster(this, "cluster", {
      naming: this.naming,
      execLogRetentionDays: config.logRetentionDays,
      defaultCapacity: config.service.capacity,
    });
    // With a domain, the platform issues the certificate: the endpoint needs the load balancer's
    // DNS name and the load balancer needs the endpoint's certificate, so the names are read lazily.
    let loadBalancer: PublicLoadBalancer | undefined;
    if (config.domain) {
      this.https = new HttpsEndpoint(this, "https", {
        domainName: config.domain.name,
        hostedZoneId: config.domain.hostedZoneId,
        loadBalancerDnsName: Lazy.stringValue({ produce: () => loadBalancer!.dnsName }),
        loadBalancerZoneId: Lazy.stringValue({ produce: () => loadBalancer!.loadBalancer.zoneId }),
      });
    }
    const certificateArn = this.https?.certificateArn ?? config.loadBalancer.certificateArn;
    loadBalancer = new PublicLoadBalancer(this, "alb", {
      naming: this.naming,
      region: config.region,
      accountId: config.accountId,
      vpcId: this.network.vpcId,
      subnetIds: this.network.publicSubnetIds,
      ...config.loadBalancer,
      certificateArn,
    });
    this.loadBalancer = loadBalancer;
    if (!certificateArn) {
      suppressPolicy(
        this.loadBalancer.applicationListener,
        "CKV_AWS_2",
        `HTTP only: environments/${config.name}.ts sets neither domain nor loadBalancer.certificateArn`,
      );
    }
    this.workers = this.buildWorkers();
    [this.webTask, this.web] = this.buildWebTier();
    [this.migrateTask, this.migrateSecurityGroup] = this.buildMigrateTask();
    [this.scheduleGroup, this.scheduledTasks] = this.buildScheduledTasks();
    this.pipeline = this.buildPipeline();
    [this.monitoring, this.audit, this.firewall, this.backup] = this.buildOperations();
    this.outputs();
  }

  /** The application image: the service's repository at the `image_tag` variable. */
  private get appRepository(): RepositoryOutput {
    return this.registry.repositories[this.config.service.repository];
  }

  private get appImage(): string {
    return `${this.appRepository.url}:${this.imageTag.stringValue}`;
  }

  /** Settings every application task shares: image, region, logs, database connection and credentials. */
  private appTaskDefaults(): TaskImageProps {
    const db = this.database;
    return {
      naming: this.naming,
      region: this.config.region,
      accountId: this.config.accountId,
      image: this.appImage,
      repositoryArn: this.appRepository.arn,
      logRetentionDays: this.config.logRetentionDays,
      environment: {
        ...db.containerEnvironment,
        ...this.config.service.environment,
      },
      secrets: db.containerSecrets,
      secretReadGrants: db.credentialReadGrants,
    };
  }

  private buildDatabase(): AuroraPostgres {
    const { config } = this;
    const db = config.database;
    return new AuroraPostgres(this, "database", {
      naming: this.naming,
      vpcId: this.network.vpcId,
      dbSubnetGroupName: this.network.databaseSubnetGroupName,
      availabilityZones: config.availabilityZones,
      engineVersion: db.engineVersion,
      databaseName: db.databaseName,
      masterUsername: db.masterUsername,
      instanceCount: db.instanceCount,
      instanceClass: db.instanceClass,
      // Capacity units apply to Serverless v2 only; a provisioned class has a fixed size.
      serverless: db.instanceClass === "db.serverless" ? { minCapacity: db.minCapacity, maxCapacity: db.maxCapacity } : undefined,
      backupRetentionDays: db.backupRetentionDays,
      deletionProtection: db.deletionProtection,
      skipFinalSnapshot: db.skipFinalSnapshot,
      performanceInsights: db.performanceInsights,
      logRetentionDays: config.logRetentionDays,
      passwordSource: db.passwordSource,
      readerAutoscaling: db.readerAutoscaling,
    });
  }

  private buildWebTier(): [FargateTask, WebService] {
    const svc = this.config.service;
    const defaults = this.appTaskDefaults();
    const task = new FargateTask(this, "web-task", {
      ...defaults,
      // The web tier produces Celery tasks: it gets the broker and every worker queue's URL.
      environment: { ...defaults.environment, ...this.producerEnvironment() },
      component: svc.name,
      cpu: svc.cpu,
      memory: svc.memory,
      command: svc.command,
      containerPort: svc.containerPort,
      readonlyRootFilesystem: svc.readonlyRootFilesystem,
      enableExecuteCommand: svc.enableExecuteCommand,
      execLogGroupArn: this.cluster.execLogGroupArn,
    });
    const web = new WebService(this, "web", {
      naming: this.naming,
      component: svc.name,
      vpcId: this.network.vpcId,
      subnetIds: this.network.privateSubnetIds,
      clusterName: this.cluster.clusterName,
      clusterArn: this.cluster.clusterArn,
      loadBalancer: this.loadBalancer,
      task,
      desiredCount: svc.desiredCount,
      healthCheck: svc.healthCheck,
      deregistrationDelaySeconds: svc.deregistrationDelaySeconds,
      healthCheckGracePeriodSeconds: svc.healthCheckGracePeriodSeconds,
      capacity: svc.capacity,
      enableExecuteCommand: svc.enableExecuteCommand,
      dependsOn: [this.cluster.capacityProviders],
      scaling: {
        minCount: svc.minCount,
        maxCount: svc.maxCount,
        cpuTargetPercent: svc.cpuTargetPercent,
        memoryTargetPercent: svc.memoryTargetPercent,
        requestsPerTarget: svc.requestsPerTarget,
        scaleInCooldownSeconds: svc.scaleInCooldownSeconds,
        scaleOutCooldownSeconds: svc.scaleOutCooldownSeconds,
      },
    });
    if (!svc.readonlyRootFilesystem) {
      suppressPolicy(
        task.taskDefinition,
        "CKV_AWS_336",
        `environments/${this.config.name}.ts sets service.readonlyRootFilesystem = false`,
      );
    }
    this.connectToDatabase(svc.name, web.tasksSecurityGroup);
    for (const worker of this.workers) {
      worker.grantSend(svc.name, task.taskRole.name);
    }
    return [task, web];
  }

  /**
   * Broker settings for producers (the web tier): the broker URL, its region and every worker queue
   * as Celery's `predefined_queues` JSON (queue name -> URL), so producers never list or create queues.
   */
  private producerEnvironment(): Record<string, string> {
    if (this.workers.length === 0) return {};
    return {
      CELERY_BROKER_URL: "sqs://",
      CELERY_BROKER_REGION: this.config.region,
      CELERY_PREDEFINED_QUEUES: JSON.stringify(
        Object.fromEntries(this.workers.map((w, i) => [workerQueueName(this.naming, this.config.workers[i].name), { url: w.queueUrl }])),
      ),
    };
  }

  private buildWorkers(): CeleryWorker[] {
    return this.config.workers.map((spec) => {
      const worker = new CeleryWorker(this, `worker-${spec.name}`, {
        ...this.appTaskDefaults(),
        name: spec.name,
        vpcId: this.network.vpcId,
        subnetIds: this.network.privateSubnetIds,
        clusterName: this.cluster.clusterName,
        clusterArn: this.cluster.clusterArn,
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
        dependsOn: [this.cluster.capacityProviders],
      });
      this.connectToDatabase(`worker-${spec.name}`, worker.tasksSecurityGroup);
      return worker;
    });
  }

  private buildScheduledTasks(): [ScheduleGroup | undefined, ScheduledTask[]] {
    if (this.config.scheduledTasks.length === 0) return [undefined, []];
    const group = new ScheduleGroup(this, "schedule-group", { naming: this.naming });
    const tasks = this.config.scheduledTasks.map((spec) => {
      const task = new ScheduledTask(this, `scheduled-${spec.name}`, {
        ...this.appTaskDefaults(),
        name: spec.name,
        clusterArn: this.cluster.clusterArn,
        vpcId: this.network.vpcId,
        subnetIds: this.network.privateSubnetIds,
        command: spec.command,
        cpu: spec.cpu,
        memory: spec.memory,
        schedule: spec.schedule,
        timeZone: spec.timeZone,
        enabled: spec.enabled,
        retry: { maximumAttempts: spec.maximumAttempts, maximumEventAgeSeconds: spec.maximumEventAgeSeconds },
        capacity: spec.capacity,
        scheduleGroupName: group.groupName,
      });
      this.connectToDatabase(`task-${spec.name}`, task.tasksSecurityGroup);
      return task;
    });
    return [group, tasks];
  }

  /** A one-off task definition for schema migrations and data loads, run with `aws ecs run-task`. */
  private buildMigrateTask(): [FargateTask, TaskSecurityGroup] {
    const task = new FargateTask(this, "migrate-task", {
      ...this.appTaskDefaults(),
      component: "migrate",
      cpu: 256,
      memory: 512,
      command: this.config.database.migrateCommand,
      stopTimeoutSeconds: 120,
    });
    const sg = new TaskSecurityGroup(this, "migrate-sg", {
      naming: this.naming,
      component: "migrate",
      vpcId: this.network.vpcId,
      description: "One-off migration tasks: no ingress",
    });
    this.connectToDatabase("migrate", sg);
    return [task, sg];
  }

  private buildPipeline(): DataPipeline | undefined {
    const spec = this.config.dataPipeline;
    const db = this.database;
    if (!spec?.enabled || !db.secretArn) return undefined;
    const pipeline = new DataPipeline(this, "pipeline", {
      naming: this.naming,
      region: this.config.region,
      accountId: this.config.accountId,
      vpcId: this.network.vpcId,
      subnetIds: this.network.privateSubnetIds,
      databaseSecurityGroupId: db.securityGroupId,
      databaseHost: db.writerEndpoint,
      databasePort: db.port,
      databaseName: db.databaseName,
      databaseSecretArn: db.secretArn,
      prefixes: spec.prefixes,
      suffixes: spec.suffixes,
      batchSize: spec.batchSize,
      maxBatchingWindowSeconds: spec.maxBatchingWindowSeconds,
      reservedConcurrency: spec.reservedConcurrency,
      maxReceiveCount: spec.maxReceiveCount,
      landingExpiryDays: spec.landingExpiryDays,
      releaseLabel: spec.releaseLabel,
      autoStopIdleMinutes: spec.autoStopIdleMinutes,
      maxCapacity: spec.maxCapacity,
      logRetentionDays: this.config.logRetentionDays,
      preventDestroy: this.config.stage === "production",
      // Development data is disposable: destroy may empty the buckets.
      forceDestroy: this.config.stage === "development",
    });
    db.allowFrom("ingest", pipeline.securityGroupId, "PostgreSQL from the ingest Spark jobs");
    suppressPolicy(
      pipeline.function,
      "CKV_AWS_117",
      "the trigger only calls the EMR Serverless API; the Spark jobs that reach the database run in the VPC",
    );
    return pipeline;
  }

  /** Alarms and dashboard over every tier, plus the audit trail, WAF and backups the config enables. */
  private buildOperations(): [PlatformMonitoring, AuditTrail?, WebFirewall?, BackupPlan?] {
    const { config, naming, cluster, database: db, pipeline } = this;
    const ops = config.operations;
    const common = { naming, accountId: config.accountId, region: config.region };
    const monitoring = new PlatformMonitoring(this, "monitoring", {
      ...common,
      alertEmails: ops.alertEmails,
      thresholds: ops.thresholds,
      loadBalancer: { arnSuffix: this.loadBalancer.arnSuffix, targetGroupArnSuffix: this.web.targetGroup.arnSuffix },
      services: [
        { name: config.service.name, clusterName: cluster.clusterName, serviceName: this.web.serviceName, minRunning: config.service.minCount },
        ...this.workers.map((w, i) => ({
          name: `worker-${config.workers[i].name}`,
          clusterName: cluster.clusterName,
          serviceName: w.serviceName,
          minRunning: config.workers[i].minCount,
        })),
      ],
      database: {
        clusterIdentifier: db.clusterIdentifier,
        serverless: config.database.instanceClass === "db.serverless",
        hasReaders: config.database.instanceCount > 1,
      },
      queues: [
        ...this.workers.map((w, i) => ({ name: `worker-${config.workers[i].name}`, queueName: w.queueName, deadLetterQueueName: w.deadLetterQueueName })),
        ...(pipeline ? [{ name: "ingest", queueName: pipeline.ingestQueueName, deadLetterQueueName: pipeline.deadLetterQueueName }] : []),
      ],
      functions: pipeline ? [{ name: "ingest", functionName: pipeline.functionName }] : [],
      schedules: config.scheduledTasks.map((t) => ({ name: t.name, scheduleGroup: this.scheduleGroup?.groupPhysicalName })),
      emrApplications: pipeline
        ? [{ name: "ingest", applicationId: pipeline.applicationId, applicationName: pipeline.application.name }]
        : [],
    });
    const audit = ops.cloudTrail
      ? new AuditTrail(this, "audit", { ...common, retentionDays: ops.cloudTrailRetentionDays, logRetentionDays: config.logRetentionDays })
      : undefined;
    const firewall = ops.waf
      ? new WebFirewall(this, "waf", {
          ...common,
          loadBalancerArn: this.loadBalancer.loadBalancer.arn,
          rateLimitPer5Minutes: ops.wafRateLimitPer5Minutes,
          logRetentionDays: config.logRetentionDays,
        })
      : undefined;
    const backup = ops.backup
      ? new BackupPlan(this, "backup", {
          ...common,
          resourceArns: [db.clusterArn],
          retentionDays: ops.backupRetentionDays,
          copyTo: ops.backupCopyToVaultArn ? { vaultArn: ops.backupCopyToVaultArn, retentionDays: ops.backupRetentionDays } : undefined,
        })
      : undefined;
    return [monitoring, audit, firewall, backup];
  }

  /** Lets a group of tasks reach PostgreSQL: database ingress from it, its egress to the database. */
  private connectToDatabase(id: string, tasks: TaskSecurityGroup): void {
    this.database.allowFrom(id, tasks.securityGroupId, `PostgreSQL from ${id} tasks`);
    tasks.allowEgressTo("database", this.database.securityGroupId, this.database.port, "PostgreSQL to the database");
  }

  private outputs(): void {
    const { network, registry, database: db } = this;
    const output = (id: string, value: unknown, description: string) => new TerraformOutput(this, id, { value, description });
    output("vpc_id", network.vpcId, "VPC id");
    output("public_subnet_ids", network.publicSubnetIds, "Public subnets, in AZ order");
    output("private_subnet_ids", network.privateSubnetIds, "Private (application) subnets, in AZ order");
    output("database_subnet_ids", network.databaseSubnetIds, "Isolated database subnets, in AZ order");
    output("database_subnet_group_name", network.databaseSubnetGroupName, "RDS subnet group over the database subnets");
    output("ecr_repository_urls", Object.fromEntries(Object.entries(registry.repositories).map(([k, r]) => [k, r.url])), "ECR repository URLs by short name (push images here)");
    output("ecr_repository_arns", Object.fromEntries(Object.entries(registry.repositories).map(([k, r]) => [k, r.arn])), "ECR repository ARNs by short name");
    output("alb_dns_name", this.loadBalancer.dnsName, "Load balancer DNS name");
    output("service_url", this.https?.url ?? `${this.loadBalancer.protocol}://${this.loadBalancer.dnsName}`, "URL of the web service");
    output("alerts_topic_arn", this.monitoring.topicArn, "SNS topic every alarm notifies");
    output("dashboard_name", this.monitoring.dashboardName, "CloudWatch dashboard of this workspace");
    output("cluster_name", this.cluster.clusterName, "ECS cluster name");
    output("cluster_arn", this.cluster.clusterArn, "ECS cluster ARN");
    output("web_service_name", this.web.serviceName, "ECS service of the web tier");
    output("alb_security_group_id", this.loadBalancer.securityGroupId, "Security group of the load balancer");
    output("web_security_group_id", this.web.securityGroupId, "Security group of the web tasks");
    output("database_writer_endpoint", db.writerEndpoint, "Aurora writer endpoint");
    output("database_reader_endpoint", db.readerEndpoint, "Aurora reader endpoint");
    output("database_port", db.port, "PostgreSQL port");
    output("database_name", db.databaseName, "Database name");
    output("database_security_group_id", db.securityGroupId, "Security group of the database");
    output(
      "database_credentials",
      db.secretArn ?? db.passwordParameterName,
      "Secrets Manager ARN (managed) or SSM parameter name (ssm) of the master credentials",
    );
    output("migrate_task_definition", this.migrateTask.family, "Task definition family of the one-off migration task");
    output("migrate_security_group_id", this.migrateSecurityGroup.securityGroupId, "Security group to pass to `aws ecs run-task` for migrations");
    output(
      "worker_queues",
      Object.fromEntries(
        this.workers.map((w, i) => [
          this.config.workers[i].name,
          { queue_url: w.queueUrl, queue_arn: w.queueArn, dlq_url: w.deadLetterQueueUrl, dlq_arn: w.deadLetterQueueArn, service_name: w.serviceName },
        ]),
      ),
      "Celery worker queues, dead-letter queues and services by worker name",
    );
    if (this.pipeline) {
      const p = this.pipeline;
      output(
        "data_pipeline",
        {
          landing_bucket: p.landingBucketName,
          ingest_queue_url: p.ingestQueueUrl,
          dead_letter_queue_url: p.deadLetterQueueUrl,
          function_name: p.functionName,
          emr_application_id: p.applicationId,
          artifacts_bucket: p.artifactsBucketName,
        },
        "Ingestion pipeline: upload to s3://<landing_bucket>/incoming/",
      );
    }
    output(
      "scheduled_tasks",
      Object.fromEntries(
        this.scheduledTasks.map((t, i) => [
          this.config.scheduledTasks[i].name,
          { schedule_arn: t.scheduleArn, task_definition_arn: t.taskDefinitionArn, dlq_arn: t.deadLetterQueueArn },
        ]),
      ),
      "Scheduled tasks by name",
    );
  }
}

import { TerraformOutput, TerraformStack, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { ContainerRegistry } from "../../modules/ecr";
import { FargateCluster, PublicLoadBalancer, WebService } from "../../modules/ecs-alb";
import { FargateTask } from "../../modules/ecs-task";
import { Network } from "../../modules/vpc";
import type { EnvironmentConfig } from "../config/schema";
import { useRemoteState } from "../lib/backend";
import type { NameContext } from "../lib/naming";
import { platformProvider } from "../lib/provider";

/**
 * One workspace (environment): the provider, remote state, and the modules composed from the
 * environment's validated config.
 */
export class WorkspaceStack extends TerraformStack {
  readonly config: EnvironmentConfig;
  readonly network: Network;
  readonly registry: ContainerRegistry;
  readonly cluster: FargateCluster;
  readonly loadBalancer: PublicLoadBalancer;
  readonly webTask: FargateTask;
  readonly web: WebService;
  /** `image_tag` variable: CI deploys a new image with `-var image_tag=<git sha>` and nothing else changes. */
  readonly imageTag: TerraformVariable;

  constructor(scope: Construct, config: EnvironmentConfig) {
    super(scope, config.name);
    this.config = config;
    const naming: NameContext = { project: config.project, environment: config.name };

    platformProvider(this, {
      project: config.project,
      environment: config.name,
      region: config.region,
      accountId: config.accountId,
      tags: config.tags,
    });
    useRemoteState(this, config);

    this.network = new Network(this, "network", {
      naming,
      accountId: config.accountId,
      region: config.region,
      cidr: config.network.cidr,
      availabilityZones: config.availabilityZones,
      natStrategy: config.network.natStrategy,
      flowLogRetentionDays: config.network.flowLogRetentionDays,
    });

    this.registry = new ContainerRegistry(this, "ecr", {
      naming,
      repositories: config.ecr.repositories,
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

    this.cluster = new FargateCluster(this, "cluster", {
      naming,
      execLogRetentionDays: config.logRetentionDays,
      defaultCapacity: config.service.capacity,
    });

    const lb = config.loadBalancer;
    this.loadBalancer = new PublicLoadBalancer(this, "alb", {
      naming,
      region: config.region,
      accountId: config.accountId,
      vpcId: this.network.vpcId,
      subnetIds: this.network.publicSubnetIds,
      certificateArn: lb.certificateArn,
      idleTimeoutSeconds: lb.idleTimeoutSeconds,
      deletionProtection: lb.deletionProtection,
      accessLogs: lb.accessLogs,
      accessLogRetentionDays: lb.accessLogRetentionDays,
    });

    const svc = config.service;
    const repository = this.registry.repositories[svc.repository];
    const image = `${repository.url}:${this.imageTag.stringValue}`;
    this.webTask = new FargateTask(this, "web-task", {
      naming,
      component: svc.name,
      region: config.region,
      accountId: config.accountId,
      image,
      repositoryArn: repository.arn,
      cpu: svc.cpu,
      memory: svc.memory,
      command: svc.command,
      containerPort: svc.containerPort,
      environment: svc.environment,
      logRetentionDays: config.logRetentionDays,
      readonlyRootFilesystem: svc.readonlyRootFilesystem,
      enableExecuteCommand: svc.enableExecuteCommand,
    });
    this.web = new WebService(this, "web", {
      naming,
      component: svc.name,
      vpcId: this.network.vpcId,
      subnetIds: this.network.privateSubnetIds,
      clusterName: this.cluster.clusterName,
      clusterArn: this.cluster.clusterArn,
      loadBalancer: this.loadBalancer,
      task: this.webTask,
      desiredCount: svc.desiredCount,
      healthCheck: svc.healthCheck,
      deregistrationDelaySeconds: svc.deregistrationDelaySeconds,
      healthCheckGracePeriodSeconds: svc.healthCheckGracePeriodSeconds,
      capacity: svc.capacity,
      enableExecuteCommand: svc.enableExecuteCommand,
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

    this.outputs();
  }

  private outputs(): void {
    const { network, registry } = this;
    new TerraformOutput(this, "vpc_id", { value: network.vpcId, description: "VPC id" });
    new TerraformOutput(this, "public_subnet_ids", { value: network.publicSubnetIds, description: "Public subnets, in AZ order" });
    new TerraformOutput(this, "private_subnet_ids", { value: network.privateSubnetIds, description: "Private (application) subnets, in AZ order" });
    new TerraformOutput(this, "database_subnet_ids", { value: network.databaseSubnetIds, description: "Isolated database subnets, in AZ order" });
    new TerraformOutput(this, "database_subnet_group_name", { value: network.databaseSubnetGroupName, description: "RDS subnet group over the database subnets" });
    new TerraformOutput(this, "ecr_repository_urls", {
      value: Object.fromEntries(Object.entries(registry.repositories).map(([key, repo]) => [key, repo.url])),
      description: "ECR repository URLs by short name (push images here)",
    });
    new TerraformOutput(this, "alb_dns_name", { value: this.loadBalancer.dnsName, description: "Load balancer DNS name" });
    new TerraformOutput(this, "service_url", {
      value: `${this.loadBalancer.protocol}://${this.loadBalancer.dnsName}`,
      description: "URL of the web service",
    });
    new TerraformOutput(this, "cluster_name", { value: this.cluster.clusterName, description: "ECS cluster name" });
    new TerraformOutput(this, "cluster_arn", { value: this.cluster.clusterArn, description: "ECS cluster ARN" });
    new TerraformOutput(this, "web_service_name", { value: this.web.serviceName, description: "ECS service of the web tier" });
    new TerraformOutput(this, "alb_security_group_id", { value: this.loadBalancer.securityGroupId, description: "Security group of the load balancer" });
    new TerraformOutput(this, "web_security_group_id", { value: this.web.securityGroupId, description: "Security group of the web tasks" });
    new TerraformOutput(this, "ecr_repository_arns", {
      value: Object.fromEntries(Object.entries(registry.repositories).map(([key, repo]) => [key, repo.arn])),
      description: "ECR repository ARNs by short name",
    });
  }
}

import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { ContainerRegistry } from "../../modules/ecr";
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
    new TerraformOutput(this, "ecr_repository_arns", {
      value: Object.fromEntries(Object.entries(registry.repositories).map(([key, repo]) => [key, repo.arn])),
      description: "ECR repository ARNs by short name",
    });
  }
}

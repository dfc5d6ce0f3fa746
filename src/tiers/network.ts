import type { TerraformVariable } from "cdktf";
import { ContainerRegistry, type RepositoryOutput } from "../../modules/ecr";
import { Network } from "../../modules/vpc";
import type { EnvironmentConfig } from "../config/schema";
import { imageTagVariable } from "../lib/image-tag";
import type { TierContext } from "./context";

/** The config slices the network tier reads. */
export interface NetworkTierProps {
  /** `availabilityZones`: explicit zones in the region (no API lookup). */
  readonly availabilityZones: EnvironmentConfig["availabilityZones"];
  /** `network`: VPC range, NAT layout, flow-log retention. */
  readonly network: EnvironmentConfig["network"];
  /** `ecr`: the image repositories. */
  readonly ecr: EnvironmentConfig["ecr"];
  /** `compute`: on EKS the subnets carry the tags its load balancing discovers them by. @default "ecs" */
  readonly compute?: EnvironmentConfig["compute"];
}

const OWNER = "NetworkTier";

/**
 * Network and registry: the VPC (modules/vpc: public, private and isolated database subnets per AZ,
 * NAT, flow logs, endpoints), the image repositories (modules/ecr) and the `image_tag` variable that
 * selects the application image. Registers no alarms. Outputs: `vpc_id`, `*_subnet_ids`,
 * `database_subnet_group_name`, `ecr_repository_urls`, `ecr_repository_arns`.
 */
export class NetworkTier {
  readonly network: Network;
  readonly registry: ContainerRegistry;
  /** `image_tag` variable: CI deploys a new image with `-var image_tag=<git sha>` and nothing else changes. */
  readonly imageTag: TerraformVariable;

  constructor(ctx: TierContext, props: NetworkTierProps) {
    this.network = new Network(ctx.scope, "network", {
      naming: ctx.naming,
      accountId: ctx.accountId,
      region: ctx.region,
      cidr: props.network.cidr,
      availabilityZones: props.availabilityZones,
      natStrategy: props.network.natStrategy,
      flowLogRetentionDays: props.network.flowLogRetentionDays,
      loadBalancerSubnetTags: props.compute === "eks",
    });
    this.registry = new ContainerRegistry(ctx.scope, "ecr", {
      naming: ctx.naming,
      repositories: props.ecr.repositories,
      forceDelete: ctx.disposable,
    });
    this.imageTag = imageTagVariable(ctx.scope);

    const { network, registry } = this;
    const repositories = Object.entries(registry.repositories);
    ctx.output(OWNER, "vpc_id", network.vpcId, "VPC id");
    ctx.output(OWNER, "public_subnet_ids", network.publicSubnetIds, "Public subnets, in AZ order");
    ctx.output(OWNER, "private_subnet_ids", network.privateSubnetIds, "Private (application) subnets, in AZ order");
    ctx.output(OWNER, "database_subnet_ids", network.databaseSubnetIds, "Isolated database subnets, in AZ order");
    ctx.output(OWNER, "database_subnet_group_name", network.databaseSubnetGroupName, "RDS subnet group over the database subnets");
    ctx.output(OWNER, "ecr_repository_urls", Object.fromEntries(repositories.map(([k, r]) => [k, r.url])), "ECR repository URLs by short name (push images here)");
    ctx.output(OWNER, "ecr_repository_arns", Object.fromEntries(repositories.map(([k, r]) => [k, r.arn])), "ECR repository ARNs by short name");
  }

  /** A repository by its short name in `ecr.repositories` (the schema checks every reference exists). */
  repository(name: string): RepositoryOutput {
    const repository = this.registry.repositories[name];
    if (!repository) throw new Error(`${OWNER}: no ECR repository "${name}" in ecr.repositories`);
    return repository;
  }

  /** The image URI of a repository at the `image_tag` variable. */
  image(repositoryName: string): string {
    return `${this.repository(repositoryName).url}:${this.imageTag.stringValue}`;
  }
}

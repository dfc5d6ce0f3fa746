import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { Construct } from "constructs";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";

export interface RepositorySpec {
  /** Short name; the physical name is `<project>-<env>-<name>`. */
  readonly name: string;
  /** How many tagged images to keep; older tagged images expire. @default 30 */
  readonly keepLastTagged?: number;
  /** Days after which an untagged image expires. @default 7 */
  readonly untaggedExpiryDays?: number;
}

export interface ContainerRegistryProps {
  readonly naming: NameContext;
  /** One repository per entry. Names must be unique. */
  readonly repositories: readonly RepositorySpec[];
  /**
   * KMS key ARN for image encryption.
   * @default the AWS-managed `aws/ecr` KMS key
   */
  readonly kmsKeyArn?: string;
  /** Let `terraform destroy` delete repositories that still hold images. @default false */
  readonly forceDelete?: boolean;
}

/** What the registry exposes for each repository. */
export interface RepositoryOutput {
  readonly repository: EcrRepository;
  readonly name: string;
  readonly url: string;
  readonly arn: string;
}

/**
 * ECR repositories with immutable tags, scan on push, KMS encryption and a lifecycle policy that
 * expires untagged images after a few days and keeps the last N tagged images.
 */
export class ContainerRegistry extends Construct {
  /** Repositories by their short name. */
  readonly repositories: Readonly<Record<string, RepositoryOutput>>;

  constructor(scope: Construct, id: string, props: ContainerRegistryProps) {
    super(scope, id);
    const repositories: Record<string, RepositoryOutput> = {};
    for (const spec of props.repositories) {
      if (repositories[spec.name]) {
        throw new Error(`ContainerRegistry: repository "${spec.name}" is declared twice`);
      }
      const repository = new EcrRepository(this, spec.name, {
        name: physicalName(props.naming, spec.name, { maxLength: NAME_LIMITS.ecrRepository }),
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: [
          props.kmsKeyArn ? { encryptionType: "KMS", kmsKey: props.kmsKeyArn } : { encryptionType: "KMS" },
        ],
        forceDelete: props.forceDelete ?? false,
      });
      new EcrLifecyclePolicy(this, `${spec.name}-lifecycle`, {
        repository: repository.name,
        policy: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: `Expire untagged images after ${spec.untaggedExpiryDays ?? 7} days`,
              selection: {
                tagStatus: "untagged",
                countType: "sinceImagePushed",
                countUnit: "days",
                countNumber: spec.untaggedExpiryDays ?? 7,
              },
              action: { type: "expire" },
            },
            {
              rulePriority: 2,
              description: `Keep the last ${spec.keepLastTagged ?? 30} tagged images`,
              selection: {
                tagStatus: "tagged",
                tagPatternList: ["*"],
                countType: "imageCountMoreThan",
                countNumber: spec.keepLastTagged ?? 30,
              },
              action: { type: "expire" },
            },
          ],
        }),
      });
      repositories[spec.name] = {
        repository,
        name: repository.name,
        url: repository.repositoryUrl,
        arn: repository.arn,
      };
    }
    this.repositories = repositories;
  }
}

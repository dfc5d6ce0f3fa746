import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { describe, expect, it } from "vitest";
import { ContainerRegistry } from "../modules/ecr";
import { ref, resourcesOf, synthConstruct, testNaming } from "./helpers";

describe("ContainerRegistry", () => {
  const { synth, json } = synthConstruct(
    (stack) =>
      new ContainerRegistry(stack, "ecr", {
        naming: testNaming,
        repositories: [{ name: "web", keepLastTagged: 12, untaggedExpiryDays: 3 }, { name: "jobs" }],
      }),
  );

  it("creates one immutable, scanned, KMS-encrypted repository per entry", () => {
    for (const name of ["acme-test-web", "acme-test-jobs"]) {
      expect(synth).toHaveResourceWithProperties(EcrRepository, {
        name,
        image_tag_mutability: "IMMUTABLE",
        image_scanning_configuration: { scan_on_push: true },
        encryption_configuration: [{ encryption_type: "KMS" }],
        force_delete: false,
      });
    }
    expect(Object.keys(resourcesOf(json, "aws_ecr_repository"))).toHaveLength(2);
  });

  it("expires untagged images after N days and keeps the last N tagged images", () => {
    const [webId] = Object.entries(resourcesOf(json, "aws_ecr_repository")).find(([, r]) => r.name === "acme-test-web")!;
    const policies = Object.values(resourcesOf(json, "aws_ecr_lifecycle_policy"));
    const web = policies.find((p) => p.repository === ref("aws_ecr_repository", webId, "name"));
    expect(web).toBeDefined();
    const rules = JSON.parse(web!.policy).rules;
    expect(rules).toEqual([
      expect.objectContaining({
        rulePriority: 1,
        selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 3 },
        action: { type: "expire" },
      }),
      expect.objectContaining({
        rulePriority: 2,
        selection: { tagStatus: "tagged", tagPatternList: ["*"], countType: "imageCountMoreThan", countNumber: 12 },
        action: { type: "expire" },
      }),
    ]);
  });

  it("applies defaults of 7 days and 30 images", () => {
    const policies = Object.values(resourcesOf(json, "aws_ecr_lifecycle_policy")).map((p) => JSON.parse(p.policy).rules);
    expect(policies).toContainEqual([
      expect.objectContaining({ selection: expect.objectContaining({ countNumber: 7 }) }),
      expect.objectContaining({ selection: expect.objectContaining({ countNumber: 30 }) }),
    ]);
  });

  it("uses a customer-managed key when given one", () => {
    const custom = synthConstruct(
      (stack) =>
        new ContainerRegistry(stack, "ecr", {
          naming: testNaming,
          repositories: [{ name: "web" }],
          kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/abc",
        }),
    );
    expect(custom.synth).toHaveResourceWithProperties(EcrRepository, {
      encryption_configuration: [{ encryption_type: "KMS", kms_key: "arn:aws:kms:eu-west-1:123456789012:key/abc" }],
    });
  });

  it("exposes URL and ARN per repository", () => {
    let registry!: ContainerRegistry;
    synthConstruct((stack) => {
      registry = new ContainerRegistry(stack, "ecr", { naming: testNaming, repositories: [{ name: "web" }] });
    });
    expect(Object.keys(registry.repositories)).toEqual(["web"]);
    expect(registry.repositories.web.url).toMatch(/TfToken/);
    expect(registry.repositories.web.arn).toMatch(/TfToken/);
  });

  it("refuses a repository declared twice", () => {
    expect(() =>
      synthConstruct(
        (stack) =>
          new ContainerRegistry(stack, "ecr", { naming: testNaming, repositories: [{ name: "web" }, { name: "web" }] }),
      ),
    ).toThrow(/repository "web" is declared twice/);
  });
});

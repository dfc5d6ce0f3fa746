import { TerraformVariable } from "cdktf";
import type { Construct } from "constructs";

/**
 * The `image_tag` variable of a stack that runs the application image: CI deploys a new image with
 * `-var image_tag=<git sha>` and nothing else changes. One definition for the ECS workspace and the
 * EKS apps stack.
 */
export function imageTagVariable(scope: Construct): TerraformVariable {
  return new TerraformVariable(scope, "image_tag", {
    type: "string",
    description: "Tag of the application image in ECR (immutable; CI passes the git SHA)",
    validation: [
      {
        condition: '${can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag))}',
        errorMessage: "image_tag must be a valid Docker tag (letters, digits, '_', '.', '-'; at most 128 characters).",
      },
    ],
  });
}

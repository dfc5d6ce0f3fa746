import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import type { IAspect } from "cdktf";
import type { IConstruct } from "constructs";

/**
 * Gives every IAM role in a stack a permissions boundary (unless a role sets its own). The CI apply
 * roles may only create roles that carry their workspace's boundary, so without this aspect a
 * workspace could not be applied from CI; with it, no role a workspace creates can reach IAM or the
 * Terraform state, whatever policy it is given. `buildApp` visits every node of a finished workspace
 * with it (rather than registering it for synthesis) so the policy pack sees the deployed document.
 */
export class PermissionsBoundaryAspect implements IAspect {
  constructor(private readonly boundaryArn: string) {}

  visit(node: IConstruct): void {
    if (node instanceof IamRole && node.permissionsBoundaryInput === undefined) {
      node.permissionsBoundary = this.boundaryArn;
    }
  }
}

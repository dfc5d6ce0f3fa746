import { EksPodIdentityAssociation } from "@cdktf/provider-aws/lib/eks-pod-identity-association";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Construct } from "constructs";
import { policyDocument, type PolicyStatement } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";

/** The service principal EKS Pod Identity assumes roles as. */
export const POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com";
/** Pod Identity assumes the role and tags the session (cluster, namespace, service account, pod). */
export const POD_IDENTITY_TRUST_ACTIONS = ["sts:AssumeRole", "sts:TagSession"] as const;

export interface PodIdentityRoleProps {
  readonly naming: NameContext;
  /** Role name component: the role is `<project>-<env>-<component>`. */
  readonly component: string;
  readonly accountId: string;
  readonly clusterName: string;
  /** The cluster whose pods may assume the role (the `eks-cluster-arn` session tag in the trust policy). */
  readonly clusterArn: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** What the workload may do: the role's inline policy. @default none (no permissions) */
  readonly statements?: readonly PolicyStatement[];
}

/**
 * The AWS identity of one Kubernetes workload through EKS Pod Identity: a role only EKS Pod
 * Identity can assume, and only for pods of this cluster, namespace and service account (the
 * session tags it sets: `eks-cluster-arn`, `kubernetes-namespace`, `kubernetes-service-account`),
 * its inline policy, and the association of the role with one namespace and service account.
 */
export class PodIdentityRole extends Construct {
  readonly role: IamRole;
  readonly roleArn: string;
  readonly roleName: string;
  readonly association: EksPodIdentityAssociation;
  readonly policy?: IamRolePolicy;

  constructor(scope: Construct, id: string, props: PodIdentityRoleProps) {
    super(scope, id);
    if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(props.namespace)) {
      throw new Error(`PodIdentityRole ${props.component}: namespace "${props.namespace}" is not a Kubernetes name`);
    }
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(props.serviceAccount)) {
      throw new Error(`PodIdentityRole ${props.component}: service account "${props.serviceAccount}" is not a Kubernetes name`);
    }
    this.role = new IamRole(this, "role", {
      name: physicalName(props.naming, props.component, { maxLength: NAME_LIMITS.iamRole }),
      description: `Pod Identity of ${props.namespace}/${props.serviceAccount}`,
      assumeRolePolicy: policyDocument([
        {
          Effect: "Allow",
          Principal: { Service: POD_IDENTITY_PRINCIPAL },
          Action: [...POD_IDENTITY_TRUST_ACTIONS],
          // The session tags Pod Identity sets: only this cluster's pods of this service account.
          Condition: {
            StringEquals: {
              "aws:SourceAccount": props.accountId,
              "aws:RequestTag/eks-cluster-arn": props.clusterArn,
              "aws:RequestTag/kubernetes-namespace": props.namespace,
              "aws:RequestTag/kubernetes-service-account": props.serviceAccount,
            },
          },
        },
      ]),
    });
    this.roleArn = this.role.arn;
    this.roleName = this.role.name;
    if (props.statements && props.statements.length > 0) {
      this.policy = new IamRolePolicy(this, "policy", { name: "workload", role: this.role.id, policy: policyDocument(props.statements) });
    }
    this.association = new EksPodIdentityAssociation(this, "association", {
      clusterName: props.clusterName,
      namespace: props.namespace,
      serviceAccount: props.serviceAccount,
      roleArn: this.role.arn,
    });
  }

  /** Adds statements to the role as a further inline policy named `name`. */
  grant(name: string, statements: readonly PolicyStatement[]): IamRolePolicy {
    return new IamRolePolicy(this, `policy-${name}`, { name, role: this.role.id, policy: policyDocument(statements) });
  }
}

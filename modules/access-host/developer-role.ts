import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Token } from "cdktf";
import { Construct } from "constructs";
import { partitionOf, policyDocument, type PolicyStatement } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";

/** The only Session Manager document the developer role may start: port forwarding to a remote host. */
export const PORT_FORWARDING_DOCUMENT = "AWS-StartPortForwardingSessionToRemoteHost";

export interface DeveloperRoleProps {
  readonly naming: NameContext;
  readonly region: string;
  readonly accountId: string;
  /** Principals (account roots, users, roles) that may assume the role, with MFA. No wildcards. */
  readonly principalArns: readonly string[];
  /** Longest session, hours (1 to 12). @default 1 */
  readonly maxSessionHours?: number;
  /** The access host's Auto Scaling group: the role may find its instance and start it (desired capacity, max 1). */
  readonly autoScalingGroupName: string;
  /** Tag key and value of the host instances: the only instances sessions may start on. */
  readonly hostTag: { readonly key: string; readonly value: string };
  /** KMS key of Session Manager session encryption (the client needs `kms:GenerateDataKey`). */
  readonly sessionKeyArn: string;
  /** The Aurora cluster: its ARN (to read its endpoints) and resource id (`cluster-...`, for `rds-db:connect`). */
  readonly clusterArn: string;
  readonly clusterResourceId: string;
  /** The PostgreSQL role the developer connects as through IAM authentication (read-only, created by the migration). */
  readonly databaseUser: string;
}

function fail(message: string): never {
  throw new Error(`DeveloperRole: ${message}`);
}

/**
 * The developer role of a workspace, `<project>-<env>-developer`: assumable only by the listed
 * principals with MFA, for at most `maxSessionHours`; it may start Session Manager sessions only on
 * the access host's instances and only with {@link PORT_FORWARDING_DOCUMENT} (a document access check
 * refuses the default shell), start the host, read the cluster's endpoints, and connect to PostgreSQL
 * only as `databaseUser` with an IAM token. Nothing else.
 */
export class DeveloperRole extends Construct {
  readonly role: IamRole;
  readonly roleName: string;
  readonly roleArn: string;
  readonly statements: readonly PolicyStatement[];

  constructor(scope: Construct, id: string, props: DeveloperRoleProps) {
    super(scope, id);
    const hours = props.maxSessionHours ?? 1;
    if (props.principalArns.length === 0) fail("principalArns needs at least one principal; the role would be unusable");
    for (const arn of props.principalArns) {
      if (Token.isUnresolved(arn)) continue;
      if (arn.includes("*")) fail(`principalArns: "${arn}" has a wildcard; name each principal`);
      if (!/^arn:[\w-]+:iam::\d{12}:(root|user\/.+|role\/.+)$/.test(arn)) fail(`principalArns: "${arn}" is not an IAM principal ARN`);
    }
    if (!Number.isInteger(hours) || hours < 1 || hours > 12) fail(`maxSessionHours must be 1 to 12, got ${hours}`);
    if (!/^[a-z][a-z0-9_]{0,62}$/.test(props.databaseUser)) fail(`databaseUser must be a PostgreSQL identifier, got "${props.databaseUser}"`);

    const { region, accountId } = props;
    const partition = partitionOf(region);
    // Every ssm:StartSession statement carries the document check, or the default shell document is implied (Session Manager docs).
    const documentCheck = { BoolIfExists: { "ssm:SessionDocumentAccessCheck": "true" } };
    this.statements = [
      {
        Sid: "StartSessionsOnTheAccessHost",
        Effect: "Allow",
        Action: "ssm:StartSession",
        Resource: `arn:${partition}:ec2:${region}:${accountId}:instance/*`,
        Condition: { ...documentCheck, StringEquals: { [`ssm:resourceTag/${props.hostTag.key}`]: props.hostTag.value } },
      },
      {
        Sid: "PortForwardingDocumentOnly",
        Effect: "Allow",
        Action: "ssm:StartSession",
        Resource: `arn:${partition}:ssm:${region}::document/${PORT_FORWARDING_DOCUMENT}`,
        Condition: documentCheck,
      },
      {
        // Session ids start with the role session name, which no policy variable holds: any session of the account and region.
        Sid: "EndAndResumeSessions",
        Effect: "Allow",
        Action: ["ssm:TerminateSession", "ssm:ResumeSession"],
        Resource: `arn:${partition}:ssm:${region}:${accountId}:session/*`,
      },
      { Sid: "EncryptSessions", Effect: "Allow", Action: "kms:GenerateDataKey", Resource: props.sessionKeyArn },
      // DescribeAutoScalingGroups has no resource-level permissions.
      { Sid: "FindTheAccessHost", Effect: "Allow", Action: "autoscaling:DescribeAutoScalingGroups", Resource: "*" },
      {
        Sid: "StartTheAccessHost",
        Effect: "Allow",
        Action: "autoscaling:SetDesiredCapacity",
        Resource: `arn:${partition}:autoscaling:${region}:${accountId}:autoScalingGroup:*:autoScalingGroupName/${props.autoScalingGroupName}`,
      },
      { Sid: "ReadDatabaseEndpoints", Effect: "Allow", Action: "rds:DescribeDBClusters", Resource: props.clusterArn },
      {
        Sid: "ConnectAsReadOnlyUser",
        Effect: "Allow",
        Action: "rds-db:connect",
        Resource: `arn:${partition}:rds-db:${region}:${accountId}:dbuser:${props.clusterResourceId}/${props.databaseUser}`,
      },
    ];

    this.role = new IamRole(this, "role", {
      name: physicalName(props.naming, "developer", { maxLength: NAME_LIMITS.iamRole }),
      description: "Developers: port forwarding to the database through the access host, read-only IAM database login",
      maxSessionDuration: hours * 3600,
      assumeRolePolicy: policyDocument([
        {
          Sid: "NamedPrincipalsWithMfa",
          Effect: "Allow",
          Principal: { AWS: [...props.principalArns] },
          Action: "sts:AssumeRole",
          Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } },
        },
      ]),
    });
    this.roleName = this.role.name;
    this.roleArn = this.role.arn;
    new IamRolePolicy(this, "policy", { name: "developer-access", role: this.role.id, policy: policyDocument(this.statements) });
  }
}

import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { Eip } from "@cdktf/provider-aws/lib/eip";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { InternetGateway } from "@cdktf/provider-aws/lib/internet-gateway";
import { NatGateway } from "@cdktf/provider-aws/lib/nat-gateway";
import { Route } from "@cdktf/provider-aws/lib/route";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import type { TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { cidrSubnet, formatCidr, parseCidr } from "../../src/lib/cidr";
import { partitionOf, policyDocument, serviceTrustPolicy } from "../../src/lib/iam";
import { NAME_LIMITS, physicalName, type NameContext } from "../../src/lib/naming";
import { isZoneId, zoneKey, zoneProblem } from "../../src/lib/zones";

/** `single`: one NAT gateway shared by every AZ. `per-az`: one per AZ, so an AZ outage cannot cut egress. */
export type NatStrategy = "single" | "per-az";

/** The three subnet tiers, in the order their CIDR blocks are laid out. */
export const SUBNET_TIERS = ["public", "private", "database"] as const;
export type SubnetTier = (typeof SUBNET_TIERS)[number];

/**
 * Subnet layout: the VPC CIDR is cut into 16 equal blocks (4 extra prefix bits). Tier `t` in AZ `i`
 * gets block `t * 4 + i`, so adding an AZ never renumbers an existing subnet and blocks 12-15 stay
 * free for later tiers. A /16 gives /20 subnets; a /24 gives /28, the smallest AWS allows.
 */
export const SUBNET_NEWBITS = 4;
export const SUBNET_SLOTS_PER_TIER = 4;

/** The CIDR block of a tier's subnet in the AZ at `azIndex`. */
export function subnetCidr(vpcCidr: string, tier: SubnetTier, azIndex: number): string {
  const parent = parseCidr(vpcCidr);
  if (typeof parent === "string") {
    throw new Error(parent);
  }
  if (azIndex >= SUBNET_SLOTS_PER_TIER) {
    throw new Error(`the subnet layout has room for ${SUBNET_SLOTS_PER_TIER} availability zones`);
  }
  const slot = SUBNET_TIERS.indexOf(tier) * SUBNET_SLOTS_PER_TIER + azIndex;
  return formatCidr(cidrSubnet(parent, SUBNET_NEWBITS, slot));
}

export interface NetworkProps {
  readonly naming: NameContext;
  /** Account id, for the flow-log role's confused-deputy condition. */
  readonly accountId: string;
  /** Region, for the S3 endpoint's service name and ARNs. */
  readonly region: string;
  /** IPv4 CIDR of the VPC, /16 to /24. */
  readonly cidr: string;
  /**
   * Availability zones to spread every tier across (2 to 4), all by zone name (`us-east-1a`) or all
   * by zone ID (`use1-az1`, the same zone in every account). Subnets of zones given by ID set
   * `availability_zone_id`, and their `availability_zone` is known after apply. Per-zone resources
   * are keyed by `zoneKey()` (a zone ID by its position), so their addresses do not depend on the form.
   */
  readonly availabilityZones: readonly string[];
  /** NAT gateway layout for the private tier's egress. @default "per-az" */
  readonly natStrategy?: NatStrategy;
  /** Retention of the VPC flow-log group, in days. @default 365 */
  readonly flowLogRetentionDays?: number;
  /** Traffic the flow log records: ACCEPT, REJECT or ALL. @default "ALL" */
  readonly flowLogTrafficType?: "ACCEPT" | "REJECT" | "ALL";
  /** Add an S3 gateway endpoint to the private route tables (S3 traffic skips the NAT). @default true */
  readonly s3GatewayEndpoint?: boolean;
  /**
   * Tag the public subnets `kubernetes.io/role/elb = 1` and the private ones
   * `kubernetes.io/role/internal-elb = 1`: the subnets EKS Auto Mode's load balancing (and the AWS
   * Load Balancer Controller) places internet-facing and internal load balancers in.
   * @default false
   */
  readonly loadBalancerSubnetTags?: boolean;
}

/** The subnet tags Kubernetes load balancing discovers subnets by, per tier. */
export const LOAD_BALANCER_SUBNET_TAGS: Readonly<Partial<Record<SubnetTier, Readonly<Record<string, string>>>>> = {
  public: { "kubernetes.io/role/elb": "1" },
  private: { "kubernetes.io/role/internal-elb": "1" },
};

/**
 * A VPC with public, private (application) and isolated database subnets in every AZ, an internet
 * gateway, NAT gateway(s), a database subnet group, flow logs, a locked-down default security group
 * and an S3 gateway endpoint. No subnet assigns public IPs on launch.
 */
export class Network extends Construct {
  readonly vpc: Vpc;
  readonly vpcId: string;
  readonly cidr: string;
  readonly publicSubnetIds: string[];
  readonly privateSubnetIds: string[];
  readonly databaseSubnetIds: string[];
  /** The zones as configured (names or IDs), in the order of the subnet lists. */
  readonly availabilityZones: readonly string[];
  /**
   * The zone name of each database subnet, in zone order: a reference to the subnet's
   * `availability_zone`, so it resolves at apply time when zones are given by ID.
   */
  readonly databaseSubnetAvailabilityZones: string[];
  readonly databaseSubnetGroupName: string;
  /** Private route tables, in AZ order (one when `natStrategy` is `single`). */
  readonly privateRouteTableIds: string[];
  readonly natGatewayIds: string[];
  readonly flowLogGroupName: string;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { naming, availabilityZones: azs } = props;
    const natStrategy = props.natStrategy ?? "per-az";
    const name = (component: string) => physicalName(naming, component);
    const tagName = (component: string) => ({ Name: name(component) });

    if (azs.length < 2 || azs.length > SUBNET_SLOTS_PER_TIER) {
      throw new Error(`Network: availabilityZones needs 2 to ${SUBNET_SLOTS_PER_TIER} zones, got ${azs.length}`);
    }
    for (const az of azs) {
      const problem = zoneProblem(props.region, az);
      if (problem) throw new Error(`Network: availabilityZones: ${problem}`);
    }
    if (new Set(azs).size !== azs.length) {
      throw new Error(`Network: availabilityZones has duplicates: ${azs.join(", ")}`);
    }
    if (new Set(azs.map(isZoneId)).size > 1) {
      throw new Error(`Network: availabilityZones mixes zone names and zone IDs (${azs.join(", ")}); use one form`);
    }
    this.availabilityZones = azs;
    // Construct ids (Terraform addresses) use the zone's key; Name tags show the zone as configured.
    const keys = azs.map((az, i) => zoneKey(props.region, az, i));

    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: props.cidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: tagName("vpc"),
    });
    this.vpcId = this.vpc.id;
    this.cidr = props.cidr;

    // Take over the default security group and leave it with no rules, so nothing can use it by accident.
    new DefaultSecurityGroup(this, "default-sg", { vpcId: this.vpc.id, tags: tagName("default-deny") });

    const subnets = (tier: SubnetTier) =>
      azs.map(
        (az, i) =>
          new Subnet(this, `${tier}-${keys[i]}`, {
            vpcId: this.vpc.id,
            ...(isZoneId(az) ? { availabilityZoneId: az } : { availabilityZone: az }),
            cidrBlock: subnetCidr(props.cidr, tier, i),
            mapPublicIpOnLaunch: false,
            tags: { ...tagName(`${tier}-${az}`), Tier: tier, ...(props.loadBalancerSubnetTags ? LOAD_BALANCER_SUBNET_TAGS[tier] : {}) },
          }),
      );
    const publicSubnets = subnets("public");
    const privateSubnets = subnets("private");
    const databaseSubnets = subnets("database");
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.databaseSubnetIds = databaseSubnets.map((s) => s.id);
    this.databaseSubnetAvailabilityZones = databaseSubnets.map((s) => s.availabilityZone);

    // Public tier: default route to the internet gateway.
    const igw = new InternetGateway(this, "igw", { vpcId: this.vpc.id, tags: tagName("igw") });
    const publicRouteTable = new RouteTable(this, "public-rt", { vpcId: this.vpc.id, tags: tagName("public") });
    new Route(this, "public-default-route", {
      routeTableId: publicRouteTable.id,
      destinationCidrBlock: "0.0.0.0/0",
      gatewayId: igw.id,
    });
    publicSubnets.forEach((subnet, i) => {
      new RouteTableAssociation(this, `public-rta-${keys[i]}`, { subnetId: subnet.id, routeTableId: publicRouteTable.id });
    });

    // Private tier: NAT gateway(s) in the public subnets, one route table per NAT.
    const natCount = natStrategy === "single" ? 1 : azs.length;
    const natAzs = azs.slice(0, natCount);
    const natKeys = keys.slice(0, natCount);
    const natGateways = natAzs.map((az, i) => {
      const eip = new Eip(this, `nat-eip-${natKeys[i]}`, { domain: "vpc", tags: tagName(`nat-${az}`) });
      return new NatGateway(this, `nat-${natKeys[i]}`, {
        allocationId: eip.allocationId,
        subnetId: publicSubnets[i].id,
        connectivityType: "public",
        tags: tagName(`nat-${az}`),
        dependsOn: [igw],
      });
    });
    this.natGatewayIds = natGateways.map((n) => n.id);
    const privateRouteTables = natGateways.map((nat, i) => {
      const suffix = natStrategy === "single" ? "private" : `private-${natKeys[i]}`;
      const tag = natStrategy === "single" ? "private" : `private-${natAzs[i]}`;
      const table = new RouteTable(this, `${suffix}-rt`, { vpcId: this.vpc.id, tags: tagName(tag) });
      new Route(this, `${suffix}-default-route`, {
        routeTableId: table.id,
        destinationCidrBlock: "0.0.0.0/0",
        natGatewayId: nat.id,
      });
      return table;
    });
    this.privateRouteTableIds = privateRouteTables.map((t) => t.id);
    privateSubnets.forEach((subnet, i) => {
      const table = natStrategy === "single" ? privateRouteTables[0] : privateRouteTables[i];
      new RouteTableAssociation(this, `private-rta-${keys[i]}`, { subnetId: subnet.id, routeTableId: table.id });
    });

    // Database tier: isolated, with no route beyond the VPC.
    const databaseRouteTable = new RouteTable(this, "database-rt", { vpcId: this.vpc.id, tags: tagName("database") });
    databaseSubnets.forEach((subnet, i) => {
      new RouteTableAssociation(this, `database-rta-${keys[i]}`, {
        subnetId: subnet.id,
        routeTableId: databaseRouteTable.id,
      });
    });
    const subnetGroup = new DbSubnetGroup(this, "db-subnet-group", {
      name: name("database"),
      description: `Isolated database subnets of ${name("vpc")}`,
      subnetIds: this.databaseSubnetIds,
      tags: tagName("database"),
    });
    this.databaseSubnetGroupName = subnetGroup.name;

    if (props.s3GatewayEndpoint ?? true) {
      new VpcEndpoint(this, "s3-endpoint", {
        vpcId: this.vpc.id,
        serviceName: `com.amazonaws.${props.region}.s3`,
        vpcEndpointType: "Gateway",
        routeTableIds: this.privateRouteTableIds,
        tags: tagName("s3"),
      });
    }

    this.flowLogGroupName = vpcFlowLog(this, {
      naming,
      accountId: props.accountId,
      region: props.region,
      vpcId: this.vpc.id,
      component: "flow-logs",
      retentionDays: props.flowLogRetentionDays ?? 365,
      trafficType: props.flowLogTrafficType ?? "ALL",
    });
  }
}

/** What {@link vpcFlowLog} needs. */
export interface VpcFlowLogProps {
  readonly naming: NameContext;
  readonly accountId: string;
  /** Region of the VPC (the role's confused-deputy condition). */
  readonly region: string;
  readonly vpcId: string;
  /**
   * Names the log group (`/aws/vpc/<project>-<env>-<component>`), the role (`<project>-<env>-vpc-<component>`)
   * and, without a trailing `s`, the flow log's Name tag (`flow-logs` -> `<project>-<env>-flow-log`).
   */
  readonly component: string;
  readonly retentionDays: number;
  readonly trafficType: "ACCEPT" | "REJECT" | "ALL";
  /** Provider of the VPC's region. @default the stack's default provider */
  readonly provider?: TerraformProvider;
}

/**
 * VPC flow logs to a CloudWatch log group with retention, through a role only VPC Flow Logs of this
 * account may assume and that may only write to that group. Creates `flow-log-group`,
 * `flow-log-role`, `flow-log-policy` and `flow-log` in `scope`; returns the log group's name.
 */
export function vpcFlowLog(scope: Construct, props: VpcFlowLogProps): string {
  const { naming } = props;
  const provider = props.provider ? { provider: props.provider } : {};
  const flowLogGroup = new CloudwatchLogGroup(scope, "flow-log-group", {
    ...provider,
    name: `/aws/vpc/${physicalName(naming, props.component)}`,
    retentionInDays: props.retentionDays,
  });
  const partition = partitionOf(props.region);
  const flowLogRole = new IamRole(scope, "flow-log-role", {
    ...provider,
    name: physicalName(naming, `vpc-${props.component}`, { maxLength: NAME_LIMITS.iamRole }),
    description: "Lets VPC Flow Logs write to the VPC's flow-log group",
    assumeRolePolicy: serviceTrustPolicy(
      "vpc-flow-logs.amazonaws.com",
      props.accountId,
      `arn:${partition}:ec2:${props.region}:${props.accountId}:vpc-flow-log/*`,
    ),
  });
  new IamRolePolicy(scope, "flow-log-policy", {
    ...provider,
    name: "write-flow-logs",
    role: flowLogRole.id,
    policy: policyDocument([
      {
        Sid: "WriteFlowLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [flowLogGroup.arn, `${flowLogGroup.arn}:*`],
      },
    ]),
  });
  new FlowLog(scope, "flow-log", {
    ...provider,
    vpcId: props.vpcId,
    trafficType: props.trafficType,
    logDestinationType: "cloud-watch-logs",
    logDestination: flowLogGroup.arn,
    iamRoleArn: flowLogRole.arn,
    maxAggregationInterval: 60,
    tags: { Name: physicalName(naming, props.component.replace(/s$/, "")) },
  });
  return flowLogGroup.name;
}

export interface IsolatedNetworkProps {
  readonly naming: NameContext;
  /** Account id, for the flow-log role's confused-deputy condition. */
  readonly accountId: string;
  /** Region of the network; `provider` must point there. */
  readonly region: string;
  /** Provider of `region` (for the disaster-recovery region, the stack's `aws.dr` alias). @default the stack's default provider */
  readonly provider?: TerraformProvider;
  /** IPv4 CIDR of the VPC, /16 to /24; the subnets take the database tier's blocks of the {@link subnetCidr} layout. */
  readonly cidr: string;
  /** Zones of the subnets (2 to 4), all names or all zone IDs of `region`. */
  readonly availabilityZones: readonly string[];
  /** Prefix of the physical names (`<project>-<env>-<prefix>-...`), so they do not collide with the workspace's own network. */
  readonly namePrefix: string;
  /** Retention of the flow-log group, in days. @default 365 */
  readonly flowLogRetentionDays?: number;
}

/**
 * A VPC with isolated subnets only (no internet gateway, no NAT, no route out of the VPC): the
 * database tier of {@link Network} on its own, for a database that nothing reaches from outside its
 * VPC (the secondary cluster of a global database). The subnets use the database tier's blocks of
 * the {@link subnetCidr} layout; also a DB subnet group, the default security group taken over with
 * no rules, and flow logs ({@link vpcFlowLog}). Every resource goes through `provider`.
 */
export class IsolatedNetwork extends Construct {
  readonly vpc: Vpc;
  readonly vpcId: string;
  readonly subnetIds: string[];
  readonly dbSubnetGroupName: string;
  /** The zone name of each subnet (a reference; resolves at apply time when zones are given by ID). */
  readonly subnetAvailabilityZones: string[];
  readonly flowLogGroupName: string;

  constructor(scope: Construct, id: string, props: IsolatedNetworkProps) {
    super(scope, id);
    const { naming, availabilityZones: azs, region } = props;
    const provider = props.provider ? { provider: props.provider } : {};
    const name = (component: string) => physicalName(naming, `${props.namePrefix}-${component}`);
    if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(props.namePrefix)) {
      throw new Error(`IsolatedNetwork: namePrefix must be lower-case letters, digits and single hyphens, got "${props.namePrefix}"`);
    }
    if (azs.length < 2 || azs.length > SUBNET_SLOTS_PER_TIER) {
      throw new Error(`IsolatedNetwork: availabilityZones needs 2 to ${SUBNET_SLOTS_PER_TIER} zones, got ${azs.length}`);
    }
    for (const az of azs) {
      const problem = zoneProblem(region, az);
      if (problem) throw new Error(`IsolatedNetwork: availabilityZones: ${problem}`);
    }
    if (new Set(azs).size !== azs.length) throw new Error(`IsolatedNetwork: availabilityZones has duplicates: ${azs.join(", ")}`);
    if (new Set(azs.map(isZoneId)).size > 1) {
      throw new Error(`IsolatedNetwork: availabilityZones mixes zone names and zone IDs (${azs.join(", ")}); use one form`);
    }
    const parsed = parseCidr(props.cidr);
    if (typeof parsed === "string") throw new Error(`IsolatedNetwork: cidr: ${parsed}`);
    const keys = azs.map((az, i) => zoneKey(region, az, i));

    this.vpc = new Vpc(this, "vpc", { ...provider, cidrBlock: props.cidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { Name: name("vpc") } });
    this.vpcId = this.vpc.id;
    new DefaultSecurityGroup(this, "default-sg", { ...provider, vpcId: this.vpc.id, tags: { Name: name("default-deny") } });
    const subnets = azs.map(
      (az, i) =>
        new Subnet(this, `database-${keys[i]}`, {
          ...provider,
          vpcId: this.vpc.id,
          ...(isZoneId(az) ? { availabilityZoneId: az } : { availabilityZone: az }),
          cidrBlock: subnetCidr(props.cidr, "database", i),
          mapPublicIpOnLaunch: false,
          tags: { Name: name(`database-${az}`), Tier: "database" },
        }),
    );
    this.subnetIds = subnets.map((s) => s.id);
    this.subnetAvailabilityZones = subnets.map((s) => s.availabilityZone);
    // Isolated: one route table with only the VPC's local route.
    const routeTable = new RouteTable(this, "database-rt", { ...provider, vpcId: this.vpc.id, tags: { Name: name("database") } });
    subnets.forEach((subnet, i) => {
      new RouteTableAssociation(this, `database-rta-${keys[i]}`, { ...provider, subnetId: subnet.id, routeTableId: routeTable.id });
    });
    const subnetGroup = new DbSubnetGroup(this, "db-subnet-group", {
      ...provider,
      name: name("database"),
      description: `Isolated database subnets of ${name("vpc")}`,
      subnetIds: this.subnetIds,
      tags: { Name: name("database") },
    });
    this.dbSubnetGroupName = subnetGroup.name;
    this.flowLogGroupName = vpcFlowLog(this, {
      naming,
      accountId: props.accountId,
      region,
      vpcId: this.vpc.id,
      component: `${props.namePrefix}-flow-logs`,
      retentionDays: props.flowLogRetentionDays ?? 365,
      trafficType: "ALL",
      provider: props.provider,
    });
  }
}

import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { TerraformOutput } from "cdktf";
import { describe, expect, it } from "vitest";
import { Network, subnetCidr, type NetworkProps } from "../modules/vpc";
import { TEST_ACCOUNT, ref, resourcesOf, synthConstruct, testNaming, type SynthJson } from "./helpers";

const base: NetworkProps = {
  naming: testNaming,
  accountId: TEST_ACCOUNT,
  region: "eu-west-1",
  cidr: "10.0.0.0/16",
  availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
};

function network(overrides: Partial<NetworkProps> = {}) {
  return synthConstruct((stack) => new Network(stack, "network", { ...base, ...overrides }));
}

function idOf(json: SynthJson, type: string, name: string): string {
  const entry = Object.entries(resourcesOf(json, type)).find(([, r]) => r.tags?.Name === name);
  if (!entry) throw new Error(`no ${type} named ${name}`);
  return entry[0];
}

describe("subnet layout", () => {
  it("cuts the VPC into 16 blocks, tier-major, so adding an AZ renumbers nothing", () => {
    expect(subnetCidr("10.0.0.0/16", "public", 0)).toBe("10.0.0.0/20");
    expect(subnetCidr("10.0.0.0/16", "public", 2)).toBe("10.0.32.0/20");
    expect(subnetCidr("10.0.0.0/16", "private", 0)).toBe("10.0.64.0/20");
    expect(subnetCidr("10.0.0.0/16", "database", 1)).toBe("10.0.144.0/20");
    expect(subnetCidr("192.168.4.0/24", "database", 3)).toBe("192.168.4.176/28");
  });

  it("refuses a fifth AZ", () => {
    expect(() => subnetCidr("10.0.0.0/16", "public", 4)).toThrow(/room for 4 availability zones/);
  });
});

describe("Network", () => {
  it("creates a DNS-enabled VPC with the given CIDR", () => {
    const { synth } = network();
    expect(synth).toHaveResourceWithProperties(Vpc, {
      cidr_block: "10.0.0.0/16",
      enable_dns_hostnames: true,
      enable_dns_support: true,
      tags: { Name: "acme-test-vpc" },
    });
  });

  it("puts one subnet per tier in every AZ with derived CIDRs, none mapping public IPs", () => {
    const { json } = network();
    const subnets = Object.values(resourcesOf(json, "aws_subnet"));
    const vpc = Object.keys(resourcesOf(json, "aws_vpc"))[0];
    expect(subnets).toHaveLength(9);
    for (const subnet of subnets) {
      expect(subnet.map_public_ip_on_launch).toBe(false);
      expect(subnet.vpc_id).toBe(ref("aws_vpc", vpc, "id"));
    }
    const byName = Object.fromEntries(subnets.map((s) => [s.tags.Name, s]));
    expect(byName["acme-test-public-eu-west-1a"]).toMatchObject({ cidr_block: "10.0.0.0/20", availability_zone: "eu-west-1a" });
    expect(byName["acme-test-private-eu-west-1b"]).toMatchObject({ cidr_block: "10.0.80.0/20", availability_zone: "eu-west-1b" });
    expect(byName["acme-test-database-eu-west-1c"]).toMatchObject({ cidr_block: "10.0.160.0/20", availability_zone: "eu-west-1c" });
  });

  it("routes the public tier through the internet gateway", () => {
    const { json } = network();
    const igw = Object.keys(resourcesOf(json, "aws_internet_gateway"))[0];
    const publicRt = idOf(json, "aws_route_table", "acme-test-public");
    const routes = Object.values(resourcesOf(json, "aws_route"));
    expect(routes).toContainEqual(
      expect.objectContaining({
        route_table_id: ref("aws_route_table", publicRt, "id"),
        destination_cidr_block: "0.0.0.0/0",
        gateway_id: ref("aws_internet_gateway", igw, "id"),
      }),
    );
    const publicAssociations = Object.values(resourcesOf(json, "aws_route_table_association")).filter(
      (a) => a.route_table_id === ref("aws_route_table", publicRt, "id"),
    );
    expect(publicAssociations.map((a) => a.subnet_id).sort()).toEqual(
      ["a", "b", "c"].map((az) => ref("aws_subnet", idOf(json, "aws_subnet", `acme-test-public-eu-west-1${az}`), "id")).sort(),
    );
  });

  it("per-az: each AZ's private route table uses the NAT gateway in that AZ's public subnet", () => {
    const { json } = network({ natStrategy: "per-az" });
    expect(Object.keys(resourcesOf(json, "aws_nat_gateway"))).toHaveLength(3);
    expect(Object.keys(resourcesOf(json, "aws_eip"))).toHaveLength(3);
    for (const az of ["a", "b", "c"]) {
      const zone = `eu-west-1${az}`;
      const nat = idOf(json, "aws_nat_gateway", `acme-test-nat-${zone}`);
      expect(resourcesOf(json, "aws_nat_gateway")[nat].subnet_id).toBe(
        ref("aws_subnet", idOf(json, "aws_subnet", `acme-test-public-${zone}`), "id"),
      );
      const table = idOf(json, "aws_route_table", `acme-test-private-${zone}`);
      expect(Object.values(resourcesOf(json, "aws_route"))).toContainEqual(
        expect.objectContaining({
          route_table_id: ref("aws_route_table", table, "id"),
          destination_cidr_block: "0.0.0.0/0",
          nat_gateway_id: ref("aws_nat_gateway", nat, "id"),
        }),
      );
      expect(Object.values(resourcesOf(json, "aws_route_table_association"))).toContainEqual({
        subnet_id: ref("aws_subnet", idOf(json, "aws_subnet", `acme-test-private-${zone}`), "id"),
        route_table_id: ref("aws_route_table", table, "id"),
      });
    }
  });

  it("single: one NAT gateway and one private route table shared by every AZ", () => {
    const { json } = network({ natStrategy: "single" });
    expect(Object.keys(resourcesOf(json, "aws_nat_gateway"))).toHaveLength(1);
    const table = ref("aws_route_table", idOf(json, "aws_route_table", "acme-test-private"), "id");
    const privateAssociations = Object.values(resourcesOf(json, "aws_route_table_association")).filter(
      (a) => a.route_table_id === table,
    );
    expect(privateAssociations).toHaveLength(3);
  });

  it("keeps the database tier isolated: its route table has no routes", () => {
    const { json } = network();
    const dbTable = ref("aws_route_table", idOf(json, "aws_route_table", "acme-test-database"), "id");
    expect(Object.values(resourcesOf(json, "aws_route")).filter((r) => r.route_table_id === dbTable)).toEqual([]);
    expect(Object.values(resourcesOf(json, "aws_route_table_association")).filter((a) => a.route_table_id === dbTable)).toHaveLength(3);
  });

  it("groups the database subnets for RDS", () => {
    const { synth, json } = network();
    expect(synth).toHaveResourceWithProperties(DbSubnetGroup, {
      name: "acme-test-database",
      subnet_ids: ["a", "b", "c"].map((az) =>
        ref("aws_subnet", idOf(json, "aws_subnet", `acme-test-database-eu-west-1${az}`), "id"),
      ),
    });
  });

  it("takes over the default security group with no rules", () => {
    const { json } = network();
    const sg = Object.values(resourcesOf(json, "aws_default_security_group"));
    expect(sg).toHaveLength(1);
    expect(sg[0].ingress ?? []).toEqual([]);
    expect(sg[0].egress ?? []).toEqual([]);
  });

  it("adds an S3 gateway endpoint to the private route tables only", () => {
    const { synth, json } = network();
    const privateTables = ["a", "b", "c"].map((az) =>
      ref("aws_route_table", idOf(json, "aws_route_table", `acme-test-private-eu-west-1${az}`), "id"),
    );
    expect(synth).toHaveResourceWithProperties(VpcEndpoint, {
      service_name: "com.amazonaws.eu-west-1.s3",
      vpc_endpoint_type: "Gateway",
      route_table_ids: privateTables,
    });
    expect(network({ s3GatewayEndpoint: false }).json.resource.aws_vpc_endpoint).toBeUndefined();
  });

  it("sends all flow logs to a retained log group through a least-privilege role", () => {
    const { synth, json } = network({ flowLogRetentionDays: 30 });
    const group = Object.keys(resourcesOf(json, "aws_cloudwatch_log_group"))[0];
    expect(resourcesOf(json, "aws_cloudwatch_log_group")[group]).toMatchObject({
      name: "/aws/vpc/acme-test-flow-logs",
      retention_in_days: 30,
    });
    const role = Object.keys(resourcesOf(json, "aws_iam_role"))[0];
    expect(synth).toHaveResourceWithProperties(FlowLog, {
      traffic_type: "ALL",
      log_destination_type: "cloud-watch-logs",
      log_destination: ref("aws_cloudwatch_log_group", group, "arn"),
      iam_role_arn: ref("aws_iam_role", role, "arn"),
    });

    const trust = JSON.parse(resourcesOf(json, "aws_iam_role")[role].assume_role_policy);
    expect(trust.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "vpc-flow-logs.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": TEST_ACCOUNT },
          ArnLike: { "aws:SourceArn": `arn:aws:ec2:eu-west-1:${TEST_ACCOUNT}:vpc-flow-log/*` },
        },
      },
    ]);
    const policy = JSON.parse(Object.values(resourcesOf(json, "aws_iam_role_policy"))[0].policy);
    expect(policy.Statement).toHaveLength(1);
    expect(policy.Statement[0].Action).toEqual(["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]);
    expect(policy.Statement[0].Resource).toEqual([
      ref("aws_cloudwatch_log_group", group, "arn"),
      `${ref("aws_cloudwatch_log_group", group, "arn")}:*`,
    ]);
  });

  it("refuses fewer than two availability zones", () => {
    expect(() => network({ availabilityZones: ["eu-west-1a"] })).toThrow(/needs 2 to 4 zones, got 1/);
  });

  it.each([
    ["a zone of another region", ["eu-west-1a", "us-east-1b"], /^Network: availabilityZones: "us-east-1b" is neither a zone name \(eu-west-1a\) nor a zone ID \(euw1-az1\) of region eu-west-1$/],
    ["a zone ID of another region", ["euw1-az1", "use1-az2"], /^Network: availabilityZones: "use1-az2" is not a zone ID of region eu-west-1 \(those start with "euw1-az"\)$/],
    ["names and IDs mixed", ["euw1-az1", "eu-west-1b"], /^Network: availabilityZones mixes zone names and zone IDs \(euw1-az1, eu-west-1b\); use one form$/],
    ["a duplicate zone", ["euw1-az1", "euw1-az1"], /^Network: availabilityZones has duplicates: euw1-az1, euw1-az1$/],
  ])("refuses %s", (_what, availabilityZones, message) => {
    expect(() => network({ availabilityZones })).toThrow(message);
  });
});

describe("Network with zones given by ID", () => {
  const byId = network({ availabilityZones: ["euw1-az2", "euw1-az3", "euw1-az1"] }).json;
  const byName = network().json;

  it("sets availability_zone_id on every subnet and leaves availability_zone to AWS", () => {
    const subnets = Object.values(resourcesOf(byId, "aws_subnet"));
    const byTag = Object.fromEntries(subnets.map((s) => [s.tags.Name, s]));
    expect(byTag["acme-test-public-euw1-az2"]).toMatchObject({ cidr_block: "10.0.0.0/20", availability_zone_id: "euw1-az2" });
    expect(byTag["acme-test-private-euw1-az3"]).toMatchObject({ cidr_block: "10.0.80.0/20", availability_zone_id: "euw1-az3" });
    expect(byTag["acme-test-database-euw1-az1"]).toMatchObject({ cidr_block: "10.0.160.0/20", availability_zone_id: "euw1-az1" });
    for (const subnet of subnets) expect(subnet).not.toHaveProperty("availability_zone");
    for (const subnet of Object.values(resourcesOf(byName, "aws_subnet"))) expect(subnet).not.toHaveProperty("availability_zone_id");
  });

  it("keeps every address of the same layout by zone name: switching <region>a, b, c to their IDs replaces nothing", () => {
    const addresses = (json: SynthJson) => Object.entries(json.resource).flatMap(([type, items]) => Object.keys(items).map((id) => `${type}.${id}`)).sort();
    expect(addresses(byId)).toEqual(addresses(byName));
    // Same address, same CIDR: only availability_zone becomes computed (and the Name tag shows the ID).
    const cidrs = (json: SynthJson) => Object.fromEntries(Object.entries(resourcesOf(json, "aws_subnet")).map(([id, s]) => [id, s.cidr_block]));
    expect(cidrs(byId)).toEqual(cidrs(byName));
  });

  it("gives the database subnets' zones as references that resolve at apply time", () => {
    let zones: string[] = [];
    const { json } = synthConstruct((stack) => {
      const net = new Network(stack, "network", { ...base, availabilityZones: ["euw1-az2", "euw1-az3"] });
      zones = net.databaseSubnetAvailabilityZones;
      new TerraformOutput(stack, "zones", { value: zones });
    });
    const database = Object.entries(resourcesOf(json, "aws_subnet")).filter(([, s]) => s.tags.Tier === "database").map(([id]) => id);
    expect(json.output?.zones.value).toEqual(database.map((id) => ref("aws_subnet", id, "availability_zone")));
  });
});

import type { EnvironmentInput } from "../src/config/schema";

/** Production workspace: three AZs, a NAT gateway per AZ, long retention. */
export const prod: EnvironmentInput = {
  project: "acme",
  name: "prod",
  accountId: "123456789012",
  region: "us-east-1",
  availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"],
  tags: {
    Owner: "platform-team",
    CostCenter: "cc-2001",
  },
  state: {
    bucket: "acme-terraform-state-123456789012",
    lockTable: "acme-terraform-locks",
  },
  network: {
    cidr: "10.20.0.0/16",
    natStrategy: "per-az",
    flowLogRetentionDays: 365,
  },
  ecr: {
    repositories: [{ name: "web", keepLastTagged: 50, untaggedExpiryDays: 7 }],
  },
};

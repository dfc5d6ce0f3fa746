import type { EnvironmentInput } from "../src/config/schema";

/** Development workspace: two AZs, one NAT gateway, short retention. */
export const dev: EnvironmentInput = {
  project: "acme",
  name: "dev",
  accountId: "123456789012",
  region: "us-east-1",
  availabilityZones: ["us-east-1a", "us-east-1b"],
  tags: {
    Owner: "platform-team",
    CostCenter: "cc-1001",
  },
  state: {
    bucket: "acme-terraform-state-123456789012",
    lockTable: "acme-terraform-locks",
  },
  network: {
    cidr: "10.10.0.0/16",
    natStrategy: "single",
    flowLogRetentionDays: 30,
  },
  ecr: {
    repositories: [{ name: "web", keepLastTagged: 20, untaggedExpiryDays: 3 }],
  },
};

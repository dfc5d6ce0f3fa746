import { describe, expect, it } from "vitest";
import { cidrSubnet, formatCidr, parseCidr } from "../src/lib/cidr";
import { partitionOf } from "../src/lib/iam";
import { isZoneId, zoneIdPrefix, zoneKey, zoneProblem } from "../src/lib/zones";
import { physicalName } from "../src/lib/naming";

describe("physicalName", () => {
  const ctx = { project: "acme", environment: "prod" };

  it("joins project, environment and component in lower case", () => {
    expect(physicalName(ctx, "Web Service")).toBe("acme-prod-web-service");
  });

  it("shortens long names deterministically with a hash suffix within the limit", () => {
    const long = physicalName(ctx, "a-very-long-component-name-for-a-load-balancer", { maxLength: 32 });
    expect(long).toHaveLength(32);
    expect(long).toMatch(/^acme-prod-a-very-long-com-[0-9a-f]{6}$/);
    expect(physicalName(ctx, "a-very-long-component-name-for-a-load-balancer", { maxLength: 32 })).toBe(long);
    expect(physicalName(ctx, "a-very-long-component-name-for-a-load-balancer-2", { maxLength: 32 })).not.toBe(long);
  });
});

describe("cidr", () => {
  it("parses and formats a network", () => {
    const parsed = parseCidr("172.16.0.0/20");
    expect(parsed).toEqual({ base: (172 * 2 ** 24 + 16 * 2 ** 16) >>> 0, prefix: 20 });
    expect(formatCidr(parsed as Exclude<typeof parsed, string>)).toBe("172.16.0.0/20");
  });

  it("matches Terraform's cidrsubnet", () => {
    const parent = parseCidr("10.1.0.0/16") as { base: number; prefix: number };
    expect(formatCidr(cidrSubnet(parent, 4, 0))).toBe("10.1.0.0/20");
    expect(formatCidr(cidrSubnet(parent, 4, 15))).toBe("10.1.240.0/20");
    expect(formatCidr(cidrSubnet(parent, 8, 255))).toBe("10.1.255.0/24");
    expect(() => cidrSubnet(parent, 4, 16)).toThrow(/does not fit in 4 bits/);
    expect(() => cidrSubnet(parent, 17, 0)).toThrow(/cannot add 17 bits/);
  });

  it("explains what is wrong with a bad block", () => {
    expect(parseCidr("10.0.0.0")).toMatch(/not an IPv4 CIDR block/);
    expect(parseCidr("10.0.0.0/33")).toMatch(/prefix above \/32/);
  });
});

describe("partitionOf", () => {
  it("knows the China and GovCloud partitions", () => {
    expect(partitionOf("us-east-1")).toBe("aws");
    expect(partitionOf("cn-north-1")).toBe("aws-cn");
    expect(partitionOf("us-gov-west-1")).toBe("aws-us-gov");
  });
});

describe("zones", () => {
  it("derives the zone ID prefix of a region", () => {
    expect(["us-east-1", "eu-west-1", "ap-southeast-2", "ap-northeast-1", "ca-central-1", "sa-east-1", "us-gov-west-1", "eu-north-1"].map(zoneIdPrefix)).toEqual([
      "use1",
      "euw1",
      "apse2",
      "apne1",
      "cac1",
      "sae1",
      "usgw1",
      "eun1",
    ]);
    expect(zoneIdPrefix("us-iso-east-1")).toBeUndefined();
  });

  it("tells zone IDs from names and keys a zone ID by its position", () => {
    expect(isZoneId("use1-az1")).toBe(true);
    expect(isZoneId("us-east-1a")).toBe(false);
    expect(zoneProblem("us-east-1", "use1-az6")).toBeUndefined();
    expect(zoneProblem("us-east-1", "us-east-1f")).toBeUndefined();
    expect(zoneKey("us-east-1", "use1-az4", 2)).toBe("us-east-1c");
    expect(zoneKey("us-east-1", "us-east-1d", 0)).toBe("us-east-1d");
  });
});

import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { describe, expect, it } from "vitest";
import { DynamoTable, TABLE_WRITE_ACTIONS, type DynamoTableProps, type TableAccess } from "../modules/dynamodb";
import { policyDocument } from "../src/lib/iam";
import { decide } from "./iam-model";
import { TEST_ACCOUNT, onlyResource, ref, resourcesOf, synthConstruct, testNaming, type SynthJson } from "./helpers";

const base: DynamoTableProps = {
  naming: testNaming,
  region: "us-east-1",
  accountId: TEST_ACCOUNT,
  name: "carts",
  partitionKey: { name: "customerId", type: "S" },
  sortKey: { name: "cartId", type: "S" },
  globalSecondaryIndexes: [{ name: "by-status", partitionKey: { name: "status", type: "S" }, sortKey: { name: "updatedAt", type: "N" } }],
};

/** Synthesizes a table and, for each grant, a role with the granted statements. */
function table(overrides: Partial<DynamoTableProps> = {}, grants: Array<[string, TableAccess]> = []) {
  let built!: DynamoTable;
  const { json } = synthConstruct((stack) => {
    built = new DynamoTable(stack, "carts", { ...base, ...overrides });
    for (const [name, access] of grants) {
      const role = new IamRole(stack, `${name}-role`, { name, assumeRolePolicy: "{}" });
      new IamRolePolicy(stack, `${name}-policy`, { name, role: role.id, policy: policyDocument(built.grant(role.arn, access)) });
    }
  });
  return { json, built };
}

const TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/acme-test-carts";

/** The statements of role `name`'s policy, with the table's ARN reference made literal. */
function statementsOf(json: SynthJson, name: string): Array<Record<string, any>> {
  const policy = Object.values(resourcesOf(json, "aws_iam_role_policy")).find((p) => p.name === name)!.policy as string;
  const tableId = Object.keys(resourcesOf(json, "aws_dynamodb_table"))[0];
  return JSON.parse(policy.split(ref("aws_dynamodb_table", tableId, "arn")).join(TABLE_ARN)).Statement;
}

describe("DynamoTable", () => {
  it("builds an on-demand table with keys, index, TTL, stream, point-in-time recovery and deletion protection", () => {
    const { json } = table({ ttlAttribute: "expiresAt", streamViewType: "NEW_AND_OLD_IMAGES" });
    const t = onlyResource(json, "aws_dynamodb_table");
    expect(t.name).toBe("acme-test-carts");
    expect(t.billing_mode).toBe("PAY_PER_REQUEST");
    expect(t.hash_key).toBe("customerId");
    expect(t.range_key).toBe("cartId");
    expect(t.attribute).toEqual([
      { name: "customerId", type: "S" },
      { name: "cartId", type: "S" },
      { name: "status", type: "S" },
      { name: "updatedAt", type: "N" },
    ]);
    expect(t.global_secondary_index).toEqual([{ name: "by-status", hash_key: "status", range_key: "updatedAt", projection_type: "ALL" }]);
    expect(t.ttl).toEqual({ enabled: true, attribute_name: "expiresAt" });
    expect(t.point_in_time_recovery).toEqual({ enabled: true });
    expect(t.deletion_protection_enabled).toBe(true);
    expect(t.stream_enabled).toBe(true);
    expect(t.stream_view_type).toBe("NEW_AND_OLD_IMAGES");
    // AWS-owned key: no server-side encryption block, no key, no autoscaling.
    expect(t.server_side_encryption).toBeUndefined();
    expect(resourcesOf(json, "aws_kms_key")).toEqual({});
    expect(resourcesOf(json, "aws_appautoscaling_target")).toEqual({});
  });

  it("turns deletion protection off only when asked", () => {
    expect(onlyResource(table({ deletionProtection: false }).json, "aws_dynamodb_table").deletion_protection_enabled).toBe(false);
  });

  it("scales provisioned read and write capacity of the table and of each index by target tracking", () => {
    const { json } = table({ provisioned: { read: { min: 5, max: 200 }, write: { min: 2, max: 50 }, targetUtilizationPercent: 60 } });
    const t = onlyResource(json, "aws_dynamodb_table");
    expect(t.billing_mode).toBe("PROVISIONED");
    expect([t.read_capacity, t.write_capacity]).toEqual([5, 2]);
    expect(t.global_secondary_index[0]).toMatchObject({ read_capacity: 5, write_capacity: 2 });
    // Target tracking owns the indexes' capacity too: the provider can only ignore the index blocks whole.
    expect(t.lifecycle.ignore_changes).toEqual(["read_capacity", "write_capacity", "global_secondary_index"]);
    const targets = Object.values(resourcesOf(json, "aws_appautoscaling_target"));
    expect(targets.map((x) => [x.resource_id, x.scalable_dimension, x.min_capacity, x.max_capacity]).sort()).toEqual(
      [
        ["table/acme-test-carts", "dynamodb:table:ReadCapacityUnits", 5, 200],
        ["table/acme-test-carts", "dynamodb:table:WriteCapacityUnits", 2, 50],
        ["table/acme-test-carts/index/by-status", "dynamodb:index:ReadCapacityUnits", 5, 200],
        ["table/acme-test-carts/index/by-status", "dynamodb:index:WriteCapacityUnits", 2, 50],
      ].sort(),
    );
    const policies = Object.values(resourcesOf(json, "aws_appautoscaling_policy"));
    expect(policies).toHaveLength(4);
    for (const p of policies) {
      expect(p.policy_type).toBe("TargetTrackingScaling");
      expect(p.target_tracking_scaling_policy_configuration.target_value).toBe(60);
      const metric = p.target_tracking_scaling_policy_configuration.predefined_metric_specification.predefined_metric_type;
      expect(metric).toBe(String(p.name).endsWith("-read") ? "DynamoDBReadCapacityUtilization" : "DynamoDBWriteCapacityUtilization");
    }
  });

  it("grants read access exactly: item reads on the table, Query and Scan on its indexes, nothing else", () => {
    const { json } = table({}, [["reader", "read"]]);
    const statements = statementsOf(json, "reader");
    expect(decide(statements, "dynamodb:GetItem", TABLE_ARN)).toBe("allow");
    expect(decide(statements, "dynamodb:Query", `${TABLE_ARN}/index/by-status`)).toBe("allow");
    expect(decide(statements, "dynamodb:GetItem", `${TABLE_ARN}/index/by-status`)).toBe("implicit-deny");
    for (const action of TABLE_WRITE_ACTIONS) expect(decide(statements, action, TABLE_ARN)).toBe("implicit-deny");
    expect(decide(statements, "dynamodb:DeleteTable", TABLE_ARN)).toBe("implicit-deny");
    expect(decide(statements, "dynamodb:GetItem", `${TABLE_ARN}-other`)).toBe("implicit-deny");
  });

  it("grants read-write access: item writes too, still no table management", () => {
    const { json } = table({}, [["writer", "read-write"]]);
    const statements = statementsOf(json, "writer");
    for (const action of TABLE_WRITE_ACTIONS) expect(decide(statements, action, TABLE_ARN)).toBe("allow");
    expect(decide(statements, "dynamodb:PutItem", `${TABLE_ARN}/index/by-status`)).toBe("implicit-deny");
    expect(decide(statements, "dynamodb:UpdateTable", TABLE_ARN)).toBe("implicit-deny");
  });

  it("with a customer-managed key, names exactly the granted roles in the key policy, through DynamoDB only", () => {
    const { json } = table({ customerManagedKey: true }, [
      ["reader", "read"],
      ["writer", "read-write"],
    ]);
    const keyId = Object.keys(resourcesOf(json, "aws_kms_key"))[0];
    const t = onlyResource(json, "aws_dynamodb_table");
    expect(t.server_side_encryption).toEqual({ enabled: true, kms_key_arn: ref("aws_kms_key", keyId, "arn") });
    const key = onlyResource(json, "aws_kms_key");
    expect(key.enable_key_rotation).toBe(true);
    const policy = JSON.parse(key.policy).Statement as Array<Record<string, any>>;
    expect(policy.map((s) => s.Sid)).toEqual(["EnableAccountAdministration", "AllowTableManagementThroughDynamoDb", "AllowDynamoDbToDescribeTheKey", "AllowGrantedRolesThroughDynamoDb"]);
    const users = policy[3];
    const roleIds = Object.keys(resourcesOf(json, "aws_iam_role"));
    expect(users.Principal.AWS).toEqual(roleIds.map((id) => ref("aws_iam_role", id, "arn")));
    expect(users.Condition.StringEquals).toEqual({ "kms:ViaService": "dynamodb.us-east-1.amazonaws.com", "kms:CallerAccount": TEST_ACCOUNT });
    // The account's own statements: administration (no use of the key) and the table's grant for the deployer.
    expect(policy[0].Action).not.toContain("kms:Decrypt");
    expect(policy[1].Action).toEqual(["kms:CreateGrant", "kms:DescribeKey"]);
    // Each role's own policy: use of the key, only through DynamoDB.
    const keyStatement = statementsOf(json, "reader").find((s) => String(s.Sid).startsWith("UseKeyOf"))!;
    expect(keyStatement.Resource).toBe(ref("aws_kms_key", keyId, "arn"));
    expect(keyStatement.Condition).toEqual({ StringEquals: { "kms:ViaService": "dynamodb.us-east-1.amazonaws.com" } });
  });

  it("names no role in the key policy before a grant", () => {
    const { json } = table({ customerManagedKey: true });
    const policy = JSON.parse(onlyResource(json, "aws_kms_key").policy).Statement as Array<Record<string, any>>;
    expect(policy.map((s) => s.Sid)).not.toContain("AllowGrantedRolesThroughDynamoDb");
  });

  it.each([
    ["an attribute with two types", { globalSecondaryIndexes: [{ name: "x", partitionKey: { name: "cartId", type: "N" as const } }] }, 'DynamoTable: index x declares "cartId" as N, elsewhere it is S'],
    ["two indexes of one name", { globalSecondaryIndexes: [base.globalSecondaryIndexes![0], base.globalSecondaryIndexes![0]] }, "DynamoTable: two global secondary indexes have the same name"],
    ["a target outside 20-90", { provisioned: { read: { min: 1, max: 2 }, write: { min: 1, max: 2 }, targetUtilizationPercent: 95 } }, "DynamoTable: targetUtilizationPercent must be 20-90, got 95"],
    ["min above max", { provisioned: { read: { min: 5, max: 2 }, write: { min: 1, max: 2 } } }, "DynamoTable: provisioned.read needs 1 <= min <= max, got 5-2"],
  ])("refuses %s", (_, overrides, message) => {
    expect(() => table(overrides)).toThrow(message);
  });
});

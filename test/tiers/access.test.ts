import { describe, expect, it } from "vitest";
import { AccessTier, READONLY_USER_VARIABLE } from "../../src/tiers/access";
import { foundationTiers, logicalIdOf, onlyResource, ref, resolved, resourcesOf, securityGroupRef, testContext } from "../helpers";

describe("AccessTier", () => {
  const build = () => {
    const { config, ctx, stack, synth } = testContext();
    const { network, database, compute } = foundationTiers(ctx, config);
    const tier = new AccessTier(ctx, { access: config.access, network, database, compute });
    return { tier, ctx, stack, json: synth(), config };
  };

  it("admits the host to PostgreSQL and opens the host's egress to the database only on 5432", () => {
    const { json } = build();
    const hostSg = securityGroupRef(json, "acme-dev-access-host");
    const dbSg = securityGroupRef(json, "acme-dev-db");
    const ingress = Object.values(resourcesOf(json, "aws_vpc_security_group_ingress_rule")).filter((r) => r.referenced_security_group_id === hostSg);
    expect(ingress).toEqual([expect.objectContaining({ security_group_id: dbSg, from_port: 5432, to_port: 5432, ip_protocol: "tcp" })]);
    const egress = Object.values(resourcesOf(json, "aws_vpc_security_group_egress_rule")).filter((r) => r.security_group_id === hostSg);
    expect(egress.map((e) => e.referenced_security_group_id ?? e.cidr_ipv4).sort()).toEqual(["0.0.0.0/0", dbSg].sort());
  });

  it("starts the host in the private subnets and scopes the developer role to this cluster's read-only user", () => {
    const { json } = build();
    const group = onlyResource(json, "aws_autoscaling_group");
    expect(group.vpc_zone_identifier).toEqual(Object.keys(resourcesOf(json, "aws_subnet")).filter((id) => id.includes("private")).map((id) => ref("aws_subnet", id, "id")));
    const cluster = logicalIdOf(json, "aws_rds_cluster", () => true);
    const policy = Object.values(resourcesOf(json, "aws_iam_role_policy")).find((p) => p.name === "developer-access")!;
    const connect = JSON.parse(policy.policy).Statement.find((s: any) => s.Sid === "ConnectAsReadOnlyUser");
    expect(connect.Resource).toBe(`arn:aws:rds-db:us-east-1:111122223333:dbuser:${ref("aws_rds_cluster", cluster, "cluster_resource_id")}/app_readonly`);
  });

  it("tells the migrate task which read-only role to create, and declares its outputs", () => {
    const { json, stack } = build();
    const migrate = Object.values(resourcesOf(json, "aws_ecs_task_definition")).find((t) => t.family === "acme-dev-migrate")!;
    expect(JSON.parse(migrate.container_definitions)[0].environment).toContainEqual({ name: READONLY_USER_VARIABLE, value: "app_readonly" });
    expect(Object.keys(json.output ?? {})).toEqual(expect.arrayContaining(["access_host_group", "developer_role_arn", "access_session_log_group", "database_read_only_user"]));
    expect(resolved(stack, json.output!.database_read_only_user.value)).toBe("app_readonly");
  });

  it("refuses to be built for a workspace without access", () => {
    const { config, ctx } = testContext({ mutate: (c) => (c.access.enabled = false) });
    const { network, database, compute } = foundationTiers(ctx, config);
    expect(() => new AccessTier(ctx, { access: config.access, network, database, compute })).toThrow("AccessTier: built only when access.enabled is true (environments/dev.ts)");
  });
});

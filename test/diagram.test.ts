import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildDiagram, diagramFiles, INTERNET, toMermaid, type Diagram } from "../src/lib/diagram";
import { REPO_ROOT } from "../src/lib/paths";
import { stackResources, type StackModel, type StackResource } from "../src/lib/stack-model";
import { platformModels } from "./platform-models";

const workspaces = () => platformModels().filter((m) => m.config);

/** A stack model from hand-written resources (`type.name` -> values, with `//` paths). */
function model(resources: Record<string, Record<string, Record<string, unknown>>>, tiers: Record<string, string> = {}): StackModel {
  const json = { resource: Object.fromEntries(Object.entries(resources).map(([type, byName]) => [type, Object.fromEntries(Object.entries(byName).map(([name, values]) => [name, { "//": { metadata: { path: `test/${values.path}` } }, ...values }]))])) };
  return { name: "test", json, resources: stackResources(json), tiers: new Map(Object.entries(tiers)) };
}

/** The solid (security-group) edges of a Mermaid flowchart: from, ports, to. */
function networkEdges(mermaid: string): Array<{ from: string; ports: string[]; to: string }> {
  return [...mermaid.matchAll(/^ {2}(\S+) -->\|"([^"]+)"\| (\S+)$/gm)].map((m) => ({ from: m[1], ports: m[2].split(", "), to: m[3] }));
}

/**
 * Checks one drawn security-group edge against the stack's JSON, independently of the diagram's own
 * edge derivation: some ingress rule on a group of `to` admits a group of `from` (or any address,
 * from the internet), or some egress rule on a group of `from` allows a group of `to`, on `port`.
 */
function ruleFor(diagram: Diagram, resources: readonly StackResource[], edge: { from: string; to: string }, port: string): StackResource | undefined {
  const groupsOf = (id: string): Set<string> => {
    const node = diagram.nodes.find((n) => n.id === id);
    const own = (node?.resources ?? []).filter((r) => !r.type.startsWith("aws_vpc_security_group_"));
    return new Set(own.flatMap((r) => [...JSON.stringify(r.values).matchAll(/\$\{(aws_security_group\.[A-Za-z0-9_-]+)\.id\}/g)].map((m) => m[1])).concat(own.filter((r) => r.type === "aws_security_group").map((r) => r.address)));
  };
  const group = (value: unknown) => /^\$\{(aws_security_group\.[A-Za-z0-9_-]+)\.id\}$/.exec(String(value))?.[1];
  const [protocol, ports] = port.split("/");
  const matches = (r: StackResource) => r.values.ip_protocol === protocol && `${r.values.from_port}` === ports.split("-")[0] && `${r.values.to_port}` === (ports.split("-")[1] ?? ports);
  const [fromGroups, toGroups] = [edge.from === INTERNET ? new Set<string>() : groupsOf(edge.from), groupsOf(edge.to)];
  return resources.find(
    (r) =>
      matches(r) &&
      ((r.type === "aws_vpc_security_group_ingress_rule" &&
        toGroups.has(group(r.values.security_group_id)!) &&
        (edge.from === INTERNET ? r.values.cidr_ipv4 === "0.0.0.0/0" : fromGroups.has(group(r.values.referenced_security_group_id)!))) ||
        (r.type === "aws_vpc_security_group_egress_rule" && fromGroups.has(group(r.values.security_group_id)!) && toGroups.has(group(r.values.referenced_security_group_id)!))),
  );
}

describe("committed diagrams (docs/diagrams)", () => {
  it("are current: regenerating them from the code changes nothing (run npm run diagram)", async () => {
    const stale: string[] = [];
    for (const file of await diagramFiles(platformModels())) {
      let committed = "";
      try {
        committed = readFileSync(join(REPO_ROOT, file.path), "utf8");
      } catch {
        // missing counts as stale
      }
      if (committed !== file.content) stale.push(file.path);
    }
    expect(stale).toEqual([]);
  });

  it("cover every workspace, and README links each", () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    expect(workspaces().map((m) => m.name)).toEqual(["dev", "prod", "staging-eks"]);
    for (const m of workspaces()) {
      expect(readme).toContain(`(docs/diagrams/${m.name}.md)`);
      expect(readme).toContain(`(docs/diagrams/${m.name}.svg)`);
    }
  });

  it.each(["dev", "prod"])("%s: every security-group edge drawn matches a rule in the JSON", (name) => {
    const m = workspaces().find((w) => w.name === name)!;
    const diagram = buildDiagram(m);
    const edges = networkEdges(readFileSync(join(REPO_ROOT, `docs/diagrams/${name}.md`), "utf8"));
    expect(edges.length).toBeGreaterThanOrEqual(7);
    const unmatched = edges.flatMap((e) => e.ports.filter((p) => !ruleFor(diagram, m.resources, e, p)).map((p) => `${e.from} -> ${e.to} ${p}`));
    expect(unmatched).toEqual([]);
    // The check can fail: a port no rule opens is refused.
    expect(ruleFor(diagram, m.resources, edges[0], "tcp/6379")).toBeUndefined();
  });

  it("prod: the edge, service, data and pipeline paths are drawn", () => {
    const diagram = buildDiagram(workspaces().find((w) => w.name === "prod")!);
    const edge = (from: string, to: string) => diagram.edges.find((e) => e.from === from && e.to === to);
    // The internet reaches CloudFront; the load balancer admits only CloudFront's prefix list (listed, not drawn).
    expect(edge(INTERNET, "alb_alb")).toBeUndefined();
    expect(edge(INTERNET, "static_site_distribution")?.label).toBe("HTTPS");
    expect(edge("static_site_distribution", "static_site_bucket_bucket")?.label).toBe("origin");
    // The API origin is the load balancer's own name (origin.app.example.com, the HTTPS endpoint's record).
    expect(edge("static_site_distribution", "https_certificate")?.label).toBe("origin");
    // Behind CloudFront the web ACL is the distribution's; the load balancer has none of its own.
    expect(diagram.nodes.some((n) => n.id === "static_site_waf_web_acl")).toBe(true);
    expect(diagram.nodes.some((n) => n.id === "waf_web_acl")).toBe(false);
    expect(edge("alb_alb", "web_service")?.label).toBe("tcp/8000");
    expect(edge("web_service", "database_cluster")?.label).toBe("tcp/5432");
    expect(edge("web_service", "worker_default_queue")?.label).toBe("sends");
    expect(edge("worker_default_queue", "worker_default_service")?.label).toBe("consumes");
    expect(edge("schedule_group_group", "scheduled_nightly_report_schedule")?.label).toBe("runs");
    expect(edge("pipeline_landing_bucket", "pipeline_queue")?.label).toBe("object created");
    expect(edge("pipeline_queue", "pipeline_function")?.label).toBe("consumes, polls");
    expect(edge("pipeline_function", "pipeline_application")?.label).toBe("starts jobs");
    expect(edge("pipeline_application", "database_cluster")?.label).toBe("tcp/5432");
    expect(edge("budget_budget", "monitoring_topic")?.label).toBe("alerts");
    const node = (id: string) => diagram.nodes.find((n) => n.id === id)!;
    expect(node("network_nat_us_east_1a")).toMatchObject({ label: "NAT gateway x3", tier: "NetworkTier", placement: { subnets: "public" } });
    expect(node("database_cluster").placement.subnets).toBe("isolated");
    expect(node("web_service").placement.subnets).toBe("private");
    expect(node("monitoring_topic").tier).toBe("OperationsTier");
    // The api service's EC2 capacity is built by the compute tier, and web reaches api on its port.
    expect(node("api_capacity_group")).toMatchObject({ tier: "ComputeTier", placement: { subnets: "private" } });
    expect(edge("web_service", "api_service")?.label).toBe("tcp/9000");
    // The task definition, its roles and logs fold into the service that runs it.
    expect(node("web_service").resources.map((r) => r.path)).toEqual(expect.arrayContaining(["web-task/task-definition", "web-task/task-role", "web/tasks/sg"]));
    // Tens of boxes, not hundreds of resources (the data API's four stores and two tables included).
    expect(diagram.nodes.length).toBeLessThan(60);
    expect(m(diagram)).toBeGreaterThan(150);
  });
});

const m = (diagram: Diagram) => diagram.nodes.reduce((n, node) => n + node.resources.length, 0);

describe("buildDiagram on resources it does not know", () => {
  const stack = model(
    {
      aws_foo_widget: { widget: { path: "mystery/widget", name: "w" } },
      aws_foo_widget_policy: { policy: { path: "mystery/policy", widget: "${aws_foo_widget.widget.id}" } },
      aws_sqs_queue: {
        queue: { path: "jobs/queue", name: "jobs", redrive_policy: '{"deadLetterTargetArn":"${aws_sqs_queue.dlq.arn}"}' },
        dlq: { path: "jobs/dlq", name: "jobs-dlq" },
      },
      aws_sqs_queue_policy: { qp: { path: "jobs/queue-policy", queue_url: "${aws_sqs_queue.queue.id}" } },
    },
    { mystery: "MysteryTier" },
  );
  const diagram = buildDiagram(stack);

  it("still shows them, one box per construct, in the tier that built it", () => {
    const box = diagram.nodes.find((n) => n.id === "mystery")!;
    expect(box).toMatchObject({ label: "mystery", kind: "aws_foo_widget", tier: "MysteryTier" });
    expect(box.resources.map((r) => r.type).sort()).toEqual(["aws_foo_widget", "aws_foo_widget_policy"]);
  });

  it("folds a dead-letter queue into its source queue and details into their principal", () => {
    const jobs = diagram.nodes.filter((n) => n.tier === "Other");
    expect(jobs.map((n) => n.label)).toEqual(["jobs"]);
    expect(jobs[0].resources.map((r) => r.address)).toEqual(["aws_sqs_queue.queue", "aws_sqs_queue.dlq", "aws_sqs_queue_policy.qp"]);
    expect(diagram.tiers).toEqual(["MysteryTier", "Other"]);
  });

  it("places boxes by the subnets they use: public, private (NAT) or isolated", () => {
    const net = model({
      aws_vpc: { vpc: { path: "net/vpc", cidr_block: "10.0.0.0/16", tags: { Name: "main" } } },
      aws_internet_gateway: { igw: { path: "net/igw", vpc_id: "${aws_vpc.vpc.id}" } },
      aws_subnet: {
        pub: { path: "net/pub", vpc_id: "${aws_vpc.vpc.id}", availability_zone: "eu-west-1a", cidr_block: "10.0.0.0/24" },
        priv: { path: "net/priv", vpc_id: "${aws_vpc.vpc.id}", availability_zone: "eu-west-1a", cidr_block: "10.0.1.0/24" },
        iso: { path: "net/iso", vpc_id: "${aws_vpc.vpc.id}", availability_zone: "eu-west-1a", cidr_block: "10.0.2.0/24" },
      },
      aws_nat_gateway: { nat: { path: "net/nat", subnet_id: "${aws_subnet.pub.id}" } },
      aws_route_table: {
        pub: { path: "net/pub-rt", route: [{ cidr_block: "0.0.0.0/0", gateway_id: "${aws_internet_gateway.igw.id}" }] },
        priv: { path: "net/priv-rt" },
        iso: { path: "net/iso-rt" },
      },
      aws_route: { r: { path: "net/priv-route", route_table_id: "${aws_route_table.priv.id}", nat_gateway_id: "${aws_nat_gateway.nat.id}" } },
      aws_route_table_association: {
        a: { path: "net/a", subnet_id: "${aws_subnet.pub.id}", route_table_id: "${aws_route_table.pub.id}" },
        b: { path: "net/b", subnet_id: "${aws_subnet.priv.id}", route_table_id: "${aws_route_table.priv.id}" },
        c: { path: "net/c", subnet_id: "${aws_subnet.iso.id}", route_table_id: "${aws_route_table.iso.id}" },
      },
      aws_lambda_function: { fn: { path: "app/fn", function_name: "fn", vpc_config: { subnet_ids: ["${aws_subnet.priv.id}"], security_group_ids: ["${aws_security_group.fn.id}"] } } },
      aws_security_group: { fn: { path: "app/sg", vpc_id: "${aws_vpc.vpc.id}" } },
    });
    const d = buildDiagram(net);
    expect(d.subnetGroups.map((g) => [g.subnets, g.zones])).toEqual([["public", ["eu-west-1a"]], ["private", ["eu-west-1a"]], ["isolated", ["eu-west-1a"]]]);
    expect(d.nodes.find((n) => n.id === "net_nat")?.placement.subnets).toBe("public");
    expect(d.nodes.find((n) => n.id === "app_fn")?.placement.subnets).toBe("private");
    expect(toMermaid(d)).toContain('subgraph g_vpc_private["private subnets, out through NAT, eu-west-1a"]');
  });
});

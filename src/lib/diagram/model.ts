import { referencesIn, topConstruct, valuesAt, type StackModel, type StackResource } from "../stack-model";
import { IAM_FLOWS, KNOWN_KINDS, SECURITY_GROUP_RULE_TYPES, type KnownKind } from "./kinds";

/**
 * The architecture of one synthesized stack at the size a reader can take in: resources collapse
 * into boxes (one per principal resource, with the details of its construct folded in), placed in
 * the subnets they run in, grouped by the tier that built them, with security-group edges (who may
 * open connections to whom, on which port) and data-flow edges (notifications, pollers, IAM grants).
 */

export type SubnetClass = "public" | "private" | "isolated";

export interface Placement {
  /** Address of the VPC the box runs in; none for regional services. */
  readonly vpc?: string;
  /** The subnets it runs in; none when in the VPC but in no subnet (the VPC itself, endpoints). */
  readonly subnets?: SubnetClass;
}

export interface DiagramNode {
  /** Stable id, from the principal resource's construct path (`web_service`). */
  readonly id: string;
  /** Physical name without the `<project>-<env>-` prefix, or the construct path. */
  readonly label: string;
  /** What it is (`ECS service`), from the known kinds, or the most common resource type. */
  readonly kind: string;
  /** How many principal resources the box stands for (NAT gateways of one construct). */
  readonly count: number;
  /** The tier that built it (`ServicesTier`), or `Other`. */
  readonly tier: string;
  readonly placement: Placement;
  /** Every resource the box stands for, principal first. */
  readonly resources: readonly StackResource[];
}

export interface DiagramEdge {
  readonly from: string;
  readonly to: string;
  /** `network`: a security-group rule allows it; `flow`: data moves (notification, poller, IAM grant). */
  readonly type: "network" | "flow";
  /** Port (`tcp/5432`) or verb (`sends`). */
  readonly label: string;
  /** Addresses of the resources the edge is read from. */
  readonly sources: readonly string[];
  /** Drawn without shaping the layout (every label of the edge is a secondary flow). */
  readonly secondary: boolean;
}

export interface SubnetGroup {
  readonly vpc: string;
  readonly subnets: SubnetClass;
  readonly zones: readonly string[];
  readonly cidrs: readonly string[];
}

export interface Diagram {
  readonly stack: string;
  readonly nodes: readonly DiagramNode[];
  readonly edges: readonly DiagramEdge[];
  /** VPC address -> its CIDR. */
  readonly vpcs: ReadonlyMap<string, string>;
  readonly subnetGroups: readonly SubnetGroup[];
  /** Tiers in the order the stack builds them. */
  readonly tiers: readonly string[];
  /** Rules that open a box to any address (egress to 0.0.0.0/0, a prefix list): listed, not drawn. */
  readonly openEgress: ReadonlyArray<{ readonly node: string; readonly label: string; readonly peer: string; readonly rule: string }>;
}

/** The box of the internet, source of the rules that admit any address. */
export const INTERNET = "internet";
const ANYWHERE = new Set(["0.0.0.0/0", "::/0"]);

const kindOf = (r: StackResource): KnownKind | undefined => KNOWN_KINDS[r.type];
const isPrincipal = (r: StackResource) => kindOf(r)?.principal === true;
const segments = (path: string) => path.split("/");

function commonPrefix(a: string, b: string): number {
  const x = segments(a);
  const y = segments(b);
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  return n;
}

const byNumber = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });
const refersTo = (from: StackResource, to: StackResource) => referencesIn(from.values).some((r) => r.address === to.address);

/** A resource's value at a dotted path, when it is a plain string (not a reference). */
function plainString(values: Record<string, any>, path: string): string | undefined {
  const [value] = valuesAt(values, path);
  return typeof value === "string" && !value.includes("${") ? value : undefined;
}

function portLabel(protocol: unknown, from: unknown, to: unknown): string {
  const proto = String(protocol ?? "tcp").toLowerCase();
  if (proto === "-1" || proto === "all") return "all traffic";
  if (from === undefined || from === null || (from === 0 && to === 65535) || from === -1) return `${proto}/all`;
  return from === to ? `${proto}/${from}` : `${proto}/${from}-${to}`;
}

/** Builds the diagram of one stack. */
export function buildDiagram(model: StackModel): Diagram {
  const resources = [...model.resources].sort((a, b) => a.path.localeCompare(b.path) || a.address.localeCompare(b.address));
  const byAddress = new Map(resources.map((r) => [r.address, r]));
  const byConstruct = new Map<string, StackResource[]>();
  for (const r of resources) byConstruct.set(topConstruct(r), [...(byConstruct.get(topConstruct(r)) ?? []), r]);
  const refs = new Map(resources.map((r) => [r.address, new Set(referencesIn(r.values).map((x) => x.address))]));
  const referrers = (target: StackResource, filter: (r: StackResource) => boolean = () => true) =>
    resources.filter((r) => r !== target && filter(r) && refs.get(r.address)!.has(target.address));

  // 1. Principals: a box each, merged per construct where the kind says so, folded into referrers.
  const keyOf = new Map<string, string>();
  const folded = new Map<string, string>();
  for (const p of resources.filter(isPrincipal)) {
    const kind = kindOf(p)!;
    const referrer = kind.foldIntoReferrer
      ?.flatMap((rule) => resources.filter((r) => r.type === rule.type && referencesIn(valuesAt(r.values, rule.attribute)).some((x) => x.address === p.address)))
      .find((r) => r !== p);
    if (referrer) folded.set(p.address, referrer.address);
    else keyOf.set(p.address, kind.mergePerConstruct ? `${topConstruct(p)}/${p.type}` : p.address);
  }
  for (let changed = true; changed; ) {
    changed = false;
    for (const [address, into] of folded) {
      const key = keyOf.get(into);
      if (key && !keyOf.has(address)) {
        keyOf.set(address, key);
        changed = true;
      }
    }
  }
  for (const address of folded.keys()) if (!keyOf.has(address)) keyOf.set(address, address);

  // 2. Details: into the principal of their construct with the longest common path, ties broken by
  // reference; owner attributes first name the box outright (resolved after the others).
  const later: StackResource[] = [];
  for (const d of resources.filter((r) => !keyOf.has(r.address))) {
    if (kindOf(d)?.owner) {
      later.push(d);
      continue;
    }
    const candidates = (byConstruct.get(topConstruct(d)) ?? []).filter(isPrincipal);
    if (candidates.length === 0) continue;
    const best = Math.max(...candidates.map((c) => commonPrefix(c.path, d.path)));
    const tied = candidates.filter((c) => commonPrefix(c.path, d.path) === best);
    const chosen = tied.find((c) => refersTo(d, c) || refersTo(c, d)) ?? tied[0];
    keyOf.set(d.address, keyOf.get(chosen.address)!);
  }
  // 3. Constructs without a principal: one box each, unless a construct sharing the first word of
  // its id has a box (`migrate-sg` joins `migrate-task`).
  for (const [construct, members] of byConstruct) {
    const loose = members.filter((r) => !keyOf.has(r.address) && !kindOf(r)?.owner);
    if (loose.length === 0) continue;
    const word = construct.split("-")[0];
    const sibling = [...byConstruct.entries()].find(([other, rs]) => other !== construct && other.split("-")[0] === word && rs.some((r) => isPrincipal(r)));
    const key = sibling ? keyOf.get(sibling[1].find(isPrincipal)!.address)! : `construct:${construct}`;
    for (const r of loose) keyOf.set(r.address, key);
  }
  for (const d of later) {
    const target = referencesIn(valuesAt(d.values, kindOf(d)!.owner!)).find((x) => keyOf.has(x.address));
    keyOf.set(d.address, target ? keyOf.get(target.address)! : `construct:${topConstruct(d)}`);
  }
  // 4. A security group belongs to the box that uses it (the service, the cluster, the function).
  const ruleTypes = new Set<string>(SECURITY_GROUP_RULE_TYPES);
  for (const sg of resources.filter((r) => r.type === "aws_security_group")) {
    const user = referrers(sg, (r) => !ruleTypes.has(r.type) && r.type !== "aws_security_group" && isPrincipal(r))[0];
    if (user) keyOf.set(sg.address, keyOf.get(user.address)!);
  }

  // Subnets: public (default route to an internet gateway), private (to a NAT gateway), isolated.
  const subnetClass = new Map<string, SubnetClass>();
  const routesOf = new Map<string, string[]>();
  for (const r of resources) {
    if (r.type === "aws_route") {
      const table = referencesIn(r.values.route_table_id)[0]?.address;
      if (table) routesOf.set(table, [...(routesOf.get(table) ?? []), ...referencesIn([r.values.gateway_id, r.values.nat_gateway_id]).map((x) => x.address)]);
    }
    if (r.type === "aws_route_table") {
      routesOf.set(r.address, [...(routesOf.get(r.address) ?? []), ...referencesIn(valuesAt(r.values, "route")).map((x) => x.address)]);
    }
  }
  for (const assoc of resources.filter((r) => r.type === "aws_route_table_association")) {
    const subnet = referencesIn(assoc.values.subnet_id)[0]?.address;
    const table = referencesIn(assoc.values.route_table_id)[0]?.address;
    if (!subnet || !table) continue;
    const targets = routesOf.get(table) ?? [];
    subnetClass.set(subnet, targets.some((t) => t.startsWith("aws_internet_gateway.")) ? "public" : targets.some((t) => t.startsWith("aws_nat_gateway.")) ? "private" : "isolated");
  }
  const subnetsBehind = (address: string): string[] => {
    const r = byAddress.get(address);
    if (!r) return [];
    if (r.type === "aws_subnet") return [address];
    if (r.type === "aws_db_subnet_group" || r.type === "aws_elasticache_subnet_group") return referencesIn(r.values.subnet_ids).map((x) => x.address);
    return [];
  };
  const vpcOfSubnet = (address: string) => referencesIn(byAddress.get(address)?.values.vpc_id)[0]?.address;

  // 5. Boxes.
  const members = new Map<string, StackResource[]>();
  for (const r of resources) members.set(keyOf.get(r.address)!, [...(members.get(keyOf.get(r.address)!) ?? []), r]);
  // Names without what every name of the stack shares: `<project>-<env>-`, the account id, the region's service prefix.
  const config = model.config;
  const shortName = (name: string) => {
    let short = name.replace(/^com\.amazonaws\.[a-z0-9-]+\./, "");
    if (config) {
      const prefix = `${config.project}-${config.name}-`;
      if (short.startsWith(prefix) && short.length > prefix.length) short = short.slice(prefix.length);
      short = short.replace(new RegExp(`-?${config.accountId}-?`), (m) => (m.startsWith("-") && m.endsWith("-") ? "-" : "")) || short;
    }
    return short;
  };
  const idOf = new Map<string, string>();
  const used = new Set<string>([INTERNET]);
  const nodes: DiagramNode[] = [];
  for (const [key, rs] of members) {
    const principals = rs.filter((r) => isPrincipal(r) && !folded.has(r.address));
    const head = principals[0] ?? rs[0];
    let id = (key.startsWith("construct:") ? key.slice(10) : head.path).replace(/[^A-Za-z0-9]+/g, "_");
    while (used.has(id)) id += "_";
    used.add(id);
    idOf.set(key, id);
    const kind = kindOf(head);
    const name = principals.length === 1 && kind ? plainString(head.values, kind.nameAttribute ?? "name") : undefined;
    const label = principals.length > 1 && kind ? `${kind.kind} x${principals.length}` : name ? shortName(name) : key.startsWith("construct:") ? key.slice(10) : head.path;
    const typeCounts = new Map<string, number>();
    for (const r of rs) typeCounts.set(r.type, (typeCounts.get(r.type) ?? 0) + 1);
    const commonest = [...typeCounts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0];
    const ordered = [...principals, ...rs.filter((r) => !principals.includes(r))];
    nodes.push({
      id,
      label,
      kind: principals.length > 1 ? topConstruct(head) : kind?.principal ? kind.kind : (KNOWN_KINDS[commonest]?.kind ?? commonest),
      count: Math.max(principals.length, 1),
      tier: model.tiers.get(topConstruct(head)) ?? "Other",
      placement: placementOf(principals.length > 0 ? principals : rs, rs),
      resources: ordered,
    });
  }
  function placementOf(primary: StackResource[], all: StackResource[]): Placement {
    const subnets = primary.flatMap((r) => [...refs.get(r.address)!].flatMap(subnetsBehind));
    if (subnets.length > 0) {
      const classes = subnets.map((s) => subnetClass.get(s)).filter((c): c is SubnetClass => c !== undefined);
      const counts = (["public", "private", "isolated"] as const).map((c) => [c, classes.filter((x) => x === c).length] as const);
      const top = counts.reduce((a, b) => (b[1] > a[1] ? b : a));
      return { vpc: vpcOfSubnet(subnets[0]), subnets: top[1] > 0 ? top[0] : undefined };
    }
    const vpcRef = (rs: StackResource[]) =>
      rs.find((r) => r.type === "aws_vpc")?.address ?? rs.flatMap((r) => [...refs.get(r.address)!]).find((a) => a.startsWith("aws_vpc.") && byAddress.get(a)?.type === "aws_vpc");
    const vpc = vpcRef(primary) ?? vpcRef(all);
    return vpc ? { vpc } : {};
  }
  const nodeOf = (address: string) => idOf.get(keyOf.get(address) ?? "");

  // 6. Edges.
  const edges = new Map<string, { from: string; to: string; type: DiagramEdge["type"]; labels: Set<string>; sources: Set<string>; secondary: boolean }>();
  const addEdge = (from: string | undefined, to: string | undefined, type: DiagramEdge["type"], label: string, source: string, secondary = false) => {
    if (!from || !to || from === to) return;
    const key = `${from}>${to}>${type}`;
    const edge = edges.get(key) ?? { from, to, type, labels: new Set<string>(), sources: new Set<string>(), secondary: true };
    edge.labels.add(label);
    edge.sources.add(source);
    edge.secondary &&= secondary;
    edges.set(key, edge);
  };
  const openEgress: Array<{ node: string; label: string; peer: string; rule: string }> = [];
  // Security groups: ingress on T from S, and egress from S to T, both mean S -> T.
  const sgNode = (value: unknown) => {
    const ref = referencesIn(value).find((x) => x.address.startsWith("aws_security_group."));
    return ref ? nodeOf(ref.address) : undefined;
  };
  const network = (own: unknown, peerSg: unknown, cidrs: unknown[], prefixList: unknown, ingress: boolean, label: string, rule: string, self = false) => {
    const mine = sgNode(own);
    const peer = self ? mine : sgNode(peerSg);
    if (peer) return addEdge(ingress ? peer : mine, ingress ? mine : peer, "network", label, rule);
    const open = cidrs.filter((c): c is string => typeof c === "string");
    if (ingress && open.some((c) => ANYWHERE.has(c))) return addEdge(INTERNET, mine, "network", label, rule);
    if (mine) openEgress.push({ node: mine, label, peer: open.join(", ") || (prefixList ? "prefix list" : "?"), rule });
  };
  for (const r of resources) {
    const v = r.values;
    if (r.type === "aws_vpc_security_group_ingress_rule" || r.type === "aws_vpc_security_group_egress_rule") {
      network(v.security_group_id, v.referenced_security_group_id, [v.cidr_ipv4, v.cidr_ipv6], v.prefix_list_id, r.type.endsWith("ingress_rule"), portLabel(v.ip_protocol, v.from_port, v.to_port), r.address);
    } else if (r.type === "aws_security_group_rule") {
      network(v.security_group_id, v.source_security_group_id, [...(v.cidr_blocks ?? []), ...(v.ipv6_cidr_blocks ?? [])], v.prefix_list_ids, v.type === "ingress", portLabel(v.protocol, v.from_port, v.to_port), r.address, v.self === true);
    } else if (r.type === "aws_security_group") {
      for (const direction of ["ingress", "egress"] as const) {
        for (const rule of valuesAt(v, direction) as Array<Record<string, any>>) {
          const label = portLabel(rule.protocol, rule.from_port, rule.to_port);
          const peers = (rule.security_groups ?? []) as unknown[];
          if (peers.length === 0) network(`\${${r.address}.id}`, undefined, [...(rule.cidr_blocks ?? []), ...(rule.ipv6_cidr_blocks ?? [])], rule.prefix_list_ids, direction === "ingress", label, r.address, rule.self === true);
          for (const peer of peers) network(`\${${r.address}.id}`, peer, [], undefined, direction === "ingress", label, r.address);
        }
      }
    }
    // Data flows the known kinds declare.
    for (const flow of kindOf(r)?.flows ?? []) {
      for (const ref of referencesIn(valuesAt(v, flow.attribute))) {
        const [from, to] = flow.direction === "out" ? [nodeOf(r.address), nodeOf(ref.address)] : [nodeOf(ref.address), nodeOf(r.address)];
        addEdge(from, to, "flow", flow.label, r.address, flow.secondary);
      }
    }
    if (kindOf(r)?.public) addEdge(INTERNET, nodeOf(r.address), "flow", "HTTPS", r.address);
    // IAM grants between the role's box and the resource's box.
    if (r.type === "aws_iam_role_policy" && typeof v.policy === "string") {
      const actor = nodeOf(referencesIn(v.role)[0]?.address ?? "");
      let document: { Statement?: Array<Record<string, any>> };
      try {
        document = JSON.parse(v.policy);
      } catch {
        continue;
      }
      for (const statement of document.Statement ?? []) {
        if (statement.Effect !== "Allow") continue;
        const actions = ([] as string[]).concat(statement.Action ?? []);
        for (const flow of IAM_FLOWS.filter((f) => actions.some((a) => f.action.test(a)))) {
          for (const ref of referencesIn(statement.Resource)) {
            const other = nodeOf(ref.address);
            addEdge(flow.direction === "out" ? actor : other, flow.direction === "out" ? other : actor, "flow", flow.label, r.address, flow.secondary);
          }
        }
      }
    }
  }

  // A flow between two boxes a security-group edge already joins adds nothing to the picture.
  for (const [key, edge] of edges) {
    if (edge.type === "flow" && edges.has(`${edge.from}>${edge.to}>network`)) edges.delete(key);
  }
  const tiers = [...new Set([...model.tiers.values()])];
  if (nodes.some((n) => n.tier === "Other")) tiers.push("Other");
  const vpcs = new Map(resources.filter((r) => r.type === "aws_vpc").map((r) => [r.address, String(r.values.cidr_block ?? "")]));
  const groups = new Map<string, { vpc: string; subnets: SubnetClass; zones: Set<string>; cidrs: string[] }>();
  for (const [subnet, cls] of [...subnetClass.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const vpc = vpcOfSubnet(subnet);
    const r = byAddress.get(subnet)!;
    if (!vpc) continue;
    const group = groups.get(`${vpc}/${cls}`) ?? { vpc, subnets: cls, zones: new Set<string>(), cidrs: [] };
    const zone = plainString(r.values, "availability_zone_id") ?? plainString(r.values, "availability_zone");
    if (zone) group.zones.add(zone);
    if (typeof r.values.cidr_block === "string") group.cidrs.push(r.values.cidr_block);
    groups.set(`${vpc}/${cls}`, group);
  }
  const order = ["public", "private", "isolated"];
  return {
    stack: model.name,
    nodes: nodes.sort((a, b) => tiers.indexOf(a.tier) - tiers.indexOf(b.tier) || a.id.localeCompare(b.id)),
    edges: [...edges.values()]
      .map((e) => ({ from: e.from, to: e.to, type: e.type, label: [...e.labels].sort(byNumber).join(", "), sources: [...e.sources].sort(), secondary: e.secondary }))
      .sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to) || a.type.localeCompare(b.type) || a.label.localeCompare(b.label)),
    vpcs,
    subnetGroups: [...groups.values()]
      .map((g) => ({ vpc: g.vpc, subnets: g.subnets, zones: [...g.zones].sort(), cidrs: g.cidrs }))
      .sort((a, b) => a.vpc.localeCompare(b.vpc) || order.indexOf(a.subnets) - order.indexOf(b.subnets)),
    tiers,
    openEgress: openEgress.sort((a, b) => a.node.localeCompare(b.node) || a.rule.localeCompare(b.rule)),
  };
}

import { INTERNET, type Diagram, type DiagramEdge, type DiagramNode, type SubnetClass } from "./model";

/**
 * The same diagram three ways: a Mermaid flowchart (GitHub renders it in Markdown), Graphviz DOT
 * (laid out into the SVG by Graphviz), and the Markdown page holding the flowchart, the SVG link and
 * the per-tier detail tables. Every output is a pure function of the diagram, in a fixed order.
 */

/** Fill colours per tier, in tier order (light, readable under dark text). */
const PALETTE = ["#dbeafe", "#fde2e4", "#e0f2e9", "#fff1c1", "#ede4ff", "#d8f3f7", "#ffe5cc", "#e8eaed", "#f3e8d8", "#e6f4c9", "#f9dff5", "#d9e4f5"];
const SUBNET_TITLE: Record<SubnetClass, string> = {
  public: "public subnets",
  private: "private subnets\nout through NAT",
  isolated: "isolated subnets\nno route out",
};

/** Zones with their shared prefix said once: `use1-az1, az2, az4`. */
export function compactZones(zones: readonly string[]): string {
  const prefix = /^(.*-)az\d+$/.exec(zones[0] ?? "")?.[1];
  if (!prefix || !zones.every((z) => z.startsWith(prefix))) return zones.join(", ");
  return zones.map((z, i) => (i === 0 ? z : z.slice(prefix.length))).join(", ");
}

/** A cluster of boxes: where they run, then which tier built them. */
interface Area {
  readonly id: string;
  readonly title: string;
  readonly children: Area[];
  readonly nodes: DiagramNode[];
}

const tierTitle = (tier: string) => (tier.endsWith("Tier") && tier !== "Tier" ? `${tier.slice(0, -4)} tier` : tier);
const sanitize = (s: string) => s.replace(/[^A-Za-z0-9]+/g, "_");

/** The areas of a diagram: each VPC with its subnet groups (zones in the title), then regional services. */
export function areasOf(diagram: Diagram): Area[] {
  const byTier = (prefix: string, nodes: DiagramNode[]): Area[] =>
    diagram.tiers
      .map((tier) => ({ id: `${prefix}_${sanitize(tier)}`, title: tierTitle(tier), children: [], nodes: nodes.filter((n) => n.tier === tier) }))
      .filter((a) => a.nodes.length > 0);
  const areas: Area[] = [];
  for (const [vpc, cidr] of diagram.vpcs) {
    const id = `g_${sanitize(vpc.split(".")[1])}`;
    const inVpc = diagram.nodes.filter((n) => n.placement.vpc === vpc);
    const children: Area[] = [];
    for (const group of diagram.subnetGroups.filter((g) => g.vpc === vpc)) {
      const nodes = inVpc.filter((n) => n.placement.subnets === group.subnets);
      if (nodes.length === 0) continue;
      const zones = group.zones.length > 0 ? `\n${compactZones(group.zones)}` : "";
      // Inside subnets the fill colour tells the tier (see the legend): a cluster per tier there would
      // double the nesting and halve the size a reader sees.
      children.push({ id: `${id}_${group.subnets}`, title: `${SUBNET_TITLE[group.subnets]}${zones}`, children: [], nodes });
    }
    areas.push({ id, title: `VPC ${cidr}`, children, nodes: inVpc.filter((n) => !n.placement.subnets) });
  }
  // Regional services (outside any VPC) by tier at the top level, so each can sit next to the boxes it talks to.
  const regional = diagram.nodes.filter((n) => !n.placement.vpc || !diagram.vpcs.has(n.placement.vpc));
  areas.push(...byTier("g_regional", regional).map((a) => ({ ...a, title: `${a.title} (regional)` })));
  return areas;
}

const kindText = (n: DiagramNode) => n.kind;
const tierColour = (diagram: Diagram, tier: string) => PALETTE[Math.max(diagram.tiers.indexOf(tier), 0) % PALETTE.length];

// --- Mermaid -----------------------------------------------------------------------------------

const mermaidText = (s: string) => s.replace(/"/g, "#quot;");

/** A Mermaid flowchart: solid arrows are security-group rules (with ports), dotted ones data flows. */
export function toMermaid(diagram: Diagram): string {
  const lines = ["flowchart LR"];
  const hasInternet = diagram.edges.some((e) => e.from === INTERNET || e.to === INTERNET);
  if (hasInternet) lines.push(`  ${INTERNET}(("Internet"))`);
  const emit = (area: Area, indent: string) => {
    lines.push(`${indent}subgraph ${area.id}["${mermaidText(area.title).replace(/\n/g, ", ")}"]`);
    for (const child of area.children) emit(child, `${indent}  `);
    for (const n of area.nodes) lines.push(`${indent}  ${n.id}["<b>${mermaidText(n.label)}</b><br/>${mermaidText(kindText(n))}"]:::${sanitize(n.tier)}`);
    lines.push(`${indent}end`);
  };
  for (const area of areasOf(diagram)) emit(area, "  ");
  for (const e of diagram.edges) {
    lines.push(`  ${e.from} ${e.type === "network" ? "-->" : "-.->"}|"${mermaidText(e.label)}"| ${e.to}`);
  }
  for (const tier of diagram.tiers) lines.push(`  classDef ${sanitize(tier)} fill:${tierColour(diagram, tier)},stroke:#555,color:#111`);
  return `${lines.join("\n")}\n`;
}

// --- Graphviz ----------------------------------------------------------------------------------

const html = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Graphviz DOT of the diagram, laid out left to right: internet, edge, services, data. */
export function toDot(diagram: Diagram): string {
  const lines = [
    `digraph "${diagram.stack}" {`,
    `  graph [rankdir=LR, fontname="Helvetica", fontsize=16, nodesep=0.3, ranksep=0.6, compound=true, newrank=true, pad=0.3, label=<<b>${html(diagram.stack)}</b>: boxes by where they run and the tier that builds them; solid arrows are security-group rules (port), dashed ones data flows>, labelloc=t, labeljust=l];`,
    `  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=15, margin="0.12,0.05", color="#555555", penwidth=1];`,
    `  edge [fontname="Helvetica", fontsize=12, color="#444444", arrowsize=0.7];`,
  ];
  if (diagram.edges.some((e) => e.from === INTERNET || e.to === INTERNET)) {
    lines.push(`  ${INTERNET} [label="Internet", shape=ellipse, style=filled, fillcolor="#ffffff"];`, `  { rank=min; ${INTERNET}; }`);
  }
  const emit = (area: Area, indent: string, depth: number) => {
    const style = depth === 0 ? `style="rounded", color="#333333", penwidth=1.5, fontsize=15` : `style="rounded,dashed", color="#777777", fontsize=14`;
    lines.push(`${indent}subgraph cluster_${area.id} {`);
    const title = area.title.split("\n").map(html).join("<br/>");
    lines.push(`${indent}  graph [label=<${depth === 0 ? `<b>${title}</b>` : title}>, ${style}, labeljust=l, margin=10];`);
    for (const child of area.children) emit(child, `${indent}  `, depth + 1);
    for (const n of area.nodes) {
      lines.push(`${indent}  ${n.id} [label=<<b>${html(n.label)}</b><br/><font point-size="12">${html(kindText(n))}</font>>, fillcolor="${tierColour(diagram, n.tier)}"];`);
    }
    lines.push(`${indent}}`);
  };
  for (const area of areasOf(diagram)) emit(area, "  ", 0);
  for (const e of diagram.edges) {
    const style = e.type === "network" ? `color="#1f4e8c", fontcolor="#1f4e8c", penwidth=1.4` : `style=dashed, color="#888888", fontcolor="#555555"${e.secondary ? ", constraint=false" : ""}`;
    lines.push(`  ${e.from} -> ${e.to} [label="${html(e.label)}", ${style}];`);
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** Renders DOT to SVG with Graphviz (WebAssembly build; no browser, no native binary). */
export async function renderSvg(dot: string): Promise<string> {
  const { Graphviz } = await import("@hpcc-js/wasm-graphviz");
  const graphviz = await Graphviz.load();
  // The generator comment names the Graphviz build; the picture does not depend on it.
  return graphviz.dot(dot, "svg").replace(/<!-- Generated by .*? -->\n/, "");
}

// --- Markdown ----------------------------------------------------------------------------------

function counts(values: readonly string[]): string {
  const map = new Map<string, number>();
  for (const v of values) map.set(v, (map.get(v) ?? 0) + 1);
  return [...map.entries()].map(([v, n]) => (n > 1 ? `${v} x${n}` : v)).join(", ");
}

const cell = (s: string) => s.replace(/\|/g, "\\|");

function where(diagram: Diagram, n: DiagramNode): string {
  if (!n.placement.vpc) return "regional";
  if (!n.placement.subnets) return "VPC";
  const group = diagram.subnetGroups.find((g) => g.vpc === n.placement.vpc && g.subnets === n.placement.subnets);
  return `${n.placement.subnets} subnets${group && group.zones.length > 0 ? ` (${group.zones.length} AZs)` : ""}`;
}

const nodeLabel = (diagram: Diagram, id: string) => (id === INTERNET ? "internet" : (diagram.nodes.find((n) => n.id === id)?.label ?? id));

/** The Markdown page: flowchart, SVG, subnets, the boxes of each tier, and the network rules. */
export function toMarkdown(diagram: Diagram, svgFile: string): string {
  const out: string[] = [
    `# Architecture: \`${diagram.stack}\``,
    "",
    `Generated by \`npm run diagram\` from the synthesized stack (\`cdktf.out/stacks/${diagram.stack}/cdk.tf.json\`) and its construct tree; do not edit. ` +
      "Each box is a construct's principal resource with the resources that serve it folded in (the tables below list them). " +
      "Solid arrows are security-group rules, labelled with their ports; dashed arrows are data flows read from notifications, " +
      "event source mappings, listeners and IAM grants.",
    "",
    `![${diagram.stack} architecture](${svgFile})`,
    "",
    "```mermaid",
    toMermaid(diagram).trimEnd(),
    "```",
    "",
  ];
  if (diagram.subnetGroups.length > 0) {
    out.push("## Subnets", "", "| VPC | subnets | zones | CIDRs |", "| --- | --- | --- | --- |");
    for (const g of diagram.subnetGroups) out.push(`| ${diagram.vpcs.get(g.vpc)} | ${g.subnets} | ${g.zones.join(", ")} | ${g.cidrs.join(", ")} |`);
    out.push("");
  }
  for (const tier of diagram.tiers) {
    const nodes = diagram.nodes.filter((n) => n.tier === tier);
    if (nodes.length === 0) continue;
    out.push(`## ${tierTitle(tier)}`, "", "| box | kind | runs in | constructs | resources |", "| --- | --- | --- | --- | --- |");
    for (const n of nodes) {
      const constructs = [...new Set(n.resources.map((r) => r.path.split("/")[0]))].join(", ");
      out.push(`| ${cell(n.label)} | ${cell(kindText(n))} | ${where(diagram, n)} | ${cell(constructs)} | ${cell(counts(n.resources.map((r) => r.type)))} |`);
    }
    out.push("");
  }
  const network = diagram.edges.filter((e) => e.type === "network");
  if (network.length > 0) {
    out.push("## Security-group rules drawn", "", "| from | to | ports | rules |", "| --- | --- | --- | --- |");
    for (const e of network) out.push(edgeRow(diagram, e));
    out.push("");
  }
  if (diagram.openEgress.length > 0) {
    out.push("## Egress to addresses (not drawn)", "", "| from | ports | to | rule |", "| --- | --- | --- | --- |");
    for (const o of diagram.openEgress) out.push(`| ${cell(nodeLabel(diagram, o.node))} | ${o.label} | ${o.peer} | \`${o.rule}\` |`);
    out.push("");
  }
  return out.join("\n");
}

function edgeRow(diagram: Diagram, e: DiagramEdge): string {
  return `| ${cell(nodeLabel(diagram, e.from))} | ${cell(nodeLabel(diagram, e.to))} | ${e.label} | ${e.sources.map((s) => `\`${s}\``).join(", ")} |`;
}

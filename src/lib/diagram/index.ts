import type { StackModel } from "../stack-model";
import { buildDiagram } from "./model";
import { renderSvg, toDot, toMarkdown } from "./render";

export { buildDiagram, INTERNET, type Diagram, type DiagramEdge, type DiagramNode } from "./model";
export { toDot, toMarkdown, toMermaid } from "./render";

/** Where the diagrams live, relative to the repository root. */
export const DIAGRAM_DIR = "docs/diagrams";

/** The files `npm run diagram` writes: `<workspace>.md` and `<workspace>.svg` per workspace stack. */
export async function diagramFiles(models: readonly StackModel[]): Promise<Array<{ path: string; content: string }>> {
  const files: Array<{ path: string; content: string }> = [];
  for (const model of models.filter((m) => m.config)) {
    const diagram = buildDiagram(model);
    files.push({ path: `${DIAGRAM_DIR}/${model.name}.md`, content: toMarkdown(diagram, `${model.name}.svg`) });
    files.push({ path: `${DIAGRAM_DIR}/${model.name}.svg`, content: await renderSvg(toDot(diagram)) });
  }
  return files;
}

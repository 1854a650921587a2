// The dependency graph's layout, by dagre (ranks left to right, node positions, edge routes).
import dagre from '@dagrejs/dagre';

export const NODE_WIDTH = 180;
export const NODE_HEIGHT = 46;

/** The graph laid out by dagre: {width, height, nodes: [{id, x, y}], edges: [{from, to, points}]}. */
export function layout(graph) {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 64, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) g.setNode(String(node.id), { width: NODE_WIDTH, height: NODE_HEIGHT });
  for (const edge of graph.edges) g.setEdge(String(edge.upstream), String(edge.downstream));
  dagre.layout(g);
  return {
    width: Math.ceil(g.graph().width || 0),
    height: Math.ceil(g.graph().height || 0),
    nodes: g.nodes().map((id) => ({ id: Number(id), ...g.node(id) })),
    edges: g.edges().map((e) => ({ from: Number(e.v), to: Number(e.w), points: g.edge(e).points })),
  };
}

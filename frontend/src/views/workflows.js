// Workflows: which of your jobs run after which, drawn as a graph. dagre lays it out (ranks, node
// positions, edge routes); the drawing is plain SVG, each job a link to its page. A list of the
// same edges follows for screen readers and small screens.
import { get } from '../api.js';
import { h } from '../dom.js';
import { layout, NODE_HEIGHT, NODE_WIDTH } from '../graph-layout.js';

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  for (const child of children) if (child) el.append(child);
  return el;
}

function clip(text, max = 24) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function drawing(graph) {
  const placed = layout(graph);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const marker = svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8,
    orient: 'auto-start-reverse' }, svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrow' }));
  const edges = placed.edges.map((e) => svg('path', {
    class: 'edge', 'marker-end': 'url(#arrow)',
    d: e.points.map((p, i) => `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' '),
  }));
  const nodes = placed.nodes.map((placedNode) => {
    const job = byId.get(placedNode.id);
    const x = placedNode.x - NODE_WIDTH / 2;
    const y = placedNode.y - NODE_HEIGHT / 2;
    const sub = job.status === 'active' ? (job.last_status ? `last: ${job.last_status}` : 'not run yet') : job.status;
    const title = svg('title');
    title.textContent = `${job.name} — ${sub}`;
    const name = svg('text', { x: x + 10, y: y + 19 });
    name.textContent = clip(job.name);
    const detail = svg('text', { x: x + 10, y: y + 35, class: 'sub' });
    detail.textContent = sub;
    // Its <title> names the link (the full name, also a tooltip when the drawn one is cut short).
    const link = svg('a', { href: `/jobs/${job.id}` }, title,
      svg('rect', { x, y, width: NODE_WIDTH, height: NODE_HEIGHT, rx: 8 }), name, detail);
    return svg('g', { class: 'node', 'data-job': job.id }, link);
  });
  return svg('svg', { width: placed.width, height: placed.height, viewBox: `0 0 ${placed.width} ${placed.height}`,
    role: 'group', 'aria-label': 'Dependency graph: each arrow points from a job to the job that runs after it' },
  svg('defs', {}, marker), ...edges, ...nodes);
}

export async function render(view) {
  view.append(h('div', { class: 'page-head' }, h('h1', {}, 'Workflows')),
    h('p', { class: 'lead' }, 'Jobs that run after other jobs. An arrow points from a job to the job that runs after it.'));
  let graph;
  try {
    graph = await get('/jobs/graph');
  } catch (err) {
    view.append(h('p', { class: 'form-alert', role: 'alert' }, err.message));
    return undefined;
  }
  if (!graph.edges.length) {
    view.append(h('section', { class: 'card' }, h('p', {}, 'No job runs after another yet. In a job’s editor, choose the ',
      'schedule type “After other jobs” to make one.'), h('p', {}, h('a', { class: 'btn btn-primary', href: '/jobs/new' },
      'New job'))));
    return undefined;
  }
  const names = new Map(graph.nodes.map((n) => [n.id, n.name]));
  view.append(
    h('section', { class: 'card graph', 'aria-labelledby': 'graph-title' }, h('h2', { id: 'graph-title' }, 'Graph'),
      h('div', { class: 'graph-wrap' }, drawing(graph))),
    h('section', { class: 'card', 'aria-labelledby': 'edges-title' }, h('h2', { id: 'edges-title' }, 'Who runs after whom'),
      h('ul', { class: 'edge-list' }, graph.edges.map((e) => h('li', {},
        h('a', { href: `/jobs/${e.downstream}` }, names.get(e.downstream)), ' runs after ',
        h('a', { href: `/jobs/${e.upstream}` }, names.get(e.upstream)))))));
  return undefined;
}

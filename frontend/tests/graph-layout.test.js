import { expect, test } from 'vitest';
import { layout, NODE_WIDTH } from '../src/graph-layout.js';

test('a chain and a fan-in are laid out left to right, every edge routed', () => {
  const placed = layout({
    nodes: [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }],
    edges: [{ upstream: 1, downstream: 3 }, { upstream: 2, downstream: 3 }, { upstream: 3, downstream: 4 }],
  });
  const x = Object.fromEntries(placed.nodes.map((n) => [n.id, n.x]));
  expect(x[1]).toBe(x[2]);
  expect(x[3] - x[1]).toBeGreaterThan(NODE_WIDTH);
  expect(x[4] - x[3]).toBeGreaterThan(NODE_WIDTH);
  expect(placed.edges).toHaveLength(3);
  for (const edge of placed.edges) expect(edge.points.length).toBeGreaterThanOrEqual(2);
  expect(placed.width).toBeGreaterThan(3 * NODE_WIDTH);
});

// A layered drawing of a DAG: longest-path layers, then barycentre ordering to cut crossings.

export const NODE_W = 180;
export const NODE_H = 46;
const GAP_X = 28;
const GAP_Y = 44;
const SWEEPS = 4;

/** Positions for `nodes` ([{id}]) joined by `edges` ([[from, to]]): {pos: Map, width, height}. */
export function layout(nodes, edges) {
  const ids = nodes.map((n) => n.id);
  const preds = new Map(ids.map((id) => [id, []]));
  const succs = new Map(ids.map((id) => [id, []]));
  for (const [a, b] of edges) {
    if (!preds.has(a) || !preds.has(b)) continue;
    preds.get(b).push(a);
    succs.get(a).push(b);
  }
  const layerOf = longestPath(ids, preds);
  const layers = [];
  for (const id of ids) (layers[layerOf.get(id)] ||= []).push(id);
  order(layers, preds, succs);
  const widest = Math.max(1, ...layers.map((l) => l.length));
  const width = widest * (NODE_W + GAP_X) - GAP_X;
  const pos = new Map();
  layers.forEach((layer, y) => {
    const offset = (width - (layer.length * (NODE_W + GAP_X) - GAP_X)) / 2;
    layer.forEach((id, x) => {
      pos.set(id, { x: offset + x * (NODE_W + GAP_X), y: y * (NODE_H + GAP_Y) });
    });
  });
  return { pos, width, height: layers.length * (NODE_H + GAP_Y) - GAP_Y };
}

function longestPath(ids, preds) {
  const layer = new Map();
  const visiting = new Set();
  const visit = (id) => {
    if (layer.has(id)) return layer.get(id);
    if (visiting.has(id)) return 0; // a cycle cannot come from a valid IR; do not loop on one
    visiting.add(id);
    const depth = Math.max(-1, ...preds.get(id).map(visit)) + 1;
    layer.set(id, depth);
    return depth;
  };
  ids.forEach(visit);
  return layer;
}

function order(layers, preds, succs) {
  const index = new Map();
  const reindex = (layer) => layer.forEach((id, i) => index.set(id, i));
  layers.forEach(reindex);
  const barycentre = (id, neighbours) => {
    const near = neighbours.get(id).filter((n) => index.has(n));
    if (!near.length) return index.get(id);
    return near.reduce((sum, n) => sum + index.get(n), 0) / near.length;
  };
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    const down = sweep % 2 === 0;
    const range = down ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const layer of range) {
      const keys = new Map(layer.map((id) => [id, barycentre(id, down ? preds : succs)]));
      layer.sort((a, b) => keys.get(a) - keys.get(b) || index.get(a) - index.get(b));
      reindex(layer);
    }
  }
}

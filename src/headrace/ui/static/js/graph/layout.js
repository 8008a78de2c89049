// A layered drawing of a DAG: longest-path layers, then barycentre ordering to cut crossings.

export const NODE_W = 180;
export const NODE_H = 46;
const GAP_X = 28;
const GAP_Y = 44;
const SWEEPS = 4;

/**
 * Positions for `nodes` ([{id}]) joined by `edges` ([[from, to]]): {pos: Map of {x, y, w, h},
 * width, height}. `sizes` (id -> {w, h}) gives the nodes drawn bigger than a card: a sub-DAG or
 * loop shown open in place; a layer is as tall as its tallest node.
 */
export function layout(nodes, edges, sizes = new Map()) {
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
  const size = (id) => sizes.get(id) || { w: NODE_W, h: NODE_H };
  const layerWidth = (layer) => layer.reduce((sum, id) => sum + size(id).w + GAP_X, -GAP_X);
  const width = Math.max(NODE_W, ...layers.map(layerWidth));
  const pos = new Map();
  let y = 0;
  for (const layer of layers) {
    let x = (width - layerWidth(layer)) / 2;
    for (const id of layer) {
      const { w, h } = size(id);
      pos.set(id, { x, y, w, h });
      x += w + GAP_X;
    }
    y += Math.max(...layer.map((id) => size(id).h)) + GAP_Y;
  }
  return { pos, width, height: Math.max(0, y - GAP_Y) };
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

/** Reference answers for each structure, built by sorting (slow, obviously correct). */
import { keepCount } from '../rounding.js';
import type { LayerScores } from '../types.js';

export interface Group {
  layer: number;
  /** Group index within the layer (the tie order). */
  g: number;
  entries: number[];
}

/** Groups of a layer for each structured kind, in the documented order. */
export function groupsOf(l: LayerScores, li: number, kind: 'block' | 'unit' | 'nm', a: number, b = 0): Group[] {
  const out = l.shape[l.shape.length - 1]!;
  const rows = l.scores.length / out;
  const groups: Group[] = [];
  if (kind === 'unit') {
    for (let c = 0; c < out; c++) groups.push({ layer: li, g: c, entries: Array.from({ length: rows }, (_, r) => r * out + c) });
  } else if (kind === 'block') {
    const nbc = out / b;
    for (let br = 0; br < rows / a; br++)
      for (let bc = 0; bc < nbc; bc++) {
        const entries: number[] = [];
        for (let r = br * a; r < (br + 1) * a; r++) for (let c = bc * b; c < (bc + 1) * b; c++) entries.push(r * out + c);
        groups.push({ layer: li, g: br * nbc + bc, entries });
      }
  } else {
    // nm: a = m; groups of m consecutive rows (input index) per column
    for (let r0 = 0; r0 < rows; r0 += a)
      for (let c = 0; c < out; c++) groups.push({ layer: li, g: groups.length, entries: Array.from({ length: a }, (_, j) => (r0 + j) * out + c) });
  }
  return groups;
}

export function groupScore(l: LayerScores, g: Group, reduce: 'l1' | 'l2' | 'sum'): number {
  let acc = 0;
  for (const i of g.entries) {
    const s = l.scores[i]!;
    acc += reduce === 'l1' ? Math.abs(s) : reduce === 'l2' ? s * s : s;
  }
  return reduce === 'l2' ? Math.sqrt(acc) : acc + 0;
}

/** Reference global/layerwise group selection: rank groups by (score desc, layer asc, g asc). */
export function referenceGroups(
  layers: readonly LayerScores[],
  groups: Group[][],
  reduce: 'l1' | 'l2' | 'sum',
  sparsity: number,
  scope: 'global' | 'layerwise',
): Uint8Array[] {
  const masks = layers.map((l) => new Uint8Array(l.scores.length));
  const pick = (gs: Group[], k: number): void => {
    const ranked = gs.map((g) => ({ g, s: groupScore(layers[g.layer]!, g, reduce) })).sort((x, y) => y.s - x.s || x.g.layer - y.g.layer || x.g.g - y.g.g);
    for (const { g } of ranked.slice(0, k)) for (const i of g.entries) masks[g.layer]![i] = 1;
  };
  if (scope === 'global') {
    const all = groups.flat();
    pick(all, keepCount(sparsity, all.length));
  } else groups.forEach((gs) => pick(gs, keepCount(sparsity, gs.length)));
  return masks;
}

/**
 * Reference n:m: each group's top-n (score desc, lower index) among the entries
 * `previous` kept are candidates; then top-K of the candidates. With `floors`
 * (global scope), each layer's top-floor candidates are kept first and the rest
 * of the budget goes to the best remaining candidates: the guard's definition.
 */
export function referenceNM(
  layers: readonly LayerScores[],
  n: number,
  m: number,
  sparsity: number,
  scope: 'global' | 'layerwise',
  opts: { previous?: readonly Uint8Array[]; floors?: readonly number[] } = {},
): Uint8Array[] {
  const cand = layers.map((l) => new Uint8Array(l.scores.length));
  layers.forEach((l, li) => {
    const prev = opts.previous?.[li];
    for (const g of groupsOf(l, li, 'nm', m)) {
      const order = g.entries.filter((i) => prev === undefined || prev[i] !== 0).sort((x, y) => l.scores[y]! - l.scores[x]! || x - y);
      for (const i of order.slice(0, n)) cand[li]![i] = 1;
    }
  });
  const masks = layers.map((l) => new Uint8Array(l.scores.length));
  const rank = (items: { layer: number; index: number; score: number }[]) => items.sort((a, b) => b.score - a.score || a.layer - b.layer || a.index - b.index);
  const pick = (items: { layer: number; index: number; score: number }[], k: number): void => {
    for (const it of rank(items).slice(0, k)) masks[it.layer]![it.index] = 1;
  };
  const items = (li: number) => Array.from(layers[li]!.scores, (score, index) => ({ layer: li, index, score })).filter((e) => cand[li]![e.index] === 1);
  if (scope === 'global') {
    const total = layers.reduce((s, l) => s + l.scores.length, 0);
    const all = layers.flatMap((_, li) => items(li));
    let k = Math.min(all.length, keepCount(sparsity, total));
    if (opts.floors !== undefined)
      layers.forEach((_, li) => {
        const mandatory = rank(items(li)).slice(0, opts.floors![li]!);
        for (const it of mandatory) masks[li]![it.index] = 1;
        k -= mandatory.length;
      });
    pick(
      all.filter((it) => masks[it.layer]![it.index] === 0),
      k,
    );
  } else
    layers.forEach((l, li) => {
      const it = items(li);
      pick(it, Math.min(it.length, keepCount(sparsity, l.scores.length)));
    });
  return masks;
}

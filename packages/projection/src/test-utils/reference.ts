/**
 * Slow, obviously-correct references for the tests: sort-based ranking and
 * exhaustive enumeration. Not part of the build (tsconfig excludes test-utils).
 */
import type { LayerScores } from '../types.js';

export interface Ranked {
  layer: number;
  index: number;
  score: number;
}

/** All entries ranked by (score desc, layer asc, index asc): the documented tie rule. */
export function rankAll(layers: readonly LayerScores[], which?: (layer: number, index: number) => boolean): Ranked[] {
  const all: Ranked[] = [];
  layers.forEach((l, li) => l.scores.forEach((s, i) => (which === undefined || which(li, i) ? all.push({ layer: li, index: i, score: s }) : 0)));
  return all.sort((a, b) => b.score - a.score || a.layer - b.layer || a.index - b.index);
}

/** Reference masks keeping the first k of `rankAll`. */
export function referenceTopK(layers: readonly LayerScores[], k: number, which?: (layer: number, index: number) => boolean): Uint8Array[] {
  const masks = layers.map((l) => new Uint8Array(l.scores.length));
  for (const r of rankAll(layers, which).slice(0, k)) masks[r.layer]![r.index] = 1;
  return masks;
}

/** Visits every k-subset of {0..n-1} as an index array. */
export function forEachSubset(n: number, k: number, visit: (subset: readonly number[]) => void): void {
  const cur: number[] = [];
  const rec = (start: number): void => {
    if (cur.length === k) {
      visit(cur);
      return;
    }
    for (let i = start; i <= n - (k - cur.length); i++) {
      cur.push(i);
      rec(i + 1);
      cur.pop();
    }
  };
  rec(0);
}

export function sumKept(scores: ArrayLike<number>, mask: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] === 1) s += scores[i]!;
  return s;
}

export function countOnes(mask: Uint8Array): number {
  let c = 0;
  for (const m of mask) c += m;
  return c;
}

export function layer(name: string, shape: number[], values: ArrayLike<number>): LayerScores {
  return { name, shape, scores: Float32Array.from(values) };
}

/** Relative-tolerance comparison for float64 sums of float32 values. */
export function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/**
 * Reference masks for large inputs (typed arrays, not one object per entry):
 * each layer keeps its top floors[l] available entries, then the best of the
 * rest up to k in all, ranking by (score desc, layer asc, index asc). With all
 * floors 0 this is plain top-k; with the floors it is the documented global guard.
 */
export function referenceFloors(
  layers: readonly LayerScores[],
  k: number,
  floors: readonly number[] = layers.map(() => 0),
  avail?: readonly (Uint8Array | null)[],
): Uint8Array[] {
  const bases: number[] = [];
  let n = 0;
  for (const l of layers) {
    bases.push(n);
    n += l.scores.length;
  }
  const score = new Float64Array(n);
  const layerOf = new Uint32Array(n);
  layers.forEach((l, li) => {
    score.set(l.scores, bases[li]);
    layerOf.fill(li, bases[li], bases[li]! + l.scores.length);
  });
  const ranked = Uint32Array.from({ length: n }, (_, i) => i)
    .filter((g) => avail?.[layerOf[g]!]?.[g - bases[layerOf[g]!]!] !== 0)
    .sort((x, y) => score[y]! - score[x]! || x - y);
  const masks = layers.map((l) => new Uint8Array(l.scores.length));
  const taken = layers.map(() => 0);
  let kept = 0;
  for (const g of ranked) {
    const li = layerOf[g]!;
    if (taken[li]! < floors[li]!) {
      masks[li]![g - bases[li]!] = 1;
      taken[li]!++;
      kept++;
    }
  }
  for (const g of ranked) {
    if (kept >= k) break;
    const li = layerOf[g]!;
    if (masks[li]![g - bases[li]!] === 0) {
      masks[li]![g - bases[li]!] = 1;
      kept++;
    }
  }
  return masks;
}

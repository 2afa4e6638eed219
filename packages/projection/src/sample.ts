/**
 * Step 1 of the fast path (fastselect.ts): a sample of the keys that brackets the
 * k-th largest (Floyd & Rivest 1975, "Expected time bounds for selection", CACM).
 *
 * The sample is stratified and jittered: one key from each of ~32,768 equal runs
 * of the concatenated pools, at an offset inside the run given by a fixed integer
 * hash of the run's number. A plain stride (every s-th key) resonates with
 * periodic structure in the scores (a generator's lattice, rows of a layout that
 * repeat with the stride), and a biased sample means a bracket that misses; the
 * jitter removes the resonance, and one key per run keeps the sample spread over
 * every layer, which helps scores sorted within layers (Cochran 1977, "Sampling
 * Techniques", ch. 8, systematic vs. stratified random sampling). The hash is fixed,
 * so the sample, and with it the time, is the same on every call; the masks never
 * depend on it.
 */
import { lowerBound, upperBound } from './bounds.js';
import type { Pool } from './select.js';

/** Float32 bits of the largest finite float: every finite non-negative key is <= this. */
export const MAX_FINITE = 0x7f7fffff;
const SAMPLE = 32768;

/** List mode: keys > hi are kept by the scan, keys in [lo, hi] are listed. */
interface ListBracket {
  kind: 'list';
  hi: number;
  lo: number;
  /** Per pool: 1 or -1 where its sampled keys ascend or descend (worth proving it sorted, sortedscan.ts), else 0. */
  order: Int8Array;
}

/** One key of tie mode, and whether the scan should write its ties as kept. */
export interface TieKey {
  key: number;
  /**
   * Which end of the ties the tie rule is nearer to, by the sample: write them all
   * kept and drop the last ones, or write them dropped and keep the first ones,
   * whichever walks less.
   */
  keepTies: boolean;
}

/**
 * Tie mode: the sample's keys all round the k-th position are one or two keys
 * (few distinct scores; a cutoff between two heavy ones). The scan keeps the keys
 * above `keys[0]` and counts its ties; should the k-th not be it after all, the
 * other key (`keys[1]`) is tried in a second scan.
 */
interface TieBracket {
  kind: 'tie';
  keys: TieKey[];
}

export type Bracket = ListBracket | TieBracket;

/**
 * Brackets the k-th largest of the available keys (`total` of them), or returns
 * null when the sample shows a negative or non-finite key or is too small to say.
 */
export function bracketFromSample(pools: readonly Pool[], views: readonly Int32Array[], k: number, total: number): Bracket | null {
  const drawn = drawSample(pools, views);
  if (drawn === null) return null;
  const s = drawn.keys;
  const m = s.length;
  if (m < 64) return null;
  const q = k / total; // fraction kept
  const r = q * m; // rank from the top, in the sample
  const delta = 4 * Math.sqrt(m * q * (1 - q)) + 16;
  const hiRank = Math.floor(r - delta);
  const loRank = Math.ceil(r + delta);
  // Ties: the keys at both ends of the bracket (clamped to the sample) are one key, or two
  // with nothing between them.
  const top = s[m - 1 - Math.max(0, hiRank)]!;
  const bottom = s[m - 1 - Math.min(m - 1, loRank)]!;
  if (top === bottom || lowerBound(s, top) === upperBound(s, bottom)) {
    const tieKey = (key: number): TieKey => {
      const above = m - upperBound(s, key);
      return { key, keepTies: (r - above) / (upperBound(s, key) - lowerBound(s, key)) > 0.5 };
    };
    // The first guess is the sample's own k-th key.
    const first = s[m - 1 - Math.min(m - 1, Math.max(0, Math.floor(r)))]! === top ? top : bottom;
    return { kind: 'tie', keys: top === bottom ? [tieKey(top)] : [tieKey(first), tieKey(first === top ? bottom : top)] };
  }
  return { kind: 'list', hi: hiRank < 0 ? MAX_FINITE : top, lo: loRank >= m ? 0 : s[m - 1 - loRank]!, order: drawn.order };
}

/** Fewest sampled keys of a pool for its order to count as a hint. */
const ORDER_SAMPLES = 16;

/**
 * The sorted sample, and per pool whether its sampled keys (in position order)
 * never decrease (1) or never increase (-1); null when a sampled key is negative
 * or non-finite.
 */
function drawSample(pools: readonly Pool[], views: readonly Int32Array[]): { keys: Int32Array; order: Int8Array } | null {
  const allN = pools.reduce((s, p) => s + p.values.length, 0);
  const step = sampleStep(allN);
  const runs = Math.ceil(allN / step);
  // A typed array, not a JS array: no garbage on the V8 heap, and sort() is numeric.
  const sample = new Int32Array(runs);
  // Per pool: sampled keys, rises and falls between consecutive ones.
  const count = new Int32Array(pools.length);
  const rises = new Int32Array(pools.length);
  const falls = new Int32Array(pools.length);
  let drawn = 0;
  let pi = 0;
  let base = 0;
  let prev = -1;
  for (let j = 0; j < runs; j++) {
    // Offsets grow with j (run j's offset is below run j + 1's start), so the pools are walked forward once.
    const g = samplePosition(j, step);
    if (g >= allN) break;
    while (g >= base + pools[pi]!.values.length) {
      base += pools[pi++]!.values.length;
      prev = -1;
    }
    const i = g - base;
    const a = pools[pi]!.avail;
    if (a !== null && a[i] === 0) continue;
    const b = views[pi]![i]!;
    if (b < 0 || b > MAX_FINITE) return null;
    sample[drawn++] = b;
    if (prev >= 0) {
      if (b > prev) rises[pi]!++;
      else if (b < prev) falls[pi]!++;
    }
    count[pi]!++;
    prev = b;
  }
  const order = new Int8Array(pools.length);
  for (let p = 0; p < pools.length; p++) {
    if (count[p]! < ORDER_SAMPLES) continue;
    if (falls[p] === 0) order[p] = 1;
    else if (rises[p] === 0) order[p] = -1;
  }
  return { keys: sample.subarray(0, drawn).sort(), order };
}

/** The length of the runs the sample takes one key from, for allN entries in all. */
export function sampleStep(allN: number): number {
  return Math.max(1, Math.floor(allN / SAMPLE));
}

/** The (concatenated) position of run j's key: a fixed hash of j picks the offset inside the run. */
export function samplePosition(j: number, step: number): number {
  return j * step + (mix(j) % step);
}

/** A 32-bit integer hash (the "lowbias32" finaliser, C. Wellons, "Prospecting for hash functions", 2018). */
function mix(j: number): number {
  let x = j ^ (j >>> 16);
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

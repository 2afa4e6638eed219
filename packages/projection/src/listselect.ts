/**
 * Exact selection among the entries the list-mode scan listed (fastselect.ts):
 * the want-th largest key by a 2-digit radix select (16-bit digits, as in
 * select.ts; keys are non-negative int32), over the list ranges of the pools in
 * question, then the winners in scan order so that ties go to the lowest
 * (pool, index) first.
 */

const BINS = 65536;

/** Largest possible key + 1 as a threshold: nothing listed is above it. */
export const NO_KEY = 0x7fffffff;

/**
 * The want-th largest key among keys[from_j, to_j) for the ranges given as
 * [from0, to0, from1, to1, ...] (want >= 1), and how many keys equal to it are kept.
 */
export function kthLargestIn(keys: Int32Array, ranges: readonly number[], want: number): { t: number; ties: number } {
  const hist = new Uint32Array(BINS);
  for (let r = 0; r < ranges.length; r += 2) {
    const to = ranges[r + 1]!;
    for (let j = ranges[r]!; j < to; j++) {
      const h = keys[j]! >>> 16;
      hist[h] = hist[h]! + 1;
    }
  }
  const w1 = walk(hist, want);
  hist.fill(0);
  for (let r = 0; r < ranges.length; r += 2) {
    const to = ranges[r + 1]!;
    for (let j = ranges[r]!; j < to; j++) {
      const key = keys[j]!;
      if (key >>> 16 !== w1.bin) continue;
      const l = key & 0xffff;
      hist[l] = hist[l]! + 1;
    }
  }
  const w2 = walk(hist, want - w1.above);
  return { t: (w1.bin << 16) | w2.bin, ties: want - w1.above - w2.above };
}

/** Keys above t and equal to t in keys[from, to). */
export function countAround(keys: Int32Array, from: number, to: number, t: number): { above: number; equal: number } {
  let above = 0;
  let equal = 0;
  for (let j = from; j < to; j++) {
    const key = keys[j]!;
    above += key > t ? 1 : 0;
    equal += key === t ? 1 : 0;
  }
  return { above, equal };
}

/** Sets the listed entries with key > t, and the first `quota` with key === t, in scan order. */
export function setWinners(keys: Int32Array, index: Uint32Array, from: number, to: number, out: Uint8Array, t: number, quota: number): void {
  let ties = quota;
  for (let j = from; j < to; j++) {
    const key = keys[j]!;
    if (key > t || (key === t && ties > 0)) {
      if (key === t) ties--;
      out[index[j]!] = 1;
    }
  }
}

function walk(hist: Uint32Array, k: number): { bin: number; above: number } {
  let above = 0;
  for (let b = hist.length - 1; b >= 0; b--) {
    const c = hist[b]!;
    if (above + c >= k) return { bin: b, above };
    above += c;
  }
  throw new Error(`internal: bracket select asked for ${k}, found ${above}`);
}

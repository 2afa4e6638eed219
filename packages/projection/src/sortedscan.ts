/**
 * The list-mode scan (listscan.ts) for a pool whose keys are sorted, which the
 * sample suggests and one read-only pass proves: then the entries above the
 * bracket are a suffix (ascending) or a prefix (descending) and those inside it
 * one contiguous run, found by binary search. The mask is two fills. Scores
 * sorted within layers are one of the structured inputs a selection meets
 * (sorted runs are what quickselect-style selections such as torch.kthvalue
 * handle best), and the proof costs about a third of the general scan.
 *
 * Like scanPool it sets st.c (this pool's count above the bracket) and st.flag
 * and appends to the list. Returns false, having written nothing, when the pool is not sorted after all
 * or holds a negative or non-finite key; the caller then runs the general scan,
 * which reports bad keys.
 */
import { upperBound } from './bounds.js';
import type { List, ScanState } from './listscan.js';
import { MAX_FINITE } from './sample.js';

/** Keys between proofs that the pool is still sorted: a wrong guess costs at most this much more. */
const BLOCK = 8192;

export function scanSortedPool(u: Int32Array, out: Uint8Array, dir: 1 | -1, hi: number, lo: number, listed: List, st: ScanState): boolean {
  const n = u.length;
  if (n < 2 || !(dir === 1 ? nonDecreasing(u) : nonIncreasing(u))) return false;
  // Sorted and free of negative keys: the largest key is at one end; it must be finite.
  if ((dir === 1 ? u[n - 1]! : u[0]!) > MAX_FINITE) return false;
  // Ascending: keys > hi are [aboveFrom, n), keys in [lo, hi] are [insideFrom, aboveFrom).
  // Descending: keys > hi are [0, aboveTo), keys in [lo, hi] are [aboveTo, insideTo).
  let from: number;
  let to: number;
  if (dir === 1) {
    to = upperBound(u, hi);
    from = upperBound(u, lo - 1);
    out.fill(0, 0, to);
    out.fill(1, to);
    st.c = n - to;
  } else {
    from = firstAtMostReversed(u, hi);
    to = firstAtMostReversed(u, lo - 1);
    out.fill(1, 0, from);
    out.fill(0, from);
    st.c = from;
  }
  st.flag = 0;
  const index = listed.index;
  const keys = listed.key;
  const cap = index.length;
  let nl = st.nl;
  for (let i = from; i < to; i++) {
    if (nl < cap) {
      index[nl] = i;
      keys[nl] = u[i]!;
    }
    nl++;
  }
  st.nl = nl;
  return true;
}

/**
 * Whether every key is >= 0 and each is >= the one before: the OR of every key and
 * every difference is non-negative exactly then (once all earlier keys are
 * non-negative a difference cannot overflow, and a negative key shows itself).
 * Four keys per step, as the general scan; checked block by block, so an
 * unsorted pool is given up early.
 */
function nonDecreasing(u: Int32Array): boolean {
  const n = u.length;
  let flag = u[0]! | 0;
  let prev = flag;
  let i = 1;
  while (i + 3 < n && flag >= 0) {
    const end = Math.min(n - 3, i + BLOCK);
    for (; i < end; i += 4) {
      const a = u[i]! | 0;
      const b = u[i + 1]! | 0;
      const c = u[i + 2]! | 0;
      const d = u[i + 3]! | 0;
      flag |= a | b | c | d | ((a - prev) | 0) | ((b - a) | 0) | ((c - b) | 0) | ((d - c) | 0);
      prev = d;
    }
  }
  for (; i < n; i++) {
    const x = u[i]! | 0;
    flag |= x | ((x - prev) | 0);
    prev = x;
  }
  return flag >= 0;
}

/** As `nonDecreasing`, for keys that never increase. */
function nonIncreasing(u: Int32Array): boolean {
  const n = u.length;
  let flag = u[0]! | 0;
  let prev = flag;
  let i = 1;
  while (i + 3 < n && flag >= 0) {
    const end = Math.min(n - 3, i + BLOCK);
    for (; i < end; i += 4) {
      const a = u[i]! | 0;
      const b = u[i + 1]! | 0;
      const c = u[i + 2]! | 0;
      const d = u[i + 3]! | 0;
      flag |= a | b | c | d | ((prev - a) | 0) | ((a - b) | 0) | ((b - c) | 0) | ((c - d) | 0);
      prev = d;
    }
  }
  for (; i < n; i++) {
    const x = u[i]! | 0;
    flag |= x | ((prev - x) | 0);
    prev = x;
  }
  return flag >= 0;
}

/** In descending u: the first index whose key is <= t (n if none). */
function firstAtMostReversed(u: Int32Array, t: number): number {
  let a = 0;
  let b = u.length;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (u[m]! <= t) b = m;
    else a = m + 1;
  }
  return a;
}

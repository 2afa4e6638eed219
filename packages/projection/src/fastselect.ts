/**
 * The fast path of exact top-k for float32 scores that are all non-negative
 * and finite (the usual case: magnitudes, |grad * w|, Fisher, ...).
 *
 * Method (Floyd & Rivest 1975, "Expected time bounds for selection", CACM:
 * bracket the k-th element with a sample, then scan once):
 * 1. Draw a deterministic strided sample of the keys, sort it, and read off two
 *    keys lo <= hi that bracket the k-th largest with high probability.
 * 2. One pass over the data writes mask = (key > hi) branch-free, counts it, and
 *    lists the (rare) entries with lo <= key <= hi together with their keys, so
 *    step 3 never goes back to the scores (a gather from 100 MB costs a cache
 *    miss per entry). The same pass checks that every key is a non-negative
 *    finite float (an add and two ORs per entry).
 * 3. If the bracket holds (#above <= k <= #above + #listed), an exact radix select
 *    over the listed entries finds the threshold, and the listed winners are set,
 *    ties to the lowest (pool, index) since the list is in scan order.
 * Otherwise (bad bracket, too many listed, a negative or non-finite score) it
 * returns null and the caller runs the general radix select (select.ts); the
 * answer is the same either way, only the time differs.
 *
 * For a non-negative float32 the IEEE bits, read as int32, are already in value
 * order (and -0 never gets here: its bits are negative), so no key map is needed.
 *
 * Why branch-free: with random scores, `x > t ? 1 : 0` mispredicts often enough
 * to triple the cost of the pass; (t - b) >>> 31 is one subtraction and a shift.
 */
import type { Pool } from './select.js';

/** Float32 bits of the largest finite float: every finite non-negative key is <= this. */
const MAX_FINITE = 0x7f7fffff;
const SAMPLE = 32768;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export interface FastPool extends Pool {
  values: Float32Array;
  /** Available entries (the count of 1s in avail, or values.length). */
  available: number;
}

/**
 * Returns the kept count per pool, or null when the caller must use the general
 * path. `beforeWrite` runs once, just before the first mask is written.
 */
export function selectFast32(pools: readonly FastPool[], k: number, beforeWrite?: () => void): number[] | null {
  const total = pools.reduce((s, p) => s + p.available, 0);
  if (total >= 2 ** 32) return null;
  if (k <= 0 || k >= total) return null; // trivial cases: the general path is already cheap for them
  const views = pools.map((p) => new Int32Array(p.values.buffer, p.values.byteOffset, p.values.length));

  // 1. Sample (strided over all entries, available ones only) and bracket.
  const allN = pools.reduce((s, p) => s + p.values.length, 0);
  const step = Math.max(1, Math.floor(allN / SAMPLE));
  // A typed array, not a JS array: no garbage on the V8 heap, and sort() is numeric.
  const sample = new Int32Array(Math.ceil(allN / step));
  let drawn = 0;
  let pi = 0;
  let base = 0;
  for (let g = 0; g < allN; g += step) {
    while (g >= base + pools[pi]!.values.length) base += pools[pi++]!.values.length;
    const i = g - base;
    const a = pools[pi]!.avail;
    if (a !== null && a[i] === 0) continue;
    const b = views[pi]![i]!;
    if (b < 0 || b > MAX_FINITE) return null;
    sample[drawn++] = b;
  }
  const s = sample.subarray(0, drawn).sort();
  const m = s.length;
  if (m < 64) return null;
  const q = k / total; // fraction kept
  const r = q * m; // rank from the top, in the sample
  const delta = 4 * Math.sqrt(m * q * (1 - q)) + 16;
  const hiRank = Math.floor(r - delta);
  const loRank = Math.ceil(r + delta);
  const hi = hiRank < 0 ? MAX_FINITE : s[m - 1 - hiRank]!;
  const lo = loRank >= m ? 0 : s[m - 1 - loRank]!;
  const span = hi - lo;
  const cap = Math.max(1024, Math.floor(total / 16));
  const size = Math.min(cap, total);
  const listed: List = { index: new Uint32Array(size), key: new Int32Array(size) };

  // 2. One pass: mask = key > hi, list keys in [lo, hi], check finiteness.
  const counts: number[] = [];
  const listStart: number[] = [];
  let nl = 0;
  let above = 0;
  const scan: ScanState = { c: 0, flag: 0, nl: 0 };
  beforeWrite?.();
  for (let p = 0; p < pools.length; p++) {
    const u = views[p]!;
    const out = pools[p]!.out;
    const a = pools[p]!.avail;
    listStart.push(nl);
    scan.nl = nl;
    scanPool(u, a, out, hi, lo, span, listed, scan);
    const c = scan.c;
    const flag = scan.flag;
    nl = scan.nl;
    // A negative or non-finite key sets the sign bit of `flag`.
    if (flag < 0) return null;
    counts.push(c);
    above += c;
  }
  if (nl > size || above > k || above + nl < k) return null;
  listStart.push(nl);

  // 3. Exact selection among the listed entries: the (k - above)-th largest key,
  // by a 2-digit radix select over the list (keys are non-negative int32).
  const want = k - above;
  if (want === 0) return counts;
  const keys = listed.key.subarray(0, nl);
  const { t, ties } = kthLargest(keys, want);
  let left = ties;
  for (let p = 0; p < pools.length; p++) {
    const r = setWinners(keys, listed.index, listStart[p]!, listStart[p + 1]!, pools[p]!.out, t, left);
    left = r.left;
    counts[p] = counts[p]! + r.kept;
  }
  return counts;
}

/** The entries inside the bracket, in scan order: flat index within the pool, and key. */
interface List {
  index: Uint32Array;
  key: Int32Array;
}

interface ScanState {
  /** Entries with key > hi. */
  c: number;
  /** OR of b | (b + 2^23) over all keys: negative iff some key is negative or non-finite. */
  flag: number;
  /** Listed entries so far (may exceed the list's capacity: then the caller falls back). */
  nl: number;
}

/** Scans one pool: words of four entries where the mask is 4-byte aligned, single entries for the rest. */
function scanPool(
  u: Int32Array,
  a: Uint8Array | null,
  out: Uint8Array,
  hi: number,
  lo: number,
  span: number,
  listed: List,
  st: ScanState,
): void {
  st.c = 0;
  st.flag = 0;
  let from = 0;
  if (LITTLE_ENDIAN && out.byteOffset % 4 === 0) {
    const o32 = new Uint32Array(out.buffer, out.byteOffset, out.length >>> 2);
    if (a === null) scanWords(u, o32, hi, lo, listed, st);
    else scanWordsAvail(u, a, o32, hi, lo, listed, st);
    from = o32.length * 4;
  }
  if (a === null) scanPlain(u, out, from, hi, lo, span, listed, st);
  else scanAvail(u, a, out, from, hi, lo, span, listed, st);
}

// The scan loops live in small functions of their own so the JIT optimises them
// as tight loops (inside the large caller they ran about 2x slower). The word
// loops handle four entries per iteration and store their four mask bytes as one
// uint32, byte q of the word being entry 4j + q (little-endian only: on a
// big-endian platform the single-entry loops do all the work); the window test is one sign check per four entries, because an entry
// is in [lo, hi] iff (b - lo) | (hi - b) >= 0, and the AND of four such values is
// non-negative iff at least one entry is in the window.

function scanWords(u: Int32Array, o32: Uint32Array, hi: number, lo: number, listed: List, st: ScanState): void {
  const words = o32.length;
  const index = listed.index;
  const keys = listed.key;
  const cap = index.length;
  let c = 0;
  let flag = 0;
  let nl = st.nl;
  for (let j = 0; j < words; j++) {
    const i = j << 2;
    const b0 = u[i]! | 0;
    const b1 = u[i + 1]! | 0;
    const b2 = u[i + 2]! | 0;
    const b3 = u[i + 3]! | 0;
    flag |= b0 | b1 | b2 | b3 | ((b0 + 0x00800000) | 0) | ((b1 + 0x00800000) | 0) | ((b2 + 0x00800000) | 0) | ((b3 + 0x00800000) | 0);
    const x0 = (hi - b0) | 0;
    const x1 = (hi - b1) | 0;
    const x2 = (hi - b2) | 0;
    const x3 = (hi - b3) | 0;
    const g0 = x0 >>> 31;
    const g1 = x1 >>> 31;
    const g2 = x2 >>> 31;
    const g3 = x3 >>> 31;
    o32[j] = g0 | (g1 << 8) | (g2 << 16) | (g3 << 24);
    c = (c + g0 + g1 + g2 + g3) | 0;
    const e0 = (b0 - lo) | x0;
    const e1 = (b1 - lo) | x1;
    const e2 = (b2 - lo) | x2;
    const e3 = (b3 - lo) | x3;
    if ((e0 & e1 & e2 & e3) >= 0) {
      if (e0 >= 0) nl = push(index, keys, cap, nl, i, b0);
      if (e1 >= 0) nl = push(index, keys, cap, nl, i + 1, b1);
      if (e2 >= 0) nl = push(index, keys, cap, nl, i + 2, b2);
      if (e3 >= 0) nl = push(index, keys, cap, nl, i + 3, b3);
    }
  }
  st.c += c;
  st.flag |= flag;
  st.nl = nl;
}

/**
 * As scanWords, for entries that may be kept only where `a` is nonzero. `a` may
 * be `out` itself (n:m candidates): every byte of `a` a word covers is read
 * before the word is stored, and the listing uses those reads, not `a` again.
 */
function scanWordsAvail(
  u: Int32Array,
  a: Uint8Array,
  o32: Uint32Array,
  hi: number,
  lo: number,
  listed: List,
  st: ScanState,
): void {
  const words = o32.length;
  const index = listed.index;
  const keys = listed.key;
  const cap = index.length;
  let c = 0;
  let flag = 0;
  let nl = st.nl;
  for (let j = 0; j < words; j++) {
    const i = j << 2;
    const b0 = u[i]! | 0;
    const b1 = u[i + 1]! | 0;
    const b2 = u[i + 2]! | 0;
    const b3 = u[i + 3]! | 0;
    flag |= b0 | b1 | b2 | b3 | ((b0 + 0x00800000) | 0) | ((b1 + 0x00800000) | 0) | ((b2 + 0x00800000) | 0) | ((b3 + 0x00800000) | 0);
    // ok = 1 where a[] is nonzero (a byte is in [0, 255], so -a is negative iff a > 0).
    const ok0 = -a[i]! >>> 31;
    const ok1 = -a[i + 1]! >>> 31;
    const ok2 = -a[i + 2]! >>> 31;
    const ok3 = -a[i + 3]! >>> 31;
    const x0 = (hi - b0) | 0;
    const x1 = (hi - b1) | 0;
    const x2 = (hi - b2) | 0;
    const x3 = (hi - b3) | 0;
    const g0 = (x0 >>> 31) & ok0;
    const g1 = (x1 >>> 31) & ok1;
    const g2 = (x2 >>> 31) & ok2;
    const g3 = (x3 >>> 31) & ok3;
    // e >= 0 iff the entry is available and in [lo, hi] (ok - 1 is 0 or -1).
    const e0 = (b0 - lo) | x0 | (ok0 - 1);
    const e1 = (b1 - lo) | x1 | (ok1 - 1);
    const e2 = (b2 - lo) | x2 | (ok2 - 1);
    const e3 = (b3 - lo) | x3 | (ok3 - 1);
    o32[j] = g0 | (g1 << 8) | (g2 << 16) | (g3 << 24);
    c = (c + g0 + g1 + g2 + g3) | 0;
    if ((e0 & e1 & e2 & e3) >= 0) {
      if (e0 >= 0) nl = push(index, keys, cap, nl, i, b0);
      if (e1 >= 0) nl = push(index, keys, cap, nl, i + 1, b1);
      if (e2 >= 0) nl = push(index, keys, cap, nl, i + 2, b2);
      if (e3 >= 0) nl = push(index, keys, cap, nl, i + 3, b3);
    }
  }
  st.c += c;
  st.flag |= flag;
  st.nl = nl;
}

/** Appends one listed entry while there is room; counts it either way (an overflow makes the caller fall back). */
function push(index: Uint32Array, keys: Int32Array, cap: number, nl: number, i: number, key: number): number {
  if (nl < cap) {
    index[nl] = i;
    keys[nl] = key;
  }
  return nl + 1;
}

function scanPlain(u: Int32Array, out: Uint8Array, from: number, hi: number, lo: number, span: number, listed: List, st: ScanState): void {
  const n = u.length;
  const index = listed.index;
  const keys = listed.key;
  const cap = index.length;
  let c = 0;
  let flag = 0;
  let nl = st.nl;
  for (let i = from; i < n; i++) {
    const b = u[i]!;
    flag |= b | (b + 0x00800000);
    const g = (hi - b) >>> 31;
    out[i] = g;
    c += g;
    if ((b - lo) >>> 0 <= span) {
      if (nl < cap) {
            index[nl] = i;
            keys[nl] = u[i]!;
          }
      nl++;
    }
  }
  st.c += c;
  st.flag |= flag;
  st.nl = nl;
}

function scanAvail(
  u: Int32Array,
  a: Uint8Array,
  out: Uint8Array,
  from: number,
  hi: number,
  lo: number,
  span: number,
  listed: List,
  st: ScanState,
): void {
  const n = u.length;
  const index = listed.index;
  const keys = listed.key;
  const cap = index.length;
  let c = 0;
  let flag = 0;
  let nl = st.nl;
  for (let i = from; i < n; i++) {
    const b = u[i]!;
    const ok = a[i]!;
    flag |= b | (b + 0x00800000);
    const g = ((hi - b) >>> 31) & (-ok >>> 31);
    out[i] = g;
    c += g;
    if ((b - lo) >>> 0 <= span && ok !== 0) {
      if (nl < cap) {
            index[nl] = i;
            keys[nl] = u[i]!;
          }
      nl++;
    }
  }
  st.c += c;
  st.flag |= flag;
  st.nl = nl;
}

/** The want-th largest of non-negative int32 keys (2-digit radix select) and how many equal to it to keep. */
function kthLargest(keys: Int32Array, want: number): { t: number; ties: number } {
  const hist = new Uint32Array(65536);
  const n = keys.length;
  for (let j = 0; j < n; j++) {
    const h = keys[j]! >>> 16;
    hist[h] = hist[h]! + 1;
  }
  const w1 = walk(hist, want);
  hist.fill(0);
  for (let j = 0; j < n; j++) {
    const key = keys[j]!;
    if (key >>> 16 !== w1.bin) continue;
    const l = key & 0xffff;
    hist[l] = hist[l]! + 1;
  }
  const w2 = walk(hist, want - w1.above);
  return { t: (w1.bin << 16) | w2.bin, ties: want - w1.above - w2.above };
}

/** Sets the listed winners in scan order, so ties go to the lowest index first. */
function setWinners(
  keys: Int32Array,
  listed: Uint32Array,
  from: number,
  to: number,
  out: Uint8Array,
  t: number,
  ties: number,
): { kept: number; left: number } {
  let kept = 0;
  for (let j = from; j < to; j++) {
    const key = keys[j]!;
    if (key > t || (key === t && ties > 0)) {
      if (key === t) ties--;
      out[listed[j]!] = 1;
      kept++;
    }
  }
  return { kept, left: ties };
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

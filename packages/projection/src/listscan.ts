/**
 * The one pass of the fast path in list mode (see fastselect.ts): for every
 * available entry, mask = key > hi, branch-free; the count of those; the
 * finiteness and sign check; and the list of the (rare) entries with
 * lo <= key <= hi, with their keys, in scan order.
 *
 * For a non-negative float32 the IEEE bits, read as int32, are already in value
 * order, so the keys are the bits. Why branch-free: with random scores,
 * `x > t ? 1 : 0` mispredicts often enough to triple the cost of the pass;
 * (t - b) >>> 31 is one subtraction and a shift.
 */
import { LITTLE_ENDIAN } from './endian.js';

/** The entries inside the bracket, in scan order: flat index within the pool, and key. */
export interface List {
  index: Uint32Array;
  key: Int32Array;
}

export interface ScanState {
  /** Entries with key > hi. */
  c: number;
  /** OR of b | (b + 2^23) over all keys: negative iff some key is negative or non-finite. */
  flag: number;
  /** Listed entries so far (may exceed the list's capacity: then the caller falls back). */
  nl: number;
}

/** Scans one pool: words of four entries where the mask is 4-byte aligned, single entries for the rest. */
export function scanPool(u: Int32Array, a: Uint8Array | null, out: Uint8Array, hi: number, lo: number, span: number, listed: List, st: ScanState): void {
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
function scanWordsAvail(u: Int32Array, a: Uint8Array, o32: Uint32Array, hi: number, lo: number, listed: List, st: ScanState): void {
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
        keys[nl] = b;
      }
      nl++;
    }
  }
  st.c += c;
  st.flag |= flag;
  st.nl = nl;
}

function scanAvail(u: Int32Array, a: Uint8Array, out: Uint8Array, from: number, hi: number, lo: number, span: number, listed: List, st: ScanState): void {
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
        keys[nl] = b;
      }
      nl++;
    }
  }
  st.c += c;
  st.flag |= flag;
  st.nl = nl;
}

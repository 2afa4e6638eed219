/**
 * The fast path in tie mode (see fastselect.ts): the sample says the k-th largest
 * key is one value v held by so many entries that listing them would overflow the
 * bracket list (few distinct scores, a mass of exact zeros, all-equal scores).
 * Nothing is listed. One pass writes mask = key > h (h = v, or v - 1 to keep the
 * ties for now) and counts the available entries equal to v; which ties are kept
 * is then settled by walking only as far as the tie rule needs: the first ties in
 * (pool, index) order are kept (setFirstTies), or the last ones are dropped
 * (clearLastTies).
 *
 * A key equal to v: (b ^ v) is 0 exactly then, so ((b ^ v) - 1) >>> 31 is 1 for
 * it and 0 for every other non-negative key (a negative key sets the flag and the
 * fast path gives up anyway).
 */
import { LITTLE_ENDIAN } from './endian.js';

export interface TieState {
  /** Available entries with key > h. */
  c: number;
  /** Available entries with key === v. */
  eq: number;
  /** OR of b | (b + 2^23) over all keys: negative iff some key is negative or non-finite. */
  flag: number;
}

/** Scans one pool in tie mode: four entries per step where there is no availability mask and the mask is 4-byte aligned. */
export function scanTiePool(u: Int32Array, a: Uint8Array | null, out: Uint8Array, h: number, v: number, st: TieState): void {
  st.c = 0;
  st.eq = 0;
  st.flag = 0;
  let from = 0;
  if (a === null && LITTLE_ENDIAN && out.byteOffset % 4 === 0) {
    const o32 = new Uint32Array(out.buffer, out.byteOffset, out.length >>> 2);
    tieWords(u, o32, h, v, st);
    from = o32.length * 4;
  }
  tieSingles(u, a, out, from, h, v, st);
}

function tieWords(u: Int32Array, o32: Uint32Array, h: number, v: number, st: TieState): void {
  const words = o32.length;
  let c = 0;
  let eq = 0;
  let flag = 0;
  for (let j = 0; j < words; j++) {
    const i = j << 2;
    const b0 = u[i]! | 0;
    const b1 = u[i + 1]! | 0;
    const b2 = u[i + 2]! | 0;
    const b3 = u[i + 3]! | 0;
    flag |= b0 | b1 | b2 | b3 | ((b0 + 0x00800000) | 0) | ((b1 + 0x00800000) | 0) | ((b2 + 0x00800000) | 0) | ((b3 + 0x00800000) | 0);
    const g0 = ((h - b0) | 0) >>> 31;
    const g1 = ((h - b1) | 0) >>> 31;
    const g2 = ((h - b2) | 0) >>> 31;
    const g3 = ((h - b3) | 0) >>> 31;
    o32[j] = g0 | (g1 << 8) | (g2 << 16) | (g3 << 24);
    c = (c + g0 + g1 + g2 + g3) | 0;
    eq = (eq + ((((b0 ^ v) - 1) | 0) >>> 31) + ((((b1 ^ v) - 1) | 0) >>> 31) + ((((b2 ^ v) - 1) | 0) >>> 31) + ((((b3 ^ v) - 1) | 0) >>> 31)) | 0;
  }
  st.c += c;
  st.eq += eq;
  st.flag |= flag;
}

/** One entry per step, with or without an availability mask (which may be `out` itself: a[i] is read before out[i] is written). */
function tieSingles(u: Int32Array, a: Uint8Array | null, out: Uint8Array, from: number, h: number, v: number, st: TieState): void {
  const n = u.length;
  let c = 0;
  let eq = 0;
  let flag = 0;
  for (let i = from; i < n; i++) {
    const b = u[i]! | 0;
    const ok = a === null ? 1 : -a[i]! >>> 31;
    flag |= b | ((b + 0x00800000) | 0);
    const g = (((h - b) | 0) >>> 31) & ok;
    out[i] = g;
    c += g;
    eq += ((((b ^ v) - 1) | 0) >>> 31) & ok;
  }
  st.c += c;
  st.eq += eq;
  st.flag |= flag;
}

/**
 * Keeps every available entry equal to v (a pool before the cutoff, in the
 * direction where the scan dropped the ties). Branch-free: the ties are too many
 * for a branch per entry to be predicted.
 */
export function setAllTies(u: Int32Array, a: Uint8Array | null, out: Uint8Array, v: number): void {
  const n = u.length;
  if (a === null) {
    for (let i = 0; i < n; i++) out[i] = out[i]! | (((((u[i]! ^ v) - 1) | 0) >>> 31) & 1);
  } else {
    for (let i = 0; i < n; i++) out[i] = out[i]! | (((((u[i]! ^ v) - 1) | 0) >>> 31) & (-a[i]! >>> 31));
  }
}

/** Drops every entry equal to v (a pool past the cutoff, where the scan kept the ties). Branch-free. */
export function clearAllTies(u: Int32Array, out: Uint8Array, v: number): void {
  const n = u.length;
  for (let i = 0; i < n; i++) {
    const x = u[i]! ^ v; // 0 exactly for a tie; keys are non-negative, so x >= 0
    out[i] = out[i]! & ((x | -x) >>> 31);
  }
}

/**
 * Keeps the first q available entries equal to v, in index order (the scan left
 * them all 0): the one pool where the cutoff falls. Stops at the q-th.
 */
export function setFirstTies(u: Int32Array, a: Uint8Array | null, out: Uint8Array, v: number, q: number): void {
  const n = u.length;
  let left = q;
  if (a === null) {
    for (let i = 0; i < n && left > 0; i++) {
      if (u[i] === v) {
        out[i] = 1;
        left--;
      }
    }
  } else {
    for (let i = 0; i < n && left > 0; i++) {
      if (u[i] === v && a[i] !== 0) {
        out[i] = 1;
        left--;
      }
    }
  }
}

/**
 * Drops the last r kept entries equal to v (the scan kept every available tie),
 * walking back from the end, so the first ones stay: the same tie rule read from
 * the other side, for the one pool where the cutoff falls. Needs no availability
 * mask: only available ties are set.
 */
export function clearLastTies(u: Int32Array, out: Uint8Array, v: number, r: number): void {
  let left = r;
  for (let i = u.length - 1; i >= 0 && left > 0; i--) {
    if (u[i] === v && out[i] === 1) {
      out[i] = 0;
      left--;
    }
  }
}

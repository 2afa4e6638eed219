/**
 * Exact top-k selection over several score arrays, without sorting and without
 * copying the scores.
 *
 * Method: radix select (MSD, 16-bit digits) on the IEEE-754 bits mapped to an
 * order-preserving unsigned key (the classic float-to-sortable-integer map, see
 * e.g. Terdiman, "Radix Sort Revisited", and Alabi et al. 2012, "Fast k-selection
 * algorithms for graphics processing units"). Each pass builds a 65,536-bin
 * histogram of one digit among the entries that match the digits chosen so far;
 * two passes pin the k-th largest float32 exactly, four the k-th largest float64.
 * The histogram is the only extra memory (256 KiB).
 *
 * The result is a threshold value `t` and a tie count `need`: keep every entry
 * with value > t, plus the first `need` entries equal to t in (pool order, index
 * order). That last step is the deterministic tie rule: among equal scores the
 * lower (layer, index) wins.
 *
 * Zero: -0 and +0 compare equal as numbers, so they must be ties of each other.
 * The key map below sends both to the same key (negative floats map to
 * 2^31 - magnitude instead of the usual bitwise NOT), so no special case is needed.
 */

type ScoreArray = Float32Array | Float64Array;

/** One candidate set: scores, which of them may be kept, and where to write the decision. */
export interface Pool {
  values: ScoreArray;
  /** 1 where the entry may be kept; null = all may. May alias `out`. */
  avail: Uint8Array | null;
  /** Written by `applyThreshold`: 1 = kept. */
  out: Uint8Array;
}

export interface Threshold {
  /** Keep values strictly greater than t. */
  t: number;
  /** Then keep this many values equal to t, first come first kept. */
  need: number;
}

const BINS = 65536;

/** Returns the threshold that keeps exactly `k` available entries of `pools`. */
export function selectThreshold(pools: readonly Pool[], k: number): Threshold {
  if (k <= 0 || pools.length === 0) return { t: Infinity, need: 0 };
  return pools[0]!.values instanceof Float32Array ? select32(pools, k) : select64(pools, k);
}

/**
 * Walks a histogram from the top bin down and returns the bin holding the
 * k-th largest entry, and how many entries lie in higher bins.
 */
function walk(hist: Uint32Array, k: number): { bin: number; above: number } {
  let above = 0;
  for (let b = BINS - 1; b >= 0; b--) {
    const c = hist[b]!;
    if (above + c >= k) return { bin: b, above };
    above += c;
  }
  // Unreachable when k <= number of counted entries (callers cap k).
  throw new Error(`internal: radix select asked for ${k} entries, only ${above} available`);
}

function int32View(v: Float32Array): Int32Array {
  return new Int32Array(v.buffer, v.byteOffset, v.length);
}

/**
 * float32 bits (as int32 b) -> sortable uint32 key:
 *   b >= 0 (positive, +0): b + 2^31
 *   b <  0 (negative, -0): 2^31 - magnitude = -b (as uint32)
 * so -0 and +0 share key 2^31.
 */
function select32(pools: readonly Pool[], k: number): Threshold {
  const hist = new Uint32Array(BINS);
  // Pass 1: high 16 bits of the key.
  for (const p of pools) {
    const u = int32View(p.values as Float32Array);
    const a = p.avail;
    const n = u.length;
    if (a === null) {
      for (let i = 0; i < n; i++) {
        const b = u[i]!;
        const h = b < 0 ? -b >>> 16 : (b >>> 16) | 0x8000;
        hist[h] = hist[h]! + 1;
      }
    } else {
      for (let i = 0; i < n; i++) {
        if (a[i] === 0) continue;
        const b = u[i]!;
        const h = b < 0 ? -b >>> 16 : (b >>> 16) | 0x8000;
        hist[h] = hist[h]! + 1;
      }
    }
  }
  const first = walk(hist, k);
  const hi = first.bin;
  hist.fill(0);
  // Pass 2: low 16 bits, among entries whose high digit is `hi`.
  for (const p of pools) {
    const u = int32View(p.values as Float32Array);
    const a = p.avail;
    const n = u.length;
    for (let i = 0; i < n; i++) {
      const b = u[i]!;
      const key = b < 0 ? -b >>> 0 : (b + 0x80000000) >>> 0;
      if (key >>> 16 !== hi || (a !== null && a[i] === 0)) continue;
      const l = key & 0xffff;
      hist[l] = hist[l]! + 1;
    }
  }
  const second = walk(hist, k - first.above);
  const key = ((hi << 16) | second.bin) >>> 0;
  const bits = key >= 0x80000000 ? key - 0x80000000 : -key;
  const t = new Float32Array(new Int32Array([bits]).buffer)[0]!;
  return { t, need: k - first.above - second.above };
}

/** float64 -> sortable 64-bit key as (hi, lo) uint32 words; -0 is never passed (group scores start at +0). */
function select64(pools: readonly Pool[], k: number): Threshold {
  const hist = new Uint32Array(BINS);
  let remaining = k;
  // The key digits chosen so far: hiKey is complete after pass 2, loKey high digit after pass 3.
  let hiKey = 0;
  let loHigh = 0;
  for (let pass = 0; pass < 4; pass++) {
    hist.fill(0);
    for (const p of pools) {
      const v = p.values as Float64Array;
      const u = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
      const a = p.avail;
      const n = v.length;
      for (let i = 0; i < n; i++) {
        if (a !== null && a[i] === 0) continue;
        const wh = u[2 * i + 1]!;
        const wl = u[2 * i]!;
        const neg = wh >>> 31 === 1;
        const kh = neg ? ~wh >>> 0 : (wh ^ 0x80000000) >>> 0;
        const kl = neg ? ~wl >>> 0 : wl;
        let d: number;
        if (pass === 0) d = kh >>> 16;
        else if (pass === 1) {
          if (kh >>> 16 !== hiKey >>> 16) continue;
          d = kh & 0xffff;
        } else if (pass === 2) {
          if (kh !== hiKey) continue;
          d = kl >>> 16;
        } else {
          if (kh !== hiKey || kl >>> 16 !== loHigh) continue;
          d = kl & 0xffff;
        }
        hist[d] = hist[d]! + 1;
      }
    }
    const w = walk(hist, remaining);
    remaining -= w.above;
    if (pass === 0) hiKey = (w.bin << 16) >>> 0;
    else if (pass === 1) hiKey = (hiKey | w.bin) >>> 0;
    else if (pass === 2) loHigh = w.bin;
    else {
      const loKey = ((loHigh << 16) | w.bin) >>> 0;
      const neg = hiKey >>> 31 === 0;
      const words = new Uint32Array(2);
      words[1] = neg ? ~hiKey >>> 0 : (hiKey ^ 0x80000000) >>> 0;
      words[0] = neg ? ~loKey >>> 0 : loKey;
      return { t: new Float64Array(words.buffer)[0]!, need: remaining };
    }
  }
  throw new Error('internal: unreachable');
}

/**
 * Writes the decision for every entry of every pool (in order, so the tie
 * budget goes to the lowest (pool, index) first) and returns the kept count
 * per pool.
 */
export function applyThreshold(pools: readonly Pool[], thr: Threshold): number[] {
  const counts: number[] = [];
  let need = thr.need;
  const t = thr.t;
  for (const p of pools) {
    const r = p.values instanceof Float32Array ? apply32(p.values, p.avail, p.out, t, need) : apply64(p.values, p.avail, p.out, t, need);
    need = r.need;
    counts.push(r.kept);
  }
  return counts;
}

// Two copies of the same loop so that each stays monomorphic on its array type.
function apply32(v: Float32Array, a: Uint8Array | null, out: Uint8Array, t: number, need: number) {
  let kept = 0;
  const n = v.length;
  for (let i = 0; i < n; i++) {
    if (a !== null && a[i] === 0) {
      out[i] = 0;
      continue;
    }
    const x = v[i]!;
    let keep = 0;
    if (x > t) keep = 1;
    else if (x === t && need > 0) {
      keep = 1;
      need--;
    }
    out[i] = keep;
    kept += keep;
  }
  return { kept, need };
}

function apply64(v: Float64Array, a: Uint8Array | null, out: Uint8Array, t: number, need: number) {
  let kept = 0;
  const n = v.length;
  for (let i = 0; i < n; i++) {
    if (a !== null && a[i] === 0) {
      out[i] = 0;
      continue;
    }
    const x = v[i]!;
    let keep = 0;
    if (x > t) keep = 1;
    else if (x === t && need > 0) {
      keep = 1;
      need--;
    }
    out[i] = keep;
    kept += keep;
  }
  return { kept, need };
}

/** Number of available entries in a pool. */
export function availableCount(p: Pool): number {
  if (p.avail === null) return p.values.length;
  let c = 0;
  const a = p.avail;
  for (let i = 0; i < a.length; i++) c += a[i]! === 0 ? 0 : 1;
  return c;
}

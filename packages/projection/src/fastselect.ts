/**
 * The fast path of exact top-k for float32 scores that are all non-negative
 * and finite (the usual case: magnitudes, |grad * w|, Fisher, ...).
 *
 * Method (Floyd & Rivest 1975, "Expected time bounds for selection", CACM:
 * bracket the k-th element with a sample, then scan once):
 * 1. A stratified, jittered sample of the keys brackets the k-th largest
 *    (sample.ts).
 * 2. One pass over the data (scanFast32) writes mask = (key > hi) branch-free,
 *    counts it per pool, and checks that every key is a non-negative finite
 *    float. What lies inside the bracket is kept aside:
 *    - list mode: the (rare) entries with lo <= key <= hi are listed with their
 *      keys, so step 3 never goes back to the scores (listscan.ts; for a pool
 *      whose sampled keys are in order, sortedscan.ts proves it sorted and
 *      binary-searches instead);
 *    - tie mode, when the sample shows one key all round the k-th position (few
 *      distinct scores, a mass of exact zeros), or two with nothing between them:
 *      nothing is listed, the ties of the likelier key are only counted
 *      (tiescan.ts), and the other key gets a second pass if the first was wrong.
 * 3. planFast32 finds the exact threshold for any budget over any subset of the
 *    pools, as long as it falls inside the bracket: a radix select over the
 *    list, or plain arithmetic on the tie counts. It writes nothing, so the
 *    global scope's floor iteration (scopes.ts) can re-plan after pinning a
 *    layer without another pass over the scores.
 * 4. writeFast32 sets the winners: listed entries in scan order, or the first
 *    ties in (pool, index) order. Ties go to the lowest (pool, index) either way.
 * When a step cannot answer (a bad bracket, too many listed, a negative or
 * non-finite score) it returns null and the caller runs the general radix
 * select (select.ts); the answer is the same either way, only the time differs.
 *
 * For a non-negative float32 the IEEE bits, read as int32, are already in value
 * order (and -0 never gets here: its bits are negative), so no key map is needed.
 */
import { countAround, kthLargestIn, NO_KEY, setWinners } from './listselect.js';
import { scanPool, type List, type ScanState } from './listscan.js';
import { bracketFromSample, type TieKey } from './sample.js';
import { scanSortedPool } from './sortedscan.js';
import type { Pool } from './select.js';
import { clearAllTies, clearLastTies, scanTiePool, setAllTies, setFirstTies, type TieState } from './tiescan.js';

export interface FastPool extends Pool {
  values: Float32Array;
  /** Available entries (the count of 1s in avail, or values.length). */
  available: number;
}

interface ListWindow {
  kind: 'list';
  list: List;
  /** Pool p's listed entries are list[start[p], start[p + 1]). */
  start: number[];
}

interface TieWindow {
  kind: 'tie';
  key: number;
  /** The scan wrote the ties as kept (mask = key >= tie); otherwise as dropped. */
  keptByScan: boolean;
}

/** What one scan leaves: per pool the count above the bracket (already kept in the mask) and what is inside it. */
export interface Scan32 {
  pools: readonly FastPool[];
  views: readonly Int32Array[];
  /** Available entries above the bracket, per pool. */
  above: readonly number[];
  /** Available entries inside the bracket (listed, or equal to the tie key), per pool. */
  inside: readonly number[];
  window: ListWindow | TieWindow;
}

/** The exact answer for a budget over some pools: keep keys > t, then `quota[j]` keys equal to t in pool which[j]. */
export interface Plan32 {
  which: readonly number[];
  t: number;
  counts: number[];
  quota: number[];
}

/** Scan, plan and write for all pools at once: the kept count per pool, or null for the general path. */
export function selectFast32(pools: readonly FastPool[], k: number, beforeWrite?: () => void): number[] | null {
  const scan = scanFast32(pools, k, beforeWrite);
  if (scan === null) return null;
  const plan = planFast32(
    scan,
    pools.map((_, i) => i),
    k,
  );
  if (plan === null) return null;
  writeFast32(scan, plan);
  return plan.counts;
}

/**
 * Steps 1 and 2: brackets the k-th largest and scans once. Null when the fast
 * path cannot answer; `beforeWrite` runs once, just before the first mask is written.
 */
export function scanFast32(pools: readonly FastPool[], k: number, beforeWrite?: () => void): Scan32 | null {
  const total = pools.reduce((s, p) => s + p.available, 0);
  if (total >= 2 ** 32) return null;
  if (k <= 0 || k >= total) return null; // trivial cases: the general path is already cheap for them
  const views = pools.map((p) => new Int32Array(p.values.buffer, p.values.byteOffset, p.values.length));
  const b = bracketFromSample(pools, views, k, total);
  if (b === null) return null;
  beforeWrite?.();
  if (b.kind === 'tie') return scanTies(pools, views, k, b.keys);
  const above: number[] = [];
  const inside: number[] = [];
  const cap = Math.min(Math.max(1024, Math.floor(total / 16)), total);
  const list: List = { index: new Uint32Array(cap), key: new Int32Array(cap) };
  const start: number[] = [];
  const st: ScanState = { c: 0, flag: 0, nl: 0 };
  for (let p = 0; p < pools.length; p++) {
    start.push(st.nl);
    const before = st.nl;
    const dir = b.order[p]!;
    const pool = pools[p]!;
    if (dir === 0 || pool.avail !== null || !scanSortedPool(views[p]!, pool.out, dir === 1 ? 1 : -1, b.hi, b.lo, list, st))
      scanPool(views[p]!, pool.avail, pool.out, b.hi, b.lo, b.hi - b.lo, list, st);
    if (st.flag < 0) return null;
    above.push(st.c);
    inside.push(st.nl - before);
  }
  if (st.nl > cap) return null;
  start.push(st.nl);
  return { pools, views, above, inside, window: { kind: 'list', list, start } };
}

/**
 * Tie mode: one pass per candidate key, the sample's guess first. A second key is
 * tried only when the first pass shows the k-th is on that key's side: a cutoff
 * that falls between two heavy keys costs one more pass, not the general path.
 */
function scanTies(pools: readonly FastPool[], views: readonly Int32Array[], k: number, keys: readonly TieKey[]): Scan32 | null {
  // Where a pool's availability is its own mask (n:m candidates), the scan overwrites
  // it, so only the ties it writes as kept still show which were available, and a
  // second pass would no longer know them.
  const aliased = pools.some((p) => p.avail === p.out);
  const st: TieState = { c: 0, eq: 0, flag: 0 };
  for (const [attempt, tie] of keys.entries()) {
    if (attempt > 0 && aliased) return null;
    const keptByScan = tie.keepTies || aliased;
    const h = keptByScan ? tie.key - 1 : tie.key;
    const above: number[] = [];
    const inside: number[] = [];
    for (let p = 0; p < pools.length; p++) {
      scanTiePool(views[p]!, pools[p]!.avail, pools[p]!.out, h, tie.key, st);
      // A negative or non-finite key sets the sign bit of `flag`.
      if (st.flag < 0) return null;
      above.push(keptByScan ? st.c - st.eq : st.c);
      inside.push(st.eq);
    }
    const a = above.reduce((x, y) => x + y, 0);
    const e = inside.reduce((x, y) => x + y, 0);
    if (a <= k && k <= a + e) return { pools, views, above, inside, window: { kind: 'tie', key: tie.key, keptByScan } };
    const next = keys[attempt + 1];
    if (next === undefined || a > k !== next.key > tie.key) return null;
  }
  return null;
}

/**
 * Step 3: the exact threshold for keeping k of the pools `which` (indices into
 * scan.pools, ascending), and the count per pool; null when it is not inside the
 * bracket. Writes nothing.
 */
export function planFast32(scan: Scan32, which: readonly number[], k: number): Plan32 | null {
  let above = 0;
  let inside = 0;
  for (const p of which) {
    above += scan.above[p]!;
    inside += scan.inside[p]!;
  }
  const want = k - above;
  if (want < 0 || want > inside) return null;
  const w = scan.window;
  if (want === 0) return { which, t: NO_KEY, counts: which.map((p) => scan.above[p]!), quota: which.map(() => 0) };
  if (w.kind === 'tie') {
    // Every entry inside is the tie key: the first `want` of them in pool order are kept.
    let left = want;
    const quota = which.map((p) => {
      const q = Math.min(left, scan.inside[p]!);
      left -= q;
      return q;
    });
    return { which, t: w.key, counts: which.map((p, j) => scan.above[p]! + quota[j]!), quota };
  }
  const ranges = which.flatMap((p) => [w.start[p]!, w.start[p + 1]!]);
  const { t, ties } = kthLargestIn(w.list.key, ranges, want);
  let left = ties;
  const counts: number[] = [];
  const quota: number[] = [];
  for (const p of which) {
    const c = countAround(w.list.key, w.start[p]!, w.start[p + 1]!, t);
    const q = Math.min(left, c.equal);
    left -= q;
    quota.push(q);
    counts.push(scan.above[p]! + c.above + q);
  }
  return { which, t, counts, quota };
}

/** Step 4: writes a plan's winners into the masks (the scan already set everything above the bracket). */
export function writeFast32(scan: Scan32, plan: Plan32): void {
  const w = scan.window;
  plan.which.forEach((p, j) => {
    const pool = scan.pools[p]!;
    const q = plan.quota[j]!;
    if (w.kind === 'list') {
      if (plan.t !== NO_KEY) setWinners(w.list.key, w.list.index, w.start[p]!, w.start[p + 1]!, pool.out, plan.t, q);
    } else if (w.keptByScan) {
      // Quotas go to the pools in order: all ties before the cutoff's pool, none after it.
      const drop = scan.inside[p]! - q;
      if (q === 0) clearAllTies(scan.views[p]!, pool.out, w.key);
      else if (drop > 0) clearLastTies(scan.views[p]!, pool.out, w.key, drop);
    } else if (q === scan.inside[p]!) {
      if (q > 0) setAllTies(scan.views[p]!, pool.avail, pool.out, w.key);
    } else if (q > 0) {
      setFirstTies(scan.views[p]!, pool.avail, pool.out, w.key, q);
    }
  });
}

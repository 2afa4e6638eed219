/**
 * Splitting the budget between layers, and the global-scope guard.
 *
 * Units are entries (unstructured, n:m) or groups (block, unit). Every pool
 * carries `floor`, the fewest units it must keep (1 unless allowEmptyLayers,
 * raised to ceil(minDensity * units)), already capped by what is available.
 */
import { FEW, selectFew32 } from './fewselect.js';
import { planFast32, scanFast32, selectFast32, writeFast32, type FastPool, type Plan32, type Scan32 } from './fastselect.js';
import { applyThreshold, selectThreshold, type Pool } from './select.js';

export interface LayerPool extends Pool {
  name: string;
  /** Units in the layer. */
  units: number;
  /** Units that may be kept (structure candidates, previous mask). */
  available: number;
  /** Fewest units to keep. */
  floor: number;
  /**
   * For a pool whose `avail` is its own `out` (n:m writes its candidates into
   * the mask): rewrites the candidates. A selection overwrites them with its
   * decision, so a second selection over the pool (the floor pinning below, or
   * the general path after the fast path gave up) must restore them first.
   */
  restore?: () => void;
  /** Set once a selection has written `out`. */
  written?: boolean;
}

/**
 * Global scope: keep the K best units over all pools, ranked by
 * (score desc, pool index asc, unit index asc), subject to every pool keeping
 * at least `floor` units.
 *
 * The exact optimum is: each pool's top-`floor` units, then the best remaining
 * units globally. Equivalently there is one global threshold theta and pool l
 * keeps max(floor_l, #units of l ranked above theta), with theta set so the
 * total is exactly K. We find it by iteration: select globally; pools that fall
 * under their floor are pinned at their floor (raising the threshold can only
 * lower a pool's count, so a pinned pool stays pinned) and the rest of the
 * budget is re-selected over the others. The units given to a pinned pool are
 * thereby taken from the lowest-ranked kept units elsewhere. At most one
 * iteration per pool; without pinning it is one select and one apply.
 *
 * On the fast path the iteration re-plans on what the one scan kept aside
 * (fastselect.ts), without reading the scores again; layers with very different
 * scales (trained magnitudes) pin often, and each pass over the scores cost as
 * much as the whole selection.
 */
export function selectGlobal(pools: readonly LayerPool[], k: number, beforeGeneral: () => void): { counts: number[]; pinned: number[] } {
  restore(pools);
  if (pools.every((p) => p.values instanceof Float32Array)) {
    const scan = scanFast32(pools as readonly FastPool[], k, () => markWritten(pools));
    const r = scan === null ? null : globalOnScan(pools, k, scan, beforeGeneral);
    if (r !== null) return r;
  }
  const r = pinLoop(pools, k, (free) =>
    selectKeep(
      free.map((i) => pools[i]!),
      k - pinnedFloors(pools, free),
      beforeGeneral,
    ),
  )!;
  for (const i of r.pinned) r.counts[i] = selectKeep([pools[i]!], pools[i]!.floor, beforeGeneral)[0]!;
  return r;
}

/** The global selection from one fast scan: null when a plan leaves its bracket (then nothing is settled yet). */
function globalOnScan(pools: readonly LayerPool[], k: number, scan: Scan32, beforeGeneral: () => void): { counts: number[]; pinned: number[] } | null {
  let last: Plan32 | null = null;
  const r = pinLoop(pools, k, (free) => {
    last = planFast32(scan, free, k - pinnedFloors(pools, free));
    return last?.counts ?? null;
  });
  if (r === null || last === null) return null;
  writeFast32(scan, last);
  for (const i of r.pinned) {
    const p = pools[i]!;
    const own = planFast32(scan, [i], p.floor);
    if (own === null) {
      // The pool's top-floor lies below the bracket: select it on its own (a pass over this pool only).
      r.counts[i] = selectKeep([p], p.floor, beforeGeneral)[0]!;
    } else {
      writeFast32(scan, own);
      r.counts[i] = own.counts[0]!;
    }
  }
  return r;
}

/**
 * The floor iteration: `keep(free)` keeps the budget left by the pinned pools
 * over the free ones (indices, ascending) and returns their counts, or null when
 * it cannot; pools under their floor are then pinned and the rest selected again.
 * Returns the free pools' counts and the pinned pools, whose floors the caller keeps.
 */
function pinLoop(pools: readonly LayerPool[], k: number, keep: (free: readonly number[]) => number[] | null): { counts: number[]; pinned: number[] } | null {
  const pinned = new Uint8Array(pools.length);
  const counts = new Array<number>(pools.length).fill(0);
  for (;;) {
    const free = pools.map((_, i) => i).filter((i) => pinned[i] === 0);
    const c = keep(free);
    if (c === null) return null;
    let newlyPinned = false;
    free.forEach((i, j) => {
      counts[i] = c[j]!;
      if (c[j]! < pools[i]!.floor) {
        pinned[i] = 1;
        newlyPinned = true;
      }
    });
    if (!newlyPinned) break;
  }
  return { counts, pinned: pools.map((_, i) => i).filter((i) => pinned[i] === 1) };
}

/** The units the pinned pools (those not in `free`) keep. */
function pinnedFloors(pools: readonly LayerPool[], free: readonly number[]): number {
  const isFree = new Set(free);
  return pools.reduce((s, p, i) => (isFree.has(i) ? s : s + p.floor), 0);
}

/** Per-layer scopes: each pool keeps its own top-k_l (score desc, lower index first). */
export function selectPerLayer(pools: readonly LayerPool[], ks: readonly number[], beforeGeneral: () => void): number[] {
  return pools.map((p, i) => selectKeep([p], ks[i]!, beforeGeneral)[0]!);
}

/**
 * Keeps exactly k available units of `pools` (ranked by score desc, pool asc,
 * index asc) and returns the count per pool. Tries the sample-bracket fast path
 * first (float32 scores); `beforeGeneral` runs once before the general radix
 * select (the caller checks finiteness there, since the fast path checks it for
 * free).
 */
function selectKeep(pools: readonly LayerPool[], k: number, beforeGeneral: () => void): number[] {
  restore(pools);
  if (pools.every((p) => p.values instanceof Float32Array)) {
    // The fast paths write the masks only once they are sure to answer (the heap
    // after its pass, the sample bracket once it is set); if they give up before
    // that, nothing needs restoring.
    const fast = pools as readonly FastPool[];
    const r = k <= FEW ? selectFew32(fast, k, () => markWritten(pools)) : selectFast32(fast, k, () => markWritten(pools));
    if (r !== null) return r;
  }
  beforeGeneral();
  restore(pools);
  markWritten(pools);
  return applyThreshold(pools, selectThreshold(pools, k));
}

/** Rewrites the availability of pools whose mask a selection has overwritten (see LayerPool.restore). */
function restore(pools: readonly LayerPool[]): void {
  for (const p of pools) {
    if (p.written === true && p.restore !== undefined) p.restore();
    p.written = false;
  }
}

function markWritten(pools: readonly LayerPool[]): void {
  for (const p of pools) p.written = true;
}

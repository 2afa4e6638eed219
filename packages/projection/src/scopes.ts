/**
 * Splitting the budget between layers, and the global-scope guard.
 *
 * Units are entries (unstructured, n:m) or groups (block, unit). Every pool
 * carries `floor`, the fewest units it must keep (1 unless allowEmptyLayers,
 * raised to ceil(minDensity * units)), already capped by what is available.
 */
import { selectFast32, type FastPool } from './fastselect.js';
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
 */
export function selectGlobal(
  pools: readonly LayerPool[],
  k: number,
  beforeGeneral: () => void,
): { counts: number[]; pinned: number[] } {
  const pinned = new Uint8Array(pools.length);
  const counts = new Array<number>(pools.length).fill(0);
  for (;;) {
    const free = pools.filter((_, i) => pinned[i] === 0);
    const freeIdx = pools.map((_, i) => i).filter((i) => pinned[i] === 0);
    let rest = k;
    pools.forEach((p, i) => {
      if (pinned[i] === 1) rest -= p.floor;
    });
    const c = selectKeep(free, rest, beforeGeneral);
    let newlyPinned = false;
    freeIdx.forEach((i, j) => {
      counts[i] = c[j]!;
      if (c[j]! < pools[i]!.floor) {
        pinned[i] = 1;
        newlyPinned = true;
      }
    });
    if (!newlyPinned) break;
  }
  const pinnedList: number[] = [];
  pools.forEach((p, i) => {
    if (pinned[i] === 1) {
      counts[i] = selectKeep([p], p.floor, beforeGeneral)[0]!;
      pinnedList.push(i);
    }
  });
  return { counts, pinned: pinnedList };
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
    // The fast path writes the masks only once its sample bracket is set; if it
    // gives up before that, nothing needs restoring.
    const r = selectFast32(pools as readonly FastPool[], k, () => markWritten(pools));
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

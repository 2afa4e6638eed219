import type { ChannelGroup, ChannelMap } from '@prunelab/models';
import type { LayerScores } from '@prunelab/projection';

/**
 * How a member's entries reduce to its unit score: the unit structure's
 * `reduce` (Li et al. 2017: the L1 norm of a filter), or 'sumsq', the sum of
 * squares that the Euclidean projection (projectNetWeights, ADMM's Z-step)
 * removes with the unit.
 */
export type MemberReduce = 'l1' | 'l2' | 'sum' | 'sumsq';

/**
 * How a coupled unit's score combines its members' (DepGraph, Fang et al.
 * 2023, section 3.3 "group-level importance"; Torch-Pruning's
 * `group_reduction`):
 *  - 'sum' (default): the unit's whole importance, every member's counted.
 *    In a residual stream a channel that ten convs write is worth what the
 *    ten are; a global ranking then keeps coupled channels rather than the
 *    single conv's.
 *  - 'mean': the members' average, so a channel written by many convs ranks
 *    like one written by one (Torch-Pruning's default).
 *  - 'max': the most important member decides (a channel goes only when
 *    every member can spare it).
 * The members are the kernel columns that create the unit (dense and conv
 * output channels) and the depthwise columns that follow it; batch norms
 * carry no score of their own (the scorers score kernels).
 */
export type Combine = 'sum' | 'mean' | 'max';

/** Per layer: the reduction of each output column's scores (one value per channel), in float64. */
export function columnScores(l: LayerScores, reduce: MemberReduce): Float64Array {
  const cols = l.shape.at(-1)!;
  const acc = new Float64Array(cols);
  const s = l.scores;
  for (let j = 0; j < s.length; j++) {
    const v = s[j]!;
    acc[j % cols] = acc[j % cols]! + (reduce === 'sum' ? v : reduce === 'l1' ? Math.abs(v) : v * v);
  }
  // + 0: a sum is never -0, as in the projection's own reductions.
  for (let c = 0; c < cols; c++) acc[c] = reduce === 'l2' ? Math.sqrt(acc[c]!) : acc[c]! + 0;
  return acc;
}

/** One score per unit of the group, in the group's unit order: its members' column scores, combined. */
export function groupScores(map: ChannelMap, group: ChannelGroup, columns: ReadonlyMap<number, Float64Array>, combine: Combine): Float32Array {
  return Float32Array.from(group.units, (u) => {
    const unit = map.units[u]!;
    let total = combine === 'max' ? -Infinity : 0;
    let n = 0;
    for (const m of [...unit.owners, ...unit.depthwise]) {
      const v = columns.get(m.layer)![m.channel]!;
      total = combine === 'max' ? Math.max(total, v) : total + v;
      n++;
    }
    return combine === 'mean' ? total / n : total + 0;
  });
}

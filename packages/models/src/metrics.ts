import { usesChannelGroups } from './extract/channels.js';
import { graphCounts } from './extract/graph-units.js';
import { analyzeUnits, effectiveMacs, remainingParams } from './extract/units.js';
import type { Net } from './net.js';

/**
 * What a curve point reports about the network itself. Each field is named
 * after the `points` column it is stored in (docs/querying.md documents
 * them). FLOPs are multiply-accumulates per example.
 *
 * - `sparsity`, `perLayer` (per_layer_json), `nonzeroParams`,
 *   `prunableParams`: zeros, nonzero and total weights among the prunable
 *   kernels (excluded layers left out), the quantity the targets are set on.
 * - `totalParams`: every parameter of the dense network (biases, excluded
 *   layers and fixed layers' constants included).
 * - `nonzeroTotal`: the parameters of the network that remains once
 *   everything that can no longer affect the output is removed, which is the
 *   network `extractNet` builds with its prunable kernels' zeros not counted
 *   (see `remainingParams` in extract/units.ts). A unit (neuron, filter) whose
 *   incoming kernel column is all zero is removed with its bias (its constant
 *   output is folded into the next layer's bias, as extraction does) and with
 *   the next layer's weights that read from it (Li et al. 2017, "Pruning
 *   Filters for Efficient ConvNets"). Under unit structures this is the
 *   extracted model's parameter count; under weight-level structures
 *   (unstructured, n:m, block) it is the ShrinkBench count, every parameter
 *   but the prunable zeros (Blalock et al. 2020), unless a whole unit was
 *   zeroed, whose dead outgoing weights and bias then drop out the same way.
 *   The output layer's units are never removed.
 * - compression (computed by the store) = totalParams / nonzeroTotal.
 * - `macsEffective` counts the same surviving nonzero weights: it equals the
 *   FLOPs of the network `extractNet` builds, with its zeros skipped.
 * - Batch norms count 4 parameters per channel (gamma, beta, running mean and
 *   variance, as Keras counts them) in `totalParams` and `nonzeroTotal`; MACs
 *   count the prunable layers only (geometry.ts, `architectureSize`).
 * - Graphs, batch-normalised networks and every other network that uses
 *   channel groups (`usesChannelGroups`, extract/channels.ts) count the
 *   network extraction builds there (`graphCounts`, extract/graph-units.ts):
 *   a coupled unit whose channels are all exactly zero is removed from every
 *   layer it spans, with its batch norms and the kernel rows that read it;
 *   under weight-level structures, with no such unit, that is the
 *   ShrinkBench count again.
 */
export interface NetMetrics {
  readonly sparsity: number;
  readonly perLayer: Record<string, number>;
  readonly nonzeroParams: number;
  readonly prunableParams: number;
  readonly totalParams: number;
  readonly nonzeroTotal: number;
  readonly macsDense: number;
  readonly macsEffective: number;
}

export function netMetrics(net: Net, exclude: readonly string[] = []): NetMetrics {
  const perLayer: Record<string, number> = {};
  let prunable = 0;
  let nonzeroParams = 0;
  let macsDense = 0;
  for (const p of net.params) {
    const w = p.kernel.dataSync();
    let nz = 0;
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) nz++;
    macsDense += w.length * p.outPixels;
    if (exclude.includes(p.name)) continue;
    perLayer[p.name] = 1 - nz / w.length;
    prunable += w.length;
    nonzeroParams += nz;
  }
  const totalParams = net.totalParams();
  const common = { sparsity: prunable === 0 ? 0 : 1 - nonzeroParams / prunable, perLayer, prunableParams: prunable, nonzeroParams, totalParams, macsDense };
  if (usesChannelGroups(net.arch)) {
    const counts = graphCounts(net, exclude);
    return { ...common, nonzeroTotal: counts.params, macsEffective: counts.macs };
  }
  const analysis = analyzeUnits(net);
  return { ...common, nonzeroTotal: remainingParams(net, exclude, analysis), macsEffective: effectiveMacs(net, analysis) };
}

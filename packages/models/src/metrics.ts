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
 * - Graphs and batch-normalised networks are counted without unit removal
 *   for now (`unitsRemovable` below).
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
  if (!unitsRemovable(net)) {
    return { ...common, nonzeroTotal: totalParams - (prunable - nonzeroParams), macsEffective: nonzeroMacs(net) };
  }
  const analysis = analyzeUnits(net);
  return { ...common, nonzeroTotal: remainingParams(net, exclude, analysis), macsEffective: effectiveMacs(net, analysis) };
}

/**
 * Whether extract/units.ts can tell which units of this net extraction
 * removes: a Sequential stack of dense and conv layers with biases, pooling,
 * flatten and carried-along layers. In a graph (residual adds,
 * concatenations) channels are coupled, and a batch norm turns a dead unit
 * into a nonzero constant; removing units there is channel pruning with
 * dependency groups (issue 17), which extraction does not do yet. Such nets
 * are counted the ShrinkBench way (Blalock et al. 2020): every parameter but
 * the prunable zeros, and the nonzero weights' MACs, with no unit removed.
 */
function unitsRemovable(net: Net): boolean {
  return (
    net.graph.sequential &&
    net.params.every((p) => p.bias !== undefined) &&
    net.arch.layers.every((l) => l.kind === 'dense' || l.kind === 'conv2d' || l.kind === 'maxpool' || l.kind === 'flatten' || l.kind === 'fixed')
  );
}

/** Multiply-accumulates of the nonzero weights: each applied outPixels times per example. */
function nonzeroMacs(net: Net): number {
  let total = 0;
  for (const p of net.params) {
    const w = p.kernel.dataSync();
    let nz = 0;
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) nz++;
    total += nz * p.outPixels;
  }
  return total;
}

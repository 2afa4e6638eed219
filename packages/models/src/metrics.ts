import { effectiveMacs } from './extract/units.js';
import type { Net } from './net.js';

/**
 * What a curve point reports about the network itself. Sparsity counts zeros
 * among the prunable kernels; compression = total params / nonzero params with
 * non-prunable parameters (biases, excluded layers) counted, as in ShrinkBench
 * (Blalock et al. 2020). FLOPs are multiply-accumulates per example.
 * `macsEffective` counts nonzero weights only, and under unit pruning also drops
 * the weights that read from a removed unit (Li et al. 2017): it equals the dense
 * FLOPs of the network `extractNet` builds (see extract/units.ts).
 */
export interface NetMetrics {
  readonly sparsity: number;
  readonly perLayer: Record<string, number>;
  readonly prunableParams: number;
  readonly nonzeroPrunable: number;
  readonly totalParams: number;
  readonly nonzeroParams: number;
  readonly macsDense: number;
  readonly macsEffective: number;
}

export function netMetrics(net: Net, exclude: readonly string[] = []): NetMetrics {
  const perLayer: Record<string, number> = {};
  let prunable = 0;
  let nonzeroPrunable = 0;
  let zeros = 0;
  let macsDense = 0;
  for (const p of net.params) {
    const w = p.kernel.dataSync();
    let nz = 0;
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) nz++;
    macsDense += w.length * p.outPixels;
    if (exclude.includes(p.name)) continue;
    perLayer[p.name] = 1 - nz / w.length;
    prunable += w.length;
    nonzeroPrunable += nz;
    zeros += w.length - nz;
  }
  const totalParams = net.totalParams();
  return {
    sparsity: prunable === 0 ? 0 : 1 - nonzeroPrunable / prunable,
    perLayer,
    prunableParams: prunable,
    nonzeroPrunable,
    totalParams,
    nonzeroParams: totalParams - zeros,
    macsDense,
    macsEffective: effectiveMacs(net),
  };
}

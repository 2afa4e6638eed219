import { tf } from '@prunelab/engine';
import type { Net } from '@prunelab/models';
import type { UnitScoredLayer } from './types.js';

/**
 * Host-side float64 accumulators, one per prunable kernel. Summing on the host
 * in a fixed order keeps the result bit-identical run to run and costs one
 * extra copy of the weights at most.
 */
export class Accumulator {
  readonly sums: Float64Array[];

  constructor(readonly net: Net) {
    this.sums = net.params.map((p) => new Float64Array(p.kernel.size));
  }

  /** sums[layer] += t (t is read and not disposed). */
  add(layer: number, t: tf.Tensor, scale = 1): void {
    const data = t.dataSync();
    const s = this.sums[layer]!;
    for (let i = 0; i < s.length; i++) s[i]! += scale * data[i]!;
  }

  /** Scores per layer: map(sum, weight) -> score. */
  toLayers(map: (sum: number, w: number) => number): UnitScoredLayer[] {
    return this.net.params.map((p, l) => {
      const w = p.kernel.dataSync();
      const s = this.sums[l]!;
      const scores = new Float32Array(s.length);
      for (let i = 0; i < s.length; i++) scores[i] = map(s[i]!, w[i]!);
      return { name: p.name, shape: [...p.kernel.shape], scores };
    });
  }
}

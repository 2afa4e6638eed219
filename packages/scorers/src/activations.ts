import type { LoadedDataset } from '@prunelab/datasets';
import { tf } from '@prunelab/engine';
import type { Net } from '@prunelab/models';
import { forEachBatch } from './calibration.js';

/**
 * Every unit's output over the calibration set: the post-activation output of
 * each prunable layer (after its ReLU and the per-channel layers an imported
 * model carries after it, such as a folded batch norm or an Activation layer;
 * see packages/models/src/forward.ts), conv channels globally average-pooled
 * over positions. values[l] is row-major [N, units].
 */
export interface UnitActivations {
  readonly values: Float32Array[];
  readonly units: number[];
  readonly labels: Int32Array;
  readonly n: number;
}

export function collectUnitActivations(net: Net, ds: LoadedDataset, positions: readonly Uint32Array[]): UnitActivations {
  const total = positions.reduce((s, p) => s + p.length, 0);
  const units = net.params.map((p) => p.kernel.shape.at(-1)!);
  const values = units.map((u) => new Float32Array(total * u));
  const labels = new Int32Array(total);
  let offset = 0;
  forEachBatch(ds, positions, ({ xs, labels: ys }) => {
    const b = xs.shape[0]!;
    tf.tidy(() => {
      net.forwardWith(xs, {
        observe: ({ param, post }) => {
          const pooled = post.rank === 4 ? tf.mean(post, [1, 2]) : post;
          values[param]!.set(pooled.dataSync(), offset * units[param]!);
        },
      });
    });
    labels.set(ys.dataSync(), offset);
    offset += b;
  });
  return { values, units, labels, n: total };
}

/** Equal-width bin of every value of column j, between the column's min and max; all in bin 0 when constant. */
export function binColumn(values: Float32Array, n: number, units: number, j: number, bins: number): Int32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i * units + j]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Int32Array(n);
  const width = hi - lo;
  if (!(width > 0)) return out;
  for (let i = 0; i < n; i++) out[i] = Math.min(bins - 1, Math.floor(((values[i * units + j]! - lo) / width) * bins));
  return out;
}

import { layerGeometry, type Architecture } from '@prunelab/models';

/** What a run's artifacts are made of: its prunable layers' kernels and biases, in order. */
export interface WeightLayout {
  readonly layers: ReadonlyArray<{ readonly name: string; readonly kernel: readonly number[] }>;
}

/**
 * The prunable layers of a sequential architecture with the names the Net
 * gives them (dense1, conv1, ...), from its shapes alone (no tensors).
 */
export function weightLayout(arch: Architecture): WeightLayout {
  const layers: Array<{ name: string; kernel: number[] }> = [];
  const counts = { dense: 0, conv: 0 };
  let shape: readonly number[] = arch.inputShape;
  for (const spec of arch.layers) {
    const g = layerGeometry(spec, shape);
    if (g.kernel !== undefined) layers.push({ name: spec.kind === 'dense' ? `dense${++counts.dense}` : `conv${++counts.conv}`, kernel: [...g.kernel] });
    shape = g.out;
  }
  return { layers };
}

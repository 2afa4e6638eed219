import { architectureShapes, isParamKind, layerNames, type Architecture } from '@prunelab/models';

/**
 * What a run's artifacts are made of: every array its weights file holds, in
 * the Net's order and with its names (models/names.ts), and for a kernel the
 * prunable layer it belongs to (only kernels are pruned; biases and batch
 * norms are stored whole).
 */
export interface WeightLayout {
  readonly arrays: ReadonlyArray<{ readonly name: string; readonly shape: readonly number[]; readonly kernelOf?: string }>;
  /** The prunable layers' names, in layer order (the last one is the output layer). */
  readonly prunable: readonly string[];
}

/** The layout from the architecture's shapes alone (no tensors), following its graph as the Net does. */
export function weightLayout(arch: Architecture): WeightLayout {
  const shapes = architectureShapes(arch);
  const names = layerNames(arch);
  const arrays: Array<{ name: string; shape: readonly number[]; kernelOf?: string }> = [];
  const prunable: string[] = [];
  arch.layers.forEach((spec, i) => {
    const name = names[i];
    const g = shapes.layers[i]!;
    if (name === undefined) return;
    if (isParamKind(spec) && g.kernel !== undefined) {
      prunable.push(name);
      arrays.push({ name: `${name}/kernel`, shape: g.kernel, kernelOf: name });
      if (spec.bias !== false) arrays.push({ name: `${name}/bias`, shape: [g.kernel.at(-1)!] });
    } else if (spec.kind === 'batchnorm') {
      const channels = g.out.at(-1)!;
      for (const a of ['gamma', 'beta', 'moving_mean', 'moving_variance']) arrays.push({ name: `${name}/${a}`, shape: [channels] });
    }
  });
  return { arrays, prunable };
}

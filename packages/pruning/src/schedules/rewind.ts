import { getWeights, type NamedArray, type Net } from '@prunelab/models';

/**
 * Saves the net's weights after the given optimizer steps of dense training,
 * for the iterative schedule's late rewinding (Frankle et al. 2020, rewinding
 * to iteration k instead of 0). Pass `onStep` to train(); step 0 (the initial
 * weights) is captured immediately. Plain copies: no tensors are held.
 */
export function captureWeightsAt(net: Net, steps: readonly number[]): { onStep: (step: number) => void; weights: Map<number, readonly NamedArray[]> } {
  const wanted = new Set(steps);
  const weights = new Map<number, readonly NamedArray[]>();
  if (wanted.has(0)) weights.set(0, getWeights(net).map(copy));
  return {
    weights,
    onStep: (step) => {
      if (wanted.has(step)) weights.set(step, getWeights(net).map(copy));
    },
  };
}

function copy(w: NamedArray): NamedArray {
  return { name: w.name, shape: [...w.shape], data: Float32Array.from(w.data) };
}

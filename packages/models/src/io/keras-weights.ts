import * as tf from '@tensorflow/tfjs-core';
import { modelError } from './model-error.js';

/** A weight of a model file, decoded to float32. */
export interface DecodedWeight {
  readonly shape: number[];
  readonly data: Float32Array;
}

/** Every weight decoded to float32 (tf.io.decodeWeights also undoes converter quantisation), keyed by its manifest name. */
export function decodeAll(artifacts: tf.io.ModelArtifacts): Map<string, DecodedWeight> {
  const out = new Map<string, DecodedWeight>();
  if (!artifacts.weightSpecs || artifacts.weightData === undefined) return out;
  const tensors = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  for (const [name, t] of Object.entries(tensors)) {
    out.set(name, { shape: t.shape, data: Float32Array.from(t.dataSync()) });
    t.dispose();
  }
  return out;
}

/**
 * Which layer and attribute a weights-manifest name belongs to: manifest names
 * are "dense_1/kernel" (Keras), "sequential/dense_1/kernel:0" or
 * "dense_Dense1/kernel" (tfjs-layers), so the last two path segments decide.
 */
function weightOwner(name: string): { readonly layer: string | undefined; readonly attr: string | undefined } {
  const parts = name.replace(/:\d+$/, '').split('/');
  return { layer: parts.at(-2), attr: parts.at(-1) };
}

/** The manifest name of a layer's weight, if the manifest has it. */
export function manifestName(weights: ReadonlyMap<string, unknown>, layer: string, attr: string): string | undefined {
  for (const name of weights.keys()) {
    const owner = weightOwner(name);
    if (owner.attr === attr && owner.layer === layer) return name;
  }
  return undefined;
}

/** A layer's weight, checked against the shape the layer's config implies. */
export function takeWeight(weights: ReadonlyMap<string, DecodedWeight>, layer: string, attr: string, shape: readonly number[], source: string): Float32Array {
  const name = manifestName(weights, layer, attr);
  if (name === undefined) throw modelError(`${source}: weight ${layer}/${attr} is not in the weights manifest`, 'The manifest lacks a weight the layers need: convert the model again');
  const w = weights.get(name)!;
  if (!sameShape(w.shape, shape)) {
    throw modelError(`${source}: weight ${name} has shape [${w.shape.join(', ')}], the layer needs [${shape.join(', ')}]`, 'The weights do not match the layer configs: convert the model again');
  }
  return w.data;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function prod(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

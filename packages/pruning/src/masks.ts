import * as tf from '@tensorflow/tfjs-core';
import { maskableVariables, type MaskSet, type Net } from '@prunelab/models';

/**
 * Builds tensors from projection masks (Uint8Array per layer, keyed as
 * MaskSet keys them: a layer name for its kernel, `<layer>/bias`,
 * `<bn>/gamma`, `<bn>/beta` for the variables the unit structure also masks on
 * networks with channel groups). Caller disposes with disposeMasks.
 */
export function masksFromArrays(net: Net, masks: ReadonlyArray<{ name: string; mask: Uint8Array }>): MaskSet {
  const byKey = new Map(maskableVariables(net).map((m) => [m.key, m.variable]));
  const out = new Map<string, tf.Tensor>();
  for (const { name, mask } of masks) {
    const v = byKey.get(name);
    if (!v) throw new Error(`mask for unknown layer or variable ${name}`);
    if (mask.length !== v.size) throw new Error(`mask for ${name} has ${mask.length} entries, the variable has ${v.size}`);
    out.set(name, tf.tensor(Float32Array.from(mask), v.shape));
  }
  return out;
}

/** Zeroes the pruned entries in place: v <- v * m, for every masked variable, in layer order. */
export function applyMasks(net: Net, masks: MaskSet): void {
  for (const { key, variable } of maskableVariables(net)) {
    const m = masks.get(key);
    if (m) tf.tidy(() => variable.assign(tf.mul(variable, m)));
  }
}

export function disposeMasks(masks: MaskSet): void {
  for (const m of masks.values()) m.dispose();
}

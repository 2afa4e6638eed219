import * as tf from '@tensorflow/tfjs-core';
import type { MaskSet, Net } from '@prunelab/models';

/** Builds tensors from projection masks (Uint8Array per layer). Caller disposes with disposeMasks. */
export function masksFromArrays(net: Net, masks: ReadonlyArray<{ name: string; mask: Uint8Array }>): MaskSet {
  const out = new Map<string, tf.Tensor>();
  for (const { name, mask } of masks) {
    const p = net.params.find((q) => q.name === name);
    if (!p) throw new Error(`mask for unknown layer ${name}`);
    if (mask.length !== p.kernel.size) throw new Error(`mask for ${name} has ${mask.length} entries, kernel has ${p.kernel.size}`);
    out.set(name, tf.tensor(Float32Array.from(mask), p.kernel.shape));
  }
  return out;
}

/** Zeroes the pruned weights in place: w <- w * m. */
export function applyMasks(net: Net, masks: MaskSet): void {
  for (const p of net.params) {
    const m = masks.get(p.name);
    if (m) tf.tidy(() => p.kernel.assign(tf.mul(p.kernel, m)));
  }
}

export function disposeMasks(masks: MaskSet): void {
  for (const m of masks.values()) m.dispose();
}

import * as tf from '@tensorflow/tfjs-core';
import type { NamedArray } from './architecture.js';
import type { NetLayers } from './param-layer.js';

/** Copies every kernel and bias out of the net (layer name + '/kernel' or '/bias'). */
export function getWeights(net: NetLayers): NamedArray[] {
  return net.params.flatMap((p) => [
    { name: `${p.name}/kernel`, shape: p.kernel.shape, data: p.kernel.dataSync() as Float32Array },
    { name: `${p.name}/bias`, shape: p.bias.shape, data: p.bias.dataSync() as Float32Array },
  ]);
}

export function setWeights(net: NetLayers, weights: readonly NamedArray[]): void {
  const byName = new Map(weights.map((w) => [w.name, w]));
  for (const p of net.params) {
    for (const [suffix, v] of [['kernel', p.kernel], ['bias', p.bias]] as const) {
      const w = byName.get(`${p.name}/${suffix}`);
      if (!w) throw new Error(`weights for ${p.name}/${suffix} are missing`);
      if (w.data.length !== v.size) throw new Error(`weights for ${p.name}/${suffix} have ${w.data.length} values, expected ${v.size}`);
      tf.tidy(() => v.assign(tf.tensor(w.data, v.shape)));
    }
  }
}

/**
 * Binary snapshot: 4-byte little-endian header length, a JSON header
 * `[{name, shape, offset, length}]`, then the float32 values. Used for the
 * dense-model cache, so every strategy starts from the same trained weights.
 */
export function serializeWeights(weights: readonly NamedArray[]): Buffer {
  let offset = 0;
  const header = weights.map((w) => {
    const entry = { name: w.name, shape: [...w.shape], offset, length: w.data.length };
    offset += w.data.length;
    return entry;
  });
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (4 - ((4 + json.length) % 4)) % 4;
  const out = Buffer.alloc(4 + json.length + pad + offset * 4);
  out.writeUInt32LE(json.length + pad, 0);
  json.copy(out, 4);
  out.fill(0x20, 4 + json.length, 4 + json.length + pad);
  const body = new Float32Array(out.buffer, out.byteOffset + 4 + json.length + pad, offset);
  for (const [i, w] of weights.entries()) body.set(w.data, header[i]!.offset);
  return out;
}

export function deserializeWeights(buf: Buffer): NamedArray[] {
  const headerLen = buf.readUInt32LE(0);
  const header = JSON.parse(buf.subarray(4, 4 + headerLen).toString('utf8')) as Array<{ name: string; shape: number[]; offset: number; length: number }>;
  const bodyStart = 4 + headerLen;
  const copy = new Float32Array(buf.subarray(bodyStart).buffer.slice(buf.byteOffset + bodyStart, buf.byteOffset + buf.length));
  return header.map((h) => ({ name: h.name, shape: h.shape, data: copy.subarray(h.offset, h.offset + h.length) }));
}

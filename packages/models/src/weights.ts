import * as tf from '@tensorflow/tfjs-core';
import type { NamedArray } from './architecture.js';
import { BATCH_NORM_ARRAYS, batchNormVariables } from './batch-norm.js';
import type { NetLayers } from './param-layer.js';

/**
 * Every array the net holds, under the names weight files use, in layer
 * order: `<layer>/kernel` and `<layer>/bias` of prunable layers (dense1,
 * conv1, ...), and `<bn>/gamma`, `/beta`, `/moving_mean`, `/moving_variance`
 * of batch norms (bn1, ...; Keras' names and order). The running statistics
 * are state, not trainable, but a copy of the network holds them: the dense
 * cache and rewinding restore a batch-normalised network exactly.
 */
function namedVariables(net: NetLayers): Array<readonly [string, tf.Variable]> {
  return net.arch.layers.flatMap((_, i): Array<readonly [string, tf.Variable]> => {
    const p = net.paramAt(i);
    if (p) return p.bias ? [[`${p.name}/kernel`, p.kernel], [`${p.name}/bias`, p.bias]] : [[`${p.name}/kernel`, p.kernel]];
    const bn = net.normAt(i);
    return bn ? batchNormVariables(bn).map((v, k) => [`${bn.name}/${BATCH_NORM_ARRAYS[k]!}`, v] as const) : [];
  });
}

/** Copies every array out of the net (see namedVariables). */
export function getWeights(net: NetLayers): NamedArray[] {
  return namedVariables(net).map(([name, v]) => ({ name, shape: v.shape, data: v.dataSync() as Float32Array }));
}

/**
 * Sets every array of the net from `weights` (extra entries are ignored). A
 * missing or mis-sized array is an error before anything is written, so a
 * bad file never leaves the net half set.
 */
export function setWeights(net: NetLayers, weights: readonly NamedArray[]): void {
  const byName = new Map(weights.map((w) => [w.name, w]));
  const pairs = namedVariables(net).map(([name, v]) => {
    const w = byName.get(name);
    if (!w) throw new Error(`weights for ${name} are missing`);
    if (w.data.length !== v.size) throw new Error(`weights for ${name} have ${w.data.length} values, expected ${v.size}`);
    return [v, w] as const;
  });
  for (const [v, w] of pairs) tf.tidy(() => v.assign(tf.tensor(w.data, v.shape)));
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

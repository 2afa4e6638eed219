import type * as tf from '@tensorflow/tfjs-core';
import type { NetLayers } from './param-layer.js';

/**
 * 0/1 float masks, keyed by the variable they hold at zero: a prunable
 * layer's name (dense1, conv3, dwconv1) masks its kernel; `<layer>/bias` its
 * bias; `<bn>/gamma` and `<bn>/beta` a batch norm's scale and offset.
 * Variables absent from the map are dense. Training holds them fixed (see
 * train.ts); the pruning package builds them from the projection's masks.
 *
 * Weight-level structures and the per-layer unit path of plain Sequential
 * stacks mask kernels only (their removed neurons keep a bias, whose constant
 * extraction folds). The unit structure on a network with channel groups
 * (extract/channels.ts) also masks the biases and batch norms of a removed
 * channel, so that the channel is exactly zero in the masked network, as in
 * the extracted one: a batch norm turns a zero input into beta - gamma * mean
 * / sqrt(var + eps), which no zero-padded conv after it can fold.
 */
export type MaskSet = ReadonlyMap<string, tf.Tensor>;

/** A variable that a mask may hold, and its key in a MaskSet. */
export interface MaskableVariable {
  readonly key: string;
  readonly variable: tf.Variable;
  /** A prunable kernel (the native engine masks these itself), rather than a bias or a batch norm's gamma or beta. */
  readonly kernel: boolean;
}

/** Every variable a mask may hold, in layer order (a kernel before its bias; gamma before beta). */
export function maskableVariables(net: NetLayers): MaskableVariable[] {
  return net.arch.layers.flatMap((_, i): MaskableVariable[] => {
    const p = net.paramAt(i);
    if (p) return [{ key: p.name, variable: p.kernel, kernel: true }, ...(p.bias ? [{ key: `${p.name}/bias`, variable: p.bias, kernel: false }] : [])];
    const bn = net.normAt(i);
    return bn
      ? [
          { key: `${bn.name}/gamma`, variable: bn.gamma, kernel: false },
          { key: `${bn.name}/beta`, variable: bn.beta, kernel: false },
        ]
      : [];
  });
}

import type * as tf from '@tensorflow/tfjs-core';

/**
 * 0/1 float masks for the prunable kernels, keyed by layer name; layers absent
 * from the map are dense. Training holds them fixed (see train.ts); the pruning
 * package builds them from the projection's masks.
 */
export type MaskSet = ReadonlyMap<string, tf.Tensor>;

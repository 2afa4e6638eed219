import type { FixedOp } from './ops/fixed.js';

/**
 * A network as plain data: its layers and, for an imported model, the weights
 * it starts from. Everything below the Net (geometry, forward pass, weight
 * I/O, import, the zoo) reads only this, so it lives apart from the Net class
 * that builds tfjs variables from it, and no file needs the Net to name a layer.
 */
export type Activation = 'relu' | 'linear';

export type LayerSpec =
  | { kind: 'dense'; units: number; activation: Activation }
  | { kind: 'conv2d'; filters: number; kernel: number; stride: number; padding: 'same' | 'valid'; activation: Activation }
  | { kind: 'maxpool'; size: number; stride: number }
  | { kind: 'flatten' }
  /** A non-prunable layer of an imported model, computed in forward but never pruned or trained. */
  | { kind: 'fixed'; op: FixedOp; source?: string };

/** A named copy of one variable's values, in tfjs order (row-major). */
export interface NamedArray {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface Architecture {
  readonly inputShape: readonly number[];
  readonly classes: number;
  readonly layers: readonly LayerSpec[];
  /** Weights to start from instead of the seeded init (an imported model's own weights). */
  readonly initialWeights?: readonly NamedArray[];
  /** Human-readable remarks from building it (e.g. layers of an imported model that are carried along unpruned). */
  readonly notes?: readonly string[];
}

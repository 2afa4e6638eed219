import type { FixedActivation, FixedOp } from './ops/fixed.js';

/**
 * A network as plain data: its layers and, for an imported model, the weights
 * it starts from. Everything below the Net (geometry, forward pass, weight
 * I/O, import, the zoo) reads only this, so it lives apart from the Net class
 * that builds tfjs variables from it, and no file needs the Net to name a layer.
 *
 * ## The format: a DAG of layers
 *
 * `layers` lists the layers in topological order (every layer after the
 * layers it reads). A layer reads the previous layer's output (the network's
 * input, for the first) unless it names its `inputs`: labels given to earlier
 * layers with `name`, or 'input' for the network's input. A Sequential stack
 * is the special case that names nothing. The last layer's output is the
 * network's output: logits, shape [classes]. Every other layer's output must
 * be read by some later layer (a dangling branch is a wiring mistake).
 * `resolveGraph` (graph.ts) checks all this and reports a user error naming
 * the layer and its bad input.
 *
 * `name` is a wiring label only. The names masks, per-layer sparsities and
 * `exclude`/`perLayer` configs use are given by the Net in layer order,
 * whatever the labels: `dense1, dense2, ...`, `conv1, ...`, `dwconv1, ...`
 * for the layers with prunable kernels, and `bn1, ...` for batch norms
 * (`paramLayerNames`, names.ts). A Sequential stack therefore names its layers
 * exactly as before the graph format existed.
 *
 * Shapes are per example, channels last: [units] or [h, w, channels].
 *
 * ### Example: a residual block (He et al. 2016, option B shortcut)
 *
 * ```ts
 * const layers: LayerSpec[] = [
 *   { kind: 'conv2d', filters: 16, kernel: 3, stride: 1, padding: 'same', activation: 'linear', bias: false },
 *   { kind: 'batchnorm' },
 *   { kind: 'activation', fn: 'relu', name: 'stem' },
 *   // main branch: reads 'stem' implicitly (the previous layer)
 *   { kind: 'conv2d', filters: 32, kernel: 3, stride: 2, padding: 'same', activation: 'linear', bias: false },
 *   { kind: 'batchnorm' },
 *   { kind: 'activation', fn: 'relu' },
 *   { kind: 'conv2d', filters: 32, kernel: 3, stride: 1, padding: 'same', activation: 'linear', bias: false },
 *   { kind: 'batchnorm', name: 'main' },
 *   // shortcut: a strided 1x1 conv + batch norm of the block's input
 *   { kind: 'conv2d', filters: 32, kernel: 1, stride: 2, padding: 'same', activation: 'linear', bias: false, inputs: ['stem'] },
 *   { kind: 'batchnorm', name: 'shortcut' },
 *   { kind: 'add', inputs: ['main', 'shortcut'] },
 *   { kind: 'activation', fn: 'relu' },
 *   { kind: 'globalAvgPool' },
 *   { kind: 'dense', units: 10, activation: 'linear' },
 * ];
 * ```
 * Its prunable layers are conv1 (the stem), conv2 and conv3 (the main branch),
 * conv4 (the 1x1 shortcut) and dense1; its batch norms bn1 to bn4, in the same
 * order. zoo/resnet.ts builds whole networks this way.
 */
export type Activation = 'relu' | 'linear';

/** How a layer is wired into the graph (see above). */
export interface Wiring {
  /** Label that later layers' `inputs` refer to; unique within the architecture, never 'input'. */
  name?: string;
  /** Earlier layers' labels, or 'input'; omitted: the previous layer. Two or more for add and concatenate, one otherwise. */
  inputs?: readonly string[];
}

/** Keras' (and tfjs-layers') defaults for batch normalisation, also what `batchnorm` uses when a field is omitted. */
export const BATCH_NORM_DEFAULTS = { epsilon: 1e-3, momentum: 0.99 } as const;

export type LayerSpec = Wiring &
  (
    /** z = xW + b on a flat input; `bias: false` drops b (default true, as Keras' use_bias). Prunable. */
    | { kind: 'dense'; units: number; activation: Activation; bias?: boolean }
    /** 2-D convolution, square kernel, kernel [k, k, in, filters]. Prunable. */
    | { kind: 'conv2d'; filters: number; kernel: number; stride: number; padding: 'same' | 'valid'; activation: Activation; bias?: boolean }
    /**
     * Depthwise convolution with channel multiplier 1: output channel c reads
     * input channel c alone. Its kernel is stored [k, k, 1, channels] (the
     * same values, in the same order, as tfjs' [k, k, channels, 1]) so that,
     * as for every prunable layer, the last axis is the output unit. Prunable.
     */
    | { kind: 'depthwiseConv2d'; kernel: number; stride: number; padding: 'same' | 'valid'; activation: Activation; bias?: boolean }
    | { kind: 'maxpool'; size: number; stride: number }
    /** Channels-last flatten to [h * w * channels]. */
    | { kind: 'flatten' }
    /**
     * Batch normalisation over the last (channel) axis (Ioffe & Szegedy 2015):
     * y = gamma (x - mean) / sqrt(var + epsilon) + beta, with trainable gamma
     * and beta, and running mean and variance as non-trainable state. Training
     * uses the batch's statistics and then moves the running ones towards them,
     * running = momentum * running + (1 - momentum) * batch (Keras' convention:
     * `momentum` weighs the old value; PyTorch's momentum 0.1 is Keras' 0.9),
     * with the batch's biased variance as tfjs-layers does. Inference
     * (evaluation, scoring) uses the running ones. Not prunable; counted as 4
     * parameters per channel, as Keras counts them.
     */
    | { kind: 'batchnorm'; epsilon?: number; momentum?: number }
    /** An activation on its own (conv -> batch norm -> relu). */
    | { kind: 'activation'; fn: FixedActivation }
    /** Elementwise sum of two or more inputs of the same shape (a residual connection). */
    | { kind: 'add' }
    /** Concatenation of two or more inputs along the last (channel) axis; the other axes must agree. */
    | { kind: 'concatenate' }
    /** Mean over the spatial axes: [h, w, c] -> [c]. */
    | { kind: 'globalAvgPool' }
    /**
     * Zeros around the spatial axes, ((top, bottom), (left, right)) as Keras'
     * ZeroPadding2D, and optionally before and after the channels: the channel
     * padding is what ResNet's option-A shortcut needs (He et al. 2016).
     */
    | { kind: 'zeroPad'; padding: readonly [readonly [number, number], readonly [number, number]]; channels?: readonly [number, number] }
    /** A non-prunable layer of an imported model, computed in forward but never pruned or trained. */
    | { kind: 'fixed'; op: FixedOp; source?: string }
  );

/** The kinds of layer with a prunable kernel. */
export type ParamKind = 'dense' | 'conv2d' | 'depthwiseConv2d';

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

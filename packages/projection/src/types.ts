/** Public input and output types of `project()` and `projectWeights()`. */

/** Importance per weight, row-major over `shape` (tfjs layout: last dimension = output). */
export interface LayerScores {
  name: string;
  shape: readonly number[];
  scores: Float32Array;
}

export interface LayerWeights {
  name: string;
  shape: readonly number[];
  weights: Float32Array;
}

export interface LayerMask {
  name: string;
  mask: Uint8Array;
}

/**
 * Which entries may be kept together.
 * - `unstructured`: any entry (Han et al. 2015).
 * - `n:m`: at most `n` of every `m` consecutive weights along the INPUT dimension
 *   (dense `[in, out]`: m consecutive `in` for one `out`; conv `[kh, kw, in, out]`:
 *   m consecutive input channels for one (kh, kw, out)) (Zhou et al. 2021; NVIDIA 2:4).
 * - `block`: `rows x cols` tiles of the 2-D matrix `[in, out]`; a conv layer is viewed
 *   as `[kh*kw*in, out]` (row-major reshape). Scored by summed importance; all-or-nothing.
 * - `unit`: a dense output neuron or conv output filter (all weights sharing the last
 *   index), scored by the `reduce` of its entries' scores; all-or-nothing. With
 *   `normalize: 'layer-l2'` each layer's unit scores are divided by their L2 norm
 *   over the layer before any ranking (Molchanov et al. 2017, "Pruning Convolutional
 *   Neural Networks for Resource Efficient Inference", ICLR, eq. 7), so a global
 *   ranking compares units by their share within their layer rather than by raw
 *   magnitude, which differs between layers of different fan-in and scale.
 *   `combine` is read by the channel-group projection of @prunelab/pruning
 *   (pruning/src/groups): how a dependency group's coupled channels combine
 *   their members' unit scores ('sum', the default, 'mean' or 'max'; Fang et
 *   al. 2023, DepGraph). A layer on its own is one member, so project() ignores it.
 */
export type Structure =
  | { kind: 'unstructured' }
  | { kind: 'n:m'; n: number; m: number }
  | { kind: 'block'; rows: number; cols: number }
  | { kind: 'unit'; reduce: 'l1' | 'l2' | 'sum'; normalize?: 'none' | 'layer-l2'; combine?: 'sum' | 'mean' | 'max' };

/**
 * How the budget is split between layers.
 * - `global`: one ranking over all prunable layers.
 * - `layerwise`: every layer at `sparsity`.
 * - `{ perLayer }`: explicit sparsity per layer (layers not named use `sparsity`).
 * - `erk`: Erdős–Rényi-Kernel densities (Evci et al. 2020, RigL).
 */
export type Scope = 'global' | 'layerwise' | 'erk' | { perLayer: Readonly<Record<string, number>> };

export interface ProjectionSpec {
  /** Fraction of the prunable entries to remove, in [0, 1). */
  sparsity: number;
  /** Default `'global'`. */
  scope?: Scope;
  /** Default `{ kind: 'unstructured' }`. */
  structure?: Structure;
  /** Layers never pruned: mask all ones, not counted in the prunable total. */
  exclude?: readonly string[];
  /**
   * Minimum density of every prunable layer, in [0, 1]: a layer keeps at least
   * ceil(minDensity * units) units (entries or groups). Default 0.
   */
  minDensity?: number;
  /** Allow a layer to be cut to zero density. Default false: every layer keeps at least one unit. */
  allowEmptyLayers?: boolean;
  /** Masks from an earlier step: the new mask is a subset of these unless `allowRegrowth`. */
  previous?: readonly LayerMask[];
  /** Let entries pruned by `previous` come back. Default false. */
  allowRegrowth?: boolean;
}

export interface LayerReport {
  /** Entries in the layer. */
  total: number;
  /** Entries kept. */
  kept: number;
  /** Sparsity achieved: 1 - kept / total. */
  sparsity: number;
  /** Units in the layer: entries (unstructured, n:m) or groups (block, unit). */
  units: number;
  /** Units kept. */
  keptUnits: number;
  /** Entries per unit (1 for unstructured and n:m). */
  unitSize: number;
}

export interface ProjectionResult {
  /** One mask per input layer, in input order (excluded layers: all ones). */
  masks: LayerMask[];
  achieved: {
    /** 1 - kept / prunable, exactly (0 when nothing is prunable). */
    overall: number;
    /** Sparsity per layer (0 for excluded layers). */
    perLayer: Record<string, number>;
  };
  /** Prunable entries kept. Always equal to `budget`. */
  kept: number;
  /** The feasible budget in entries (what was kept). */
  budget: number;
  /** The budget asked for: round((1 - sparsity) * prunable), or the sum of per-layer requests. */
  requestedBudget: number;
  /** Prunable entries (excluded layers not counted). */
  prunable: number;
  /** Per prunable layer details. */
  layers: Record<string, LayerReport>;
  /** Excluded layer names, in input order. */
  excluded: string[];
  /** Every adjustment made to the request (guards, caps, rounding to whole groups). */
  warnings: string[];
}

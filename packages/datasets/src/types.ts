/**
 * The contract between @prunelab/datasets and its consumers (models, runner).
 *
 * A loaded dataset is plain data: typed arrays backed by SharedArrayBuffer plus
 * JSON-able metadata. Posting it to a worker thread (postMessage / piscina
 * workerData) therefore shares the bytes instead of copying them, so N workers
 * cost one copy of the data, not N.
 */

/** Per-channel affine normalisation applied when a batch is converted to float: x = (raw * scale - mean[c]) / std[c]. */
export interface Normalization {
  readonly kind: 'scale' | 'standardize';
  /** Multiplier applied to the stored value first (1/255 for uint8 images, 1 for float data). */
  readonly scale: number;
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export type SplitName = 'train' | 'val' | 'test';

/** One split: rows of a pool (index into `pools`), selected by `indices`. */
export interface Split {
  /** Which pool the rows come from. */
  readonly pool: number;
  /** Row numbers into that pool, in a fixed deterministic order. SharedArrayBuffer-backed. */
  readonly indices: Uint32Array;
}

/** Raw examples stored once: `x` is row-major [n, ...shape], `y` holds class ids. */
export interface Pool {
  readonly x: Uint8Array | Float32Array;
  readonly y: Uint8Array;
  readonly n: number;
}

export interface DatasetIdentity {
  readonly name: string;
  /** sha256 (hex, truncated) of the source files or of the generator's parameters. */
  readonly checksum: string;
  readonly sizes: Readonly<Record<SplitName, number>>;
  /** Any other option that changes the examples (subset seed, normalisation, generator params). */
  readonly options: Readonly<Record<string, unknown>>;
}

export interface LoadedDataset {
  readonly name: string;
  /** Shape of one example, channels last: [28, 28, 1] for MNIST, [d] for flat synthetic data. */
  readonly shape: readonly number[];
  readonly classes: number;
  readonly pools: readonly Pool[];
  readonly splits: Readonly<Record<SplitName, Split>>;
  readonly normalization: Normalization;
  readonly identity: DatasetIdentity;
  /** Dataset-specific extras (the synthetic teacher's weights and masks). */
  readonly extras?: Readonly<Record<string, unknown>>;
}

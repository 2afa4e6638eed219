import type { Normalization, Pool } from './types.js';

/**
 * Normalisation is stored as numbers, not applied to the data: the pool keeps
 * the raw values and `fillBatch` converts x = (raw * scale - mean[c]) / std[c]
 * when a batch is built, with c = offset % channels (channels last).
 *
 * 'scale' maps uint8 to [0, 1] (mean 0, std 1). 'standardize' uses the
 * per-channel mean and standard deviation of the *training split* (after
 * scaling), computed at load time rather than taken from published constants:
 * it is right for any training subset and any dataset, no statistic leaks from
 * the validation or test examples, and it is deterministic because the split
 * is. For flat data (shape [d]) every feature is its own channel.
 */
export type NormalizeKind = Normalization['kind'];

export interface StatsInput {
  readonly pool: Pool;
  readonly rows: Uint32Array;
  readonly exampleSize: number;
  readonly channels: number;
  readonly scale: number;
}

export function computeNormalization(kind: NormalizeKind, s: StatsInput): Normalization {
  const { channels, scale } = s;
  if (kind === 'scale') {
    return { kind, scale, mean: new Array<number>(channels).fill(0), std: new Array<number>(channels).fill(1) };
  }
  const { mean, std } = s.pool.x instanceof Uint8Array ? byteStats(s.pool.x, s) : floatStats(s.pool.x, s);
  return {
    kind,
    scale,
    mean: mean.map((m) => m * scale),
    // A constant channel has std 0; dividing by 1 instead keeps it finite (and zero after centring).
    std: std.map((v) => (v > 0 ? v * scale : 1)),
  };
}

/** Exact statistics from a per-channel histogram of byte values: one pass, no rounding drift. */
function byteStats(x: Uint8Array, s: StatsInput): { mean: number[]; std: number[] } {
  const { rows, exampleSize: e, channels } = s;
  const hist = new Float64Array(channels * 256);
  for (const row of rows) {
    const start = row * e;
    if (channels === 1) {
      for (let k = 0; k < e; k++) hist[x[start + k]!]!++;
    } else {
      for (let k = 0; k < e; k++) hist[(k % channels) * 256 + x[start + k]!]!++;
    }
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < channels; c++) {
    let n = 0,
      sum = 0,
      sum2 = 0;
    for (let v = 0; v < 256; v++) {
      const h = hist[c * 256 + v]!;
      n += h;
      sum += h * v;
      sum2 += h * v * v;
    }
    const m = n > 0 ? sum / n : 0;
    mean.push(m);
    std.push(n > 0 ? Math.sqrt(Math.max(0, sum2 / n - m * m)) : 0);
  }
  return { mean, std };
}

/** Two passes (mean, then squared deviations) in float64 for float data. */
function floatStats(x: Float32Array, s: StatsInput): { mean: number[]; std: number[] } {
  const { rows, exampleSize: e, channels } = s;
  const sum = new Float64Array(channels);
  const count = new Float64Array(channels);
  for (const row of rows) {
    for (let k = 0; k < e; k++) {
      const c = k % channels;
      sum[c]! += x[row * e + k]!;
      count[c]!++;
    }
  }
  const mean = Array.from(sum, (v, c) => (count[c]! > 0 ? v / count[c]! : 0));
  const dev = new Float64Array(channels);
  for (const row of rows) {
    for (let k = 0; k < e; k++) {
      const c = k % channels;
      const d = x[row * e + k]! - mean[c]!;
      dev[c]! += d * d;
    }
  }
  const std = Array.from(dev, (v, c) => (count[c]! > 0 ? Math.sqrt(v / count[c]!) : 0));
  return { mean, std };
}

import { z } from 'zod';
import type { LoadedDataset } from '@prunelab/datasets';
import { tf } from '@prunelab/engine';
import { crossEntropy, type Net } from '@prunelab/models';

/** Valid input range after normalisation: one bound for all values, or one per channel (last axis). */
export interface ClipRange {
  readonly min: number | readonly number[];
  readonly max: number | readonly number[];
}

export const attackFields = {
  attack: z.enum(['fgsm', 'pgd']).default('fgsm').describe('FGSM (one signed-gradient step) or PGD (projected steps).'),
  eps: z.number().nonnegative().default(0.1).describe('L-infinity radius, in normalised input units.'),
  steps: z.number().int().positive().default(10).describe('PGD steps.'),
  stepSize: z.number().positive().optional().describe('PGD step size alpha; default 2.5 * eps / steps (Madry et al. 2018).'),
  randomStart: z.boolean().default(false).describe('PGD: start from a seeded uniform point in the eps-ball.'),
  clipMin: z.number().optional().describe("Lower bound of valid inputs; default: raw 0 mapped through the dataset's normalisation (none for float data)."),
  clipMax: z.number().optional().describe("Upper bound of valid inputs; default: raw 1 mapped through the dataset's normalisation (none for float data)."),
};

export const attackSchema = z.object({ ...attackFields, seed: z.number().int().default(0) }).strict();
export type AttackConfig = z.input<typeof attackSchema>;

/**
 * The valid range of normalised inputs. Images stored as bytes are scaled to
 * [0, 1] and then standardised per channel, so the range is
 * [(0 - mean_c) / std_c, (1 - mean_c) / std_c] per channel. Float data
 * (synthetic) has no natural bound: no clipping unless clipMin/clipMax given.
 */
export function clipRange(ds: LoadedDataset, clipMin?: number, clipMax?: number): ClipRange | undefined {
  const bytes = ds.pools.every((p) => p.x instanceof Uint8Array);
  if (clipMin === undefined && clipMax === undefined && !bytes) return undefined;
  const norm = ds.normalization;
  const ch = Math.max(1, norm.mean.length);
  const map = (raw: number) => Array.from({ length: ch }, (_, c) => (raw - (norm.mean[c] ?? 0)) / (norm.std[c] ?? 1));
  return {
    min: clipMin ?? (bytes ? map(0) : -Infinity),
    max: clipMax ?? (bytes ? map(1) : Infinity),
  };
}

export function clip(x: tf.Tensor, range: ClipRange | undefined): tf.Tensor {
  if (!range) return x;
  const bound = (b: number | readonly number[]) => (typeof b === 'number' ? tf.scalar(b) : b.length === 1 ? tf.scalar(b[0]!) : tf.tensor1d([...b]));
  return tf.minimum(tf.maximum(x, bound(range.min)), bound(range.max));
}

/** d L / d x of the mean cross-entropy at x. */
export function inputGrad(net: Net, x: tf.Tensor, labels: tf.Tensor1D): tf.Tensor {
  return tf.grad((xi: tf.Tensor) => crossEntropy(net.forward(xi), labels, net.arch.classes))(x);
}

import { createRng, PrunelabError } from '@prunelab/core';

/**
 * The standard CIFAR training augmentation of He et al. (2016), "Deep Residual
 * Learning for Image Recognition", §4.2: pad each side by `crop` pixels, take
 * a random crop of the original size, and flip it horizontally with
 * probability 1/2. As torchvision's RandomCrop(padding=4) followed by
 * RandomHorizontalFlip, which the common PyTorch recipes (ShrinkBench among
 * them) use: the padding is raw pixel value 0 before normalisation, so a
 * padded value becomes -mean/std after it, not 0.
 */
export interface Augmentation {
  /** Pixels of zero padding on each side before the random crop; 0 turns cropping off. */
  readonly crop: number;
  readonly flip: boolean;
}

/**
 * One epoch's random draws, one triple per position of the split (not per
 * batch slot), so they depend only on (seed, epoch, example) and not on the
 * batch size or the order batches are filled in.
 */
export interface AugmentPlan {
  readonly crop: number;
  readonly flip: boolean;
  /** Per split position p: offsets[3p] = row offset and offsets[3p + 1] = column offset into the padded image, each in [0, 2 crop]; offsets[3p + 2] = 1 to flip. */
  readonly offsets: Uint8Array;
}

/** The largest padding a plan stores (offsets are bytes: 2 crop must fit). */
export const MAX_CROP = 127;

/**
 * The draws for `n` examples in epoch `epoch` of a run seeded with `seed`: a
 * stream of its own (forked from the seed under its own label), so turning
 * augmentation on leaves the epoch order unchanged.
 */
export function augmentPlan(n: number, a: Augmentation, seed: number, epoch: number): AugmentPlan {
  if (!Number.isInteger(a.crop) || a.crop < 0 || a.crop > MAX_CROP) {
    throw new PrunelabError('E_INTERNAL', `augmentPlan: crop must be an integer in [0, ${MAX_CROP}], got ${a.crop}`);
  }
  const rng = createRng(seed).fork(`augment:${epoch}`);
  const offsets = new Uint8Array(3 * n);
  const span = 2 * a.crop + 1;
  for (let p = 0; p < n; p++) {
    offsets[3 * p] = a.crop > 0 ? rng.int(span) : 0;
    offsets[3 * p + 1] = a.crop > 0 ? rng.int(span) : 0;
    offsets[3 * p + 2] = a.flip ? rng.int(2) : 0;
  }
  return { crop: a.crop, flip: a.flip, offsets };
}

/** Why `shape` cannot be augmented, or undefined: crops and flips need an image, [height, width, channels]. */
export function augmentShapeProblem(shape: readonly number[]): string | undefined {
  return shape.length === 3 ? undefined : `random crops and flips need images [height, width, channels]; these examples have shape [${shape.join(', ')}]`;
}

/**
 * Writes one augmented example: out[(r W + c) C + ch] = raw(r + dy - crop, c' + dx - crop, ch) * a + b,
 * with c' = W - 1 - c when flipped (crop, then flip, as torchvision) and raw 0 outside the image.
 * `a`, `b` are the normalisation's per-offset coefficients (length 1 when uniform).
 */
export function writeAugmented(
  src: Uint8Array | Float32Array,
  srcAt: number,
  out: Float32Array,
  outAt: number,
  shape: readonly number[],
  plan: AugmentPlan,
  position: number,
  a: Float64Array,
  b: Float64Array,
): void {
  const [h, w, ch] = shape as [number, number, number];
  const dy = plan.offsets[3 * position]! - plan.crop;
  const dx = plan.offsets[3 * position + 1]! - plan.crop;
  const flip = plan.offsets[3 * position + 2] === 1;
  const uniform = a.length === 1;
  for (let r = 0; r < h; r++) {
    const sr = r + dy;
    for (let c = 0; c < w; c++) {
      const sc = (flip ? w - 1 - c : c) + dx;
      const inside = sr >= 0 && sr < h && sc >= 0 && sc < w;
      const o = (r * w + c) * ch;
      const s = srcAt + (sr * w + sc) * ch;
      for (let k = 0; k < ch; k++) {
        const raw = inside ? src[s + k]! : 0;
        const kk = uniform ? 0 : o + k;
        out[outAt + o + k] = raw * a[kk]! + b[kk]!;
      }
    }
  }
}

import { z } from 'zod';

/**
 * Options of the synthetic datasets. Each split is generated from its own
 * random stream derived from `seed`, so the validation and test sets do not
 * change when `trainSize` does.
 */
const MAX_VALUES = 2 ** 28; // 1 GiB of float32: beyond that a typo, not an experiment.

const common = {
  trainSize: z.int().min(1).default(10000),
  valSize: z.int().min(0).default(2000),
  testSize: z.int().min(0).default(2000),
  seed: z.int().min(0).default(0),
  normalize: z.enum(['scale', 'standardize']).default('scale'),
};

export const blobsSchema = z.strictObject({
  kind: z.literal('blobs'),
  dims: z.int().min(1).max(65536).default(16),
  classes: z.int().min(2).max(256).default(4),
  /** Typical distance of a class centre from the origin, in units of the (unit) noise standard deviation. */
  separation: z.number().positive().max(1e6).default(3),
  ...common,
});

export const teacherSchema = z.strictObject({
  kind: z.literal('teacher'),
  /** [inputs, hidden..., classes]. */
  layers: z
    .array(z.int().min(1).max(65536))
    .min(2)
    .default([20, 32, 10])
    .refine((l) => (l.at(-1) ?? 0) >= 2 && (l.at(-1) ?? 0) <= 256, 'the last layer is the class count: between 2 and 256'),
  /** Fraction of each teacher layer's weights that are zero (masked). */
  teacherSparsity: z.number().min(0).lt(1).default(0.5),
  ...common,
});

export const syntheticSchema = z.discriminatedUnion('kind', [blobsSchema, teacherSchema]).superRefine((o, ctx) => {
  const dims = o.kind === 'blobs' ? o.dims : (o.layers[0] ?? 1);
  const values = (o.trainSize + o.valSize + o.testSize) * dims;
  if (values > MAX_VALUES) {
    ctx.addIssue({
      code: 'custom',
      path: ['trainSize'],
      message: `(trainSize + valSize + testSize) x inputs = ${values} values exceeds the maximum ${MAX_VALUES}`,
    });
  }
});

export type BlobsOptions = z.output<typeof blobsSchema>;
export type TeacherOptions = z.output<typeof teacherSchema>;
export type SyntheticOptions = z.output<typeof syntheticSchema>;

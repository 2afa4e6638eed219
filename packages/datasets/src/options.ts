import { z } from 'zod';

/**
 * Options shared by the image datasets. Every default is written in the schema
 * because run hashes strip values equal to their default. 'all' means every
 * example that is left: the training file minus the validation set, or the
 * whole test file.
 */
const splitSizeOption = z.union([z.int().min(1), z.literal('all')]);

const imageOptions = {
  trainSize: splitSizeOption.default('all'),
  /** Held out of the training file; 5,000 as in Frankle & Carbin (2019). */
  valSize: z.int().min(0).default(5000),
  testSize: splitSizeOption.default('all'),
  splitSeed: z.int().min(0).default(0),
  normalize: z.enum(['scale', 'standardize']).default('scale'),
};

export const imageSchema = z.strictObject(imageOptions);
export const imageSchemaWithDir = z.strictObject({ ...imageOptions, dir: z.string().min(1).optional() });

export type ImageOptions = z.output<typeof imageSchema>;
export type ImageOptionsWithDir = z.output<typeof imageSchemaWithDir>;

/** Passed to a dataset's loader next to its options: where the config came from, for messages. */
export interface LoadContext {
  readonly file?: string | undefined;
}

import { canonicalJson, contentHash } from '@prunelab/core';
import { cached } from '../cache.js';
import { defineDataset } from '../entry.js';
import { makeIdentity } from '../identity.js';
import { computeNormalization } from '../normalize.js';
import { contiguousSplits } from '../splits.js';
import type { LoadedDataset } from '../types.js';
import { generateBlobs } from './blobs.js';
import { blobsSchema, syntheticSchema, teacherSchema, type SyntheticOptions } from './schema.js';
import { generateTeacherData } from './teacher.js';

/** Bump when generation changes, so old run hashes do not claim the new data. */
const GENERATOR_VERSION = 1;

function build(o: SyntheticOptions): LoadedDataset {
  const dims = o.kind === 'blobs' ? o.dims : o.layers[0]!;
  const classes = o.kind === 'blobs' ? o.classes : o.layers.at(-1)!;
  const made = o.kind === 'blobs' ? { pool: generateBlobs(o), teacher: undefined } : generateTeacherData(o);
  const pool = { x: made.pool.x, y: made.pool.y, n: made.pool.y.length };
  const splits = contiguousSplits(0, made.pool.sizes);
  // Data is already float at unit scale; 'standardize' treats each feature as a channel.
  const normalization = computeNormalization(o.normalize, {
    pool,
    rows: splits.train.indices,
    exampleSize: dims,
    channels: o.normalize === 'scale' ? 1 : dims,
    scale: 1,
  });
  // `kind` has no default: keep it in the identity even though it is in the parsed defaults.
  const { kind: _kind, ...defaults } = (o.kind === 'blobs' ? blobsSchema : teacherSchema).parse({ kind: o.kind });
  return {
    name: 'synthetic',
    shape: [dims],
    classes,
    pools: [pool],
    splits,
    normalization,
    identity: makeIdentity('synthetic', contentHash({ generator: GENERATOR_VERSION, ...o }), splits, o, defaults),
    ...(made.teacher && { extras: { teacher: made.teacher } }),
  };
}

export const synthetic = defineDataset({
  name: 'synthetic',
  description: "Generated data: kind 'blobs' (Gaussian blobs) or 'teacher' (labels from a random sparse teacher MLP, returned in extras.teacher)",
  schema: syntheticSchema,
  shape: [16],
  classes: 4,
  availability: () => ({ available: true }),
  load: (o, _ctx) => cached(`synthetic:${canonicalJson(o)}`, async () => build(o)),
});

import { makeIdentity } from './identity.js';
import { computeNormalization } from './normalize.js';
import type { ImageOptions, LoadContext } from './options.js';
import { makeSplits } from './splits.js';
import type { LoadedDataset, Pool } from './types.js';

/**
 * The part every image dataset shares once its train and test pools are
 * loaded: deterministic splits (validation held out of train), normalisation
 * fitted on the train split, and the identity that goes into run ids.
 */
export function assembleImageDataset(a: {
  name: string;
  pools: readonly [Pool, Pool];
  checksum: string;
  shape: readonly number[];
  classes: number;
  opts: ImageOptions;
  defaults: Readonly<Record<string, unknown>>;
  ctx: LoadContext;
}): LoadedDataset {
  const [train, test] = a.pools;
  const splits = makeSplits({
    trainPoolSize: train.n,
    testPoolSize: test.n,
    trainPool: 0,
    testPool: 1,
    trainSize: a.opts.trainSize,
    valSize: a.opts.valSize,
    testSize: a.opts.testSize,
    splitSeed: a.opts.splitSeed,
    file: a.ctx.file,
  });
  const channels = a.shape[a.shape.length - 1]!;
  const normalization = computeNormalization(a.opts.normalize, {
    pool: train,
    rows: splits.train.indices,
    exampleSize: a.shape.reduce((x, y) => x * y, 1),
    channels,
    scale: 1 / 255,
  });
  return {
    name: a.name,
    shape: [...a.shape],
    classes: a.classes,
    pools: a.pools,
    splits,
    normalization,
    identity: makeIdentity(a.name, a.checksum, splits, a.opts, a.defaults),
  };
}

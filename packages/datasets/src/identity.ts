import { contentHash, stripDefaults } from '@prunelab/core';
import type { DatasetIdentity, LoadedDataset, Split, SplitName } from './types.js';

/**
 * What a run hash needs to know about its data: the content (checksum of the
 * files or of the generator's parameters), the split sizes, and every option
 * that changes the examples. Options equal to their schema default are dropped
 * (like the run hash does), so adding an option with a default later does not
 * rename existing runs. `dir` is left out: the checksum already pins the bytes,
 * so the same files in another folder are the same dataset.
 */
export function makeIdentity(
  name: string,
  checksum: string,
  splits: Readonly<Record<SplitName, Split>>,
  options: Readonly<Record<string, unknown>>,
  defaults: Readonly<Record<string, unknown>>,
): DatasetIdentity {
  const { dir: _dir, ...rest } = options;
  const stripped = stripDefaults(rest, defaults);
  return {
    name,
    checksum,
    sizes: { train: splits.train.indices.length, val: splits.val.indices.length, test: splits.test.indices.length },
    options: (stripped as Record<string, unknown> | undefined) ?? {},
  };
}

export function datasetIdentity(ds: LoadedDataset): DatasetIdentity {
  return ds.identity;
}

/** Short hex digest of several sha256 digests (one per source file), order-sensitive. */
export function combineChecksums(parts: readonly string[]): string {
  return contentHash(parts, 16);
}

import { join } from 'node:path';
import { allInOrder, canonicalJson } from '@prunelab/core';
import { cached } from './cache.js';
import { CIFAR_CHANNELS, CIFAR_CLASSES, CIFAR_EXAMPLE, CIFAR_SIDE, cifarRecordCount, decodeCifarRecords } from './cifar-format.js';
import { candidateDirs, dataDir, describeSearch, findDir } from './data-dir.js';
import { availableIf, defineDataset } from './entry.js';
import { missingError } from './errors.js';
import { fileStamp, readFileShared, sha256 } from './files.js';
import { combineChecksums } from './identity.js';
import { imageSchemaWithDir, type ImageOptionsWithDir, type LoadContext } from './options.js';
import { sharedUint8 } from './shared.js';
import { assembleImageDataset } from './image-dataset.js';
import type { LoadedDataset, Pool } from './types.js';

/**
 * CIFAR-10 (Krizhevsky 2009) in its binary distribution, cifar-10-batches-bin:
 * data_batch_1..5.bin (50,000 training images) and test_batch.bin (10,000).
 * Images are converted from the files' channel-major layout to channels last,
 * [32, 32, 3], once at load time, so batches are plain copies.
 */
const TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
const TEST_FILE = 'test_batch.bin';
const SHAPE = [CIFAR_SIDE, CIFAR_SIDE, CIFAR_CHANNELS] as const;

/**
 * The binary version on its official page (https://www.cs.toronto.edu/~kriz/cifar.html),
 * which publishes the archive's md5; `prunelab data fetch cifar10` checks it.
 */
export const CIFAR10_ARCHIVE = {
  url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
  md5: 'c32a1d4ab5d03f1284b67883e8d87530',
  /** The folder the archive unpacks to, under the data folder. */
  folder: 'cifar-10-batches-bin',
  files: [...TRAIN_FILES, TEST_FILE],
} as const;

/** How to get the files; with dataset.dir set, the loader looks only there, so the fetched copy needs it pointed at it (or dropped). */
const fix = (dir: string | undefined): string => {
  const fetched = join(dataDir(), CIFAR10_ARCHIVE.folder);
  const fetch =
    dir === undefined
      ? `Run \`prunelab data fetch cifar10\` (it downloads the official binary version into ${fetched})`
      : `Run \`prunelab data fetch cifar10\` (it downloads the official binary version into ${fetched}; drop dataset.dir or point it there)`;
  return (
    `${fetch}, or download ${CIFAR10_ARCHIVE.url}, extract it (it makes ${CIFAR10_ARCHIVE.folder}/) and set dataset.dir to that folder, ` +
    `or PRUNELAB_DATA to its parent; it must hold ${CIFAR10_ARCHIVE.files.join(', ')}`
  );
};

function locate(dir: string | undefined): readonly string[] {
  const search = findDir(
    candidateDirs(dir, CIFAR10_ARCHIVE.folder, []),
    CIFAR10_ARCHIVE.files.map((f) => [f]),
  );
  if (!search.found) throw missingError(`CIFAR-10 files not found; looked in ${describeSearch(search.tried)}`, fix(dir));
  return search.found.files;
}

/** Validates and decodes already-read files in their given order, so the first damaged file named is always the same one. */
function decodePool(files: readonly Uint8Array[], paths: readonly string[]): { pool: Pool; digests: string[] } {
  let n = 0;
  files.forEach((bytes, i) => (n += cifarRecordCount(bytes.length, paths[i]!)));
  const x = sharedUint8(n * CIFAR_EXAMPLE);
  const y = sharedUint8(n);
  let at = 0;
  files.forEach((bytes, i) => (at += decodeCifarRecords(bytes, paths[i]!, x, y, at)));
  return { pool: { x, y, n }, digests: files.map(sha256) };
}

function loadPools(paths: readonly string[], stamps: string): Promise<{ pools: readonly [Pool, Pool]; checksum: string }> {
  return cached(`cifar10-pools:${stamps}`, async () => {
    // All reads finish before any check, and the checks go in file order: checking each file as its
    // read completed named whichever damaged file the disk returned first, so one bad folder gave
    // different errors run to run.
    const files = await allInOrder(paths.map(readFileShared));
    const k = TRAIN_FILES.length;
    const train = decodePool(files.slice(0, k), paths.slice(0, k));
    const test = decodePool(files.slice(k), paths.slice(k));
    return { pools: [train.pool, test.pool], checksum: combineChecksums([...train.digests, ...test.digests]) };
  });
}

const defaults = imageSchemaWithDir.parse({});

async function load(opts: ImageOptionsWithDir, ctx: LoadContext): Promise<LoadedDataset> {
  const paths = locate(opts.dir);
  const stamps = paths.map(fileStamp).join('|');
  return cached(`cifar10-dataset:${stamps}:${canonicalJson(opts)}`, async () => {
    const { pools, checksum } = await loadPools(paths, stamps);
    return assembleImageDataset({ name: 'cifar10', pools, checksum, shape: SHAPE, classes: CIFAR_CLASSES, opts, defaults, ctx });
  });
}

export const cifar10 = defineDataset({
  name: 'cifar10',
  description: 'CIFAR-10 (Krizhevsky 2009): 32x32 colour images, 10 classes, 50,000 train / 10,000 test, binary version',
  schema: imageSchemaWithDir,
  shape: SHAPE,
  classes: CIFAR_CLASSES,
  availability: () => availableIf(() => locate(undefined)),
  obtain: 'prunelab data fetch cifar10',
  load,
});

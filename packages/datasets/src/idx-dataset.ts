import { basename } from 'node:path';
import { allInOrder, canonicalJson } from '@prunelab/core';
import { cached } from './cache.js';
import { corruptError } from './errors.js';
import { fileStamp, gunzipIfNeeded, readFileShared, sha256 } from './files.js';
import { combineChecksums } from './identity.js';
import { checkSameCount, parseIdxImages, parseIdxLabels } from './idx.js';
import type { ImageOptions, LoadContext } from './options.js';
import { assembleImageDataset } from './image-dataset.js';
import type { LoadedDataset, Pool } from './types.js';

/**
 * Loading shared by the two IDX datasets (MNIST and Fashion-MNIST, both 28x28
 * grey images in 10 classes, 60,000 training and 10,000 test examples): read
 * the four files (gunzipping when needed), optionally compare them with pinned
 * sha256 digests, parse, split, and compute the normalisation.
 */
export interface IdxFiles {
  readonly trainImages: string;
  readonly trainLabels: string;
  readonly testImages: string;
  readonly testLabels: string;
}

export interface IdxSource {
  readonly name: string;
  readonly files: IdxFiles;
  /** sha256 of each file's bytes as stored, keyed by base name; a mismatch is E_DATASET_CORRUPT. */
  readonly pinned?: Readonly<Record<string, string>>;
  /** How to repair a damaged copy. */
  readonly fix: string;
  /** Schema defaults, so the identity can leave them out. */
  readonly defaults: Readonly<Record<string, unknown>>;
}

export const IDX_SHAPE = [28, 28, 1] as const;
const SIDE = 28;
const CLASSES = 10;
const TRAIN_N = 60000;
const TEST_N = 10000;

interface IdxPools {
  readonly pools: readonly [Pool, Pool];
  readonly checksum: string;
}

/** sha256 per file stamp (path, size, mtime): the check runs once per process, however many loads. */
const digests = new Map<string, string>();

async function readVerified(path: string, src: IdxSource): Promise<{ bytes: Uint8Array; digest: string }> {
  const stamp = fileStamp(path);
  const bytes = await readFileShared(path);
  let digest = digests.get(stamp);
  if (digest === undefined) {
    digest = sha256(bytes);
    const want = src.pinned?.[basename(path)];
    if (want !== undefined && want !== digest) throw corruptError(path, 'sha256 checksum', want, digest, src.fix);
    digests.set(stamp, digest);
  }
  return { bytes, digest };
}

function loadPools(src: IdxSource, stamps: string): Promise<IdxPools> {
  return cached(`idx-pools:${src.name}:${stamps}`, async () => {
    const f = src.files;
    const read = await allInOrder([f.trainImages, f.trainLabels, f.testImages, f.testLabels].map((p) => readVerified(p, src)));
    const [ti, tl, vi, vl] = await allInOrder(read.map((r, i) => gunzipIfNeeded(r.bytes, fileOf(f, i))));
    const pool = (imgBytes: Uint8Array, imgFile: string, lblBytes: Uint8Array, lblFile: string, n: number): Pool => {
      const images = parseIdxImages(imgBytes, imgFile, { n, rows: SIDE, cols: SIDE });
      const labels = parseIdxLabels(lblBytes, lblFile, CLASSES, { n });
      checkSameCount(images, imgFile, labels, lblFile);
      return { x: images.x, y: labels.y, n };
    };
    const train = pool(ti!, f.trainImages, tl!, f.trainLabels, TRAIN_N);
    const test = pool(vi!, f.testImages, vl!, f.testLabels, TEST_N);
    return { pools: [train, test], checksum: combineChecksums(read.map((r) => r.digest)) };
  });
}

function fileOf(f: IdxFiles, i: number): string {
  return [f.trainImages, f.trainLabels, f.testImages, f.testLabels][i]!;
}

export function loadIdxDataset(src: IdxSource, opts: ImageOptions, ctx: LoadContext): Promise<LoadedDataset> {
  const f = src.files;
  const stamps = [f.trainImages, f.trainLabels, f.testImages, f.testLabels].map(fileStamp).join('|');
  return cached(`idx-dataset:${src.name}:${stamps}:${canonicalJson(opts)}`, async () => {
    const { pools, checksum } = await loadPools(src, stamps);
    return assembleImageDataset({ name: src.name, pools, checksum, shape: IDX_SHAPE, classes: CLASSES, opts, defaults: src.defaults, ctx });
  });
}

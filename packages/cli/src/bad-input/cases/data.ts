import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, link, put, run, type BadInput } from '../case.js';

/** A big-endian IDX header: magic, then one uint32 per dimension. */
function header(magic: number, ...dims: number[]): Uint8Array {
  const b = new Uint8Array(4 + 4 * dims.length);
  const v = new DataView(b.buffer);
  v.setUint32(0, magic);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d));
  return b;
}
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

const IMAGES = 'train-images-idx3-ubyte';
const LABELS = 'train-labels-idx1-ubyte';
const TEST_IMAGES = 't10k-images-idx3-ubyte';
const TEST_LABELS = 't10k-labels-idx1-ubyte';

/**
 * A Fashion-MNIST folder (dataset.dir: fm) whose four files exist, with
 * `images` as the training images; the other three are small placeholders
 * that the training images are parsed before.
 */
function fashion(images: Uint8Array | ((dir: string) => void), labels: Uint8Array = header(2049, 60000)): (dir: string) => void {
  return (dir) => {
    put(
      dir,
      'sweep.yaml',
      BASE.replace(
        '{ name: synthetic, kind: blobs, dims: 4, classes: 3, trainSize: 60, valSize: 0, testSize: 30 }',
        '{ name: fashion-mnist, dir: fm, trainSize: 60, valSize: 0, testSize: 30 }',
      ),
    );
    if (typeof images === 'function') images(dir);
    else put(dir, `fm/${IMAGES}`, images);
    put(dir, `fm/${LABELS}`, labels);
    put(dir, `fm/${TEST_IMAGES}`, header(2051, 10000, 28, 28));
    put(dir, `fm/${TEST_LABELS}`, header(2049, 10000));
  };
}

/** Valid training images (60,000 of 28x28, 47 MB of zeros): lets a case reach the labels file. */
const VALID_IMAGES = (): Uint8Array => concat(header(2051, 60000, 28, 28), new Uint8Array(60000 * 28 * 28));

/** Data files named by a sweep: Fashion-MNIST's IDX files and CIFAR-10's binary batches. */
export const dataCases: BadInput[] = [
  {
    name: 'IDX: a wrong magic number',
    setup: fashion(header(1234, 60000, 28, 28)),
    args: run(),
    message:
      /fm\/train-images-idx3-ubyte: bad IDX magic number \(images\): expected 2051, found 1234\. The file is damaged or is not an IDX file: download it again/,
  },
  {
    name: 'IDX: labels where images belong',
    setup: fashion(header(2049, 60000)),
    args: run(),
    message: /train-images-idx3-ubyte: bad IDX magic number \(images\): expected 2051, found 2049\. .*download it again/,
  },
  {
    name: 'IDX: a header cut short',
    setup: fashion(header(2051, 60000)),
    args: run(),
    message: /train-images-idx3-ubyte: file too short for the IDX header \(bytes\): expected at least 16, found 8\. .*download it again/,
  },
  {
    name: 'IDX: an empty file',
    setup: fashion(new Uint8Array(0)),
    args: run(),
    message: /train-images-idx3-ubyte: file too short for the IDX header .*found 0\. .*download it again/,
  },
  {
    name: 'IDX: the wrong image count',
    setup: fashion(header(2051, 100, 28, 28)),
    args: run(),
    message: /train-images-idx3-ubyte: image count: expected 60000, found 100\. .*download it again/,
  },
  { name: 'IDX: 29 rows', setup: fashion(header(2051, 60000, 29, 28)), args: run(), message: /image rows: expected 28, found 29\. .*download it again/ },
  {
    name: 'IDX: a header with no images after it',
    setup: fashion(header(2051, 60000, 28, 28)),
    args: run(),
    message: /file length for 60000 images of 28x28 \(bytes\): expected 47040016, found 16\. .*download it again/,
  },
  {
    name: 'IDX: a damaged gzip stream',
    setup: fashion((d) => put(d, `fm/${IMAGES}.gz`, new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5]))),
    args: run(),
    message: /train-images-idx3-ubyte\.gz: gzip stream is damaged: .*download the file again/,
  },
  {
    name: 'IDX: a label out of range',
    setup: fashion(VALID_IMAGES(), concat(header(2049, 60000), new Uint8Array(60000).fill(10))),
    args: run(),
    message: /train-labels-idx1-ubyte: label of example 0: expected < 10, found 10\. .*download it again/,
  },
  {
    name: 'IDX: a training file that is /dev/zero',
    setup: fashion((d) => link(d, `fm/${IMAGES}`, '/dev/zero')),
    args: run(),
    message: /E_DATASET_MISSING\]: Fashion-MNIST files not found; looked in fm \(missing train-images-idx3-ubyte\.gz\)/,
  },
  {
    name: 'IDX: a training file that is a folder',
    setup: fashion((d) => mkdirSync(join(d, 'fm', IMAGES), { recursive: true })),
    args: run(),
    message: /Fashion-MNIST files not found; looked in fm/,
  },
  {
    name: 'dataset.dir that does not exist',
    setup: (d) => put(d, 'sweep.yaml', BASE.replace('name: synthetic, kind: blobs, dims: 4, classes: 3,', 'name: fashion-mnist, dir: nowhere,')),
    args: run(),
    message: /Fashion-MNIST files not found; looked in nowhere \(missing .*\)\. install the Debian package/,
  },
  {
    name: 'dataset.dir that is a file',
    setup: (d) => (
      put(d, 'fm', 'x'),
      put(d, 'sweep.yaml', BASE.replace('name: synthetic, kind: blobs, dims: 4, classes: 3,', 'name: fashion-mnist, dir: fm,'))
    ),
    args: run(),
    message: /Fashion-MNIST files not found; looked in fm/,
  },
  {
    name: 'CIFAR-10: a batch that is not whole records',
    setup: (d) => {
      put(
        d,
        'sweep.yaml',
        BASE.replace(
          'name: synthetic, kind: blobs, dims: 4, classes: 3, trainSize: 60, valSize: 0, testSize: 30',
          'name: cifar10, dir: c10, trainSize: 4, valSize: 1, testSize: 1',
        ),
      );
      for (const f of ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'])
        put(d, `c10/${f}`, new Uint8Array(3073 * 2 + 5));
    },
    args: run(),
    message: /c10\/data_batch_1\.bin: /,
  },
  {
    name: 'CIFAR-10: a label byte out of range',
    setup: (d) => {
      put(
        d,
        'sweep.yaml',
        BASE.replace(
          'name: synthetic, kind: blobs, dims: 4, classes: 3, trainSize: 60, valSize: 0, testSize: 30',
          'name: cifar10, dir: c10, trainSize: 4, valSize: 1, testSize: 1',
        ),
      );
      for (const f of ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'])
        put(d, `c10/${f}`, new Uint8Array(3073 * 2).fill(200));
    },
    args: run(),
    message: /c10\/data_batch_1\.bin: /,
  },
  {
    name: 'CIFAR-10: an empty folder',
    setup: (d) => (
      mkdirSync(join(d, 'c10')),
      put(
        d,
        'sweep.yaml',
        BASE.replace('name: synthetic, kind: blobs, dims: 4, classes: 3, trainSize: 60, valSize: 0, testSize: 30', 'name: cifar10, dir: c10'),
      )
    ),
    args: run(),
    message:
      /CIFAR-10 files not found; looked in c10 \(missing .*\)\. Run `prunelab data fetch cifar10` \(it downloads the official binary version into .*; drop dataset\.dir or point it there\), or download https/,
  },
];

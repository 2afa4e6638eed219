import { candidateDirs, describeSearch, findDir } from './data-dir.js';
import { availableIf, defineDataset } from './entry.js';
import { missingError } from './errors.js';
import { IDX_SHAPE, loadIdxDataset } from './idx-dataset.js';
import { imageSchemaWithDir, type ImageOptionsWithDir } from './options.js';
import type { LoadedDataset } from './types.js';

/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, "Fashion-MNIST: a Novel Image
 * Dataset for Benchmarking Machine Learning Algorithms"): a drop-in replacement
 * for MNIST with the same IDX format, sizes and shape, distributed as four
 * gzipped IDX files. Not pinned by checksum (users may supply their own copy);
 * gzip's CRC and the IDX checks catch damage, and the identity checksum is the
 * sha256 of the files as read.
 */
export const FASHION_SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';

const BASES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
/** Gzipped as distributed; an uncompressed copy is accepted too (gzip is detected by its magic bytes). */
const REQUIRED = BASES.map((b) => [`${b}.gz`, b]);

const FIX =
  `install the Debian package (apt-get install dataset-fashion-mnist, which puts them in ${FASHION_SYSTEM_DIR}), ` +
  `or put ${BASES.map((b) => `${b}.gz`).join(', ')} in a folder and set dataset.dir or PRUNELAB_DATA to it`;

function locate(dir: string | undefined): { files: readonly string[] } {
  const search = findDir(candidateDirs(dir, 'fashion-mnist', [FASHION_SYSTEM_DIR]), REQUIRED);
  if (!search.found) throw missingError(`Fashion-MNIST files not found; looked in ${describeSearch(search.tried)}`, FIX);
  return search.found;
}

const defaults = imageSchemaWithDir.parse({});

export const fashionMnist = defineDataset({
  name: 'fashion-mnist',
  description: 'Fashion-MNIST (Xiao et al. 2017): 28x28 grey clothing images, 10 classes, 60,000 train / 10,000 test, gzipped IDX files',
  schema: imageSchemaWithDir,
  shape: IDX_SHAPE,
  classes: 10,
  availability: () => availableIf(() => locate(undefined)),
  obtain: 'apt-get install dataset-fashion-mnist',
  load: async (opts: ImageOptionsWithDir, ctx): Promise<LoadedDataset> => {
    const [trainImages, trainLabels, testImages, testLabels] = locate(opts.dir).files as [string, string, string, string];
    return loadIdxDataset(
      { name: 'fashion-mnist', files: { trainImages, trainLabels, testImages, testLabels }, fix: `download the file again, or ${FIX}`, defaults },
      opts,
      ctx,
    );
  },
});

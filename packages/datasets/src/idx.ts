import { corruptError } from './errors.js';

/**
 * Parser for the IDX format of LeCun et al. (1998), "Gradient-based learning
 * applied to document recognition", used by MNIST and Fashion-MNIST: a
 * big-endian header (magic 0x00000801 = 2049 for a 1-D ubyte array of labels,
 * 0x00000803 = 2051 for a 3-D ubyte array of images), one uint32 per dimension,
 * then the bytes. Every check names the file and gives the expected and the
 * found value; nothing is allocated from header values before they are checked
 * against the actual length, so a flipped bit cannot ask for gigabytes.
 */
export const IDX_LABELS_MAGIC = 2049;
/** What every IDX corruption message tells the user to do: the bytes are wrong, so only another copy helps. */
const IDX_FIX = 'The file is damaged or is not an IDX file: download it again, or point dataset.dir (or PRUNELAB_DATA) at an intact copy';
export const IDX_IMAGES_MAGIC = 2051;

export interface IdxImages {
  readonly n: number;
  readonly rows: number;
  readonly cols: number;
  /** A view into the input bytes (shared when the input is). */
  readonly x: Uint8Array;
}

export interface IdxLabels {
  readonly n: number;
  readonly y: Uint8Array;
}

export interface IdxExpect {
  readonly n?: number;
  readonly rows?: number;
  readonly cols?: number;
}

function u32(bytes: Uint8Array, off: number): number {
  return ((bytes[off]! << 24) | (bytes[off + 1]! << 16) | (bytes[off + 2]! << 8) | bytes[off + 3]!) >>> 0;
}

function header(bytes: Uint8Array, file: string, magic: number, dims: number): number[] {
  const need = 4 + 4 * dims;
  // Magic first (when there are 4 bytes): "this is not a labels file" is the more useful message.
  if (bytes.length >= 4) {
    const found = u32(bytes, 0);
    if (found !== magic) {
      const kind = magic === IDX_LABELS_MAGIC ? 'labels' : 'images';
      throw corruptError(file, `bad IDX magic number (${kind})`, magic, found, IDX_FIX);
    }
  }
  if (bytes.length < need) throw corruptError(file, 'file too short for the IDX header (bytes)', `at least ${need}`, bytes.length, IDX_FIX);
  const out: number[] = [];
  for (let d = 0; d < dims; d++) out.push(u32(bytes, 4 + 4 * d));
  return out;
}

function checkDim(file: string, what: string, expected: number | undefined, found: number): void {
  if (expected !== undefined && found !== expected) throw corruptError(file, what, expected, found, IDX_FIX);
}

export function parseIdxImages(bytes: Uint8Array, file: string, expect: IdxExpect = {}): IdxImages {
  const [n, rows, cols] = header(bytes, file, IDX_IMAGES_MAGIC, 3) as [number, number, number];
  checkDim(file, 'image count', expect.n, n);
  checkDim(file, 'image rows', expect.rows, rows);
  checkDim(file, 'image columns', expect.cols, cols);
  if (rows === 0 || cols === 0) throw corruptError(file, 'image size (rows x columns)', 'both > 0', `${rows}x${cols}`, IDX_FIX);
  const length = 16 + n * rows * cols;
  if (bytes.length !== length) throw corruptError(file, `file length for ${n} images of ${rows}x${cols} (bytes)`, length, bytes.length, IDX_FIX);
  return { n, rows, cols, x: bytes.subarray(16) };
}

export function parseIdxLabels(bytes: Uint8Array, file: string, classes: number, expect: IdxExpect = {}): IdxLabels {
  const [n] = header(bytes, file, IDX_LABELS_MAGIC, 1) as [number];
  checkDim(file, 'label count', expect.n, n);
  if (bytes.length !== 8 + n) throw corruptError(file, `file length for ${n} labels (bytes)`, 8 + n, bytes.length, IDX_FIX);
  const y = bytes.subarray(8);
  for (let i = 0; i < n; i++) {
    if (y[i]! >= classes) throw corruptError(file, `label of example ${i}`, `< ${classes}`, y[i], IDX_FIX);
  }
  return { n, y };
}

/** Images and labels must describe the same examples. */
export function checkSameCount(images: IdxImages, imagesFile: string, labels: IdxLabels, labelsFile: string): void {
  if (images.n !== labels.n) {
    throw corruptError(
      labelsFile,
      `label count does not match the image count of ${imagesFile}`,
      images.n,
      labels.n,
      'The two files come from different downloads: download both again',
    );
  }
}

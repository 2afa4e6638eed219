import { corruptError } from './errors.js';

/**
 * The CIFAR-10 binary format of Krizhevsky (2009), "Learning Multiple Layers of
 * Features from Tiny Images": a file is a sequence of records, each one label
 * byte (0-9) followed by 3072 pixel bytes, channel-major (1024 red, 1024 green,
 * 1024 blue, each 32x32 row-major). The official files hold 10,000 records
 * each; any whole number of records is accepted so tests can write small files.
 */
export const CIFAR_SIDE = 32;
export const CIFAR_CHANNELS = 3;
const CIFAR_PIXELS = CIFAR_SIDE * CIFAR_SIDE;
export const CIFAR_EXAMPLE = CIFAR_PIXELS * CIFAR_CHANNELS;
export const CIFAR_RECORD = 1 + CIFAR_EXAMPLE;
export const CIFAR_CLASSES = 10;

/** Number of records in a file of `bytes` length, or a corrupt error naming the file. */
export function cifarRecordCount(length: number, file: string): number {
  if (length === 0 || length % CIFAR_RECORD !== 0) {
    throw corruptError(file, 'file length (bytes)', `a positive multiple of ${CIFAR_RECORD} (1 label + ${CIFAR_EXAMPLE} pixels per record)`, length);
  }
  return length / CIFAR_RECORD;
}

/**
 * Decodes the records of one file into `x` (channels last, [n, 32, 32, 3]) and
 * `y`, starting at example `at`. Returns the number of records decoded.
 */
export function decodeCifarRecords(bytes: Uint8Array, file: string, x: Uint8Array, y: Uint8Array, at: number): number {
  const n = cifarRecordCount(bytes.length, file);
  if ((at + n) * CIFAR_EXAMPLE > x.length || at + n > y.length) {
    throw corruptError(file, 'record count', `at most ${y.length - at}`, n);
  }
  for (let r = 0; r < n; r++) {
    const src = r * CIFAR_RECORD;
    const label = bytes[src]!;
    if (label >= CIFAR_CLASSES) throw corruptError(file, `label of record ${r}`, `< ${CIFAR_CLASSES}`, label);
    y[at + r] = label;
    const dst = (at + r) * CIFAR_EXAMPLE;
    // CHW -> HWC: pixel p of channel c moves from src+1+c*1024+p to dst+p*3+c.
    for (let c = 0; c < CIFAR_CHANNELS; c++) {
      const plane = src + 1 + c * CIFAR_PIXELS;
      for (let p = 0; p < CIFAR_PIXELS; p++) x[dst + p * CIFAR_CHANNELS + c] = bytes[plane + p]!;
    }
  }
  return n;
}

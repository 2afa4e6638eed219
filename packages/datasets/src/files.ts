import { createHash } from 'node:crypto';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { gunzip } from 'node:zlib';
import { PrunelabError } from '@prunelab/core';
import { corruptError, missingError } from './errors.js';
import { sharedUint8, toSharedUint8 } from './shared.js';

/** Decompressed data larger than this is treated as a corrupt (or hostile) gzip stream. */
const MAX_GUNZIP_BYTES = 1 << 30;

/** Reads a whole file straight into shared memory: no second copy for the (uncompressed) MNIST files. */
export async function readFileShared(path: string): Promise<Uint8Array> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw missingError(`cannot open ${path}: ${(e as Error).message}`, 'check the path', path);
  }
  try {
    const { size } = await fh.stat();
    const out = sharedUint8(size);
    let off = 0;
    while (off < size) {
      const { bytesRead } = await fh.read(out, off, size - off, off);
      if (bytesRead === 0) throw corruptError(path, 'file shrank while it was read (bytes)', size, off);
      off += bytesRead;
    }
    return out;
  } finally {
    await fh.close();
  }
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Real path, size and modification time: enough to key per-process caches of file contents. */
export function fileStamp(path: string): string {
  const s = statSync(path);
  return `${realpathSync(path)}:${s.size}:${s.mtimeMs}`;
}

export function fileExists(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isFile();
  } catch {
    return false;
  }
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Gunzips `bytes` when they start with the gzip magic, else returns them as is.
 * zlib checks the CRC-32 and length trailer, so truncation and bit flips are
 * caught here; its errors are wrapped into E_DATASET_CORRUPT naming the file.
 * The result is in shared memory.
 */
export async function gunzipIfNeeded(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  const out = await new Promise<Buffer>((resolve, reject) => {
    // zlib cannot read from a SharedArrayBuffer view on every Node version; hand it a plain copy.
    const input = bytes.buffer instanceof SharedArrayBuffer ? Buffer.from(bytes) : bytes;
    gunzip(input, { maxOutputLength: MAX_GUNZIP_BYTES }, (err, res) => (err ? reject(err) : resolve(res)));
  }).catch((e: unknown) => {
    if (e instanceof PrunelabError) throw e;
    const msg = (e as Error).message;
    throw corruptError(file, 'gzip stream is damaged', 'a complete gzip stream with a valid CRC', msg, 'download the file again');
  });
  return toSharedUint8(out);
}

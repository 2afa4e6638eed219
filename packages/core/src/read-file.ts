import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

/**
 * Reads a file that the user named (a sweep, a base config, a model.json, a
 * weight shard) only when it is a regular file of bounded size. A folder gives
 * EISDIR, a FIFO blocks the open forever, and /dev/zero never ends: each was a
 * stack trace or a hang. The file is opened non-blocking and checked again
 * through its descriptor, so a path swapped between the check and the read
 * cannot slip through.
 */
export type ReadResult = { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly problem: string };

export function readRegularFile(file: string, maxBytes: number): ReadResult {
  const problem = fileProblem(file, maxBytes);
  if (problem !== undefined) return { ok: false, problem };
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return { ok: false, problem: `cannot be opened (${errorCode(e)})` };
  }
  try {
    const again = describe(fstatSync(fd), maxBytes);
    if (again !== undefined) return { ok: false, problem: again };
    // Read at most one byte past the limit, so a file that grows while it is read
    // (or a /proc file that reports size 0) is still caught; the buffer grows as needed.
    const limit = maxBytes + 1;
    let buf = Buffer.alloc(Math.min(limit, fstatSync(fd).size + 1));
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (buf.length === limit) break;
        const bigger = Buffer.alloc(Math.min(limit, buf.length * 2));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
    }
    if (n > maxBytes) return { ok: false, problem: `is larger than the ${formatBytes(maxBytes)} limit` };
    return { ok: true, bytes: buf.subarray(0, n) };
  } catch (e) {
    return { ok: false, problem: `cannot be read (${errorCode(e)})` };
  } finally {
    closeSync(fd);
  }
}

/** Why `file` cannot be read as a regular file of at most `maxBytes`, or undefined when it can. */
export function fileProblem(file: string, maxBytes: number): string | undefined {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (e) {
    const code = errorCode(e);
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'not found' : `cannot be read (${code})`;
  }
  return describe(st, maxBytes);
}

function describe(st: Stats, maxBytes: number): string | undefined {
  if (st.isDirectory()) return 'is a folder, not a file';
  if (!st.isFile()) return `is ${kind(st)}, not a regular file`;
  if (st.size > maxBytes) return `is ${formatBytes(st.size)}, more than the ${formatBytes(maxBytes)} limit`;
  return undefined;
}

function kind(st: Stats): string {
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  return 'a special file';
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}

function errorCode(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' ? code : String((e as Error).message ?? e);
}

import { PrunelabError } from '@prunelab/core';
import type { NamedArray } from '../architecture.js';

/**
 * The weights of one evaluated point of a run (a sweep's "artifact"), as the
 * results folder keeps them: every kernel and bias of the net, float32.
 * Prunable kernels (`<layer>/kernel`) are stored as their mask, a bitset of
 * the nonzero positions (row-major, least significant bit first), followed by
 * the float32 values at those positions only; biases are stored whole. At
 * sparsity s a kernel of n weights takes n/8 + 4(1 - s)n bytes instead of 4n.
 *
 * The mask is the support of the weights: a point's sparsity counts zeros
 * (netMetrics), and every schedule holds pruned weights at exactly zero, so
 * the support is the mask the point was measured with (a kept weight that is
 * exactly 0.0 would read as pruned, and computes the same). Decoding gives
 * back the weights bit for bit, except that -0 comes back as +0.
 *
 * Layout: the 4 bytes `PLA1`, a little-endian uint32 header length, the JSON
 * header (padded with spaces to a multiple of 4 bytes), then each tensor's
 * data in header order, every part padded to 4 bytes. Float32 data is written
 * in the machine's byte order, as the dense-model cache (weights.ts) is:
 * little-endian on every platform Node supports.
 */
export interface ArtifactContent {
  /** Input shape of one example, as the run's net saw it. */
  readonly inputShape: readonly number[];
  readonly classes: number;
  readonly weights: readonly NamedArray[];
}

interface TensorHeader {
  readonly name: string;
  readonly shape: readonly number[];
  /** Nonzero entries, for a tensor stored as mask + values; absent for one stored whole. */
  readonly nonzero?: number;
}

interface Header {
  readonly format: 'prunelab-artifact';
  readonly version: 1;
  readonly inputShape: readonly number[];
  readonly classes: number;
  readonly tensors: readonly TensorHeader[];
}

const MAGIC = Buffer.from('PLA1', 'latin1');
/** A header larger than this is not one (LeNet-5's is about 1 KiB). */
const MAX_HEADER_BYTES = 16 * 1024 * 1024;

const pad4 = (n: number): number => (n + 3) & ~3;
const isKernel = (name: string): boolean => name.endsWith('/kernel');
const count = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Bytes a tensor of `n` entries takes in the body: whole, or mask + `nonzero` values. */
function bodyBytes(n: number, nonzero: number | undefined): number {
  return nonzero === undefined ? 4 * n : pad4(Math.ceil(n / 8)) + 4 * nonzero;
}

/**
 * The size an artifact of these tensors takes, each kernel keeping `density`
 * (1 - sparsity; default 1) of its weights: what `--dry-run` states before a
 * sweep writes any. Exact when each kernel keeps exactly that fraction.
 */
export function artifactBytes(
  tensors: ReadonlyArray<{ readonly name: string; readonly shape: readonly number[]; readonly density?: number }>,
  inputShape: readonly number[],
  classes: number,
): number {
  const header: Header = {
    format: 'prunelab-artifact',
    version: 1,
    inputShape,
    classes,
    tensors: tensors.map((t) => ({ name: t.name, shape: t.shape, ...(isKernel(t.name) && { nonzero: Math.round((t.density ?? 1) * count(t.shape)) }) })),
  };
  const headerBytes = pad4(Buffer.byteLength(JSON.stringify(header)));
  return 8 + headerBytes + header.tensors.reduce((s, t) => s + bodyBytes(count(t.shape), t.nonzero), 0);
}

export function encodeArtifact(content: ArtifactContent): Buffer {
  const tensors: TensorHeader[] = content.weights.map((w) => {
    if (w.data.length !== count(w.shape)) throw new Error(`artifact: ${w.name} has ${w.data.length} values for shape [${w.shape.join(', ')}]`);
    if (!isKernel(w.name)) return { name: w.name, shape: [...w.shape] };
    let nonzero = 0;
    for (let i = 0; i < w.data.length; i++) if (w.data[i] !== 0) nonzero++;
    return { name: w.name, shape: [...w.shape], nonzero };
  });
  const header: Header = { format: 'prunelab-artifact', version: 1, inputShape: [...content.inputShape], classes: content.classes, tensors };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const headerBytes = pad4(json.length);
  const total = 8 + headerBytes + tensors.reduce((s, t) => s + bodyBytes(count(t.shape), t.nonzero), 0);
  const out = Buffer.alloc(total);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(headerBytes, 4);
  json.copy(out, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  let offset = 8 + headerBytes;
  content.weights.forEach((w, k) => {
    const t = tensors[k]!;
    const n = w.data.length;
    if (t.nonzero === undefined) {
      new Float32Array(out.buffer, out.byteOffset + offset, n).set(w.data);
      offset += 4 * n;
      return;
    }
    const bits = out.subarray(offset, offset + Math.ceil(n / 8));
    offset += pad4(Math.ceil(n / 8));
    const values = new Float32Array(out.buffer, out.byteOffset + offset, t.nonzero);
    let j = 0;
    for (let i = 0; i < n; i++) {
      const v = w.data[i]!;
      if (v === 0) continue;
      bits[i >> 3] = bits[i >> 3]! | (1 << (i & 7));
      values[j++] = v;
    }
    offset += 4 * t.nonzero;
  });
  return out;
}

/**
 * The weights and shape of an artifact. The file comes from a results folder
 * and may have been truncated or replaced: every size is checked against the
 * bytes before anything is allocated from it, and a mismatch is an error
 * naming `file`.
 */
export function decodeArtifact(buf: Uint8Array, file: string): ArtifactContent {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const bad = (problem: string) =>
    new PrunelabError('E_DATABASE_INVALID', `the stored model ${file} ${problem}`, {
      fix: 'It was changed or truncated after the sweep wrote it: run the sweep again into a fresh --results folder to write it again',
    });
  if (bytes.length < 8 || !bytes.subarray(0, 4).equals(MAGIC)) throw bad('is not a prunelab artifact (no PLA1 header)');
  const headerBytes = bytes.readUInt32LE(4);
  if (headerBytes > MAX_HEADER_BYTES || 8 + headerBytes > bytes.length || headerBytes % 4 !== 0) throw bad(`has a header length of ${headerBytes} bytes in a file of ${bytes.length}`);
  let header: Header;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + headerBytes).toString('utf8')) as Header;
  } catch (e) {
    throw bad(`has an unreadable header (${(e as Error).message})`);
  }
  if (header?.format !== 'prunelab-artifact' || header.version !== 1 || !Array.isArray(header.tensors) || !Array.isArray(header.inputShape) || !Number.isSafeInteger(header.classes)) {
    throw bad('has a header of another format or version');
  }
  let offset = 8 + headerBytes;
  const weights: NamedArray[] = header.tensors.map((t) => {
    if (typeof t.name !== 'string' || !Array.isArray(t.shape) || !t.shape.every((d: unknown) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) throw bad('lists a tensor without a name or shape');
    const n = count(t.shape);
    const nonzero = t.nonzero;
    if (nonzero !== undefined && !(Number.isSafeInteger(nonzero) && nonzero >= 0 && nonzero <= n)) throw bad(`says ${t.name} has ${String(nonzero)} nonzero entries of ${n}`);
    const size = bodyBytes(n, nonzero);
    if (!Number.isSafeInteger(n) || offset + size > bytes.length) throw bad(`ends before ${t.name} (needs ${offset + size} bytes, has ${bytes.length})`);
    let data: Float32Array;
    if (nonzero === undefined) {
      // One copy: slice() makes an aligned buffer of its own (the file's bytes may sit at any offset).
      data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + 4 * n));
    } else {
      data = new Float32Array(n);
      const bits = bytes.subarray(offset, offset + Math.ceil(n / 8));
      const vstart = offset + pad4(Math.ceil(n / 8));
      const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset + vstart, bytes.byteOffset + vstart + 4 * nonzero));
      let j = 0;
      for (let i = 0; i < n; i++) {
        if ((bits[i >> 3]! >> (i & 7)) & 1) {
          if (j >= nonzero) throw bad(`has more mask bits set in ${t.name} than its ${nonzero} values`);
          data[i] = values[j++]!;
        }
      }
      if (j !== nonzero) throw bad(`has ${j} mask bits set in ${t.name} for ${nonzero} values`);
    }
    offset += size;
    return { name: t.name, shape: [...t.shape], data };
  });
  if (offset !== bytes.length) throw bad(`has ${bytes.length - offset} bytes after its last tensor`);
  return { inputShape: [...header.inputShape], classes: header.classes, weights };
}

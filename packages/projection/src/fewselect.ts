/**
 * Exact top-k for a small k over float32 scores that are non-negative and
 * finite, in one read-only pass and without a sample: a bounded min-heap of the
 * k best so far (the textbook partial selection, e.g. Knuth, TAOCP vol. 3,
 * 5.3.3). The common case is the global guard's floor: a layer the global
 * ranking left empty keeps its top entry. With a sample the fast path spends
 * more on sampling and sorting 32,768 keys than this pass costs over a layer.
 *
 * Ranking is (key desc, pool asc, index asc), as everywhere: entries come in
 * (pool, index) order, so an entry that only ties the heap's worst never
 * enters (the earlier one wins), and the heap's worst among equal keys is the
 * latest one. Returns null (nothing written) on a negative or non-finite score.
 */
import type { FastPool } from './fastselect.js';

/** Budgets up to this take the heap. */
export const FEW = 64;

export function selectFew32(pools: readonly FastPool[], k: number, beforeWrite?: () => void): number[] | null {
  const total = pools.reduce((s, p) => s + p.available, 0);
  if (k < 1 || k > FEW || k >= total) return null;
  const heap: Heap = { key: new Int32Array(k), pos: new Float64Array(k), size: 0, k };
  let base = 0;
  for (const p of pools) {
    const u = new Int32Array(p.values.buffer, p.values.byteOffset, p.values.length);
    // A negative or non-finite key sets the sign bit (as in the scans of the fast path).
    if (scanFew(u, p.avail, base, heap) < 0) return null;
    base += u.length;
  }
  // Everything is read (availability may be the mask itself) before anything is written.
  beforeWrite?.();
  const counts = pools.map(() => 0);
  for (const p of pools) p.out.fill(0);
  let pi = 0;
  base = 0;
  const order = Array.from(heap.pos.subarray(0, heap.size)).sort((x, y) => x - y);
  for (const g of order) {
    while (g >= base + pools[pi]!.values.length) base += pools[pi++]!.values.length;
    pools[pi]!.out[g - base] = 1;
    counts[pi]!++;
  }
  return counts;
}

/** The k best so far; the root is the worst of them. */
interface Heap {
  key: Int32Array;
  /** Base of the pool + index: the (pool, index) order as one number. */
  pos: Float64Array;
  size: number;
  k: number;
}

/**
 * Offers one pool's available entries to the heap; returns the OR of
 * b | (b + 2^23) over all keys (negative iff one is negative or non-finite).
 * The test against the heap's worst key is the only branch, and it is rarely
 * taken once the heap is full.
 */
function scanFew(u: Int32Array, a: Uint8Array | null, base: number, heap: Heap): number {
  let flag = 0;
  let worst = heap.size < heap.k ? -1 : heap.key[0]!;
  const n = u.length;
  for (let i = 0; i < n; i++) {
    const b = u[i]! | 0;
    flag |= b | ((b + 0x00800000) | 0);
    if (b > worst && (a === null || a[i] !== 0)) worst = offer(heap, b, base + i);
  }
  return flag;
}

/** Adds an entry that beats the heap's worst (or fills it); returns the new bar to beat. */
function offer(heap: Heap, b: number, at: number): number {
  const { key, pos } = heap;
  if (heap.size < heap.k) {
    key[heap.size] = b;
    pos[heap.size] = at;
    siftUp(key, pos, heap.size++);
  } else {
    key[0] = b;
    pos[0] = at;
    siftDown(key, pos, heap.size);
  }
  return heap.size < heap.k ? -1 : key[0]!;
}

/** Heap order: the root is the worst kept entry, the lowest key and, among equal keys, the latest. */
function worse(key: Int32Array, pos: Float64Array, x: number, y: number): boolean {
  return key[x]! < key[y]! || (key[x] === key[y] && pos[x]! > pos[y]!);
}

function swap(key: Int32Array, pos: Float64Array, x: number, y: number): void {
  const k = key[x]!;
  key[x] = key[y]!;
  key[y] = k;
  const p = pos[x]!;
  pos[x] = pos[y]!;
  pos[y] = p;
}

function siftUp(key: Int32Array, pos: Float64Array, at: number): void {
  let c = at;
  while (c > 0) {
    const parent = (c - 1) >> 1;
    if (!worse(key, pos, c, parent)) return;
    swap(key, pos, c, parent);
    c = parent;
  }
}

function siftDown(key: Int32Array, pos: Float64Array, size: number): void {
  let c = 0;
  for (;;) {
    const l = 2 * c + 1;
    if (l >= size) return;
    const r = l + 1;
    const w = r < size && worse(key, pos, r, l) ? r : l;
    if (!worse(key, pos, w, c)) return;
    swap(key, pos, c, w);
    c = w;
  }
}

/**
 * Block sparsity: rows x cols tiles of the [in, out] matrix (conv: [kh*kw*in, out]),
 * kept or removed whole, scored by the summed importance of their entries
 * (Narang et al. 2017, "Block-Sparse Recurrent Neural Networks"; Gray et al. 2017,
 * OpenAI block-sparse kernels). Block b = (row block) * (cols / blockCols) + (col block),
 * i.e. blocks are numbered row-major; that is the tie order.
 */
import type { Matrix2D } from './layout.js';
import { contribution, termOf, type Reduce } from './reduce.js';

export interface BlockGrid {
  br: number;
  bc: number;
  /** Blocks per block-row. */
  nbc: number;
  /** Number of blocks. */
  count: number;
}

export function blockGrid(mat: Matrix2D, br: number, bc: number): BlockGrid {
  const nbc = mat.cols / bc;
  return { br, bc, nbc, count: (mat.rows / br) * nbc };
}

/**
 * Sum (or sum of squares, for projectWeights) of each block, in float64, in
 * row-major entry order. The loops walk rows and, within a row, one block
 * column at a time, so the block index is computed once per bc entries.
 */
export function blockScores(scores: Float32Array, mat: Matrix2D, g: BlockGrid, reduce: Reduce): Float64Array {
  const acc = new Float64Array(g.count);
  const term = termOf(reduce);
  const { rows } = mat;
  let i = 0;
  for (let r = 0; r < rows; r++) {
    const rowBase = ((r / g.br) | 0) * g.nbc;
    for (let cb = 0; cb < g.nbc; cb++) {
      let a = acc[rowBase + cb]!;
      for (let q = 0; q < g.bc; q++) a += contribution(scores[i++]!, term);
      acc[rowBase + cb] = a;
    }
  }
  return acc;
}

/** 1 for blocks whose entries are all kept in `prev` (only those may be kept without regrowth). */
export function blockAvail(prev: Uint8Array, mat: Matrix2D, g: BlockGrid): Uint8Array {
  const ok = new Uint8Array(g.count).fill(1);
  const { rows } = mat;
  let i = 0;
  for (let r = 0; r < rows; r++) {
    const rowBase = ((r / g.br) | 0) * g.nbc;
    for (let cb = 0; cb < g.nbc; cb++) {
      let all = 1;
      for (let q = 0; q < g.bc; q++) all &= +(prev[i++] !== 0);
      ok[rowBase + cb] = ok[rowBase + cb]! & all;
    }
  }
  return ok;
}

/** Expands block decisions to an entry mask. */
export function blockExpand(blocks: Uint8Array, mat: Matrix2D, g: BlockGrid, out: Uint8Array): void {
  const { rows } = mat;
  let i = 0;
  for (let r = 0; r < rows; r++) {
    const rowBase = ((r / g.br) | 0) * g.nbc;
    for (let cb = 0; cb < g.nbc; cb++) {
      const v = blocks[rowBase + cb]!;
      for (let q = 0; q < g.bc; q++) out[i++] = v;
    }
  }
}

/**
 * Block sparsity: rows x cols tiles of the [in, out] matrix (conv: [kh*kw*in, out]),
 * kept or removed whole, scored by the summed importance of their entries
 * (Narang et al. 2017, "Block-Sparse Recurrent Neural Networks"; Gray et al. 2017,
 * OpenAI block-sparse kernels). Block b = (row block) * (cols / blockCols) + (col block),
 * i.e. blocks are numbered row-major; that is the tie order.
 */
import type { Matrix2D } from './layout.js';
import { accumulate, type Reduce } from './reduce.js';

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

/** Sum (or sum of squares, for projectWeights) of each block, in float64, in row-major entry order. */
export function blockScores(scores: Float32Array, mat: Matrix2D, g: BlockGrid, reduce: Reduce): Float64Array {
  const acc = new Float64Array(g.count);
  const { rows, cols } = mat;
  for (let r = 0; r < rows; r++) {
    const rowBase = Math.floor(r / g.br) * g.nbc;
    for (let c = 0; c < cols; c++) {
      const b = rowBase + Math.floor(c / g.bc);
      acc[b] = accumulate(acc[b]!, scores[r * cols + c]!, reduce);
    }
  }
  return acc;
}

/** 1 for blocks whose entries are all kept in `prev` (only those may be kept without regrowth). */
export function blockAvail(prev: Uint8Array, mat: Matrix2D, g: BlockGrid): Uint8Array {
  const ok = new Uint8Array(g.count).fill(1);
  const { rows, cols } = mat;
  for (let r = 0; r < rows; r++) {
    const rowBase = Math.floor(r / g.br) * g.nbc;
    for (let c = 0; c < cols; c++) if (prev[r * cols + c] === 0) ok[rowBase + Math.floor(c / g.bc)] = 0;
  }
  return ok;
}

/** Expands block decisions to an entry mask. */
export function blockExpand(blocks: Uint8Array, mat: Matrix2D, g: BlockGrid, out: Uint8Array): void {
  const { rows, cols } = mat;
  for (let r = 0; r < rows; r++) {
    const rowBase = Math.floor(r / g.br) * g.nbc;
    for (let c = 0; c < cols; c++) out[r * cols + c] = blocks[rowBase + Math.floor(c / g.bc)]!;
  }
}

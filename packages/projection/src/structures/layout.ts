/**
 * The 2-D view every structured kind works on: a layer of shape [..., in, out]
 * (tfjs layout: dense [in, out], conv [kh, kw, in, out]) is the row-major matrix
 * [rows = prod(shape) / out, cols = out]. For conv the rows run over (kh, kw, in)
 * with `in` fastest, so consecutive input channels are consecutive rows.
 */
export interface Matrix2D {
  rows: number;
  cols: number;
  /** Size of the input dimension (second to last). */
  inDim: number;
}

export function matrixOf(shape: readonly number[]): Matrix2D {
  const cols = shape[shape.length - 1]!;
  const total = shape.reduce((p, d) => p * d, 1);
  return { rows: total / cols, cols, inDim: shape[shape.length - 2]! };
}

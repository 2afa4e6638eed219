import type { Architecture, NamedArray } from '../architecture.js';

/** What extraction builds: the physically smaller architecture and its weights (extract.ts, graph-extract.ts). */
export interface Extraction {
  readonly arch: Architecture;
  readonly weights: NamedArray[];
  /** Output units removed per prunable layer. */
  readonly removed: Record<string, number>;
  /** Output units kept per prunable layer. */
  readonly kept: Record<string, number>;
  /**
   * The channels kept by each per-channel affine (a folded batch norm) or
   * batch norm that lost some, by its index in arch.layers: an exporter that
   * writes the original layer slices its weights the same way.
   */
  readonly channels: ReadonlyMap<number, readonly boolean[]>;
}

import type { LayerMask, ProjectionResult } from '@prunelab/projection';

/**
 * The projection of a network's scores, with the masks of every variable a
 * pruned unit spans. Its fields are project()'s, in layer terms (masks,
 * sparsities and reports per prunable layer), plus `variableMasks`.
 */
export interface NetProjection extends ProjectionResult {
  /**
   * Masks of biases and batch norms, keyed as MaskSet keys them
   * (`<layer>/bias`, `<bn>/gamma`, `<bn>/beta`): empty except under the unit
   * structure on a network with channel groups. Schedules apply them with the
   * kernel masks and hold them through training.
   */
  readonly variableMasks: readonly LayerMask[];
}

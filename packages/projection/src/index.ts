/**
 * @prunelab/projection: exact, deterministic pruning masks. The projection onto
 * the L0 ball under structure constraints, in pure TypeScript over typed arrays.
 */
export { project } from './project.js';
export { projectWeights, objectiveImportance } from './weights.js';
export type { WeightsProjection } from './weights.js';
export { ProjectionError, isProjectionError } from './errors.js';
export type { ProjectionErrorCode } from './errors.js';
export { erkDensities } from './erk.js';
export { keepCount, roundHalfUp } from './rounding.js';
export type { LayerScores, LayerWeights, LayerMask, Structure, Scope, ProjectionSpec, ProjectionResult, LayerReport } from './types.js';

export { projectNet } from './project.js';
export type { NetProjection } from './net-projection.js';
export { projectNetWeights, allMasks } from './weights.js';
export type { NetWeightsProjection } from './weights.js';

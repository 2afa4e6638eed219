/**
 * Unit scores spread over their weights, for the scorers that are only defined
 * per unit (apoz, entropy, mutual-information, unit ablation); see
 * UnitScoredLayer in types.ts.
 */

/** Weights in one output unit of a kernel ([in, out] or [kh, kw, in, out]): everything but the last axis. */
function unitSize(shape: readonly number[]): number {
  return shape.slice(0, -1).reduce((a, c) => a * c, 1);
}

/** Spreads unit scores over their weights: weight (r, j) gets unitScores[j] / unitSize. */
export function spreadUnitScores(name: string, shape: readonly number[], unitScores: Float32Array) {
  const units = shape.at(-1)!;
  const per = unitSize(shape);
  const scores = new Float32Array(per * units);
  for (let r = 0; r < per; r++) for (let j = 0; j < units; j++) scores[r * units + j] = unitScores[j]! / per;
  return { name, shape: [...shape], scores, unitScores };
}

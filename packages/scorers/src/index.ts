export { scorerRegistry } from './all.js';
export type { Scorer, ScorerEntry, ScorerFamily, Granularity, ScoreContext } from './types.js';
export { magnitudeScores } from './magnitude.js';

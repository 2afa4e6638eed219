export { compare } from './compare.js';
export type { CompareTable, CompareRow, Metric, StrategyField } from './compare.js';
export { formatCompareTable } from './format.js';
export { summarize, tQuantile975 } from './stats.js';
export type { Summary } from './stats.js';

import type { PreparedRun } from './prepare.js';

/** A run as the log and the summary name it: its axis values, or its id when the sweep has no axes. */
export function runLabel(r: PreparedRun): string {
  const axes = Object.entries(r.axes).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return axes.length > 0 ? axes.join(' ') : r.id;
}

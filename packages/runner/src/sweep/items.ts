import type { WorkItem } from './dispatcher.js';
import type { PreparedRun } from './prepare.js';

/** A dense training (for the first run that needs its model) or a pruning run, as the dispatcher queues it. */
export interface SweepItem extends WorkItem {
  readonly kind: 'dense' | 'run';
  readonly run: PreparedRun;
}

/** Trains the dense model `r` needs; dense trainings unblock runs, so they go first. */
export function denseItem(r: PreparedRun): SweepItem {
  return { kind: 'dense', key: `dense:${r.denseKey}`, run: r, priority: 1, cost: r.cost, pin: r.config.lane, ready: () => true };
}

/** Prunes `r`, once its dense model is settled (trained, found, or failed). */
export function runItem(r: PreparedRun, denseSettled: (r: PreparedRun) => boolean): SweepItem {
  return { kind: 'run', key: r.id, run: r, priority: 0, cost: r.cost, pin: r.config.lane, ready: () => denseSettled(r) };
}

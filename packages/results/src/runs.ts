import { PrunelabError } from '@prunelab/core';
import { listSweeps, runSummaries, sweepRecord, type Db, type Filter } from '@prunelab/store';
import type { Listing } from './listing.js';
import { formatWhere } from './where.js';

/** `prunelab results list`: the sweeps, with run counts by status. */
export function sweepsListing(db: Db): Listing {
  const rows = listSweeps(db);
  return {
    columns: ['sweep', 'runs', 'done', 'failed', 'interrupted', 'running', 'pending', 'updated_at', 'file'],
    rows: rows.map((r) => ({ sweep: r.name, runs: r.runs, done: r.done, failed: r.failed, interrupted: r.interrupted, running: r.running, pending: r.pending, updated_at: r.updated_at, file: r.file })),
  };
}

/** Fails with the known sweep names when `sweep` is not one of them. */
export function requireSweep(db: Db, sweep: string): void {
  if (sweepRecord(db, sweep)) return;
  const names = listSweeps(db).map((s) => s.name);
  throw new PrunelabError('E_UNKNOWN_NAME', `unknown sweep ${JSON.stringify(sweep)}`, {
    path: '--sweep',
    fix: names.length > 0 ? `Known sweeps: ${names.join(', ')}` : 'The database holds no sweeps yet: run one first',
  });
}

/** `prunelab results runs --sweep S`: each run's axes, status, backend and times. */
export function runsListing(db: Db, sweep: string, where: Filter = []): Listing {
  requireSweep(db, sweep);
  const rows = runSummaries(db, sweep, where);
  const axisNames = [...new Set(rows.flatMap((r) => Object.keys(JSON.parse(r.axes_json) as Record<string, unknown>)))];
  return {
    title: `${sweep}: ${rows.length} run(s)${where.length > 0 ? ` where ${formatWhere(where)}` : ''}`,
    columns: ['run_id', ...axisNames.map((a) => `axis.${a}`), 'status', 'backend', 'started_at', 'ended_at', 'wall_s', 'points', 'final_accuracy', 'error'],
    rows: rows.map((r) => {
      const axes = JSON.parse(r.axes_json) as Record<string, unknown>;
      return {
        run_id: r.run_id,
        ...Object.fromEntries(axisNames.map((a) => [`axis.${a}`, axisValue(axes[a])])),
        status: r.status,
        backend: r.backend,
        started_at: r.started_at,
        ended_at: r.ended_at,
        wall_s: r.wall_s,
        points: r.n_points,
        final_accuracy: r.final_accuracy,
        error: r.error,
      };
    }),
  };
}

const axisValue = (v: unknown): string | number | boolean | null =>
  v === undefined || v === null ? null : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);

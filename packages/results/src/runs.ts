import { closestFirst, PrunelabError } from '@prunelab/core';
import { listSweeps, runSummaries, sweepRecord, type Db, type Filter } from '@prunelab/store';
import { sweepEffectiveConfigs } from './effective-config.js';
import type { Listing } from './listing.js';
import { formatWhere, resolveWhere } from './where.js';

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
    fix: names.length > 0 ? `Known sweeps: ${closestFirst(sweep, names).join(', ')}` : 'The database holds no sweeps yet: run one first',
  });
}

/**
 * The sweep a command reads: `sweep` when given (it must exist), else the
 * database's only sweep. With several and no --sweep, the error lists them.
 */
export function chooseSweep(db: Db, sweep: string | undefined): string {
  if (sweep !== undefined) {
    requireSweep(db, sweep);
    return sweep;
  }
  const names = listSweeps(db).map((s) => s.name);
  if (names.length === 1) return names[0]!;
  if (names.length === 0) {
    throw new PrunelabError('E_CONFIG_INVALID', 'the results database holds no sweeps yet', { path: '--sweep', fix: 'Run one first: prunelab run experiments/quickstart.yaml' });
  }
  throw new PrunelabError('E_CONFIG_INVALID', `the results database holds ${names.length} sweeps: ${names.join(', ')}`, {
    path: '--sweep',
    fix: `Choose one with --sweep NAME, e.g. --sweep ${names[0]!}`,
  });
}

/**
 * `prunelab results runs --sweep S`: each run's axes, status, backend, times
 * and final accuracy (in %), and its effective configuration: a `config.*`
 * column for every value that differs between the sweep's runs beyond their
 * axes (as the run used it), and the --set list that added the run.
 */
export function runsListing(db: Db, sweep: string, where: Filter = []): Listing {
  requireSweep(db, sweep);
  const rows = runSummaries(db, sweep, resolveWhere(db, sweep, where));
  const axisNames = [...new Set(rows.flatMap((r) => Object.keys(JSON.parse(r.axes_json) as Record<string, unknown>)))];
  const configs = sweepEffectiveConfigs(db, sweep);
  const overridden = [...configs.runs.values()].some((c) => c.overrides.length > 0);
  return {
    title: `${sweep}: ${rows.length} run(s)${where.length > 0 ? ` where ${formatWhere(where)}` : ''}`,
    columns: [
      'run_id',
      ...axisNames.map((a) => `axis.${a}`),
      ...configs.paths.map((p) => `config.${p}`),
      ...(overridden ? ['overrides'] : []),
      'status',
      'backend',
      'started_at',
      'ended_at',
      'wall_s',
      'points',
      'final_accuracy_pct',
      'error',
    ],
    rows: rows.map((r) => {
      const axes = JSON.parse(r.axes_json) as Record<string, unknown>;
      const config = configs.runs.get(r.run_id);
      return {
        run_id: r.run_id,
        ...Object.fromEntries(axisNames.map((a) => [`axis.${a}`, axisValue(axes[a])])),
        ...Object.fromEntries(configs.paths.map((p) => [`config.${p}`, config?.values[p] ?? null])),
        // Marks a run that a --set command added, with that command's list.
        ...(overridden && { overrides: config && config.overrides.length > 0 ? `--set ${config.overrides.join(' --set ')}` : null }),
        status: r.status,
        backend: r.backend,
        started_at: r.started_at,
        ended_at: r.ended_at,
        wall_s: r.wall_s,
        points: r.n_points,
        // The CLI prints percent (the views keep fractions); the header says so.
        final_accuracy_pct: r.final_accuracy === null ? null : Number((r.final_accuracy * 100).toPrecision(12)),
        error: r.error,
      };
    }),
  };
}

const axisValue = (v: unknown): string | number | boolean | null =>
  v === undefined || v === null ? null : typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);

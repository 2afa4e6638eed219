import { dirname } from 'node:path';
import { log } from '@prunelab/core';
import type { Writer } from '@prunelab/store';
import type { SweepContext } from './context.js';
import { gitCommit } from './environment.js';
import type { SweepPlan } from './plan.js';
import type { PreparedRun } from './prepare.js';

/** What this invocation finds in the database for its runs once they are registered. */
export interface SweepStock {
  /** The runs to execute: not done, not failed (unless retrying), not held by another live process. */
  readonly todo: readonly PreparedRun[];
  /** Already done. */
  readonly skipped: number;
  /** Running in another live process (left to it). */
  readonly elsewhere: number;
  /** Failed in an earlier invocation and not retried. */
  readonly failedBefore: number;
}

/**
 * Registers the sweep and its runs, marks the runs that a process which has
 * ended left running as interrupted, and finds what is left to do.
 */
export function registerRuns(ctx: SweepContext, plan: SweepPlan, overrides: readonly string[]): SweepStock {
  const { writer, owner } = ctx;
  const { runs } = plan;
  registerSweep(writer, plan, overrides);
  const released = writer.releaseAbandoned(
    runs.map((r) => r.id),
    owner,
  );
  if (released > 0) log.warn(`${released} run(s) left running by a process that has ended are now marked interrupted and will run again`);
  const states = writer.states(runs.map((r) => r.id));
  const heldElsewhere = (r: PreparedRun) => states.get(r.id)?.status === 'running';
  const todo = runs.filter((r) => {
    const s = states.get(r.id)?.status;
    return s !== 'done' && (s !== 'failed' || ctx.retryFailed) && !heldElsewhere(r);
  });
  const skipped = runs.filter((r) => states.get(r.id)?.status === 'done').length;
  const elsewhere = runs.filter(heldElsewhere).length;
  return { todo, skipped, elsewhere, failedBefore: runs.length - skipped - elsewhere - todo.length };
}

/** Sweep keys that name or describe the sweep without changing any run. */
const NAMING_KEYS: readonly string[] = ['name', 'description', '$schema'];

/**
 * Records the sweep and links its runs. A plain run of the file (no --set,
 * no shard) makes the sweep exactly what the file generates and says what
 * left it; --set only adds runs, marked with its list; a shard sees only its
 * part of the sweep, so it never removes anything.
 */
function registerSweep(writer: Writer, plan: SweepPlan, overrides: readonly string[]): void {
  const { sweep, runs } = plan;
  // The runs are marked with the overrides that can change them: not the sweep's name or description.
  const marks = overrides.filter((o) => !NAMING_KEYS.includes(o.slice(0, Math.max(0, o.indexOf('='))).trim()));
  writer.upsertSweep({ name: sweep.name, file: sweep.file, yaml: sweep.yaml, gitCommit: gitCommit(dirname(sweep.file)) });
  writer.registerRuns(
    sweep.name,
    runs.map((r) => ({
      id: r.id,
      sweep: sweep.name,
      config: r.config,
      seed: r.config.seed,
      ...r.labels,
      axes: r.axes,
      datasetIdentity: r.dataset.identity,
      budget: r.budget,
      denseKey: r.denseKey,
    })),
    marks,
  );
  if (overrides.length > 0) {
    log.info(`--set ${overrides.join(' ')}: its runs are added to ${sweep.name}, marked as overridden; no run leaves the sweep`);
    return;
  }
  if (plan.shard) return;
  const gone = writer.unlinkOtherRuns(
    sweep.name,
    runs.map((r) => r.id),
  );
  if (gone.fromFile > 0) log.info(`${gone.fromFile} run(s) from an earlier version of ${sweep.name} are no longer part of it (kept in the database)`);
  for (const o of gone.fromOverrides) {
    log.warn(
      `${o.runs} run(s) added to ${sweep.name} by --set ${o.overrides.join(' ')} are no longer part of it, as the file does not generate them ` +
        `(kept in the database: rerun with the same --set to add them back, or put the change in the file)`,
    );
  }
}

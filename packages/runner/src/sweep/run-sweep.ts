import { log } from '@prunelab/core';
import { Writer, newOwner, openDatabase, resultPaths } from '@prunelab/store';
import { BackendNote, type SweepContext } from './context.js';
import { DensePhase } from './dense-phase.js';
import { Dispatcher } from './dispatcher.js';
import { environment } from './environment.js';
import { RunExecution } from './execute-run.js';
import { denseItem, runItem, type SweepItem } from './items.js';
import { leaseMsFromEnv, startHeartbeat } from './lease.js';
import { openLanes, type LaneOptions } from './open-lanes.js';
import { planSweep, type PlanOptions, type SweepPlan } from './plan.js';
import { registerRuns, type SweepStock } from './register.js';
import { sweepEnd, sweepSummary, type SweepEnd, type SweepSummary } from './summary.js';
import type { Lane } from '../lanes/types.js';

export type { SweepSummary } from './summary.js';

export interface RunSweepOptions extends PlanOptions, LaneOptions {
  readonly retryFailed?: boolean;
  /** Aborting stops the sweep cleanly: in-flight runs become `interrupted`. */
  readonly signal?: AbortSignal;
  /** How long this process's claim on a run lasts without renewal (default: $PRUNELAB_LEASE_S, else 60 s). */
  readonly leaseMs?: number;
}

/**
 * Runs a sweep: validates it completely, then registers its runs, trains each
 * distinct dense model once, and fans the pruning runs out over the lanes.
 * The main thread is the only SQLite writer; workers stream points to it.
 */
export async function runSweep(options: RunSweepOptions): Promise<SweepSummary> {
  const startedAt = performance.now();
  // 1. Everything that can be wrong with the input fails here, before any write.
  const plan = await planSweep(options);
  const lanes = await openLanes(plan, options);
  const paths = resultPaths(options.results);
  const leaseMs = options.leaseMs ?? leaseMsFromEnv();
  const db = openDatabase(paths.database);
  const ctx: SweepContext = {
    paths,
    db,
    writer: new Writer(db),
    owner: newOwner(),
    leaseMs,
    retryFailed: options.retryFailed === true,
    cancel: new Int32Array(new SharedArrayBuffer(4)),
    env: environment(),
    backend: new BackendNote(),
  };

  // 2. Register the sweep and its runs; find what is left to do.
  const stock = registerRuns(ctx, plan, options.set ?? []);
  // 3. Dense models: one training per key, shared by every run (and sweep) that needs it.
  const dense = new DensePhase(ctx, stock.todo);
  logStart(plan, stock, dense, lanes);
  // 4. Execution: the dense trainings first, then the pruning runs, from one queue over every lane.
  const execution = new RunExecution(ctx, dense, stock.todo.length);
  const items = [...dense.toTrain.map(denseItem), ...stock.todo.map((r) => runItem(r, (run) => dense.model(run).settled))];
  const dispatcher = new Dispatcher<SweepItem>(
    lanes,
    (item, lane) => (item.kind === 'dense' ? dense.train(item.run, lane) : execution.execute(item.run, lane)),
    (item, reason) => (item.kind === 'dense' ? dense.unrunnable(item.run, reason) : execution.cannotRun(item.run, reason)),
  );
  const end = await dispatch(
    ctx,
    dispatcher,
    items,
    lanes,
    options,
    plan.runs.map((r) => r.id),
  );
  // 5. The summary: what this invocation did, and what is left.
  return sweepSummary({ plan, ctx, lanes, stock, dense, tally: execution.tally, end, startedAt });
}

function logStart(plan: SweepPlan, stock: SweepStock, dense: DensePhase, lanes: readonly Lane[]): void {
  const { sweep, runs, shard } = plan;
  const { todo, skipped, elsewhere, failedBefore } = stock;
  log.info(
    `sweep ${sweep.name}${shard ? ` (shard ${shard.index}/${shard.count})` : ''}: ${runs.length} runs, ${skipped} already done (skipped)` +
      (failedBefore > 0 ? `, ${failedBefore} failed before (use --retry-failed to rerun)` : '') +
      (elsewhere > 0 ? `, ${elsewhere} running in another process (left to it)` : '') +
      `, ${todo.length} to run on lanes ${lanes.map((l) => `${l.name}x${l.capacity}`).join(', ')}`,
    { event: 'sweep-start', total: todo.length, dense: dense.toTrain.length },
  );
}

/**
 * Runs the items through the dispatcher while a heartbeat renews this
 * process's claims, and stops cleanly on the abort signal. Whatever happens,
 * closes the lanes it opened (not injected ones) and then the database,
 * reading first where the runs `ids` (all of this invocation's, not only
 * those it executed) stand.
 */
async function dispatch(
  ctx: SweepContext,
  dispatcher: Dispatcher<SweepItem>,
  items: readonly SweepItem[],
  lanes: readonly Lane[],
  options: Pick<RunSweepOptions, 'signal' | 'lanes'>,
  ids: readonly string[],
): Promise<SweepEnd> {
  const onAbort = () => {
    Atomics.store(ctx.cancel, 0, 1);
    dispatcher.drain();
    log.warn('stopping: in-flight runs will be marked interrupted (Ctrl-C again to exit at once)', { event: 'stopping' });
  };
  const heartbeat = startHeartbeat(ctx.writer, ctx.owner, ctx.leaseMs);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  let end: SweepEnd;
  try {
    await dispatcher.run(items);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    heartbeat.stop();
    if (!options.lanes) await Promise.all(lanes.map((l) => l.close()));
    end = sweepEnd(ctx, ids);
    ctx.db.close();
  }
  return end;
}

import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { PrunelabError, log } from '@prunelab/core';
import { Writer, denseModel, denseModelFile, denseRewindFile, openDatabase, resultPaths } from '@prunelab/store';
import type { BackendInfo } from '@prunelab/models';
import { createCpuLane, defaultJobs } from '../lanes/cpu-lane.js';
import { detectGpuLane } from '../lanes/gpu-lane.js';
import type { Lane } from '../lanes/types.js';
import { CANCELLED, LANE_BROKEN, type DenseResult, type PortMessage, type RunResult } from '../worker/messages.js';
import { Dispatcher, type Outcome, type WorkItem } from './dispatcher.js';
import { environment, gitCommit } from './environment.js';
import { planSweep, type PlanOptions } from './plan.js';
import type { PreparedRun } from './prepare.js';

export interface RunSweepOptions extends PlanOptions {
  readonly jobs?: number;
  readonly retryFailed?: boolean;
  /** Aborting stops the sweep cleanly: in-flight runs become `interrupted`. */
  readonly signal?: AbortSignal;
  /** Lanes to use instead of the detected ones (tests inject stand-ins). */
  readonly lanes?: readonly Lane[];
  /** Set false to skip GPU detection (default: detect). */
  readonly gpu?: boolean;
}

export interface SweepSummary {
  readonly sweep: string;
  readonly database: string;
  readonly total: number;
  readonly skipped: number;
  readonly done: number;
  readonly failed: ReadonlyArray<{ id: string; label: string; error: string }>;
  readonly interrupted: number;
  readonly denseTrained: number;
  readonly backend: string | undefined;
  readonly lanes: readonly string[];
  readonly wallMs: number;
  /** Main-thread time spent on messages and database writes for the runs (the orchestration overhead). */
  readonly orchestrationMs: number;
  /** Sum of the runs' own wall times in their workers. */
  readonly runWallMs: number;
  /** Peak resident memory of the whole process, workers included (MB). */
  readonly maxRssMb: number;
}

export function runLabel(r: PreparedRun): string {
  const axes = Object.entries(r.axes).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return axes.length > 0 ? axes.join(' ') : r.id;
}

interface Item extends WorkItem {
  readonly kind: 'dense' | 'run';
  readonly run: PreparedRun;
}

/**
 * Runs a sweep: validates it completely, then registers its runs, trains each
 * distinct dense model once, and fans the pruning runs out over the lanes.
 * The main thread is the only SQLite writer; workers stream points to it.
 */
export async function runSweep(options: RunSweepOptions): Promise<SweepSummary> {
  const started = performance.now();
  // 1. Everything that can be wrong with the input fails here, before any write.
  const plan = await planSweep(options);
  const { sweep, runs } = plan;
  const lanes = options.lanes ?? [createCpuLane(options.jobs ?? defaultJobs()), ...(options.gpu === false ? [] : await detectGpuLane())];
  const laneNames = new Set(lanes.map((l) => l.name));
  for (const r of runs) {
    if (r.config.lane !== 'auto' && !laneNames.has(r.config.lane)) {
      if (!options.lanes) await Promise.all(lanes.map((l) => l.close()));
      throw new PrunelabError('E_CONFIG_INVALID', `runs are pinned to the ${r.config.lane} lane, which this machine does not have`, {
        file: sweep.file,
        path: 'lane',
        value: r.config.lane,
        fix: `Available lanes: ${[...laneNames].join(', ')}; use lane: auto`,
      });
    }
  }
  const paths = resultPaths(options.results);

  // 2. Register the sweep and its runs; find what is left to do.
  const db = openDatabase(paths.database);
  const writer = new Writer(db);
  writer.upsertSweep({ name: sweep.name, file: sweep.file, yaml: sweep.yaml, gitCommit: gitCommit(dirname(sweep.file)) });
  const stale = writer.interruptRunning(runs.map((r) => r.id));
  if (stale > 0) log.warn(`${stale} run(s) left running by an earlier, crashed invocation are now marked interrupted and will run again`);
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
  );
  if (!plan.shard) {
    // A shard sees only its part of the sweep; only a whole run may prune the membership.
    const dropped = writer.unlinkOtherRuns(sweep.name, runs.map((r) => r.id));
    if (dropped > 0) log.info(`${dropped} run(s) from an earlier version of ${sweep.name} are no longer part of it (kept in the database)`);
  }
  const statuses = writer.statuses(runs.map((r) => r.id));
  const todo = runs.filter((r) => {
    const s = statuses.get(r.id);
    return s !== 'done' && (s !== 'failed' || options.retryFailed === true);
  });
  const skipped = runs.filter((r) => statuses.get(r.id) === 'done').length;
  const failedBefore = runs.length - skipped - todo.length;
  log.info(
    `sweep ${sweep.name}${plan.shard ? ` (shard ${plan.shard.index}/${plan.shard.count})` : ''}: ${runs.length} runs, ${skipped} already done (skipped)` +
      (failedBefore > 0 ? `, ${failedBefore} failed before (use --retry-failed to rerun)` : '') +
      `, ${todo.length} to run on lanes ${lanes.map((l) => `${l.name}x${l.capacity}`).join(', ')}`,
    { event: 'sweep-start', total: todo.length },
  );

  const cancel = new Int32Array(new SharedArrayBuffer(4));
  const onAbort = () => {
    Atomics.store(cancel, 0, 1);
    dispatcher.drain();
    log.warn('stopping: in-flight runs will be marked interrupted (Ctrl-C again to exit at once)');
  };

  const env = environment();
  let backend: BackendInfo | undefined;
  const noteBackend = (b: BackendInfo) => {
    if (!backend) log.info(`backend: ${b.name} (${b.package})`);
    backend = b;
  };

  // 3. Dense models: one training per key, shared by every run (and sweep) that needs it.
  const denseState = new Map<string, { file: string; rewind: Array<{ step: number; file: string }>; error?: string; settled: boolean }>();
  const denseItems: Item[] = [];
  const rewindFor = (key: string, steps: Iterable<number>) => [...new Set(steps)].sort((a, b) => a - b).map((step) => ({ step, file: denseRewindFile(paths, key, step) }));
  const stepsByKey = new Map<string, number[]>();
  for (const r of todo) stepsByKey.set(r.denseKey, [...(stepsByKey.get(r.denseKey) ?? []), ...r.rewindSteps]);
  for (const r of todo) {
    if (denseState.has(r.denseKey)) continue;
    const rewind = rewindFor(r.denseKey, stepsByKey.get(r.denseKey) ?? []);
    const known = denseModel(db, r.denseKey);
    if (known && existsSync(known.file) && rewind.every((w) => existsSync(w.file))) {
      denseState.set(r.denseKey, { file: known.file, rewind, settled: true });
    } else {
      // Training is deterministic, so retraining for a missing rewind snapshot reproduces the same dense model.
      denseState.set(r.denseKey, { file: denseModelFile(paths, r.denseKey), rewind, settled: false });
      denseItems.push({ kind: 'dense', key: `dense:${r.denseKey}`, run: r, priority: 1, cost: r.cost, pin: r.config.lane, ready: () => true });
    }
  }
  let denseTrained = 0;
  const trainDense = async (r: PreparedRun, lane: Lane): Promise<Outcome> => {
    const state = denseState.get(r.denseKey)!;
    log.info(`training dense model ${r.denseKey} (${r.labels.model} on ${r.labels.dataset}, seed ${r.config.seed}) on ${lane.name}`);
    try {
      const d = (await lane.run({ kind: 'dense', key: r.denseKey, file: state.file, rewind: state.rewind, config: r.config, dataset: r.dataset, cancel })) as DenseResult;
      noteBackend(d.backend);
      writer.recordDense({
        key: r.denseKey,
        dataset: r.labels.dataset,
        model: r.labels.model,
        seed: r.config.seed,
        config: { dataset: r.config.dataset, model: r.config.model, train: r.config.train, seed: r.config.seed },
        file: state.file,
        accuracy: d.accuracy,
        loss: d.loss,
        steps: d.steps,
        wallMs: d.wallMs,
        backend: d.backend.name,
      });
      denseTrained++;
      log.info(`dense model ${r.denseKey}: test accuracy ${d.accuracy.toFixed(4)} after ${d.steps} steps (${(d.wallMs / 1000).toFixed(1)} s)`);
    } catch (e) {
      if ((e as Error).message === LANE_BROKEN) return 'lane-broken';
      state.error = Atomics.load(cancel, 0) !== 0 ? CANCELLED : `dense training failed: ${(e as Error).message}`;
    }
    state.settled = true;
    return 'done';
  };

  // 4. Pruning runs.
  let done = 0;
  let interrupted = 0;
  let orchestrationMs = 0;
  let runWallMs = 0;
  const failed: Array<{ id: string; label: string; error: string }> = [];
  const progress = (lane?: string, run?: string) => ({ event: 'progress', done, failed: failed.length, interrupted, total: todo.length, ...(lane && { lane }), ...(run && { run }) });
  const finish = (r: PreparedRun, err: Error, lane?: string) => {
    if (err.message === CANCELLED || Atomics.load(cancel, 0) !== 0) {
      writer.finishRun(r.id, { status: 'interrupted', error: 'interrupted by the user' });
      interrupted++;
      log.debug(`interrupted ${runLabel(r)}`, progress(lane, runLabel(r)));
    } else {
      writer.finishRun(r.id, { status: 'failed', error: err.message, stack: err.stack ?? '' });
      failed.push({ id: r.id, label: runLabel(r), error: err.message });
      log.error(`run ${r.id} (${runLabel(r)}) failed: ${err.message}`, progress(lane, runLabel(r)));
    }
  };

  const executeRun = async (r: PreparedRun, lane: Lane): Promise<Outcome> => {
    const dense = denseState.get(r.denseKey)!;
    if (dense.error) {
      finish(r, new Error(dense.error));
      return 'done';
    }
    const { port1, port2 } = new MessageChannel();
    let onEnd: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (onEnd = resolve));
    const handle = (m: PortMessage) => {
      if (m.type === 'end') {
        onEnd();
      } else if (m.type === 'started') {
        noteBackend(m.backend);
        writer.startRun(r.id, { backend: m.backend.name, lane: lane.name, env: { ...env, backend: m.backend } });
        log.debug(`started ${runLabel(r)} on ${lane.name}`, { event: 'run-start', lane: lane.name, run: runLabel(r) });
      } else {
        writer.addPoint(r.id, m.point);
        log.debug(`${runLabel(r)}: ${m.point.phase} at ${m.point.targetSparsity}`, { event: 'run-phase', lane: lane.name, run: runLabel(r), phase: `${m.point.phase}@${m.point.targetSparsity}` });
      }
    };
    port1.on('message', (m: PortMessage) => {
      const t0 = performance.now();
      handle(m);
      orchestrationMs += performance.now() - t0;
    });
    try {
      const rewind = dense.rewind.filter((w) => r.rewindSteps.includes(w.step));
      const res = (await lane.run({ kind: 'run', id: r.id, config: r.config, dataset: r.dataset, denseFile: dense.file, rewind, port: port2, cancel }, [port2])) as RunResult;
      // The task's result and its points travel on different channels: wait for the points.
      await ended;
      const t1 = performance.now();
      writer.finishRun(r.id, { status: 'done', scoreMs: res.scoreMs });
      orchestrationMs += performance.now() - t1;
      runWallMs += res.wallMs;
      done++;
      log.info(`[${done + failed.length + interrupted}/${todo.length}] done ${runLabel(r)} on ${lane.name} (${(res.wallMs / 1000).toFixed(1)} s)`, progress(lane.name, runLabel(r)));
    } catch (e) {
      if ((e as Error).message === LANE_BROKEN) return 'lane-broken';
      finish(r, e as Error, lane.name);
    } finally {
      port1.close();
    }
    return 'done';
  };

  const runItems: Item[] = todo.map((r) => ({
    kind: 'run',
    key: r.id,
    run: r,
    priority: 0,
    cost: r.cost,
    pin: r.config.lane,
    ready: () => denseState.get(r.denseKey)!.settled,
  }));
  const dispatcher = new Dispatcher<Item>(
    lanes,
    (item, lane) => (item.kind === 'dense' ? trainDense(item.run, lane) : executeRun(item.run, lane)),
    (item, reason) => {
      if (item.kind === 'dense') {
        const s = denseState.get(item.run.denseKey)!;
        s.error = Atomics.load(cancel, 0) !== 0 ? CANCELLED : `dense training could not run: ${reason}`;
        s.settled = true;
      } else {
        finish(item.run, new Error(Atomics.load(cancel, 0) !== 0 ? CANCELLED : reason));
      }
    },
  );
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  try {
    await dispatcher.run([...denseItems, ...runItems]);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (!options.lanes) await Promise.all(lanes.map((l) => l.close()));
    db.close();
  }
  return {
    sweep: sweep.name,
    database: paths.database,
    total: runs.length,
    skipped,
    done,
    failed,
    interrupted,
    denseTrained,
    backend: backend?.name,
    lanes: lanes.map((l) => l.name),
    wallMs: performance.now() - started,
    orchestrationMs,
    runWallMs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

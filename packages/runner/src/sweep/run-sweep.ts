import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { PrunelabError, log } from '@prunelab/core';
import { Writer, denseModel, denseModelFile, denseRewindFile, newOwner, openDatabase, resultPaths, type RunAttempt } from '@prunelab/store';
import type { BackendInfo } from '@prunelab/engine';
import { createCpuLane, defaultJobs } from '../lanes/cpu-lane.js';
import { detectGpuLane } from '../lanes/gpu-lane.js';
import type { Lane } from '../lanes/types.js';
import { CANCELLED, LANE_BROKEN, type DenseResult, type PortMessage, type RunResult } from '../worker/messages.js';
import { Dispatcher, type Outcome, type WorkItem } from './dispatcher.js';
import { environment, gitCommit } from './environment.js';
import { leaseMsFromEnv, startHeartbeat } from './lease.js';
import { runsNotDone, type RunsNotDone } from './outcome.js';
import { planSweep, type PlanOptions, type SweepPlan } from './plan.js';
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
  /** How long this process's claim on a run lasts without renewal (default: $PRUNELAB_LEASE_S, else 60 s). */
  readonly leaseMs?: number;
}

export interface SweepSummary {
  readonly sweep: string;
  readonly database: string;
  /** The runs this invocation is about: the sweep's, or its shard's. */
  readonly total: number;
  /** Already done when this invocation started. */
  readonly skipped: number;
  /** Finished by this invocation. */
  readonly done: number;
  /** Failed in this invocation. */
  readonly failed: ReadonlyArray<{ id: string; label: string; error: string }>;
  /** In flight when Ctrl-C stopped this invocation, or ended without their full set of points. */
  readonly interrupted: number;
  /** Done by another process while this one ran (found done, or finished after this one left them to it). */
  readonly doneElsewhere: number;
  /** Left to another process: it held them (or had left them failed) when this one came to them, or took them over from this one. */
  readonly leftToOthers: number;
  /** Every run of `total` that is not done at the end, whoever left it so: what the exit status counts. */
  readonly notDone: RunsNotDone;
  /** True when Ctrl-C (the abort signal) stopped the sweep. */
  readonly stopped: boolean;
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
  const leaseMs = options.leaseMs ?? leaseMsFromEnv();

  // 2. Register the sweep and its runs; find what is left to do.
  const db = openDatabase(paths.database);
  const writer = new Writer(db);
  // This process's name on the runs it claims (a heartbeat renews its claims while the runs are in flight).
  const owner = newOwner();
  registerSweep(writer, plan, options.set ?? []);
  const released = writer.releaseAbandoned(runs.map((r) => r.id), owner);
  if (released > 0) log.warn(`${released} run(s) left running by a process that has ended are now marked interrupted and will run again`);
  const states = writer.states(runs.map((r) => r.id));
  const heldElsewhere = (r: PreparedRun) => states.get(r.id)?.status === 'running';
  const todo = runs.filter((r) => {
    const s = states.get(r.id)?.status;
    return s !== 'done' && (s !== 'failed' || options.retryFailed === true) && !heldElsewhere(r);
  });
  const skipped = runs.filter((r) => states.get(r.id)?.status === 'done').length;
  const elsewhere = runs.filter(heldElsewhere).length;
  const failedBefore = runs.length - skipped - elsewhere - todo.length;

  const cancel = new Int32Array(new SharedArrayBuffer(4));
  const stopped = () => Atomics.load(cancel, 0) !== 0;
  const onAbort = () => {
    Atomics.store(cancel, 0, 1);
    dispatcher.drain();
    log.warn('stopping: in-flight runs will be marked interrupted (Ctrl-C again to exit at once)', { event: 'stopping' });
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
  log.info(
    `sweep ${sweep.name}${plan.shard ? ` (shard ${plan.shard.index}/${plan.shard.count})` : ''}: ${runs.length} runs, ${skipped} already done (skipped)` +
      (failedBefore > 0 ? `, ${failedBefore} failed before (use --retry-failed to rerun)` : '') +
      (elsewhere > 0 ? `, ${elsewhere} running in another process (left to it)` : '') +
      `, ${todo.length} to run on lanes ${lanes.map((l) => `${l.name}x${l.capacity}`).join(', ')}`,
    { event: 'sweep-start', total: todo.length, dense: denseItems.length },
  );
  let denseTrained = 0;
  let denseSettled = 0;
  const denseLabel = (r: PreparedRun) => `dense ${r.labels.model} seed=${r.config.seed}`;
  const denseProgress = (lane: string, r: PreparedRun) => ({ event: 'dense-end', lane, run: denseLabel(r), denseDone: denseSettled, denseTotal: denseItems.length });
  const trainDense = async (r: PreparedRun, lane: Lane): Promise<Outcome> => {
    const state = denseState.get(r.denseKey)!;
    log.info(`training dense model ${r.denseKey} (${r.labels.model} on ${r.labels.dataset}, seed ${r.config.seed}) on ${lane.name}`, {
      event: 'dense-start',
      lane: lane.name,
      run: denseLabel(r),
      denseTotal: denseItems.length,
    });
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
      denseSettled++;
      log.info(`dense model ${r.denseKey}: test accuracy ${d.accuracy.toFixed(4)} after ${d.steps} steps (${(d.wallMs / 1000).toFixed(1)} s)`, denseProgress(lane.name, r));
    } catch (e) {
      if ((e as Error).message === LANE_BROKEN) return 'lane-broken';
      state.error = stopped() ? CANCELLED : `dense training failed: ${(e as Error).message}`;
      denseSettled++;
      log.debug(`dense model ${r.denseKey} not trained`, denseProgress(lane.name, r));
    }
    state.settled = true;
    return 'done';
  };

  // 4. Pruning runs. Each is claimed first: only this process's attempt may write it (see @prunelab/store attempt.ts).
  let done = 0;
  let interrupted = 0;
  let foundDone = 0;
  let leftToOthers = 0;
  let orchestrationMs = 0;
  let runWallMs = 0;
  const failed: Array<{ id: string; label: string; error: string }> = [];
  const progress = (lane?: string, run?: string) => ({
    event: 'progress',
    done,
    failed: failed.length,
    interrupted,
    skipped: foundDone + leftToOthers,
    total: todo.length,
    ...(lane && { lane }),
    ...(run && { run }),
  });
  /** Claims a run for this process; a refusal is counted and logged, and the run is left to whoever has it. */
  const claim = (r: PreparedRun, lane: string): RunAttempt | undefined => {
    const c = writer.claimRun(r.id, { owner, leaseMs, retryFailed: options.retryFailed === true, lane });
    if (c.claimed) {
      if (c.tookOverFrom) log.info(`run ${r.id} (${runLabel(r)}): taking it over from ${c.tookOverFrom}, which has ended`);
      return c.attempt;
    }
    if (c.status === 'done') foundDone++;
    else leftToOthers++;
    log.info(`skipping ${runLabel(r)}: ${c.status === 'done' ? 'another process finished it' : c.status === 'running' ? 'running in another process' : `another process left it ${c.status}`}`, progress(lane, runLabel(r)));
    return undefined;
  };
  const lost = (r: PreparedRun, lane?: string) => {
    leftToOthers++;
    log.warn(`run ${r.id} (${runLabel(r)}) was taken over by another process after this one's lease ran out; its results are that process's`, progress(lane, runLabel(r)));
  };
  /** Ends an attempt that did not complete: interrupted after Ctrl-C, failed otherwise. */
  const fail = (r: PreparedRun, attempt: RunAttempt, err: Error, lane?: string) => {
    const cancelled = err.message === CANCELLED || stopped();
    const result = cancelled
      ? attempt.finish({ status: 'interrupted', error: 'interrupted by the user' })
      : attempt.finish({ status: 'failed', error: err.message, stack: err.stack ?? '' });
    if (result === 'lost') return lost(r, lane);
    if (cancelled) {
      interrupted++;
      log.debug(`interrupted ${runLabel(r)}`, progress(lane, runLabel(r)));
    } else {
      failed.push({ id: r.id, label: runLabel(r), error: err.message });
      log.error(`run ${r.id} (${runLabel(r)}) failed: ${err.message}`, progress(lane, runLabel(r)));
    }
  };
  /** A run that cannot start (its dense model failed, or no lane can take it): recorded as failed, if this process may. */
  const cannotRun = (r: PreparedRun, reason: string, lane = r.config.lane === 'auto' ? 'cpu' : r.config.lane) => {
    if (reason === CANCELLED || stopped()) return; // never started: it stays as it was, and the summary counts it
    const attempt = claim(r, lane);
    if (attempt) fail(r, attempt, new Error(reason), lane);
  };

  const executeRun = async (r: PreparedRun, lane: Lane): Promise<Outcome> => {
    const dense = denseState.get(r.denseKey)!;
    if (dense.error) {
      cannotRun(r, dense.error, lane.name);
      return 'done';
    }
    const attempt = claim(r, lane.name);
    if (!attempt) return 'done';
    const { port1, port2 } = new MessageChannel();
    let onEnd: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (onEnd = resolve));
    // Points the worker sent, and whether every write of this attempt was accepted.
    let received = 0;
    let owned = true;
    const handle = (m: PortMessage) => {
      if (m.type === 'end') {
        onEnd();
      } else if (m.type === 'started') {
        noteBackend(m.backend);
        owned &&= attempt.started({ backend: m.backend.name, lane: lane.name, env: { ...env, backend: m.backend } });
        log.debug(`started ${runLabel(r)} on ${lane.name}`, { event: 'run-start', lane: lane.name, run: runLabel(r) });
      } else {
        received++;
        owned &&= attempt.addPoint(m.point);
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
      // Done only with every point the worker sent stored, checked in the same statement (see RunAttempt.finish).
      // The training the run got after dense training, stored by the same owner before it is done.
      owned &&= writer.recordTraining(attempt, res.training);
      const result = owned ? attempt.finish({ status: 'done', scoreMs: res.scoreMs, expectedPoints: received }) : 'lost';
      orchestrationMs += performance.now() - t1;
      runWallMs += res.wallMs;
      if (result === 'lost') {
        lost(r, lane.name);
      } else if (result === 'incomplete') {
        interrupted++;
        log.warn(`run ${r.id} (${runLabel(r)}): not all of its ${received} points were stored; marked interrupted, a rerun runs it again`, progress(lane.name, runLabel(r)));
      } else {
        done++;
        log.info(`[${done + failed.length + interrupted}/${todo.length}] done ${runLabel(r)} on ${lane.name} (${(res.wallMs / 1000).toFixed(1)} s)`, progress(lane.name, runLabel(r)));
      }
    } catch (e) {
      if ((e as Error).message === LANE_BROKEN) {
        // Back to the queue for another lane: release the claim so that the next attempt (ours or another's) may take it.
        attempt.finish({ status: 'interrupted', error: 'its lane broke down; requeued' });
        return 'lane-broken';
      }
      if (owned) fail(r, attempt, e as Error, lane.name);
      else lost(r, lane.name);
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
        s.error = stopped() ? CANCELLED : `dense training could not run: ${reason}`;
        s.settled = true;
      } else {
        cannotRun(item.run, reason);
      }
    },
  );
  const heartbeat = startHeartbeat(writer, owner, leaseMs);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  let notDone: RunsNotDone;
  let doneAtEnd = 0;
  try {
    await dispatcher.run([...denseItems, ...runItems]);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    heartbeat.stop();
    if (!options.lanes) await Promise.all(lanes.map((l) => l.close()));
    // What is left, whoever left it: runs that failed before, runs another process holds, runs never started.
    const end = writer.states(runs.map((r) => r.id));
    notDone = runsNotDone(end, runs.map((r) => r.id), owner);
    doneAtEnd = [...end.values()].filter((s) => s.status === 'done').length;
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
    doneElsewhere: Math.max(0, doneAtEnd - skipped - done),
    leftToOthers,
    notDone,
    stopped: stopped(),
    denseTrained,
    backend: backend?.name,
    lanes: lanes.map((l) => l.name),
    wallMs: performance.now() - started,
    orchestrationMs,
    runWallMs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
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
  const gone = writer.unlinkOtherRuns(sweep.name, runs.map((r) => r.id));
  if (gone.fromFile > 0) log.info(`${gone.fromFile} run(s) from an earlier version of ${sweep.name} are no longer part of it (kept in the database)`);
  for (const o of gone.fromOverrides) {
    log.warn(
      `${o.runs} run(s) added to ${sweep.name} by --set ${o.overrides.join(' ')} are no longer part of it, as the file does not generate them ` +
        `(kept in the database: rerun with the same --set to add them back, or put the change in the file)`,
    );
  }
}

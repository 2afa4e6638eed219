import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { log } from '@prunelab/core';
import { Writer, denseModel, denseModelFile, openDatabase, resultPaths, type PointRecord } from '@prunelab/store';
import type { BackendInfo } from '@prunelab/models';
import { loadSweep } from '../config/load.js';
import { createCpuLane, defaultJobs } from '../lanes/cpu-lane.js';
import type { Lane } from '../lanes/types.js';
import { CANCELLED, type DenseResult, type PortMessage, type RunResult } from '../worker/messages.js';
import { environment, gitCommit } from './environment.js';
import { prepareRuns, type PreparedRun } from './prepare.js';

export interface RunSweepOptions {
  readonly file: string;
  readonly set?: readonly string[];
  readonly jobs?: number;
  /** Results folder (default ./results or $PRUNELAB_RESULTS). */
  readonly results?: string;
  readonly configsDir?: string;
  readonly retryFailed?: boolean;
  /** Aborting stops the sweep cleanly: in-flight runs become `interrupted`. */
  readonly signal?: AbortSignal;
  /** Lanes to use instead of the default CPU lane (tests inject stand-ins). */
  readonly lanes?: readonly Lane[];
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

/**
 * Runs a sweep: validates it completely, then registers its runs, trains each
 * distinct dense model once, and fans the pruning runs out over the lanes.
 * The main thread is the only SQLite writer; workers stream points to it.
 */
export async function runSweep(options: RunSweepOptions): Promise<SweepSummary> {
  const started = performance.now();
  // 1. Everything that can be wrong with the input fails here, before any write.
  const sweep = loadSweep(options.file, { ...(options.set && { set: options.set }), ...(options.configsDir && { configsDir: options.configsDir }) });
  const runs = await prepareRuns(sweep);
  const paths = resultPaths(options.results);

  // 2. Register the sweep and its runs; find what is left to do.
  const db = openDatabase(paths.database);
  const writer = new Writer(db);
  writer.upsertSweep({ name: sweep.name, file: options.file, yaml: sweep.yaml, gitCommit: gitCommit(dirname(options.file)) });
  const stale = writer.interruptRunning(sweep.name);
  if (stale > 0) log.warn(`${stale} run(s) of an earlier, crashed invocation marked interrupted; they will run again`);
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
  const statuses = writer.statuses(runs.map((r) => r.id));
  const todo = runs.filter((r) => {
    const s = statuses.get(r.id);
    return s !== 'done' && (s !== 'failed' || options.retryFailed === true);
  });
  const skipped = runs.filter((r) => statuses.get(r.id) === 'done').length;
  const failedBefore = runs.length - skipped - todo.length;
  log.info(
    `sweep ${sweep.name}: ${runs.length} runs, ${skipped} already done (skipped)` +
      (failedBefore > 0 ? `, ${failedBefore} failed before (use --retry-failed to rerun)` : '') +
      `, ${todo.length} to run`,
  );

  const cancel = new Int32Array(new SharedArrayBuffer(4));
  const onAbort = () => {
    Atomics.store(cancel, 0, 1);
    log.warn('stopping: in-flight runs will be marked interrupted (Ctrl-C again to exit at once)');
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  const lanes = options.lanes ?? [createCpuLane(options.jobs ?? defaultJobs())];
  const lane = lanes[0]!;
  const env = environment();
  let backend: BackendInfo | undefined;
  const noteBackend = (b: BackendInfo) => {
    if (!backend) log.info(`backend: ${b.name} (${b.package})`);
    backend = b;
  };

  // 3. Dense models: one training per key, shared by every run (and sweep) that needs it.
  const dense = new Map<string, Promise<string>>();
  let denseTrained = 0;
  const ensureDense = (r: PreparedRun): Promise<string> => {
    let p = dense.get(r.denseKey);
    if (!p) {
      const file = denseModelFile(paths, r.denseKey);
      const known = denseModel(db, r.denseKey);
      if (known && existsSync(known.file)) {
        p = Promise.resolve(known.file);
      } else {
        log.info(`training dense model ${r.denseKey} (${r.labels.model} on ${r.labels.dataset}, seed ${r.config.seed})`);
        p = lane.run({ kind: 'dense', key: r.denseKey, file, config: r.config, dataset: r.dataset, cancel }).then((res) => {
          const d = res as DenseResult;
          noteBackend(d.backend);
          writer.recordDense({
            key: r.denseKey,
            dataset: r.labels.dataset,
            model: r.labels.model,
            seed: r.config.seed,
            config: { dataset: r.config.dataset, model: r.config.model, train: r.config.train, seed: r.config.seed },
            file,
            accuracy: d.accuracy,
            loss: d.loss,
            steps: d.steps,
            wallMs: d.wallMs,
            backend: d.backend.name,
          });
          denseTrained++;
          log.info(`dense model ${r.denseKey}: test accuracy ${d.accuracy.toFixed(4)} after ${d.steps} steps (${(d.wallMs / 1000).toFixed(1)} s)`);
          return file;
        });
      }
      dense.set(r.denseKey, p);
    }
    return p;
  };

  // 4. Pruning runs, biggest first.
  let done = 0;
  let interrupted = 0;
  let orchestrationMs = 0;
  let runWallMs = 0;
  const failed: Array<{ id: string; label: string; error: string }> = [];
  const ordered = [...todo].sort((a, b) => b.cost - a.cost || a.id.localeCompare(b.id));
  const execute = async (r: PreparedRun): Promise<void> => {
    const label = runLabel(r);
    try {
      const denseFile = await ensureDense(r);
      if (Atomics.load(cancel, 0) !== 0) throw new Error(CANCELLED);
      const { port1, port2 } = new MessageChannel();
      let onEnd: () => void = () => undefined;
      const ended = new Promise<void>((resolve) => (onEnd = resolve));
      port1.on('message', (m: PortMessage) => {
        const t0 = performance.now();
        handle(m);
        orchestrationMs += performance.now() - t0;
      });
      const handle = (m: PortMessage) => {
        if (m.type === 'end') {
          onEnd();
        } else if (m.type === 'started') {
          noteBackend(m.backend);
          writer.startRun(r.id, { backend: m.backend.name, lane: lane.name, env: { ...env, backend: m.backend } });
        } else {
          writer.addPoint(r.id, toPointRecord(m.point));
        }
      };
      let res: RunResult;
      try {
        res = (await lane.run({ kind: 'run', id: r.id, config: r.config, dataset: r.dataset, denseFile, port: port2, cancel }, [port2])) as RunResult;
        // The task's result and its points travel on different channels: wait for the points.
        await ended;
      } finally {
        port1.close();
      }
      const t1 = performance.now();
      writer.finishRun(r.id, { status: 'done', scoreMs: res.scoreMs });
      orchestrationMs += performance.now() - t1;
      runWallMs += res.wallMs;
      done++;
      log.info(`[${done + failed.length + interrupted}/${todo.length}] done ${label} (${(res.wallMs / 1000).toFixed(1)} s)`);
    } catch (e) {
      const err = e as Error;
      if (err.message === CANCELLED || Atomics.load(cancel, 0) !== 0) {
        writer.finishRun(r.id, { status: 'interrupted', error: 'interrupted by the user' });
        interrupted++;
      } else {
        writer.finishRun(r.id, { status: 'failed', error: err.message, stack: err.stack ?? '' });
        failed.push({ id: r.id, label, error: err.message });
        log.error(`run ${r.id} (${label}) failed: ${err.message}`);
      }
    }
  };
  try {
    await Promise.all(ordered.map(execute));
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
    wallMs: performance.now() - started,
    orchestrationMs,
    runWallMs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

function toPointRecord(p: PortMessage & { type: 'point' } extends { point: infer P } ? P : never): PointRecord {
  return {
    step: p.step,
    phase: p.phase,
    onCurve: p.onCurve,
    targetSparsity: p.targetSparsity,
    sparsity: p.sparsity,
    nonzeroPrunable: p.nonzeroPrunable,
    prunableParams: p.prunableParams,
    totalParams: p.totalParams,
    nonzeroParams: p.nonzeroParams,
    accuracy: p.accuracy,
    loss: p.loss,
    robustAccuracy: p.robustAccuracy,
    macsDense: p.macsDense,
    macsEffective: p.macsEffective,
    perLayer: p.perLayer,
    wallMs: p.wallMs,
  };
}

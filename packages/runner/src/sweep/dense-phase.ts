import { existsSync } from 'node:fs';
import { log } from '@prunelab/core';
import { denseModel, denseModelFile, denseRewindFile } from '@prunelab/store';
import type { Lane } from '../lanes/types.js';
import { CANCELLED, LANE_BROKEN } from '../worker/messages.js';
import { isStopped, type SweepContext } from './context.js';
import type { Outcome } from './dispatcher.js';
import type { PreparedRun } from './prepare.js';

/** A dense model the runs of this invocation start from, and where it stands. */
export interface DenseModelState {
  readonly file: string;
  /** Snapshots of its training for late rewinding, by optimizer step, each to its file. */
  readonly rewind: ReadonlyArray<{ readonly step: number; readonly file: string }>;
  /** Why it could not be trained (CANCELLED after Ctrl-C): its runs fail with this reason, or stay as they were when cancelled. */
  error?: string;
  /** Trained, found on disk, or failed: its runs may go. */
  settled: boolean;
}

const denseLabel = (r: PreparedRun) => `dense ${r.labels.model} seed=${r.config.seed}`;

/**
 * The dense phase: one training per dense key, shared by every run (and
 * sweep) that needs it. A model already in the database, with its file and
 * every rewind snapshot the runs need, is not trained again.
 */
export class DensePhase {
  /** For each dense model to train, the first run that needs it. */
  readonly toTrain: PreparedRun[] = [];
  private readonly models = new Map<string, DenseModelState>();
  private trainedCount = 0;
  private settledCount = 0;

  constructor(
    private readonly ctx: SweepContext,
    todo: readonly PreparedRun[],
  ) {
    const rewindFor = (key: string, steps: Iterable<number>) =>
      [...new Set(steps)].sort((a, b) => a - b).map((step) => ({ step, file: denseRewindFile(ctx.paths, key, step) }));
    const stepsByKey = new Map<string, number[]>();
    for (const r of todo) stepsByKey.set(r.denseKey, [...(stepsByKey.get(r.denseKey) ?? []), ...r.rewindSteps]);
    for (const r of todo) {
      if (this.models.has(r.denseKey)) continue;
      const rewind = rewindFor(r.denseKey, stepsByKey.get(r.denseKey) ?? []);
      const known = denseModel(ctx.db, r.denseKey);
      if (known && existsSync(known.file) && rewind.every((w) => existsSync(w.file))) {
        this.models.set(r.denseKey, { file: known.file, rewind, settled: true });
      } else {
        // Training is deterministic, so retraining for a missing rewind snapshot reproduces the same dense model.
        this.models.set(r.denseKey, { file: denseModelFile(ctx.paths, r.denseKey), rewind, settled: false });
        this.toTrain.push(r);
      }
    }
  }

  /** Dense models this invocation trained. */
  get trained(): number {
    return this.trainedCount;
  }

  /** The dense model a run starts from. */
  model(r: PreparedRun): DenseModelState {
    return this.models.get(r.denseKey)!;
  }

  /** Trains the dense model `r` needs on `lane` and records it; a failure is kept for its runs to report. */
  async train(r: PreparedRun, lane: Lane): Promise<Outcome> {
    const state = this.model(r);
    log.info(`training dense model ${r.denseKey} (${r.labels.model} on ${r.labels.dataset}, seed ${r.config.seed}) on ${lane.name}`, {
      event: 'dense-start',
      lane: lane.name,
      run: denseLabel(r),
      denseTotal: this.toTrain.length,
    });
    try {
      const d = await lane.run({
        kind: 'dense',
        key: r.denseKey,
        file: state.file,
        rewind: state.rewind,
        config: r.config,
        dataset: r.dataset,
        cancel: this.ctx.cancel,
      });
      this.ctx.backend.note(d.backend);
      this.ctx.writer.recordDense({
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
      this.trainedCount++;
      this.settledCount++;
      log.info(
        `dense model ${r.denseKey}: test accuracy ${d.accuracy.toFixed(4)} after ${d.steps} steps (${(d.wallMs / 1000).toFixed(1)} s)`,
        this.progress(lane.name, r),
      );
    } catch (e) {
      if ((e as Error).message === LANE_BROKEN) return 'lane-broken';
      state.error = isStopped(this.ctx) ? CANCELLED : `dense training failed: ${(e as Error).message}`;
      this.settledCount++;
      log.debug(`dense model ${r.denseKey} not trained`, this.progress(lane.name, r));
    }
    state.settled = true;
    return 'done';
  }

  /** The dense training for `r` could not start (no lane could take it, or Ctrl-C): its runs report why. */
  unrunnable(r: PreparedRun, reason: string): void {
    const state = this.model(r);
    state.error = isStopped(this.ctx) ? CANCELLED : `dense training could not run: ${reason}`;
    state.settled = true;
  }

  private progress(lane: string, r: PreparedRun) {
    return { event: 'dense-end', lane, run: denseLabel(r), denseDone: this.settledCount, denseTotal: this.toTrain.length };
  }
}

import { MessageChannel } from 'node:worker_threads';
import { log } from '@prunelab/core';
import type { RunAttempt } from '@prunelab/store';
import type { Lane } from '../lanes/types.js';
import { CANCELLED, LANE_BROKEN, type PortMessage } from '../worker/messages.js';
import { isStopped, type SweepContext } from './context.js';
import type { DensePhase } from './dense-phase.js';
import type { Outcome } from './dispatcher.js';
import type { PreparedRun } from './prepare.js';
import { runLabel } from './run-label.js';
import { RunTally } from './tally.js';

/**
 * Execution of the pruning runs. Each is claimed first: only this process's
 * attempt may write it (see @prunelab/store attempt.ts). Its worker streams
 * its points over a MessagePort, which the main thread stores as they come,
 * and the weights of the points its `artifacts:` keeps, which the main
 * thread writes to the results folder (the file, then its row) for the owner.
 */
export class RunExecution {
  readonly tally: RunTally;

  constructor(
    private readonly ctx: SweepContext,
    private readonly dense: DensePhase,
    total: number,
  ) {
    this.tally = new RunTally(total);
  }

  /** Runs `r` on `lane` and records how it ended; 'lane-broken' hands it back to the queue. */
  async execute(r: PreparedRun, lane: Lane): Promise<Outcome> {
    const { writer, env, backend, cancel } = this.ctx;
    const tally = this.tally;
    const dense = this.dense.model(r);
    if (dense.error) {
      this.cannotRun(r, dense.error, lane.name);
      return 'done';
    }
    const attempt = this.claim(r, lane.name);
    if (!attempt) return 'done';
    const { port1, port2 } = new MessageChannel();
    let onEnd: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (onEnd = resolve));
    // Points and artifacts the worker sent, and whether every write of this attempt was accepted.
    let received = 0;
    let artifacts = 0;
    let owned = true;
    // An artifact that could not be stored (a full disk, say) fails the run once its worker is done.
    let storeError: Error | undefined;
    const handle = (m: PortMessage) => {
      if (m.type === 'end') {
        onEnd();
      } else if (m.type === 'started') {
        backend.note(m.backend);
        owned &&= attempt.started({ backend: m.backend.name, lane: lane.name, env: { ...env, backend: m.backend } });
        log.debug(`started ${runLabel(r)} on ${lane.name}`, { event: 'run-start', lane: lane.name, run: runLabel(r) });
      } else if (m.type === 'artifact') {
        artifacts++;
        try {
          owned &&= attempt.addArtifact(m);
        } catch (e) {
          storeError ??= new Error(`its artifact at step ${m.step} could not be stored: ${(e as Error).message}`);
        }
      } else {
        received++;
        owned &&= attempt.addPoint(m.point);
        log.debug(`${runLabel(r)}: ${m.point.phase} at ${m.point.targetSparsity}`, {
          event: 'run-phase',
          lane: lane.name,
          run: runLabel(r),
          phase: `${m.point.phase}@${m.point.targetSparsity}`,
        });
      }
    };
    port1.on('message', (m: PortMessage) => {
      const t0 = performance.now();
      handle(m);
      tally.orchestrationMs += performance.now() - t0;
    });
    try {
      const rewind = dense.rewind.filter((w) => r.rewindSteps.includes(w.step));
      const res = await lane.run({ kind: 'run', id: r.id, config: r.config, dataset: r.dataset, denseFile: dense.file, rewind, port: port2, cancel }, [port2]);
      // The task's result and its points travel on different channels: wait for the points.
      await ended;
      if (storeError) throw storeError;
      const t1 = performance.now();
      // Done only with every point the worker sent stored, checked in the same statement (see RunAttempt.finish).
      // The training the run got after dense training, stored by the same owner before it is done.
      owned &&= writer.recordTraining(attempt, res.training);
      const result = owned ? attempt.finish({ status: 'done', scoreMs: res.scoreMs, expectedPoints: received, expectedArtifacts: artifacts }) : 'lost';
      tally.orchestrationMs += performance.now() - t1;
      tally.runWallMs += res.wallMs;
      if (result === 'lost') {
        this.lost(r, lane.name);
      } else if (result === 'incomplete') {
        tally.interrupted++;
        log.warn(
          `run ${r.id} (${runLabel(r)}): not all of its ${received} points were stored; marked interrupted, a rerun runs it again`,
          tally.progress(lane.name, runLabel(r)),
        );
      } else {
        tally.done++;
        log.info(
          `[${tally.ended}/${tally.total}] done ${runLabel(r)} on ${lane.name} (${(res.wallMs / 1000).toFixed(1)} s)`,
          tally.progress(lane.name, runLabel(r)),
        );
      }
    } catch (e) {
      if ((e as Error).message === LANE_BROKEN) {
        // Back to the queue for another lane: release the claim so that the next attempt (ours or another's) may take it.
        attempt.finish({ status: 'interrupted', error: 'its lane broke down; requeued' });
        return 'lane-broken';
      }
      if (owned) this.fail(r, attempt, e as Error, lane.name);
      else this.lost(r, lane.name);
    } finally {
      port1.close();
    }
    return 'done';
  }

  /** A run that cannot start (its dense model failed, or no lane can take it): recorded as failed, if this process may. */
  cannotRun(r: PreparedRun, reason: string, lane = r.config.lane === 'auto' ? 'cpu' : r.config.lane): void {
    if (reason === CANCELLED || isStopped(this.ctx)) return; // never started: it stays as it was, and the summary counts it
    const attempt = this.claim(r, lane);
    if (attempt) this.fail(r, attempt, new Error(reason), lane);
  }

  /** Claims a run for this process; a refusal is counted and logged, and the run is left to whoever has it. */
  private claim(r: PreparedRun, lane: string): RunAttempt | undefined {
    const { writer, owner, leaseMs, retryFailed } = this.ctx;
    const c = writer.claimRun(r.id, { owner, leaseMs, retryFailed, lane });
    if (c.claimed) {
      if (c.tookOverFrom) log.info(`run ${r.id} (${runLabel(r)}): taking it over from ${c.tookOverFrom}, which has ended`);
      return c.attempt;
    }
    if (c.status === 'done') this.tally.foundDone++;
    else this.tally.leftToOthers++;
    log.info(
      `skipping ${runLabel(r)}: ${c.status === 'done' ? 'another process finished it' : c.status === 'running' ? 'running in another process' : `another process left it ${c.status}`}`,
      this.tally.progress(lane, runLabel(r)),
    );
    return undefined;
  }

  private lost(r: PreparedRun, lane?: string): void {
    this.tally.leftToOthers++;
    log.warn(
      `run ${r.id} (${runLabel(r)}) was taken over by another process after this one's lease ran out; its results are that process's`,
      this.tally.progress(lane, runLabel(r)),
    );
  }

  /** Ends an attempt that did not complete: interrupted after Ctrl-C, failed otherwise. */
  private fail(r: PreparedRun, attempt: RunAttempt, err: Error, lane?: string): void {
    const cancelled = err.message === CANCELLED || isStopped(this.ctx);
    const result = cancelled
      ? attempt.finish({ status: 'interrupted', error: 'interrupted by the user' })
      : attempt.finish({ status: 'failed', error: err.message, stack: err.stack ?? '' });
    if (result === 'lost') return this.lost(r, lane);
    if (cancelled) {
      this.tally.interrupted++;
      log.debug(`interrupted ${runLabel(r)}`, this.tally.progress(lane, runLabel(r)));
    } else {
      this.tally.failed.push({ id: r.id, label: runLabel(r), error: err.message });
      log.error(`run ${r.id} (${runLabel(r)}) failed: ${err.message}`, this.tally.progress(lane, runLabel(r)));
    }
  }
}

import type { Reporter, ReporterEvent } from '@prunelab/core';
import { renderProgress, type ProgressState, type TaskView } from './progress-view.js';

/** The sweep's state as the events of runSweep tell it (see packages/runner/src/sweep/run-sweep.ts). */
export class ProgressTracker {
  private dense = { done: 0, total: 0 };
  private runs = { total: 0, done: 0, failed: 0, interrupted: 0, skipped: 0 };
  private stopping = false;
  private readonly lanes = new Map<string, Map<string, TaskView>>();
  private firstRunAt: number | undefined;

  constructor(private readonly clock: () => number = () => performance.now()) {}

  /** Applies one log event; false when it changes nothing shown. */
  apply(fields: Readonly<Record<string, unknown>>): boolean {
    const num = (k: string) => (typeof fields[k] === 'number' ? (fields[k] as number) : 0);
    const lane = typeof fields['lane'] === 'string' ? fields['lane'] : undefined;
    const run = typeof fields['run'] === 'string' ? fields['run'] : undefined;
    switch (fields['event']) {
      case 'sweep-start':
        this.runs = { total: num('total'), done: 0, failed: 0, interrupted: 0, skipped: 0 };
        this.dense = { done: 0, total: num('dense') };
        return true;
      case 'dense-start':
        if (lane && run) this.laneTasks(lane).set(run, { kind: 'dense', phase: 'training' });
        return true;
      case 'dense-end':
        if (lane && run) this.laneTasks(lane).delete(run);
        this.dense = { done: num('denseDone'), total: num('denseTotal') };
        return true;
      case 'run-start':
      case 'run-phase':
        if (!lane || !run) return false;
        this.firstRunAt ??= this.clock();
        this.laneTasks(lane).set(run, { kind: 'run', phase: typeof fields['phase'] === 'string' ? fields['phase'] : 'started' });
        return true;
      case 'progress':
        if (lane && run) this.laneTasks(lane).delete(run);
        this.runs = { total: num('total'), done: num('done'), failed: num('failed'), interrupted: num('interrupted'), skipped: num('skipped') };
        return true;
      case 'stopping':
        this.stopping = true;
        return true;
      default:
        return false;
    }
  }

  state(): ProgressState {
    return { dense: this.dense, runs: this.runs, stopping: this.stopping, lanes: this.lanes, etaSeconds: this.eta() };
  }

  private laneTasks(name: string): Map<string, TaskView> {
    let m = this.lanes.get(name);
    if (!m) this.lanes.set(name, (m = new Map()));
    return m;
  }

  /** By the rate of finished runs since the first run started; none before one has finished or once stopping. */
  private eta(): number | undefined {
    const r = this.runs;
    const finished = r.done + r.failed + r.interrupted;
    if (this.stopping || finished === 0 || this.firstRunAt === undefined) return undefined;
    const elapsed = (this.clock() - this.firstRunAt) / 1000;
    return (elapsed / finished) * Math.max(0, r.total - finished - r.skipped);
  }
}

/**
 * The reporter `prunelab run` installs. On a terminal it keeps a status block
 * (the dense models or runs done, failures, each task in flight, ETA) under
 * the log lines, redrawn in place and fitted to the terminal's width;
 * elsewhere (CI, a pipe, a Slurm log) it prints plain lines only.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr, debug = false): Reporter & { stop(): void } {
  const line = (e: ReporterEvent) => `${e.level === 'info' || e.level === 'debug' ? '' : `${e.level}: `}${e.message}\n`;
  if (!stream.isTTY) {
    return {
      log: (e) => {
        if (e.level !== 'debug' || debug) stream.write(line(e));
      },
      stop: () => undefined,
    };
  }
  const tracker = new ProgressTracker();
  let drawn = 0;
  let stopped = false;
  // Move to the first status line and clear from there down; then write what comes next.
  const clear = () => (drawn > 0 ? `\r\x1b[${drawn}A\x1b[J` : '');
  const block = () => {
    const lines = renderProgress(tracker.state(), stream.columns ?? 80);
    drawn = lines.length;
    return `${lines.join('\n')}\n`;
  };
  const redraw = () => {
    if (!stopped) stream.write(clear() + block());
  };
  // The ETA moves between events too.
  const timer = setInterval(redraw, 1000);
  timer.unref();
  return {
    log(e) {
      if (stopped) {
        if (e.level !== 'debug' || debug) stream.write(line(e));
        return;
      }
      const changed = tracker.apply(e.fields ?? {});
      const show = e.level !== 'debug' || debug;
      if (show || changed) stream.write(clear() + (show ? line(e) : '') + block());
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      stream.write(clear());
      drawn = 0;
    },
  };
}

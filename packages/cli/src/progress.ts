import cliProgress from 'cli-progress';
import type { Reporter, ReporterEvent } from '@prunelab/core';

/**
 * The reporter `prunelab run` installs. On a terminal it keeps a progress bar
 * (runs done of total, failures, running runs per lane, ETA) under the log
 * lines, using cli-progress; elsewhere (CI, a pipe, a Slurm log) it prints
 * plain lines only.
 */
export function progressReporter(stream: NodeJS.WriteStream = process.stderr, debug = false): Reporter & { stop(): void } {
  const plain = (e: ReporterEvent) => {
    if (e.level === 'debug' && !debug) return;
    stream.write(`${e.level === 'info' || e.level === 'debug' ? '' : `${e.level}: `}${e.message}\n`);
  };
  if (!stream.isTTY) return { log: plain, stop: () => undefined };

  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: 'runs {bar} {value}/{total} | failed {failed} | {lanes} | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  let bar: cliProgress.SingleBar | undefined;
  const running = new Map<string, number>();
  const lanes = () => [...running.entries()].map(([l, n]) => `${l}: ${n} running`).join(', ') || 'idle';
  return {
    log(e) {
      const f = e.fields ?? {};
      if (f['event'] === 'sweep-start' && typeof f['total'] === 'number') {
        bar = multi.create(f['total'], 0, { failed: 0, lanes: lanes() });
      } else if (f['event'] === 'run-start' && typeof f['lane'] === 'string') {
        running.set(f['lane'], (running.get(f['lane']) ?? 0) + 1);
        bar?.update({ lanes: lanes() });
      } else if (f['event'] === 'progress') {
        const lane = typeof f['lane'] === 'string' ? f['lane'] : undefined;
        if (lane) running.set(lane, Math.max(0, (running.get(lane) ?? 1) - 1));
        const finished = Number(f['done'] ?? 0) + Number(f['failed'] ?? 0) + Number(f['interrupted'] ?? 0);
        bar?.update(finished, { failed: f['failed'] ?? 0, lanes: lanes() });
      }
      if (e.level === 'debug' && !debug) return;
      multi.log(`${e.level === 'info' || e.level === 'debug' ? '' : `${e.level}: `}${e.message}\n`);
    },
    stop: () => multi.stop(),
  };
}

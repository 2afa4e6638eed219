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
      format: 'runs {bar} {value}/{total} | failed {failed} | ETA {eta_formatted} | {lanes}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  let bar: cliProgress.SingleBar | undefined;
  // lane -> run label -> current phase ('started', 'finetuned@0.9', ...)
  const running = new Map<string, Map<string, string>>();
  const lanes = () =>
    [...running.entries()]
      .filter(([, runs]) => runs.size > 0)
      .map(([l, runs]) => `${l}: ${[...runs.entries()].map(([run, phase]) => `${run} (${phase})`).join('; ')}`)
      .join(' | ') || 'idle';
  const lane = (name: string) => running.get(name) ?? running.set(name, new Map()).get(name)!;
  return {
    log(e) {
      const f = e.fields ?? {};
      const l = typeof f['lane'] === 'string' ? f['lane'] : undefined;
      const run = typeof f['run'] === 'string' ? f['run'] : undefined;
      if (f['event'] === 'sweep-start' && typeof f['total'] === 'number') {
        bar = multi.create(f['total'], 0, { failed: 0, lanes: lanes() });
      } else if ((f['event'] === 'run-start' || f['event'] === 'run-phase') && l && run) {
        lane(l).set(run, typeof f['phase'] === 'string' ? f['phase'] : 'started');
        bar?.update({ lanes: lanes() });
      } else if (f['event'] === 'progress') {
        if (l && run) lane(l).delete(run);
        const finished = Number(f['done'] ?? 0) + Number(f['failed'] ?? 0) + Number(f['interrupted'] ?? 0);
        bar?.update(finished, { failed: f['failed'] ?? 0, lanes: lanes() });
      }
      if (e.level === 'debug' && !debug) return;
      multi.log(`${e.level === 'info' || e.level === 'debug' ? '' : `${e.level}: `}${e.message}\n`);
    },
    stop: () => multi.stop(),
  };
}

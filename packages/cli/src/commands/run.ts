import { cpus } from 'node:os';
import { PrunelabError, setReporter } from '@prunelab/core';
import { defaultJobs, parseShard, runSweep } from '@prunelab/runner';
import { compare, formatCompareTable } from '@prunelab/results';
import { openDatabase } from '@prunelab/store';
import { parse } from './args.js';
import { dryRun } from './dry-run.js';
import { err, out } from '../output.js';
import { shellWord } from '../shell.js';
import { progressReporter } from '../progress.js';
import { closingSummary, RUN_EXIT } from './run-summary.js';
import type { Command } from './types.js';

/** 128 + SIGTERM, as a shell reports a process that SIGTERM ended (Ctrl-C's is RUN_EXIT.stopped, 128 + SIGINT). */
const STOPPED_BY_SIGTERM = 143;

const usage = `prunelab run <sweep.yaml> [options]

Runs a sweep: trains each dense model once, prunes, fine-tunes and evaluates
every run on worker threads (and the GPU lane, when there is one), and streams
the points to SQLite. Runs already done are skipped, so rerunning resumes a
crashed or interrupted sweep. Ctrl-C or SIGTERM (scancel, a batch system's
time limit) stops cleanly: runs in flight are marked interrupted, and the
next run redoes them. A second Ctrl-C exits at once; a second SIGTERM does
not (a batch system may send it to every process of the job).

Options:
  -j, --jobs N         CPU worker threads (default: one per core)
  --set path=value     override a config value (repeatable), e.g. --set train.epochs=2
  --results DIR        results folder (default ./results, or $PRUNELAB_RESULTS)
  --shard i/n          run shard i of n: runs that share a dense model share a shard, so each
                       dense model is trained once; shards are balanced by cost, fixed by the
                       sweep's runs (Slurm: $SLURM_ARRAY_TASK_ID/n; see prunelab slurm)
  --dry-run            list the expanded runs, how many are done, and a time estimate
  --retry-failed       also rerun runs that failed before
  --no-gpu             do not look for a GPU lane
  --blas-threads N     BLAS threads per worker on the native backend (default 1; with -j 1,
                       up to the number of cores); recorded with each run's backend
  --stats              print a machine-readable 'stats: {json}' line (used by npm run bench)
  -h, --help           show this help

Two prunelab processes may run the same sweep into the same folder: each run
is held by one process at a time, and the other leaves it alone. A run whose
process died (kill -9, a lost node) is taken over by the next prunelab run:
at once on the same machine, after its lease ($PRUNELAB_LEASE_S, default
60 s) from another machine.

Exit status: 0 when every run of the sweep (this shard) is done; ${RUN_EXIT.failed} when a
run failed, now or in an earlier invocation (see --retry-failed); ${RUN_EXIT.unfinished} when the
rest is only unfinished or running in another process (run again later);
${RUN_EXIT.stopped} after Ctrl-C, ${STOPPED_BY_SIGTERM} after SIGTERM; 2 for bad input. The closing lines say how to finish.`;

export const runCommand: Command = {
  name: 'run',
  summary: 'run a YAML sweep (resumes: finished runs are skipped)',
  usage,
  async run(argv) {
    const { values, positionals } = parse(
      'run',
      argv,
      {
        jobs: { type: 'string', short: 'j' },
        set: { type: 'string', multiple: true },
        results: { type: 'string' },
        shard: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'retry-failed': { type: 'boolean' },
        'no-gpu': { type: 'boolean' },
        'blas-threads': { type: 'string' },
        stats: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      1,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    const file = positionals[0];
    if (!file) throw new PrunelabError('E_CONFIG_INVALID', 'run: missing the sweep file', { fix: 'Usage: prunelab run experiments/quickstart.yaml' });
    let jobs = defaultJobs();
    if (values.jobs !== undefined) {
      jobs = Number(values.jobs);
      if (!Number.isInteger(jobs) || jobs < 1 || jobs > 1024) {
        throw new PrunelabError('E_CONFIG_INVALID', 'run: --jobs must be an integer from 1 to 1024', {
          path: '--jobs',
          value: values.jobs,
          fix: 'Example: -j 2 (the default is one per core)',
        });
      }
    }
    if (values['blas-threads'] !== undefined) {
      const n = Number(values['blas-threads']);
      const cores = cpus().length;
      if (!Number.isInteger(n) || n < 1 || n * jobs > cores) {
        throw new PrunelabError('E_CONFIG_INVALID', `run: --blas-threads times --jobs must be at most the ${cores} cores`, {
          path: '--blas-threads',
          value: values['blas-threads'],
          fix: `Use -j 1 --blas-threads ${cores}, or leave it at 1 with one worker per core`,
        });
      }
      // Workers read it when they choose their backend (and record it in its description).
      process.env['PRUNELAB_BLAS_THREADS'] = String(n);
    }
    // extends: is resolved by the loader, from the sweep's folder and the project's configs/ (never the working directory).
    const plan = {
      file,
      ...(values.set && { set: values.set }),
      ...(values.results && { results: values.results }),
      ...(values.shard !== undefined && { shard: parseShard(values.shard) }),
    };
    if (values['dry-run']) return dryRun({ ...plan, jobs });

    const reporter = progressReporter(process.stderr, Boolean(process.env['PRUNELAB_DEBUG']));
    setReporter(reporter);
    const controller = new AbortController();
    let stoppedBy: NodeJS.Signals | undefined;
    // The first signal stops cleanly. Only a second Ctrl-C exits at once: scancel and a time limit send SIGTERM
    // to every process of the job, and a job script that forwards it to node makes two, so a second SIGTERM must
    // not skip marking the runs in flight interrupted (Slurm sends SIGKILL after its KillWait anyway).
    const onSignal = (signal: NodeJS.Signals) => {
      if (stoppedBy === undefined) {
        stoppedBy = signal;
        controller.abort();
      } else if (signal === 'SIGINT') process.exit(RUN_EXIT.stopped);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    try {
      const summary = await runSweep({ ...plan, jobs, retryFailed: values['retry-failed'] === true, gpu: !values['no-gpu'], signal: controller.signal });
      reporter.stop();
      const db = openDatabase(summary.database, { readonly: true });
      try {
        out('');
        out(formatCompareTable(compare(db, summary.sweep)));
      } finally {
        db.close();
      }
      out('');
      const closing = closingSummary(summary, ['prunelab', 'run', ...argv]);
      for (const line of closing.lines) out(line);
      out(`results: ${summary.database}`);
      // The path is quoted for pasting; the sweep name needs no quoting (SWEEP_NAME_PATTERN).
      out(
        `query:   sqlite3 ${shellWord(summary.database)} "select scorer, sparsity, avg(accuracy) from curve_points where sweep = '${summary.sweep}' group by 1, 2"`,
      );
      if (values.stats) out(`stats: ${JSON.stringify(summary)}`);
      for (const f of summary.failed) err(`failed: ${f.id} (${f.label}): ${f.error}`);
      return closing.exitCode === RUN_EXIT.stopped && stoppedBy === 'SIGTERM' ? STOPPED_BY_SIGTERM : closing.exitCode;
    } finally {
      reporter.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

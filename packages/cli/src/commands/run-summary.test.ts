import { describe, expect, it } from 'vitest';
import type { SweepSummary } from '@prunelab/runner';
import { closingSummary, RUN_EXIT } from './run-summary.js';
import { shellWord } from '../shell.js';

const summary = (s: Partial<SweepSummary>): SweepSummary => ({
  sweep: 'tiny',
  database: 'results/prunelab.sqlite',
  total: 4,
  skipped: 0,
  done: 0,
  failed: [],
  interrupted: 0,
  doneElsewhere: 0,
  leftToOthers: 0,
  notDone: { failed: 0, interrupted: 0, pending: 0, runningElsewhere: 0, abandoned: 0 },
  stopped: false,
  denseTrained: 0,
  backend: 'wasm',
  lanes: ['cpu'],
  wallMs: 1234,
  orchestrationMs: 1,
  runWallMs: 1,
  maxRssMb: 1,
  ...s,
});
const rerun = ['prunelab', 'run', 'sweeps/my tiny.yaml', '--set', 'seeds=[0]', '--retry-failed'];

describe('the closing summary of prunelab run', () => {
  it('all done: exit 0, no rerun advice', () => {
    const c = closingSummary(summary({ done: 3, skipped: 1 }), rerun);
    expect(c).toEqual({ exitCode: 0, lines: ['3 run(s) done, 1 skipped (already done), 0 failed, 0 interrupted; 0 dense model(s) trained; 1.2 s'] });
  });

  it('a run that failed in an earlier invocation counts: exit 1, and the rerun command with --retry-failed', () => {
    const c = closingSummary(summary({ skipped: 3, notDone: { failed: 1, interrupted: 0, pending: 0, runningElsewhere: 0, abandoned: 0 } }), rerun);
    expect(c.exitCode).toBe(RUN_EXIT.failed);
    expect(c.lines[0]).toMatch(/, 1 failed \(1 in an earlier invocation\), 0 interrupted;/);
    expect(c.lines[1]).toBe("1 of the sweep's 4 run(s) are not done:");
    expect(c.lines[2]).toBe(
      `  1 failed: fix the cause (prunelab results runs --sweep tiny --where status=failed), then: prunelab run 'sweeps/my tiny.yaml' --set 'seeds=[0]' --retry-failed`,
    );
  });

  it('runs held elsewhere or left unfinished: exit 75, each counted with what to do', () => {
    const c = closingSummary(summary({ done: 1, doneElsewhere: 1, notDone: { failed: 0, interrupted: 1, pending: 0, runningElsewhere: 1, abandoned: 1 } }), [
      'prunelab',
      'run',
      'a.yaml',
    ]);
    expect(c.exitCode).toBe(RUN_EXIT.unfinished);
    expect(c.lines).toEqual([
      '1 run(s) done, 0 skipped (already done), 1 done by another process, 0 failed, 1 interrupted, 1 running in another process, 1 left running by a process that ended; 0 dense model(s) trained; 1.2 s',
      "3 of the sweep's 4 run(s) are not done:",
      '  2 unfinished: prunelab run a.yaml runs them',
      '  1 held by another prunelab process: when it ends, prunelab run a.yaml runs whatever it left',
    ]);
  });

  it('Ctrl-C: exit 130 whatever else is left; runs never started are counted', () => {
    const c = closingSummary(
      summary({ done: 2, interrupted: 1, stopped: true, notDone: { failed: 0, interrupted: 1, pending: 1, runningElsewhere: 0, abandoned: 0 } }),
      ['prunelab', 'run', 'a.yaml'],
    );
    expect(c.exitCode).toBe(RUN_EXIT.stopped);
    expect(c.lines[0]).toMatch(/2 run\(s\) done, 0 skipped \(already done\), 0 failed, 1 interrupted, 1 not started;/);
  });

  it('shell words are quoted only when they need it', () => {
    expect(['a.yaml', 'dir/x-1.yaml', 'train.lr=0.01', "it's", '$(x)', 'a b'].map(shellWord)).toEqual([
      'a.yaml',
      'dir/x-1.yaml',
      'train.lr=0.01',
      `'it'\\''s'`,
      "'$(x)'",
      "'a b'",
    ]);
  });
});

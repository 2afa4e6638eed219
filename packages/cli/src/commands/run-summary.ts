import type { SweepSummary } from '@prunelab/runner';
import { shellWord } from '../shell.js';

/** Exit statuses of `prunelab run` beyond 0 (every run done) and 2 (bad input). */
export const RUN_EXIT = {
  /** Some run of the sweep failed, in this invocation or an earlier one, and was not retried. */
  failed: 1,
  /** The rest is not done but needs no fix: running in another process, or left unfinished (EX_TEMPFAIL: try again later). */
  unfinished: 75,
  /** Stopped by Ctrl-C. */
  stopped: 130,
} as const;

/**
 * The closing lines of `prunelab run` and its exit status. Both count every
 * run of the sweep (this shard) that is not done, whoever left it so, and the
 * lines say how to finish them. `rerun` is the command that ran, as words.
 */
export function closingSummary(s: SweepSummary, rerun: readonly string[]): { lines: string[]; exitCode: number } {
  const n = s.notDone;
  const left = n.failed + n.interrupted + n.pending + n.runningElsewhere + n.abandoned;
  const failedBefore = Math.max(0, n.failed - s.failed.length);
  const extra = [
    ...(n.pending > 0 ? [`${n.pending} not started`] : []),
    ...(n.runningElsewhere > 0 ? [`${n.runningElsewhere} running in another process`] : []),
    ...(n.abandoned > 0 ? [`${n.abandoned} left running by a process that ended`] : []),
  ];
  const lines = [
    `${s.done} run(s) done, ${s.skipped} skipped (already done)${s.doneElsewhere > 0 ? `, ${s.doneElsewhere} done by another process` : ''}, ` +
      `${n.failed} failed${failedBefore > 0 ? ` (${failedBefore} in an earlier invocation)` : ''}, ${n.interrupted} interrupted` +
      `${extra.length > 0 ? `, ${extra.join(', ')}` : ''}; ${s.denseTrained} dense model(s) trained; ${(s.wallMs / 1000).toFixed(1)} s`,
  ];
  const command = rerun
    .filter((w) => w !== '--retry-failed')
    .map(shellWord)
    .join(' ');
  if (left > 0) {
    lines.push(`${left} of the sweep's ${s.total} run(s) are not done:`);
    if (n.failed > 0)
      lines.push(
        `  ${n.failed} failed: fix the cause (prunelab results runs --sweep ${shellWord(s.sweep)} --where status=failed), then: ${command} --retry-failed`,
      );
    const resumable = n.interrupted + n.pending + n.abandoned;
    if (resumable > 0) lines.push(`  ${resumable} unfinished: ${command} runs them`);
    if (n.runningElsewhere > 0) lines.push(`  ${n.runningElsewhere} held by another prunelab process: when it ends, ${command} runs whatever it left`);
  }
  const exitCode = s.stopped ? RUN_EXIT.stopped : n.failed > 0 ? RUN_EXIT.failed : left > 0 ? RUN_EXIT.unfinished : 0;
  return { lines, exitCode };
}

import { assignShards, type SweepPlan } from '@prunelab/runner';
import { openDatabase, Writer, type RunStatus } from '@prunelab/store';
import { RUN_EXIT } from './run-summary.js';

type NotDone = Exclude<RunStatus, 'done'> | 'missing';

/** The most urgent first: failed runs need a fix before running again. */
const ORDER: readonly NotDone[] = ['failed', 'interrupted', 'running', 'pending', 'missing'];
const WORDS: Record<NotDone, string> = {
  failed: 'failed',
  interrupted: 'interrupted',
  running: 'left running',
  pending: 'not started',
  missing: 'in no merged database (its shard never ran, or its database is missing)',
};

/**
 * `merge --expect`: after merging, is every run of the sweep (as the file and
 * these --set generate it) done in the target? The lines say what is not, by
 * shard when the shard count is known; the exit status is run's: 0 when all
 * are done, 1 when a run failed (--retry-failed reruns it), 75 when the rest
 * is only unfinished (running the shards again finishes it).
 */
export function checkMerged(o: { target: string; plan: SweepPlan; shards: number | undefined }): { lines: string[]; exitCode: number } {
  const { plan } = o;
  const ids = plan.runs.map((r) => r.id);
  const db = openDatabase(o.target);
  let states: Map<string, { status: RunStatus }>;
  try {
    states = new Writer(db).states(ids);
  } finally {
    db.close();
  }
  const statusOf = (id: string): RunStatus | 'missing' => states.get(id)?.status ?? 'missing';
  const name = plan.sweep.name;
  const left = ids.filter((id) => statusOf(id) !== 'done');
  if (left.length === 0) return { lines: [`${name}: all ${ids.length} run(s) are done`], exitCode: 0 };

  const describe = (runIds: readonly string[]): string => {
    const counts = new Map<NotDone, number>();
    for (const id of runIds) {
      const s = statusOf(id);
      if (s !== 'done') counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    return ORDER.filter((s) => counts.has(s))
      .map((s) => `${counts.get(s)} ${WORDS[s]}`)
      .join(', ');
  };
  const lines = [`${name}: ${left.length} of ${ids.length} run(s) are not done: ${describe(left)}`];
  if (o.shards !== undefined) {
    assignShards(plan.runs, o.shards).forEach((runs, i) => {
      const notDone = runs.map((r) => r.id).filter((id) => statusOf(id) !== 'done');
      if (notDone.length > 0) lines.push(`  shard ${i + 1}/${o.shards}: ${describe(notDone)}`);
    });
  }
  const failed = left.some((id) => statusOf(id) === 'failed');
  lines.push(
    'Run those shards again (the Slurm script: submit it again): runs already done are skipped, and the merge takes the rest.' +
      (failed ? ' Failed runs rerun only with --retry-failed, once their cause is fixed.' : ''),
  );
  return { lines, exitCode: failed ? RUN_EXIT.failed : RUN_EXIT.unfinished };
}

import { existsSync } from 'node:fs';
import { openDatabase, resultPaths } from '@prunelab/store';
import { planSweep, runLabel, type PlanOptions } from '@prunelab/runner';
import { out } from '../output.js';

/**
 * Rough wasm training throughput per worker, in FLOP/s: LeNet-300-100 trains
 * at ~4,700 samples/s with batch 128 on one core of the development machine,
 * 6 FLOPs per parameter per example (forward 2, backward 4) = ~7.6 GFLOP/s.
 */
const FLOPS_PER_WORKER = 7e9;

/** `prunelab run --dry-run`: the expanded runs, what is already done, and a time estimate. Writes nothing. */
export async function dryRun(options: PlanOptions & { jobs: number }): Promise<number> {
  const plan = await planSweep(options);
  const database = resultPaths(options.results).database;
  const done = new Set<string>();
  if (existsSync(database)) {
    const db = openDatabase(database, { readonly: true });
    try {
      for (const r of plan.runs) {
        const row = db.prepare(`SELECT status FROM runs WHERE id = ?`).get(r.id) as { status: string } | undefined;
        if (row?.status === 'done') done.add(r.id);
      }
    } finally {
      db.close();
    }
  }
  for (const r of plan.runs) out(`${r.id}  ${done.has(r.id) ? 'done   ' : 'to run '}  ${runLabel(r)}`);
  const dense = new Set(plan.runs.filter((r) => !done.has(r.id)).map((r) => r.denseKey));
  const flops = plan.runs.filter((r) => !done.has(r.id)).reduce((s, r) => s + 6 * r.cost, 0);
  const seconds = flops / FLOPS_PER_WORKER / options.jobs;
  out('');
  out(`${plan.runs.length} runs${plan.shard ? ` in shard ${plan.shard.index}/${plan.shard.count}` : ''}, ${done.size} already done, ${plan.runs.length - done.size} to run (${dense.size} dense model(s) at most)`);
  out(`estimated time: ~${seconds < 90 ? `${Math.round(seconds)} s` : `${(seconds / 60).toFixed(1)} min`} on ${options.jobs} worker(s) (wasm, ~7 GFLOP/s per worker; cached dense models make it shorter)`);
  return 0;
}

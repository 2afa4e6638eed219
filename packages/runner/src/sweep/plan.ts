import { log } from '@prunelab/core';
import { loadSweep, type LoadedSweep } from '../config/load.js';
import { prepareRuns, type PreparedRun } from './prepare.js';
import { selectShard, usefulShards, type Shard } from './shard.js';

export interface PlanOptions {
  readonly file: string;
  readonly set?: readonly string[];
  /** Results folder (default ./results or $PRUNELAB_RESULTS). */
  readonly results?: string;
  readonly configsDir?: string;
  readonly shard?: Shard;
}

export interface SweepPlan {
  readonly sweep: LoadedSweep;
  readonly runs: readonly PreparedRun[];
  readonly shard: Shard | undefined;
}

/** Loads, validates, expands and identifies a sweep's runs (this shard's), touching nothing on disk. */
export async function planSweep(options: PlanOptions): Promise<SweepPlan> {
  const sweep = loadSweep(options.file, { ...(options.set && { set: options.set }), ...(options.configsDir && { configsDir: options.configsDir }) });
  const all = await prepareRuns(sweep);
  const runs = selectShard(all, options.shard);
  if (options.shard && runs.length === 0 && all.length > 0) {
    const useful = usefulShards(all);
    log.warn(
      `shard ${options.shard.index}/${options.shard.count} has no runs: the runs of one dense model share a shard, ` +
        `and the sweep's ${all.length} runs start from ${useful} dense model(s), so ${useful} shard(s) have work`,
    );
  }
  return { sweep, runs, shard: options.shard };
}

import { loadSweep, type LoadedSweep } from '../config/load.js';
import { prepareRuns, type PreparedRun } from './prepare.js';
import { selectShard, type Shard } from './shard.js';

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
  const runs = selectShard(await prepareRuns(sweep), options.shard);
  return { sweep, runs, shard: options.shard };
}

import { PrunelabError } from '@prunelab/core';

export interface Shard {
  readonly index: number; // 1-based, as Slurm array ids usually are
  readonly count: number;
}

const MAX_SHARDS = 100_000;

/** Parses `i/n` (1 <= i <= n <= MAX_SHARDS). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  // A shard count past MAX_SHARDS (or past exact integers, 1/1e20) is a typo: nearly every shard would be empty.
  if (!m || count < 1 || index < 1 || index > count || count > MAX_SHARDS) {
    throw new PrunelabError('E_CONFIG_INVALID', `must be i/n with 1 <= i <= n <= ${MAX_SHARDS}`, {
      path: '--shard',
      value: text,
      fix: 'Example: --shard 2/8 (with Slurm: --shard $SLURM_ARRAY_TASK_ID/8 and --array=1-8)',
    });
  }
  return { index, count };
}

/**
 * What assigning a run to a shard reads: its id, the dense model it starts
 * from, its cost (training MACs), and its dense training (`none`: the
 * model's own weights, nothing to train once per shard).
 */
export interface ShardableRun {
  readonly id: string;
  readonly denseKey: string;
  readonly cost: number;
  readonly config?: { readonly train: unknown };
}

/**
 * The runs that must share a shard: those that train the same dense model.
 * With `train: none` there is no training to share (the dense model is the
 * file's weights, one evaluation), so each run is its own group and a sweep
 * over one trained model still spreads over every shard.
 */
function groupOf(r: ShardableRun): string {
  return r.config?.train === 'none' ? `run:${r.id}` : r.denseKey;
}

/**
 * Splits the runs into `count` shards, deterministically. Runs that share a
 * dense model go to the same shard, so each dense model is trained once per
 * sweep, not once per shard that needs it (with shards by run, han2015 trained
 * 9 dense models instead of 3). The groups are balanced by cost with Graham's
 * LPT rule (Graham 1969, "Bounds on multiprocessing timing anomalies"): the
 * costliest group first, each to the shard with the least cost so far; ties
 * go to the smaller dense key and to the lower shard. A group's cost is the
 * sum of its runs' costs, added in id order, so the split depends only on
 * which runs the sweep has, never on the order of the sweep file's axes.
 *
 * A sweep with fewer dense models than shards leaves the last shards empty:
 * splitting a group would train its dense model again in each part. Runs of
 * `train: none` train nothing and are split freely (groupOf).
 * Within a shard, runs keep their order in `runs`.
 */
export function assignShards<T extends ShardableRun>(runs: readonly T[], count: number): T[][] {
  const groups = new Map<string, T[]>();
  for (const r of runs) {
    const key = groupOf(r);
    const members = groups.get(key);
    if (members) members.push(r);
    else groups.set(key, [r]);
  }
  const costOf = (members: readonly T[]) => [...members].sort((a, b) => compare(a.id, b.id)).reduce((sum, r) => sum + r.cost, 0);
  const ordered = [...groups].map(([key, members]) => ({ key, cost: costOf(members) })).sort((a, b) => b.cost - a.cost || compare(a.key, b.key));
  const load = new Array<number>(count).fill(0);
  const shardOf = new Map<string, number>();
  for (const g of ordered) {
    let best = 0;
    for (let i = 1; i < count; i++) if (load[i]! < load[best]!) best = i;
    load[best] = load[best]! + g.cost;
    shardOf.set(g.key, best);
  }
  const shards = Array.from({ length: count }, (): T[] => []);
  for (const r of runs) shards[shardOf.get(groupOf(r))!]!.push(r);
  return shards;
}

/** The runs of one shard (see assignShards); every run when there is no shard. */
export function selectShard<T extends ShardableRun>(runs: readonly T[], shard: Shard | undefined): T[] {
  if (!shard) return [...runs];
  return assignShards(runs, shard.count)[shard.index - 1]!;
}

/** How many shards have runs: one per dense model at most (per run under `train: none`). */
export function usefulShards(runs: readonly ShardableRun[]): number {
  return new Set(runs.map(groupOf)).size;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

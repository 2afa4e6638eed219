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

/** What assigning a run to a shard reads: its id, the dense model it starts from, and its cost (training MACs). */
export interface ShardableRun {
  readonly id: string;
  readonly denseKey: string;
  readonly cost: number;
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
 * splitting a group would train its dense model again in each part.
 * Within a shard, runs keep their order in `runs`.
 */
export function assignShards<T extends ShardableRun>(runs: readonly T[], count: number): T[][] {
  const groups = new Map<string, T[]>();
  for (const r of runs) {
    const members = groups.get(r.denseKey);
    if (members) members.push(r);
    else groups.set(r.denseKey, [r]);
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
  for (const r of runs) shards[shardOf.get(r.denseKey)!]!.push(r);
  return shards;
}

/** The runs of one shard (see assignShards); every run when there is no shard. */
export function selectShard<T extends ShardableRun>(runs: readonly T[], shard: Shard | undefined): T[] {
  if (!shard) return [...runs];
  return assignShards(runs, shard.count)[shard.index - 1]!;
}

/** How many shards have runs: one per dense model at most. */
export function usefulShards(runs: readonly ShardableRun[]): number {
  return new Set(runs.map((r) => r.denseKey)).size;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

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
 * A deterministic 1/n of the runs: runs sorted by id, every n-th from i-1.
 * The id is a content hash, so the split does not depend on the order of the
 * sweep file's axes, and shards of one sweep never overlap.
 */
export function selectShard<T extends { readonly id: string }>(runs: readonly T[], shard: Shard | undefined): T[] {
  if (!shard) return [...runs];
  return [...runs].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).filter((_, i) => i % shard.count === shard.index - 1);
}

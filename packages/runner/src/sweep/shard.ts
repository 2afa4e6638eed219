import { PrunelabError } from '@prunelab/core';

export interface Shard {
  readonly index: number; // 1-based, as Slurm array ids usually are
  readonly count: number;
}

/** Parses `i/n` (1 <= i <= n). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : Number.NaN;
  const count = m ? Number(m[2]) : Number.NaN;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new PrunelabError('E_CONFIG_INVALID', '--shard must be i/n with 1 <= i <= n', {
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

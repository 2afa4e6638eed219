import { spawnSync } from 'node:child_process';
import { parseSlurmTime, type SlurmSeconds } from './slurm-time.js';

/** What the nodes of a partition offer one job, as sinfo reports them. */
export interface PartitionLimits {
  readonly name: string;
  /** The most CPUs of one node: more per task and the job never starts (Reason=PartitionConfig). */
  readonly cpus: number;
  /** The most memory of one node, in MB; undefined when the cluster does not configure it (RealMemory 1). */
  readonly memoryMb: number | undefined;
  readonly maxTime: SlurmSeconds;
}

/** The partition's limits; `unknown` says why they could not be read (no sinfo here, no cluster reachable). */
export type PartitionInfo =
  { readonly limits: PartitionLimits } | { readonly unknown: string } | { readonly missing: string; readonly partitions: readonly string[] };

/**
 * Asks sinfo (one line per node and partition) for the CPUs, memory and time
 * limit of `partition`, or of the default one (marked * by sinfo). Run where
 * `prunelab slurm` runs, which is where sbatch is run from.
 */
export function partitionInfo(partition: string | undefined): PartitionInfo {
  const r = spawnSync('sinfo', ['--noheader', '--Node', '--format=%P|%c|%m|%l'], { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return { unknown: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'sinfo is not installed here' : `sinfo failed: ${r.error.message}` };
  // sinfo's last line says why (the lines before are the steps it tried).
  if (r.status !== 0) return { unknown: `sinfo failed: ${(r.stderr || r.stdout).trim().split('\n').pop() || `exit ${r.status}`}` };
  const rows = r.stdout
    .split('\n')
    .map((line) => line.trim().split('|'))
    .filter((f) => f.length === 4)
    .map(([p, c, m, l]) => ({
      name: p!.replace(/\*$/, ''),
      isDefault: p!.endsWith('*'),
      cpus: Number(c),
      memoryMb: Number(m),
      maxTime: parseSlurmTime(l!) ?? Infinity,
    }));
  const mine = rows.filter((row) => (partition === undefined ? row.isDefault : row.name === partition));
  if (mine.length === 0) {
    const partitions = [...new Set(rows.map((row) => row.name))].sort();
    return partition === undefined ? { unknown: 'sinfo shows no default partition' } : { missing: partition, partitions };
  }
  const memory = Math.max(...mine.map((row) => (Number.isFinite(row.memoryMb) ? row.memoryMb : 0)));
  return {
    limits: {
      name: mine[0]!.name,
      cpus: Math.max(...mine.map((row) => (Number.isFinite(row.cpus) ? row.cpus : 0))),
      // Slurm's default RealMemory is 1 MB: a cluster that leaves it so does not schedule by memory.
      memoryMb: memory > 1 ? memory : undefined,
      maxTime: Math.max(...mine.map((row) => row.maxTime)),
    },
  };
}

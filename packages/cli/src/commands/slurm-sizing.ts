import { exampleSize, splitSize, type LoadedDataset } from '@prunelab/datasets';
import { assignShards, type PreparedRun } from '@prunelab/runner';

const MB = 1024 * 1024;

/**
 * Peak memory of one `prunelab run` process, in MB, from what it holds: node
 * and the main thread (about 150 MB), each dataset once (shared with the
 * workers; 1.5x its bytes for the loading copies), and per worker about 64 MB
 * plus its float copies of the validation and test splits and 16 bytes per
 * parameter (weights, gradients, two Adam moments). Measured peaks (RSS with
 * workers, `prunelab run --stats` maxRssMb) on the 2-core development machine:
 * 200 / 255 MB with -j 1 / -j 2 for the 4-run synthetic sweep of
 * test-utils/tiny-sweep.ts, 330 / 441 MB for LeNet-300-100 on full MNIST
 * (train 0.05 epoch); the formula gives 214 / 278 and 342 / 455. The request
 * (requestMb) is 1.5x that, rounded up to 256 MB: activations of large
 * convolutional models are not counted, and a task past its --mem is killed.
 */
function processMemoryMb(datasets: readonly LoadedDataset[], params: number, jobs: number): number {
  const dataMb = datasets.reduce((sum, ds) => sum + ds.pools.reduce((s, p) => s + p.x.byteLength + p.y.byteLength, 0), 0) / MB;
  const evalMb = Math.max(0, ...datasets.map((ds) => ((splitSize(ds, 'val') + splitSize(ds, 'test')) * exampleSize(ds) * 4) / MB));
  return 150 + 1.5 * dataMb + jobs * (64 + evalMb + (16 * params) / MB);
}

/** The memory to ask Slurm for, given a process's estimated peak. */
export function requestMb(peakMb: number): number {
  return Math.ceil((1.5 * peakMb) / 256) * 256;
}

/** What the largest shard needs: one CPU per run it can run at once, and its memory at that parallelism. */
export interface ShardNeeds {
  /** Runs of the largest shard: more CPUs than that sit idle. */
  readonly runs: number;
  /** Shards that have runs (at most one per dense model). */
  readonly useful: number;
  /** Estimated peak of a shard process with `jobs` workers, in MB (the most demanding shard). */
  peakMb(jobs: number): number;
  /** Estimated peak of the merge job, which loads the sweep's datasets to check it, in MB. */
  readonly mergePeakMb: number;
}

export function shardNeeds(runs: readonly PreparedRun[], shards: number): ShardNeeds {
  const parts = assignShards(runs, shards).filter((s) => s.length > 0);
  const datasetsOf = (rs: readonly PreparedRun[]) => [...new Map(rs.map((r) => [r.dataset.identity.checksum, r.dataset])).values()];
  const maxParams = (rs: readonly PreparedRun[]) => Math.max(0, ...rs.map((r) => r.params));
  return {
    runs: Math.max(0, ...parts.map((s) => s.length)),
    useful: parts.length,
    peakMb: (jobs) => Math.max(0, ...parts.map((s) => processMemoryMb(datasetsOf(s), maxParams(s), Math.min(jobs, s.length)))),
    mergePeakMb: processMemoryMb(datasetsOf(runs), 0, 0),
  };
}

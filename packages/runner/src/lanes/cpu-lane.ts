import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { WorkerResult, WorkerTask } from '../worker/messages.js';
import type { Lane } from './types.js';

const WORKER_FILE = new URL('../worker/entry.js', import.meta.url);

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/**
 * The CPU lane: piscina worker threads, one per core by default. A worker that
 * crashes or runs out of memory rejects its task and piscina starts a fresh
 * one, so one bad run never takes the sweep down.
 */
export function createCpuLane(jobs: number = defaultJobs(), options: { maxOldGenerationSizeMb?: number } = {}): Lane {
  const pool = new Piscina({
    filename: WORKER_FILE.href,
    name: 'runTask',
    minThreads: jobs,
    maxThreads: jobs,
    idleTimeout: 60_000,
    // Tasks are long; queueing more than a few per worker only hides work from other lanes.
    maxQueue: 'auto',
    ...(options.maxOldGenerationSizeMb !== undefined && { resourceLimits: { maxOldGenerationSizeMb: options.maxOldGenerationSizeMb } }),
  });
  return {
    name: 'cpu',
    capacity: jobs,
    run: (task: WorkerTask, transferList?: readonly unknown[]) =>
      pool.run(task, transferList ? { transferList: transferList as never } : {}) as Promise<WorkerResult>,
    close: () => pool.destroy(),
  };
}

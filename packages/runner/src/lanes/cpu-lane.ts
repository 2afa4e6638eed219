import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { WorkerResult, WorkerTask } from '../worker/messages.js';
import type { Lane } from './types.js';

/**
 * The compiled worker. When this module itself runs from TypeScript sources
 * (under Vitest) there is no ../worker/entry.js beside it, so use the build.
 */
export function workerFile(): URL {
  const sibling = new URL('../worker/entry.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  return new URL('../../dist/worker/entry.js', import.meta.url);
}

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
    filename: workerFile().href,
    name: 'runTask',
    minThreads: jobs,
    maxThreads: jobs,
    idleTimeout: 60_000,
    // Workers load the compiled packages: never inherit flags such as Vitest's
    // `--conditions development`, which would point them at TypeScript sources.
    execArgv: [],
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

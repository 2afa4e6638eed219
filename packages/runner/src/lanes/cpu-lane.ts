import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { log } from '@prunelab/core';
import type { BackendPreference } from '@prunelab/engine';
import { LANE_BROKEN, type LaneInfo, type ResultOf, type WorkerTask } from '../worker/messages.js';
import type { Lane, Transferable } from './types.js';

/**
 * The compiled worker. When this module itself runs from TypeScript sources
 * (under Vitest) there is no ../worker/entry.js beside it, so use the build.
 */
function workerFile(): URL {
  const sibling = new URL('../worker/entry.js', import.meta.url);
  if (existsSync(fileURLToPath(sibling))) return sibling;
  return new URL('../../dist/worker/entry.js', import.meta.url);
}

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

export interface PoolLaneOptions {
  readonly name: 'cpu' | 'gpu';
  readonly threads: number;
  /** Backend every task of this lane must use (a GPU lane's). */
  readonly backend?: BackendPreference;
  /** V8 heap limit per worker: a run that exceeds it fails alone instead of taking the process down. */
  readonly maxOldGenerationSizeMb?: number;
}

/**
 * A lane of piscina worker threads. A worker that crashes or runs out of
 * memory rejects its task and piscina starts a fresh one, so one bad run never
 * takes the sweep down.
 */
export function createPoolLane(options: PoolLaneOptions): Lane {
  const pool = new Piscina({
    filename: workerFile().href,
    name: 'runTask',
    minThreads: options.threads,
    maxThreads: options.threads,
    idleTimeout: 60_000,
    // Workers load the compiled packages: never inherit flags such as Vitest's
    // `--conditions development`, which would point them at TypeScript sources.
    execArgv: [],
    ...(options.maxOldGenerationSizeMb !== undefined && { resourceLimits: { maxOldGenerationSizeMb: options.maxOldGenerationSizeMb } }),
  });
  // A worker that dies outside a task (out of memory while starting, say) is
  // not reported to any task, and piscina may not replace it: the queued tasks
  // would wait forever. Such a lane cannot work: its pending tasks are handed
  // back (LANE_BROKEN) so the dispatcher moves them to other lanes, or reports
  // them, instead of hanging. (A worker dying inside a task rejects that task.)
  const pending = new Set<(e: Error) => void>();
  let broken: Error | undefined;
  pool.on('error', (e: Error) => {
    log.error(`${options.name} lane: a worker died outside a task: ${e.message}`);
    if (!broken) {
      broken = new Error(LANE_BROKEN, { cause: e });
      for (const reject of pending) reject(broken);
      pending.clear();
    }
  });
  const laneInfo: LaneInfo = { lane: options.name, ...(options.backend && { backend: options.backend }) };
  return {
    name: options.name,
    capacity: options.threads,
    run: <T extends WorkerTask>(task: T, transferList?: readonly Transferable[]) => {
      if (broken) return Promise.reject(broken);
      return new Promise<ResultOf<T>>((resolve, reject) => {
        pending.add(reject);
        // The worker's runTask answers each task with the result of its kind; piscina does not type what crosses the thread.
        (pool.run({ ...task, laneInfo }, transferList ? { transferList: transferList as never } : {}) as Promise<ResultOf<T>>).then(
          (r) => {
            pending.delete(reject);
            resolve(r);
          },
          (e: unknown) => {
            pending.delete(reject);
            reject(e);
          },
        );
      });
    },
    close: () => pool.destroy(),
  };
}

/** The CPU lane: one worker thread per core by default (`-j N`). */
export function createCpuLane(jobs: number = defaultJobs(), options: { maxOldGenerationSizeMb?: number } = {}): Lane {
  return createPoolLane({ name: 'cpu', threads: jobs, ...options });
}

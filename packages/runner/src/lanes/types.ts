import type { WorkerResult, WorkerTask } from '../worker/messages.js';

/**
 * A lane executes tasks on a set of workers. The shape follows vitest's pool
 * interface (packages/vitest/src/node/pools/types.ts): small, start/run/close.
 */
export interface Lane {
  readonly name: 'cpu' | 'gpu';
  /** How many tasks it runs at once. */
  readonly capacity: number;
  run(task: WorkerTask, transferList?: readonly Transferable[]): Promise<WorkerResult>;
  close(): Promise<void>;
}

type Transferable = import('node:worker_threads').MessagePort | ArrayBuffer;

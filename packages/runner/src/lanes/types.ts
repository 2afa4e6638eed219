import type { MessagePort } from 'node:worker_threads';
import type { ResultOf, WorkerTask } from '../worker/messages.js';

/** What a task hands over to its worker instead of copying (a run's MessagePort). */
export type Transferable = MessagePort | ArrayBuffer;

/**
 * A lane executes tasks on a set of workers. The shape follows vitest's pool
 * interface (packages/vitest/src/node/pools/types.ts): small, start/run/close.
 */
export interface Lane {
  readonly name: 'cpu' | 'gpu';
  /** How many tasks it runs at once. */
  readonly capacity: number;
  /** Runs one task; the result is the one of the task's kind (a DenseTask's DenseResult, a PruneTask's RunResult). */
  run<T extends WorkerTask>(task: T, transferList?: readonly Transferable[]): Promise<ResultOf<T>>;
  close(): Promise<void>;
}

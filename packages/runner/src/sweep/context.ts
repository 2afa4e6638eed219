import { log } from '@prunelab/core';
import type { BackendInfo } from '@prunelab/engine';
import type { Db, ResultPaths, Writer } from '@prunelab/store';

/** The backend the workers report; said once, the first time a worker reports one. */
export class BackendNote {
  private info: BackendInfo | undefined;

  note(b: BackendInfo): void {
    if (!this.info) log.info(`backend: ${b.name} (${b.package})`);
    this.info = b;
  }

  get name(): string | undefined {
    return this.info?.name;
  }
}

/**
 * What the steps of one `runSweep` call share (registering the runs, the
 * dense phase, execution, the summary), passed to each of them explicitly.
 */
export interface SweepContext {
  readonly paths: ResultPaths;
  readonly db: Db;
  /** The only SQLite writer: workers send messages, the main thread writes. */
  readonly writer: Writer;
  /** This process's name on the runs it claims (a heartbeat renews its claims while the runs are in flight). */
  readonly owner: string;
  readonly leaseMs: number;
  readonly retryFailed: boolean;
  /** Int32Array over a SharedArrayBuffer, shared with every task: non-zero once Ctrl-C stopped the sweep. */
  readonly cancel: Int32Array;
  /** What each run records about the machine (see environment.ts). */
  readonly env: Record<string, unknown>;
  readonly backend: BackendNote;
}

/** True once the sweep was stopped (Ctrl-C). */
export function isStopped(ctx: Pick<SweepContext, 'cancel'>): boolean {
  return Atomics.load(ctx.cancel, 0) !== 0;
}

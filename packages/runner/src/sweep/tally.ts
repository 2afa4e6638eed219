/** A run that failed in this invocation, as the summary lists it. */
export interface FailedRun {
  readonly id: string;
  readonly label: string;
  readonly error: string;
}

/**
 * What became of the pruning runs this invocation set out to execute, counted
 * as they end, with the progress event every log line about a run carries.
 */
export class RunTally {
  done = 0;
  interrupted = 0;
  /** Found done by another process when this one came to claim them. */
  foundDone = 0;
  /** Left to another process: held by it (or left failed) when claimed, or taken over from this one. */
  leftToOthers = 0;
  /** Main-thread time spent on messages and database writes for the runs. */
  orchestrationMs = 0;
  /** Sum of the runs' own wall times in their workers. */
  runWallMs = 0;
  readonly failed: FailedRun[] = [];

  /** `total`: the runs this invocation set out to execute. */
  constructor(readonly total: number) {}

  /** Runs ended in this invocation, whatever the outcome (the [n/total] of the log). */
  get ended(): number {
    return this.done + this.failed.length + this.interrupted;
  }

  progress(lane?: string, run?: string) {
    return {
      event: 'progress',
      done: this.done,
      failed: this.failed.length,
      interrupted: this.interrupted,
      skipped: this.foundDone + this.leftToOthers,
      total: this.total,
      ...(lane && { lane }),
      ...(run && { run }),
    };
  }
}

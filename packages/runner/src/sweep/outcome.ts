import { ownerIsGone, type RunState } from '@prunelab/store';

/**
 * The runs of a sweep (this invocation's part of it) that are not done, by
 * why: what the exit status and the closing summary of `prunelab run` count.
 */
export interface RunsNotDone {
  /** Failed, in this invocation or an earlier one (rerun with --retry-failed). */
  readonly failed: number;
  /** Stopped by Ctrl-C, or ended without their full set of points (a plain rerun runs them). */
  readonly interrupted: number;
  /** Never started (a rerun runs them). */
  readonly pending: number;
  /** Held by another live process. */
  readonly runningElsewhere: number;
  /** Left `running` by a process that is gone (a rerun takes them over). */
  readonly abandoned: number;
}

export function runsNotDone(states: ReadonlyMap<string, RunState>, ids: readonly string[], me: string, now = Date.now()): RunsNotDone {
  const n = { failed: 0, interrupted: 0, pending: 0, runningElsewhere: 0, abandoned: 0 };
  for (const id of ids) {
    const s = states.get(id);
    if (!s || s.status === 'pending') n.pending++;
    else if (s.status === 'failed') n.failed++;
    else if (s.status === 'interrupted') n.interrupted++;
    else if (s.status === 'running') {
      if (ownerIsGone(s.owner, s.leaseUntil, now, me) || s.owner === me) n.abandoned++;
      else n.runningElsewhere++;
    }
  }
  return n;
}

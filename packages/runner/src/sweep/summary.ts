import type { Lane } from '../lanes/types.js';
import { isStopped, type SweepContext } from './context.js';
import type { DensePhase } from './dense-phase.js';
import { runsNotDone, type RunsNotDone } from './outcome.js';
import type { SweepPlan } from './plan.js';
import type { SweepStock } from './register.js';
import type { FailedRun, RunTally } from './tally.js';

export interface SweepSummary {
  readonly sweep: string;
  readonly database: string;
  /** The runs this invocation is about: the sweep's, or its shard's. */
  readonly total: number;
  /** Already done when this invocation started. */
  readonly skipped: number;
  /** Finished by this invocation. */
  readonly done: number;
  /** Failed in this invocation. */
  readonly failed: readonly FailedRun[];
  /** In flight when Ctrl-C stopped this invocation, or ended without their full set of points. */
  readonly interrupted: number;
  /** Done by another process while this one ran (found done, or finished after this one left them to it). */
  readonly doneElsewhere: number;
  /** Left to another process: it held them (or had left them failed) when this one came to them, or took them over from this one. */
  readonly leftToOthers: number;
  /** Every run of `total` that is not done at the end, whoever left it so: what the exit status counts. */
  readonly notDone: RunsNotDone;
  /** True when Ctrl-C (the abort signal) stopped the sweep. */
  readonly stopped: boolean;
  readonly denseTrained: number;
  readonly backend: string | undefined;
  readonly lanes: readonly string[];
  readonly wallMs: number;
  /** Main-thread time spent on messages and database writes for the runs (the orchestration overhead). */
  readonly orchestrationMs: number;
  /** Sum of the runs' own wall times in their workers. */
  readonly runWallMs: number;
  /** Peak resident memory of the whole process, workers included (MB). */
  readonly maxRssMb: number;
}

/** Where the sweep's runs stand in the database once this invocation has stopped working on them. */
export interface SweepEnd {
  /** What is left, whoever left it: runs that failed before, runs another process holds, runs never started. */
  readonly notDone: RunsNotDone;
  /** Runs done at the end, by this process or any other. */
  readonly doneAtEnd: number;
}

/** Reads the final state of `ids` (this invocation's runs). */
export function sweepEnd(ctx: Pick<SweepContext, 'writer' | 'owner'>, ids: readonly string[]): SweepEnd {
  const end = ctx.writer.states(ids);
  return { notDone: runsNotDone(end, ids, ctx.owner), doneAtEnd: [...end.values()].filter((s) => s.status === 'done').length };
}

/** What the steps of a sweep came to, for the closing summary and the exit status. */
export interface SweepParts {
  readonly plan: SweepPlan;
  readonly ctx: SweepContext;
  readonly lanes: readonly Lane[];
  readonly stock: SweepStock;
  readonly dense: DensePhase;
  readonly tally: RunTally;
  readonly end: SweepEnd;
  /** performance.now() when runSweep was called. */
  readonly startedAt: number;
}

export function sweepSummary({ plan, ctx, lanes, stock, dense, tally, end, startedAt }: SweepParts): SweepSummary {
  return {
    sweep: plan.sweep.name,
    database: ctx.paths.database,
    total: plan.runs.length,
    skipped: stock.skipped,
    done: tally.done,
    failed: tally.failed,
    interrupted: tally.interrupted,
    doneElsewhere: Math.max(0, end.doneAtEnd - stock.skipped - tally.done),
    leftToOthers: tally.leftToOthers,
    notDone: end.notDone,
    stopped: isStopped(ctx),
    denseTrained: dense.trained,
    backend: ctx.backend.name,
    lanes: lanes.map((l) => l.name),
    wallMs: performance.now() - startedAt,
    orchestrationMs: tally.orchestrationMs,
    runWallMs: tally.runWallMs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

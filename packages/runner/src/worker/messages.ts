import type { MessagePort } from 'node:worker_threads';
import type { LoadedDataset } from '@prunelab/datasets';
import type { BackendInfo, BackendPreference } from '@prunelab/engine';
import type { TrainingLedger } from '@prunelab/pruning';
import type { PointRecord } from '@prunelab/store';
import type { RunConfig } from '../config/schema.js';

/**
 * The protocol between the main thread and workers. Workers never touch the
 * database: they stream points over a MessagePort and return a summary; the
 * main thread is the single writer.
 */
export interface DenseTask {
  readonly kind: 'dense';
  readonly key: string;
  readonly file: string;
  readonly config: RunConfig;
  readonly dataset: LoadedDataset;
  /** Save the weights after these optimizer steps too, each to its file (late rewinding). */
  readonly rewind: ReadonlyArray<{ step: number; file: string }>;
  /** Int32Array over a SharedArrayBuffer; non-zero means stop (Ctrl-C). */
  readonly cancel: Int32Array;
  readonly laneInfo?: LaneInfo;
}

export interface PruneTask {
  readonly kind: 'run';
  readonly id: string;
  readonly config: RunConfig;
  readonly dataset: LoadedDataset;
  readonly denseFile: string;
  /** Snapshots of dense training for rewinding, by optimizer step. */
  readonly rewind: ReadonlyArray<{ step: number; file: string }>;
  readonly port: MessagePort;
  readonly cancel: Int32Array;
  readonly laneInfo?: LaneInfo;
}

export type WorkerTask = DenseTask | PruneTask;

export interface DenseResult {
  readonly kind: 'dense';
  readonly backend: BackendInfo;
  readonly accuracy: number;
  readonly loss: number;
  readonly steps: number;
  readonly wallMs: number;
}

export interface RunResult {
  readonly kind: 'run';
  readonly backend: BackendInfo;
  readonly scoreMs: number;
  readonly wallMs: number;
  /** The training the run did after dense training, per phase (what runs.training_json stores). */
  readonly training: TrainingLedger;
}

export type WorkerResult = DenseResult | RunResult;

/** What a task of T's kind returns: a DenseTask a DenseResult, a PruneTask a RunResult. */
export type ResultOf<T extends WorkerTask> = Extract<WorkerResult, { readonly kind: T['kind'] }>;

export type PortMessage =
  | { readonly type: 'started'; readonly backend: BackendInfo }
  /** A schedule's point with whether it is on the curve: the row the main thread writes to `points`. */
  | { readonly type: 'point'; readonly point: PointRecord }
  /**
   * The weights of a point already sent, encoded (@prunelab/models' artifact
   * format; the buffer is transferred, not copied). The main thread writes the
   * file and its row for the run's owner (RunAttempt.addArtifact): workers never
   * write the results folder's artifacts, so a run another process took over
   * leaves no file behind. Which points send one is the run's `artifacts:`.
   */
  | { readonly type: 'artifact'; readonly step: number; readonly targetSparsity: number; readonly data: Uint8Array<ArrayBuffer> }
  /** Last message of a successful run: every point before it has been delivered. */
  | { readonly type: 'end' };

/** Thrown inside a worker when the cancel flag is set; the main thread marks the run interrupted. */
export const CANCELLED = 'PRUNELAB_CANCELLED';

/** Thrown when a lane cannot work at all (its GPU backend failed): the run goes back to the queue. */
export const LANE_BROKEN = 'PRUNELAB_LANE_BROKEN';

/** Set by a lane on every task: which lane runs it and, for a GPU lane, the backend it must use. */
export interface LaneInfo {
  readonly lane: 'cpu' | 'gpu';
  readonly backend?: BackendPreference;
}

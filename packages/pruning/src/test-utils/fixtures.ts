// The generic fixtures come from models; fakeContext is the schedules' own.
import type { LoadedDataset } from '@prunelab/datasets';
import { evaluate, type NamedArray, type Net, type TrainingConfig } from '@prunelab/models';
import { config, magnitudeScores, zeroPattern } from '@prunelab/models/test-utils';
import { TrainingRecorder } from '../schedules/ledger.js';
import type { SchedulePoint, ScheduleContext, TrainingLedger } from '../schedules/types.js';

export { blobs, config, magnitudeScores, mlpArch, randomize, trainedWeights, zeroPattern } from '@prunelab/models/test-utils';

export interface FakeRun {
  readonly ctx: ScheduleContext;
  readonly points: SchedulePoint[];
  /** The zero pattern at every finetuned point. */
  readonly patterns: Uint8Array[];
  /** The training the schedule recorded so far, per phase. */
  training(): TrainingLedger;
}

/** A ScheduleContext like the runner's, with a magnitude scorer and in-memory points. */
export function fakeContext(
  net: Net,
  ds: LoadedDataset,
  o: {
    targets: number[];
    initialWeights: readonly NamedArray[];
    denseWeights: readonly NamedArray[];
    rewindWeights?: ReadonlyMap<number, readonly NamedArray[]>;
    finetune?: TrainingConfig;
    prune?: Record<string, unknown>;
  },
): FakeRun {
  const points: SchedulePoint[] = [];
  const patterns: Uint8Array[] = [];
  const recorder = new TrainingRecorder();
  const ctx: ScheduleContext = {
    net,
    ds,
    initialWeights: o.initialWeights,
    denseWeights: o.denseWeights,
    ...(o.rewindWeights && { rewindWeights: o.rewindWeights }),
    targets: o.targets,
    prune: { scope: 'global', structure: { kind: 'unstructured' }, exclude: [], ...o.prune },
    finetune: o.finetune ?? config(),
    seed: 7,
    score: async (n) => magnitudeScores(n),
    evaluate: async (n) => evaluate(n, ds, 'test'),
    emit: (p) => {
      points.push(p);
      if (p.phase === 'finetuned') patterns.push(zeroPattern(net));
    },
    checkCancelled: () => undefined,
    recordTraining: (phase, done) => recorder.record(phase, done),
  };
  return { ctx, points, patterns, training: () => recorder.ledger() };
}

import { join } from 'node:path';
import { newOwner, openDatabase, Writer, type Db } from '@prunelab/store';

/** A point of a synthetic run: target, achieved sparsity, accuracy (loss = 1 - accuracy). */
export type RawPoint = readonly [target: number, sparsity: number, accuracy: number];

export interface RawRun {
  readonly id: string;
  readonly scorer: string;
  readonly structure: string;
  /** The schedule label; default one-shot. */
  readonly schedule?: string;
  readonly seed: number;
  readonly status: 'done' | 'failed';
  readonly error?: string;
  /** The dense point first (target 0, sparsity 0), then the pruned operating points. */
  readonly points: readonly RawPoint[];
  /** Training after dense training, by phase: [steps, examples]; none recorded when absent. */
  readonly training?: Readonly<Record<string, readonly [steps: number, examples: number]>>;
  /** Config values beyond the scorer (dotted paths), as a --set would change them. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** The --set list that added the run to the sweep. */
  readonly overrides?: readonly string[];
}

export const SWEEP = 'syn';
export const TOTAL_PARAMS = 1100;
export const PRUNABLE = 1000;
export const DESCRIPTION = '<script>window.__pwned = 1</script> & "quotes"';

/**
 * Runs with known numbers. magnitude seed 2 achieves 0.78 for target 0.8, so
 * compare's 0.8 column interpolates that run between 0.5 and 0.9; random
 * seed 1 stops at 0.8 so nothing is extrapolated for it at 0.9.
 */
export const RUNS: readonly RawRun[] = [
  { id: 'mag-0', scorer: 'magnitude', structure: 'unstructured', seed: 0, status: 'done', points: [[0, 0, 0.95], [0.5, 0.5, 0.952], [0.8, 0.8, 0.945], [0.9, 0.9, 0.91]] },
  { id: 'mag-1', scorer: 'magnitude', structure: 'unstructured', seed: 1, status: 'done', points: [[0, 0, 0.96], [0.5, 0.5, 0.955], [0.8, 0.8, 0.951], [0.9, 0.9, 0.93]] },
  { id: 'mag-2', scorer: 'magnitude', structure: 'unstructured', seed: 2, status: 'done', points: [[0, 0, 0.97], [0.5, 0.5, 0.965], [0.8, 0.78, 0.962], [0.9, 0.9, 0.94]] },
  { id: 'rnd-0', scorer: 'random', structure: 'unstructured', seed: 0, status: 'done', points: [[0, 0, 0.95], [0.5, 0.5, 0.9], [0.8, 0.8, 0.7], [0.9, 0.9, 0.4]] },
  { id: 'rnd-1', scorer: 'random', structure: 'unstructured', seed: 1, status: 'done', points: [[0, 0, 0.96], [0.5, 0.5, 0.952], [0.8, 0.8, 0.6]] },
  { id: 'rnd-2', scorer: 'random', structure: 'unstructured', seed: 2, status: 'done', points: [[0, 0, 0.97], [0.5, 0.5, 0.92], [0.8, 0.8, 0.65], [0.9, 0.9, 0.3]] },
  { id: 'nm-0', scorer: 'magnitude', structure: '2:4', seed: 0, status: 'failed', error: 'worker crashed: <img src=x onerror=alert(1)>', points: [[0, 0, 0.95]] },
];

/** What unit pruning achieves for target 0.9 with 128 units: 115/128. */
export const UNIT_AT_90 = 115 / 128;
export const ITERATIVE = 'iterative(rate=0.9, rewind=init)';
export const TAYLOR = 'taylor(batches=[1,2], order=2)';

/**
 * Labels as the runner writes them, and seed counts of 3, 2 and 1. The unit
 * runs reach 0.5 exactly (64 of 128 units) and round 0.9 to 115/128.
 */
export const UNIT_RUNS: readonly RawRun[] = [
  ...[0, 1, 2].map((seed): RawRun => ({
    id: `unit-mag-${seed}`, scorer: 'magnitude', structure: 'unit-l2', schedule: ITERATIVE, seed, status: 'done',
    points: [[0, 0, 0.95 + seed / 100], [0.5, 0.5, 0.94 + seed / 100], [0.9, UNIT_AT_90, 0.9 + seed / 100]],
  })),
  ...[0, 1].map((seed): RawRun => ({
    id: `unit-rnd-${seed}`, scorer: 'random', structure: 'unit-l1-layernorm', seed, status: 'done',
    points: [[0, 0, 0.95 + seed / 100], [0.5, 0.5, 0.6 + seed / 10], [0.9, UNIT_AT_90, 0.2 + seed / 10]],
  })),
  { id: 'taylor-0', scorer: TAYLOR, structure: 'unstructured', seed: 0, status: 'done', points: [[0, 0, 0.95], [0.5, 0.5, 0.94], [0.9, 0.9, 0.877]] },
];

const LAYERS = ['dense1', 'dense2', 'out'];

/** {'dataset.trainSize': 3000} → {dataset: {trainSize: 3000}}, as a run's stored config nests them. */
function nest(flat: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(flat)) {
    const keys = path.split('.');
    let at = out;
    for (const k of keys.slice(0, -1)) at = (at[k] ??= {}) as Record<string, unknown>;
    at[keys.at(-1)!] = value;
  }
  return out;
}

/** Writes the runs above through the store's Writer into `dir/prunelab.sqlite`. */
export function buildSyntheticDb(dir: string, runs: readonly RawRun[] = RUNS): string {
  const file = join(dir, 'prunelab.sqlite');
  const db: Db = openDatabase(file);
  const w = new Writer(db);
  w.upsertSweep({ name: SWEEP, file: 'experiments/syn.yaml', yaml: `name: ${SWEEP}\ndescription: '${DESCRIPTION}'\ngrid:\n  scorer: [magnitude, random]\n`, gitCommit: null });
  const register = (list: readonly RawRun[], overrides: readonly string[] = []) =>
    w.registerRuns(
    SWEEP,
    list.map((r) => ({
      id: r.id, sweep: SWEEP, config: { scorer: r.scorer, seed: r.seed, description: DESCRIPTION, ...nest(r.config ?? {}) }, seed: r.seed, dataset: 'synthetic', model: 'mlp',
      scorer: r.scorer, structure: r.structure, scope: 'global', schedule: r.schedule ?? 'one-shot', axes: { scorer: r.scorer, seed: r.seed },
      datasetIdentity: {}, budget: {}, denseKey: `dense-${r.seed}`,
    })),
    overrides,
  );
  register(runs.filter((r) => !r.overrides));
  for (const r of runs) if (r.overrides) register([r], r.overrides);
  const owner = newOwner();
  for (const r of runs) {
    const claim = w.claimRun(r.id, { owner, leaseMs: 60_000, retryFailed: false, lane: 'cpu' });
    if (!claim.claimed) throw new Error(`synthetic run ${r.id} could not be claimed`);
    const run = claim.attempt;
    run.started({ backend: 'test', lane: 'cpu', env: { node: process.version, machine: DESCRIPTION, backend: { name: 'test' } } });
    r.points.forEach(([target, sparsity, accuracy], step) => {
      const nonzero = Math.round(PRUNABLE * (1 - sparsity));
      run.addPoint({
        step, phase: step === 0 ? 'dense' : 'finetuned', onCurve: true, targetSparsity: target, sparsity,
        nonzeroParams: nonzero, prunableParams: PRUNABLE, totalParams: TOTAL_PARAMS, nonzeroTotal: nonzero + (TOTAL_PARAMS - PRUNABLE),
        accuracy, loss: 1 - accuracy, macsDense: PRUNABLE, macsEffective: nonzero,
        perLayer: Object.fromEntries(LAYERS.map((l, i) => [l, Math.min(1, sparsity * (1 + (i - 1) * 0.1))])), wallMs: 1,
      });
      // A pruned-but-not-fine-tuned point that must never reach the curves.
      if (step > 0) {
        run.addPoint({
          step: 100 + step, phase: 'pruned', onCurve: false, targetSparsity: target, sparsity, nonzeroParams: nonzero, prunableParams: PRUNABLE,
          totalParams: TOTAL_PARAMS, nonzeroTotal: nonzero + 100, accuracy: 0.01, loss: 9, macsDense: PRUNABLE, macsEffective: nonzero, perLayer: {}, wallMs: 1,
        });
      }
    });
    if (r.training) {
      w.recordTraining(run, Object.fromEntries(Object.entries(r.training).map(([phase, [steps, examples]]) => [phase, { steps, examples }])));
    }
    run.finish(r.status === 'done' ? { status: 'done' } : { status: 'failed', error: r.error ?? 'failed' });
  }
  db.close();
  return file;
}

import { describe, expect, it } from 'vitest';
import { stepsFor } from '@prunelab/models';
import { runConfigSchema } from '../config/schema.js';
import { plannedTraining } from './prepare.js';

const TRAIN = 600;
const config = (schedule: Record<string, unknown>, sparsities = [0.5, 0.75]) =>
  runConfigSchema.parse({ dataset: 'mnist', model: 'mlp', scorer: 'magnitude', schedule, prune: { sparsities }, finetune: { epochs: 1, batchSize: 50 } });
const B = stepsFor(config({ name: 'one-shot' }).finetune, TRAIN); // 12 steps

describe('plannedTraining: what a run trains after dense training', () => {
  it('one common budget per target, or per iterative round', () => {
    expect(plannedTraining(config({ name: 'one-shot' }), TRAIN)).toEqual({ rounds: 2, steps: 2 * B, extraSteps: 0 });
    expect(plannedTraining(config({ name: 'gradual' }), TRAIN)).toEqual({ rounds: 2, steps: 2 * B, extraSteps: 0 });
    // rate 0.5 to 0.75: two rounds, whatever the number of targets.
    expect(plannedTraining(config({ name: 'iterative', rate: 0.5 }, [0.75]), TRAIN)).toEqual({ rounds: 2, steps: 2 * B, extraSteps: 0 });
    expect(plannedTraining(config({ name: 'iterative', rate: 0.5, reinit: true }, [0.75]), TRAIN)).toEqual({ rounds: 2, steps: 2 * B, extraSteps: 0 });
  });
  it("counts the lottery-ticket control's mask derivation as extra training", () => {
    expect(plannedTraining(config({ name: 'iterative', rate: 0.5, reinit: 'ticket' }, [0.75]), TRAIN)).toEqual({ rounds: 2, steps: 3 * B, extraSteps: B });
  });
  it("ADMM fits the common budget by default; budget: extra adds the paper's ADMM phase", () => {
    expect(plannedTraining(config({ name: 'admm', iterations: 2 }), TRAIN)).toEqual({ rounds: 2, steps: 2 * B, extraSteps: 0 });
    // ceil(12 / 2) = 6 steps per W-step, 12 in all, per target.
    expect(plannedTraining(config({ name: 'admm', iterations: 2, budget: 'extra' }), TRAIN)).toEqual({ rounds: 2, steps: 2 * (12 + B), extraSteps: 2 * 12 });
  });
});

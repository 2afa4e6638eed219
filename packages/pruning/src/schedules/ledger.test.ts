import { describe, expect, it } from 'vitest';
import { TrainingRecorder, trainingTotal } from './ledger.js';

describe('TrainingRecorder', () => {
  it('sums each phase, keeps the order phases first trained in, and totals all of them', () => {
    const r = new TrainingRecorder();
    r.record('admm', { steps: 10, examples: 600 });
    r.record('finetune', { steps: 5, examples: 300 });
    r.record('admm', { steps: 10, examples: 600 });
    const ledger = r.ledger();
    expect(Object.keys(ledger)).toEqual(['admm', 'finetune']);
    expect(ledger).toEqual({ admm: { steps: 20, examples: 1200 }, finetune: { steps: 5, examples: 300 } });
    expect(trainingTotal(ledger)).toEqual({ steps: 25, examples: 1500 });
    expect(trainingTotal({})).toEqual({ steps: 0, examples: 0 });
  });
});

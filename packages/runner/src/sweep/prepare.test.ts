import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stepsFor } from '@prunelab/models';
import { scheduleRegistry } from '@prunelab/pruning';
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
  it('a budget a schedule cannot fit is refused before anything runs', () => {
    expect(() => plannedTraining(config({ name: 'admm', iterations: 20 }), TRAIN)).toThrow(/no masked retraining/);
    expect(() => plannedTraining(config({ name: 'gradual', updates: 20 }), TRAIN)).toThrow(/past the fine-tuning budget of 12 steps/);
  });
});

/** The non-test TypeScript sources under `dir`: what ships. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'test-utils' || e.name === 'bad-input' ? [] : sources(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('the runner knows no schedule by name', () => {
  // Budgets, rewind snapshots, layer names and defaults come from each
  // schedule's registry entry (ScheduleEntry), so a new schedule needs no
  // change to the runner or the CLI.
  const packages = resolve(import.meta.dirname, '../../..');
  const files = [...sources(join(packages, 'runner/src')), ...sources(join(packages, 'cli/src'))];

  it('no shipped runner or CLI source names a registered schedule or compares schedule names', () => {
    expect(files.length).toBeGreaterThan(20);
    const quoted = scheduleRegistry.names().map((n) => new RegExp(`['"\`]${n.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}['"\`]`));
    const found = files.flatMap((f) => {
      const text = readFileSync(f, 'utf8');
      const hits = [...quoted.filter((re) => re.test(text)).map((re) => re.source), ...(/schedule\.name\s*[!=]==/.test(text) ? ['schedule.name ==='] : [])];
      return hits.map((h) => `${relative(packages, f)}: ${h}`);
    });
    expect(found).toEqual([]);
  });
});

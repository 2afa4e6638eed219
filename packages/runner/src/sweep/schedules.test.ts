import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, resultPaths } from '@prunelab/store';
import { runSweep } from './run-sweep.js';
import { createCpuLane } from '../lanes/cpu-lane.js';
import { tempDir, writeSweep, TINY_SWEEP } from '../test-utils/fixtures.js';

const lane = createCpuLane(2);
afterAll(() => lane.close());

// Every registered schedule through the real runner, including late rewinding,
// whose dense-training snapshot the runner must save and hand over.
const SCHEDULES = `schedule: { name: iterative, rate: 0.5, rewind: { iteration: 5 } }
grid:
  scorer: [magnitude]
  schedule:
    - { name: iterative, rate: 0.5, rewind: init }
    - { name: iterative, rate: 0.5, rewind: { iteration: 5 } }
    - { name: iterative, rate: 0.5, rewind: init, reinit: true }
    - { name: iterative, rate: 0.5, rewind: { iteration: 5 }, reinit: ticket }
    - { name: gradual }
    - { name: admm, iterations: 2 }
    - { name: admm, iterations: 2, budget: extra }
    - one-shot
seeds: [0]
`;

describe('schedules through the runner', () => {
  it('runs iterative (rewind to init, to step 5, both re-init controls), gradual, admm (shared and extra budget) and one-shot, and stores the training each got', async () => {
    const dir = tempDir();
    const results = join(dir, 'results');
    const yaml = TINY_SWEEP.replace(/grid:[\s\S]*$/, SCHEDULES).replace('[0.5, 0.9]', '[0.75]');
    const s = await runSweep({ file: writeSweep(dir, yaml), results, lanes: [lane] });
    expect(s.failed).toEqual([]);
    expect(s.done).toBe(8);
    expect(s.denseTrained).toBe(1);
    const cache = readdirSync(resultPaths(results).denseCache);
    expect(cache.some((f) => f.endsWith('.step-5.bin'))).toBe(true);
    const db = openDatabase(resultPaths(results).database, { readonly: true });
    const rows = db.prepare(`SELECT c.schedule AS schedule, COUNT(*) AS n, MAX(c.sparsity) AS s FROM curve_points c GROUP BY c.run_id`).all() as Array<{
      schedule: string;
      n: number;
      s: number;
    }>;
    db.close();
    // Iterative at rate 0.5 to 0.75 is two rounds, each a curve point, plus the dense point.
    for (const r of rows.filter((x) => x.schedule === 'iterative')) expect(r.n).toBe(3);
    for (const r of rows) expect(r.s).toBeCloseTo(0.75, 2);
    // What each run trained after dense training is what its budget planned; only the
    // ticket control (mask derivation) and ADMM with budget: extra train beyond the common budget.
    const db2 = openDatabase(resultPaths(results).database, { readonly: true });
    const runs = db2
      .prepare(`SELECT r.schedule, r.budget_json, s.train_steps, s.train_examples, s.training_json FROM runs r JOIN run_summary s ON s.run_id = r.id`)
      .all() as Array<{ schedule: string; budget_json: string; train_steps: number; train_examples: number; training_json: string }>;
    db2.close();
    expect(runs).toHaveLength(8);
    for (const r of runs) {
      const budget = JSON.parse(r.budget_json) as { steps: number; extraSteps: number; batchSize: number };
      expect(r.train_steps, r.schedule).toBe(budget.steps);
      expect(r.train_examples, r.schedule).toBe(budget.steps * budget.batchSize);
      const phases = Object.keys(JSON.parse(r.training_json) as object).sort();
      expect(budget.extraSteps > 0, r.schedule).toBe(phases.includes('mask-derivation') || r.schedule.includes('budget=extra'));
    }
    const phasesOf = (label: string) => Object.keys(JSON.parse(runs.find((r) => r.schedule === label)!.training_json) as object).sort();
    expect(phasesOf('admm(budget=extra, iterations=2)')).toEqual(['admm', 'finetune']);
    expect(phasesOf('iterative(rate=0.5, reinit=ticket, rewind.iteration=5)')).toEqual(['mask-derivation', 'reinit-train']);
    expect(existsSync(resultPaths(results).database)).toBe(true);
  });

  it('records robust accuracy on every point when the sweep enables it', async () => {
    const dir = tempDir();
    const results = join(dir, 'results');
    const yaml = `${TINY_SWEEP.replace('seeds: [0, 1]', 'seeds: [0]')}robust: { attack: fgsm, eps: 0.3 }\n`;
    const s = await runSweep({ file: writeSweep(dir, yaml), results, lanes: [lane] });
    expect(s.failed).toEqual([]);
    const db = openDatabase(resultPaths(results).database, { readonly: true });
    const rows = db.prepare(`SELECT accuracy, robust_accuracy FROM curve_points`).all() as Array<{ accuracy: number; robust_accuracy: number | null }>;
    db.close();
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.robust_accuracy).not.toBeNull();
      expect(r.robust_accuracy!).toBeLessThanOrEqual(r.accuracy + 1e-9);
    }
  });

  it('unit structure under a global scope keeps every output unit (class logit)', async () => {
    const dir = tempDir();
    const results = join(dir, 'results');
    const yaml = TINY_SWEEP.replace('seeds: [0, 1]', 'seeds: [0]')
      .replace('[magnitude, random]', '[magnitude]')
      .replace('prune: { sparsities: [0.5, 0.9] }', 'prune: { sparsities: [0.9], scope: global, structure: { kind: unit, reduce: l2 } }');
    const s = await runSweep({ file: writeSweep(dir, yaml), results, lanes: [lane] });
    expect(s.failed).toEqual([]);
    const db = openDatabase(resultPaths(results).database, { readonly: true });
    const rows = db
      .prepare(`SELECT per_layer_json, nonzero_params, prunable_params, macs_dense, macs_effective FROM all_points WHERE phase != 'dense'`)
      .all() as Array<{ per_layer_json: string; nonzero_params: number; prunable_params: number; macs_dense: number; macs_effective: number }>;
    db.close();
    expect(rows.length).toBeGreaterThan(0);
    // The MLP is dense1 [8 x 16] then dense2 [16 x 3], whose 3 units are the logits.
    const [inputs, logits] = [8, 3];
    for (const r of rows) {
      const perLayer = JSON.parse(r.per_layer_json) as Record<string, number>;
      // dense2 is excluded from pruning: the budget and the per-layer sparsities are dense1's alone.
      expect(Object.keys(perLayer)).toEqual(['dense1']);
      expect(r.prunable_params).toBe(inputs * 16);
      expect(r.macs_dense).toBe(inputs * 16 + 16 * logits);
      expect(perLayer['dense1']).toBeGreaterThan(0.5);
      // Unit pruning keeps whole hidden units, so dense1's nonzeros are 8 per surviving unit.
      expect(r.nonzero_params % inputs).toBe(0);
      const hidden = r.nonzero_params / inputs;
      expect(hidden).toBeGreaterThan(0);
      // macs_effective counts the nonzero weights that read a surviving input: dense1's nonzeros,
      // then dense2's weights from the surviving hidden units. All of them are still there, so
      // every surviving unit feeds all 3 logits: no class lost a weight, let alone its unit.
      expect(r.macs_effective - r.nonzero_params).toBe(hidden * logits);
    }
  });
});

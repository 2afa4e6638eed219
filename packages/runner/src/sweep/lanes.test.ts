import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, resultPaths } from '@prunelab/store';
import { runSweep } from './run-sweep.js';
import { createPoolLane } from '../lanes/cpu-lane.js';
import { tempDir, writeSweep, TINY_SWEEP } from '../test-utils/fixtures.js';

// A stand-in GPU lane: one worker on the cpu backend, named 'gpu'.
const cpu = createPoolLane({ name: 'cpu', threads: 1 });
const gpu = createPoolLane({ name: 'gpu', threads: 1, backend: 'cpu' });
afterAll(async () => {
  await cpu.close();
  await gpu.close();
});

function lanesOf(results: string): Record<string, number> {
  const db = openDatabase(resultPaths(results).database, { readonly: true });
  const rows = db.prepare(`SELECT lane, COUNT(*) AS n FROM runs GROUP BY lane`).all() as Array<{ lane: string; n: number }>;
  db.close();
  return Object.fromEntries(rows.map((r) => [r.lane, r.n]));
}

describe('lanes', () => {
  it('routes runs to both lanes from one queue', async () => {
    const dir = tempDir();
    const results = join(dir, 'results');
    const s = await runSweep({ file: writeSweep(dir, TINY_SWEEP), results, lanes: [gpu, cpu] });
    expect(s.done).toBe(4);
    const lanes = lanesOf(results);
    expect((lanes['gpu'] ?? 0) + (lanes['cpu'] ?? 0)).toBe(4);
    expect(lanes['gpu']).toBeGreaterThan(0);
  });

  it('pins runs to a lane with lane:', async () => {
    const dir = tempDir();
    const results = join(dir, 'results');
    const s = await runSweep({ file: writeSweep(dir, `${TINY_SWEEP}lane: gpu\n`), results, lanes: [gpu, cpu] });
    expect(s.done).toBe(4);
    expect(lanesOf(results)).toEqual({ gpu: 4 });
  });

  it('a run that diverges is marked failed with its reason and the sweep goes on', async () => {
    const dir = tempDir();
    const results = join(dir, 'results');
    // zip pairs a divergent learning rate with one scorer only.
    const yaml = TINY_SWEEP.replace('grid:\n  scorer: [magnitude, random]\n', 'zip:\n  scorer: [magnitude, random]\n  finetune.lr: [1.0e+30, 0.001]\n');
    const s = await runSweep({ file: writeSweep(dir, yaml), results, lanes: [cpu] });
    expect(s.done).toBe(2);
    expect(s.failed).toHaveLength(2);
    for (const f of s.failed) expect(f.error).toMatch(/loss is NaN|loss is Infinity|diverged/);
    const db = openDatabase(resultPaths(results).database, { readonly: true });
    const failed = db.prepare(`SELECT error, error_stack FROM runs WHERE status = 'failed'`).all() as Array<{ error: string; error_stack: string }>;
    expect(failed).toHaveLength(2);
    expect(failed[0]!.error_stack).toContain('Error');
    db.close();
  });
});

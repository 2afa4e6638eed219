import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, resultPaths } from '@prunelab/store';
import { runSweep } from './run-sweep.js';
import { createPoolLane } from '../lanes/cpu-lane.js';
import { tempDir, writeSweep, TINY_SWEEP } from '../test-utils/fixtures.js';

// A lane whose workers get a V8 heap too small to even load tfjs: each one
// dies of out-of-memory before it can take a task. The main thread must
// survive, fail the runs with a reason instead of waiting forever, and leave
// the database consistent.
const starved = createPoolLane({ name: 'cpu', threads: 1, maxOldGenerationSizeMb: 4 });
afterAll(() => starved.close());

describe('worker isolation', () => {
  it('workers that run out of memory fail the runs, not the sweep', async () => {
    const dir = tempDir();
    const results = join(dir, 'results');
    const s = await runSweep({ file: writeSweep(dir, TINY_SWEEP), results, lanes: [starved] });
    expect(s.done).toBe(0);
    expect(s.failed).toHaveLength(4);
    for (const f of s.failed) expect(f.error).toMatch(/broke down|memory/);
    const db = openDatabase(resultPaths(results).database, { readonly: true });
    expect(db.prepare(`SELECT DISTINCT status FROM runs`).all()).toEqual([{ status: 'failed' }]);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });
});

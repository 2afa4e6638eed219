import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openResultsDatabase, type Db } from '@prunelab/store';
import { compare } from './compare.js';
import { compareColumns, formatCompare } from './compare-format.js';
import { buildReport } from './report.js';
import { buildSyntheticDb, SWEEP, type RawRun } from './test-utils/synthetic-db.js';

// What a reader must see to judge a comparison fair: how much each strategy
// trained after its dense model, and that runs trained under a --set override
// are not averaged in with the sweep file's own runs.
const points: RawRun['points'] = [[0, 0, 0.95], [0.5, 0.5, 0.94], [0.9, 0.9, 0.9]];
const finetune = { finetune: [100, 6000] as const };
const run = (id: string, scorer: string, seed: number, extra: Partial<RawRun> = {}): RawRun => ({ id, scorer, structure: 'unstructured', seed, status: 'done', points, ...extra });

let dir: string | undefined;
let db: Db | undefined;
function open(runs: readonly RawRun[]): Db {
  dir = mkdtempSync(join(tmpdir(), 'prunelab-fair-'));
  db = openResultsDatabase(buildSyntheticDb(dir, runs));
  return db;
}
afterEach(() => {
  db?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  db = dir = undefined;
});

describe('compare shows the training each strategy got', () => {
  it('gives each row its mean training after dense, and marks rows that trained more than the least-trained one', () => {
    const t = compare(
      open([
        run('mag-0', 'magnitude', 0, { training: finetune }),
        run('mag-1', 'magnitude', 1, { training: finetune }),
        run('admm-0', 'admm', 0, { training: { admm: [100, 6000], finetune: [100, 6000] } }),
        run('old-0', 'random', 0),
      ]),
      SWEEP,
    );
    const byName = Object.fromEntries(t.rows.map((r) => [r.strategy, r]));
    expect(byName['magnitude']!.training?.mean).toBe(6000);
    expect(byName['admm']!.training?.mean).toBe(12_000);
    expect(byName['random']!.training).toBeNull();
    expect(t.leastTraining).toBe(6000);

    const text = formatCompare(t, 'table');
    expect(text).toContain('training (examples)');
    expect(text).toContain('12k (2.00x) !');
    expect(text).toMatch(/6k(?! \()/);
    expect(text).toContain('not recorded');
    expect(text).toContain('got more training than the common budget');

    const csv = compareColumns(t);
    const col = csv.columns.indexOf('training_ratio_to_least');
    expect(csv.rows.map((r) => r[col])).toEqual([2, 1, null]);
  });

  it('says nothing about extra training when every row trained the same', () => {
    const t = compare(open([run('mag-0', 'magnitude', 0, { training: finetune }), run('rnd-0', 'random', 0, { training: finetune })]), SWEEP);
    expect(formatCompare(t, 'table')).not.toContain('!');
  });

  it('puts the training column in the HTML report', async () => {
    const html = await buildReport(open([run('mag-0', 'magnitude', 0, { training: finetune }), run('admm-0', 'admm', 0, { training: { admm: [100, 6000], finetune: [100, 6000] } })]), SWEEP);
    expect(html).toContain('training (examples)');
    expect(html).toContain('12k (2.00x) !');
  });
});

describe('compare never averages runs that were trained differently', () => {
  it('splits a strategy by a config value an override changed, and names it', () => {
    const t = compare(
      open([
        run('mag-0', 'magnitude', 0, { config: { 'dataset.trainSize': 20000 } }),
        run('mag-1', 'magnitude', 1, { config: { 'dataset.trainSize': 20000 } }),
        run('mag-small-0', 'magnitude', 0, { config: { 'dataset.trainSize': 3000 }, overrides: ['dataset.trainSize=3000'], points: [[0, 0, 0.9], [0.5, 0.5, 0.8], [0.9, 0.9, 0.5]] }),
      ]),
      SWEEP,
    );
    expect(t.configPaths).toEqual(['dataset.trainSize']);
    expect(t.rows.map((r) => [r.strategy, r.runs])).toEqual([
      ['magnitude [dataset.trainSize=20000]', 2],
      ['magnitude [dataset.trainSize=3000]', 1],
    ]);
    expect(t.rows[1]!.cells[1]!.mean).toBeCloseTo(0.5, 12);
    expect(formatCompare(t, 'table')).toContain('Rows are also split by dataset.trainSize');
    const csv = compareColumns(t);
    expect(csv.columns).toContain('config.dataset.trainSize');
  });

  it('keeps one row per strategy when nothing but the axes differs', () => {
    const t = compare(open([run('mag-0', 'magnitude', 0), run('mag-1', 'magnitude', 1), run('rnd-0', 'random', 0)]), SWEEP);
    expect(t.configPaths).toEqual([]);
    expect(t.rows.map((r) => r.strategy)).toEqual(['magnitude', 'random']);
  });
});

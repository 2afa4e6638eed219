import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newOwner, openDatabase, Writer, type Db, type RunRecord } from '@prunelab/store';
import { buildReport } from './report.js';
import { runsListing } from './runs.js';

const config = (scorer: string, seed: number, trainSize: number) => ({ dataset: { name: 'mnist', trainSize }, model: { name: 'mlp' }, scorer: { name: scorer }, seed });
const record = (id: string, scorer: string, seed: number, trainSize: number): RunRecord => ({
  id, sweep: 'q', config: config(scorer, seed, trainSize), seed, dataset: 'mnist', model: 'mlp', scorer, structure: 'unstructured', scope: 'global',
  schedule: 'one-shot', axes: { scorer, seed }, datasetIdentity: {}, budget: {}, denseKey: `d${seed}`,
});

/** The file's runs at trainSize 20000, and one added by --set dataset.trainSize=3000. */
function database(): Db {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'prunelab-effective-')), 'db.sqlite'));
  const w = new Writer(db);
  w.upsertSweep({ name: 'q', file: 'quickstart.yaml', yaml: 'name: q\ndataset: { name: mnist, trainSize: 20000 }\n', gitCommit: null });
  w.registerRuns('q', [record('a', 'magnitude', 0, 20000), record('b', 'random', 0, 20000)]);
  w.registerRuns('q', [record('c', 'magnitude', 0, 3000)], ['dataset.trainSize=3000']);
  const owner = newOwner();
  for (const id of ['a', 'b', 'c']) {
    const c = w.claimRun(id, { owner, leaseMs: 60_000, retryFailed: false, lane: 'cpu' });
    if (c.claimed) c.attempt.finish({ status: 'done' });
  }
  return db;
}

describe('the effective configuration, with overrides marked', () => {
  it('results runs shows the trainSize each run used and the --set that added it', () => {
    const db = database();
    const l = runsListing(db, 'q');
    expect(l.columns).toEqual(expect.arrayContaining(['config.dataset.trainSize', 'overrides']));
    expect(l.columns).not.toContain('config.seed'); // an axis already shows it
    const byId = Object.fromEntries(l.rows.map((r) => [r['run_id'], r]));
    expect(byId['c']).toMatchObject({ 'config.dataset.trainSize': '3000', overrides: '--set dataset.trainSize=3000' });
    expect(byId['a']).toMatchObject({ 'config.dataset.trainSize': '20000', overrides: null });
    db.close();
  });

  it('the report shows the runs\' own values beside the file\'s YAML, the overridden ones marked', async () => {
    const db = database();
    const html = await buildReport(db, 'q', { generatedAt: 'fixed' });
    expect(html).toContain('dataset.trainSize=3000 <span class="note overridden">overridden: --set dataset.trainSize=3000</span>');
    expect(html).toMatch(/<td>1<\/td><td><span class="overridden">--set dataset.trainSize=3000<\/span><\/td><td>3000<\/td>/);
    expect(html).toMatch(/<td>2<\/td><td>the sweep file<\/td><td>20000<\/td>/);
    db.close();
  });

  it('a sweep whose runs differ only by their axes says so and adds no column', async () => {
    const db = database();
    db.prepare(`DELETE FROM sweep_runs WHERE run_id = 'c'`).run();
    expect(runsListing(db, 'q').columns.filter((c) => c.startsWith('config.') || c === 'overrides')).toEqual([]);
    expect(await buildReport(db, 'q', { generatedAt: 'fixed' })).toContain("Every run used this configuration, with its axes' values.");
    db.close();
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openResultsDatabase, type Db } from '@prunelab/store';
import { compare, type CompareTable } from './compare.js';
import { compareColumns, formatCompare } from './compare-format.js';
import { bandDescription, plotData, plotSpec } from './plot.js';
import { renderSvg } from './render.js';
import { buildReport } from './report.js';
import { parseWhere } from './where.js';
import { buildSyntheticDb, SWEEP, TAYLOR, UNIT_RUNS } from './test-utils/synthetic-db.js';

// UNIT_RUNS: magnitude has 3 seeds, random 2, taylor 1.
let dir: string;
let db: Db;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'prunelab-few-seeds-'));
  db = openResultsDatabase(buildSyntheticDb(dir, UNIT_RUNS));
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const row = (t: CompareTable, scorer: string) => t.rows.find((r) => r.key['scorer'] === scorer)!;
/** The table's two lines for a strategy. */
function tableLines(text: string, strategy: string): [string, string] {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.startsWith(strategy));
  return [lines[i]!, lines[i + 1]!];
}

describe('statistics with few seeds', () => {
  it('gives one run no spread and no interval, in every format', () => {
    const t = compare(db, SWEEP);
    const one = row(t, TAYLOR);
    expect(one.cells[1]).toMatchObject({ n: 1, std: null, ci95: null, ciUninformative: false });
    const [first, second] = tableLines(formatCompare(t, 'table'), TAYLOR);
    expect(first).toContain('87.70');
    expect(first).not.toContain('±');
    expect(second).not.toContain('[');
    expect(second).toContain('n=1');
    expect(formatCompare(t, 'markdown')).toContain('| 87.70 (n=1) |');
    expect(formatCompare(t, 'table')).toContain('n=1: a single run, so no spread and no interval.');
    const json = JSON.parse(formatCompare(t, 'json')) as CompareTable;
    expect(row(json, TAYLOR).cells[1]).toMatchObject({ std: null, ci95: null });
    const { columns, rows } = compareColumns(t);
    const csv = rows[t.rows.indexOf(one)]!;
    expect(csv[columns.indexOf('s0.9_mean_pct')]).toBe(87.7);
    expect(csv[columns.indexOf('s0.9_std_pct')]).toBeNull();
    expect(csv[columns.indexOf('s0.9_ci_low_pct')]).toBeNull();
  });

  it('marks the interval of two runs as uninformative, with the reason, in every format', () => {
    const t = compare(db, SWEEP);
    const two = row(t, 'random');
    expect(two.cells.every((c) => c!.n === 2 && c!.ciUninformative)).toBe(true);
    expect(row(t, 'magnitude').cells.every((c) => c!.n === 3 && !c!.ciUninformative)).toBe(true);
    const table = formatCompare(t, 'table');
    expect(tableLines(table, 'random')[1]).toMatch(/n=2 \[[\d.]+, [\d.]+\]†/);
    expect(tableLines(table, 'magnitude')[1]).not.toContain('†');
    expect(table).toContain('t(0.975, 1) = 12.71');
    expect(formatCompare(t, 'markdown')).toMatch(/\| 25\.00 ± 7\.07 \(n=2\) \[0\.00, 88\.53\]† at 89\.84% \|/);
    const json = JSON.parse(formatCompare(t, 'json')) as CompareTable;
    expect(row(json, 'random').cells[1]!.ciUninformative).toBe(true);
    const { columns, rows } = compareColumns(t);
    expect(rows[t.rows.indexOf(two)]![columns.indexOf('s0.9_ci_uninformative')]).toBe(true);
  });

  it('plots say what their band is, and draw none for one run', async () => {
    const data = plotData(db, SWEEP);
    expect(data.filter((d) => d.strategy.startsWith('taylor')).every((d) => d.n === 1 && d.lo === null && d.hi === null)).toBe(true);
    expect(data.filter((d) => !d.strategy.startsWith('taylor')).every((d) => d.lo !== null && d.lo < d.mean)).toBe(true);
    expect(bandDescription(data)).toBe('mean of 1–3 runs, band ±1 std (none where n = 1)');
    expect(bandDescription(plotData(db, SWEEP, { where: parseWhere('scorer=taylor') }))).toBe('1 run per point, no band');
    expect(bandDescription(plotData(db, SWEEP, { where: parseWhere('scorer=magnitude') }))).toBe('mean of 3 runs, band ±1 std');
    const svg = await renderSvg(plotSpec(data));
    expect(svg).toContain('test accuracy (%): mean of 1–3 runs, band ±1 std (none where n = 1)');
    expect(svg).not.toContain('over seeds');
    const single = await renderSvg(plotSpec(plotData(db, SWEEP, { where: parseWhere('scorer=taylor') })));
    expect(single).toContain('1 run per point, no band');
    // A band of one run would be a flat area of zero height: the area mark has no path geometry.
    const areaPaths = (text: string) => [...text.matchAll(/<g class="mark-area[^>]*>(<path[^>]*>)/g)].map((m) => m[1]!);
    expect(areaPaths(single)).toHaveLength(1);
    expect(areaPaths(single)[0]).not.toContain(' d="');
    expect(areaPaths(svg).filter((p) => p.includes(' d="'))).toHaveLength(2);
  });

  it('the report says the same: no spread for one run, a marked interval for two, the band named', async () => {
    const html = await buildReport(db, SWEEP, { generatedAt: 'fixed' });
    expect(html).toContain('87.70 <span class="note">(n=1)</span>');
    expect(html).toMatch(/\(n=2\) \[0\.00, 88\.53\]†/);
    expect(html).toContain('t(0.975, 1) = 12.71');
    // The runs table prints accuracy in percent, like the comparison: 87.7% for taylor's last point.
    expect(html).toContain('<th>final accuracy (%)</th>');
    expect(html).toMatch(/<td>taylor-0<\/td>.*<td>87\.70<\/td><\/tr>/);
    expect(html).toContain('<figcaption>accuracy vs sparsity: mean of 1–3 runs, band ±1 std (none where n = 1)</figcaption>');
    const taylorRows = html.split('\n').filter((l) => l.startsWith(`<tr data-strategy="${TAYLOR}`));
    expect(taylorRows).toHaveLength(2);
    for (const l of taylorRows) expect(l.slice(l.indexOf('</td>'))).not.toMatch(/±|\[/);
  });
});

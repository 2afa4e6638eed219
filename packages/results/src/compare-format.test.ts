import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openResultsDatabase, type Db } from '@prunelab/store';
import { compare } from './compare.js';
import { formatCompare } from './compare-format.js';
import { formatListing } from './listing.js';
import { runsListing, sweepsListing } from './runs.js';
import { buildSyntheticDb, SWEEP } from './test-utils/synthetic-db.js';

/** A small RFC 4180 reader, enough for our output. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  row.push(field);
  rows.push(row);
  return rows;
}

let dir: string;
let db: Db;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'prunelab-format-'));
  db = openResultsDatabase(buildSyntheticDb(dir));
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('compare formats hold the same data', () => {
  it('JSON, CSV, markdown and table carry each cell\'s mean, std, n and CI; CSV in percent, JSON in fractions', () => {
    const t = compare(db, SWEEP, { at: [0.5, 0.85, 0.9] });
    const json = JSON.parse(formatCompare(t, 'json')) as typeof t & { units: string };
    expect(json.rows.map((r) => r.cells.map((c) => c?.mean))).toEqual(t.rows.map((r) => r.cells.map((c) => c?.mean)));
    expect(json.units).toMatch(/^fractions/);
    const [header, ...rows] = parseCsv(formatCompare(t, 'csv'));
    expect(rows).toHaveLength(t.rows.length);
    const col = (name: string) => header!.indexOf(name);
    t.rows.forEach((r, i) => {
      t.columns.forEach((s, j) => {
        const c = r.cells[j]!;
        const pct = (name: string) => Number(rows[i]![col(`s${s}_${name}`)]);
        expect(pct('mean_pct')).toBeCloseTo(c.mean * 100, 9);
        expect(pct('std_pct')).toBeCloseTo(c.std! * 100, 9);
        expect(pct('n')).toBe(c.n);
        expect(pct('ci_low_pct')).toBeCloseTo(c.ci95![0] * 100, 9);
        expect(pct('ci_high_pct')).toBeCloseTo(c.ci95![1] * 100, 9);
        expect(rows[i]![col(`s${s}_ci_uninformative`)]).toBe(String(c.ciUninformative));
        expect(pct('achieved_pct')).toBeCloseTo(c.achieved * 100, 9);
        expect(rows[i]![col(`s${s}_best`)]).toBe(String(r.best.includes(j)));
        expect(rows[i]![col(`s${s}_interpolated`)]).toBe(String(c.interpolated));
      });
    });
    for (const format of ['table', 'markdown'] as const) {
      const text = formatCompare(t, format);
      for (const r of t.rows) {
        expect(text).toContain(r.strategy);
        for (const c of r.cells) {
          expect(text).toContain(`${(c!.mean * 100).toFixed(2)} ± ${(c!.std! * 100).toFixed(2)}`);
          expect(text).toContain(`[${(c!.ci95![0] * 100).toFixed(2)}, ${(c!.ci95![1] * 100).toFixed(2)}]`);
        }
      }
      expect(text).toMatch(/interpolated/);
    }
    expect(formatCompare(t, 'markdown')).toContain('| strategy | dense |');
  });

  it('listings write the same rows in all four formats', () => {
    const listing = runsListing(db, SWEEP);
    expect(listing.rows).toHaveLength(7);
    const json = JSON.parse(formatListing(listing, 'json')) as Array<Record<string, unknown>>;
    const [header, ...csv] = parseCsv(formatListing(listing, 'csv'));
    expect(header).toEqual([...listing.columns]);
    expect(json.map((r) => r['run_id'])).toEqual(csv.map((r) => r[0]));
    const table = formatListing(listing, 'table');
    const md = formatListing(listing, 'markdown');
    for (const r of json) {
      expect(table).toContain(String(r['run_id']));
      expect(md).toContain(String(r['run_id']));
    }
    // The failed run's reason survives CSV quoting.
    expect(csv.find((r) => r[0] === 'nm-0')!.at(-1)).toContain('<img src=x');
    const sweeps = JSON.parse(formatListing(sweepsListing(db), 'json')) as Array<Record<string, unknown>>;
    expect(sweeps).toEqual([expect.objectContaining({ sweep: SWEEP, runs: 7, done: 6, failed: 1 })]);
  });
});

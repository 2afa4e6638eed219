import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openResultsDatabase, type Db } from '@prunelab/store';
import { compare } from './compare.js';
import { formatCompare } from './compare-format.js';
import { buildReport } from './report.js';
import { parseWhere } from './where.js';
import { buildSyntheticDb, SWEEP, UNIT_AT_90, UNIT_RUNS } from './test-utils/synthetic-db.js';

let dir: string;
let db: Db;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'prunelab-targets-'));
  db = openResultsDatabase(buildSyntheticDb(dir, UNIT_RUNS));
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const unitOnly = { where: parseWhere('structure=unit') };

describe('structured targets', () => {
  it('puts a unit-pruned run asked for 0.9 in the 0.9 column, at the 115/128 it achieved', () => {
    const t = compare(db, SWEEP, unitOnly);
    expect(t.columns).toEqual([0.5, 0.9]);
    for (const r of t.rows) {
      expect(r.cells.every((c) => c !== null)).toBe(true);
      expect(r.cells[1]!.interpolated).toBe(false);
      expect(r.cells[1]!.achieved).toBe(UNIT_AT_90);
      // The largest gap between a target and what the structure achieved: 0.9 - 115/128.
      expect(r.granularity).toBeCloseTo(0.9 - UNIT_AT_90, 12);
    }
    // Seeds 0..2 of magnitude: 0.90, 0.91, 0.92 at the 0.9 target.
    expect(t.rows[0]!.cells[1]!.mean).toBeCloseTo(0.91, 12);
    expect(t.interpolated).toBe(false);
  });

  it('shows values and the achieved sparsity, not "-", in every format', async () => {
    const t = compare(db, SWEEP, unitOnly);
    const table = formatCompare(t, 'table');
    expect(table).toContain('s=90% (achieved 89.84%)');
    expect(table).toContain('91.00 ± 1.00');
    const md = formatCompare(t, 'markdown');
    expect(md).toContain('| s=90% (achieved 89.84%) |');
    expect(md).not.toContain('| - |');
    expect(md).not.toMatch(/no run reached/);
    const html = await buildReport(db, SWEEP, { ...unitOnly, generatedAt: 'fixed' });
    expect(html).toContain('<th>s=90% (achieved 89.84%)</th>');
    expect(html).not.toContain('<td>-</td>');
  });

  it('gives each cell its own achieved sparsity when the runs of a column differ', () => {
    // The unstructured taylor run reaches 0.9 exactly; the unit runs do not.
    const table = formatCompare(compare(db, SWEEP), 'table');
    expect(table).toContain('s=90%  ');
    expect(table.match(/at 89\.84%/g)).toHaveLength(2);
  });

  it('counts a point within one granularity of --at as evaluated there, and interpolates beyond it', () => {
    const at = compare(db, SWEEP, { ...unitOnly, at: [0.8984, 0.895] });
    const byTarget = compare(db, SWEEP, unitOnly);
    at.rows.forEach((r, i) => {
      expect(r.cells[1]!.interpolated).toBe(false);
      expect(r.cells[1]!.mean).toBe(byTarget.rows[i]!.cells[1]!.mean);
      // 0.895 is 0.0034 from 115/128, more than the 0.0016 granularity.
      expect(r.cells[0]!.interpolated).toBe(true);
    });
    expect(formatCompare(at, 'table')).not.toMatch(/91\.00 ± 1\.00 ~/);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openResultsDatabase, type Db } from '@prunelab/store';
import { compare } from './compare.js';
import { parseWhere } from './where.js';
import { buildSyntheticDb, PRUNABLE, RUNS, SWEEP, TOTAL_PARAMS, type RawRun } from './test-utils/synthetic-db.js';

// Independent reference implementations, written from the definitions rather than from the library.
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sampleStd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const T975: Record<number, number> = { 1: 12.706, 2: 4.303 };
/** The run's point for target s, else linear in achieved sparsity between its neighbours. */
function linear(run: RawRun, s: number): number | undefined {
  const pts = [...run.points].sort((a, b) => a[1] - b[1]);
  for (const [t, , y] of pts) if (t === s) return y;
  for (const [, x, y] of pts) if (x === s) return y;
  for (let i = 0; i + 1 < pts.length; i++) {
    const [, x0, y0] = pts[i]!;
    const [, x1, y1] = pts[i + 1]!;
    if (x0 < s && s < x1) return y0 + ((y1 - y0) * (s - x0)) / (x1 - x0);
  }
  return undefined;
}
const done = (scorer: string) => RUNS.filter((r) => r.status === 'done' && r.scorer === scorer);

let dir: string;
let db: Db;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'prunelab-compare-'));
  db = openResultsDatabase(buildSyntheticDb(dir));
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('compare', () => {
  it('has one row per strategy and one column per target, from finished runs only', () => {
    const t = compare(db, SWEEP);
    expect(t.by).toEqual(['scorer']);
    expect(t.columns).toEqual([0.5, 0.8, 0.9]);
    expect(t.rows.map((r) => r.strategy)).toEqual(['magnitude', 'random']);
    expect(t.rows.map((r) => r.runs)).toEqual([3, 3]);
  });

  it('gives mean, sample std, n and the Student-t 95% interval (clipped to [0, 1]) over seeds, per run first', () => {
    const t = compare(db, SWEEP);
    for (const row of t.rows) {
      t.columns.forEach((s, j) => {
        const values = done(row.strategy).map((r) => linear(r, s)).filter((v): v is number => v !== undefined);
        const cell = row.cells[j]!;
        expect(cell.n).toBe(values.length);
        expect(cell.mean).toBeCloseTo(mean(values), 12);
        expect(cell.std).toBeCloseTo(sampleStd(values), 12);
        const half = (T975[values.length - 1]! * sampleStd(values)) / Math.sqrt(values.length);
        expect(cell.ci95![0]).toBeCloseTo(Math.max(0, mean(values) - half), 12);
        expect(cell.ci95![1]).toBeCloseTo(Math.min(1, mean(values) + half), 12);
        expect(cell.ciUninformative).toBe(values.length === 2);
      });
    }
  });

  it('puts magnitude seed 2, asked for 0.8, in the 0.8 column at the 0.78 it achieved', () => {
    const t = compare(db, SWEEP);
    const mag = t.rows.find((r) => r.strategy === 'magnitude')!;
    expect(mag.cells[1]!.mean).toBeCloseTo((0.945 + 0.951 + 0.962) / 3, 12);
    expect(mag.cells[1]!.interpolated).toBe(false);
    expect(mag.cells[1]!.achieved).toBeCloseTo((0.8 + 0.8 + 0.78) / 3, 12);
    expect(mag.cells[0]!.achieved).toBe(0.5);
    expect(t.interpolated).toBe(false);
    // The row's granularity is its largest target-to-achieved gap.
    expect(mag.granularity).toBeCloseTo(0.02, 12);
  });

  it('interpolates between achieved sparsities away from the targets and says so', () => {
    const t = compare(db, SWEEP, { at: [0.85] });
    const mag = t.rows.find((r) => r.strategy === 'magnitude')!;
    // Seed 2: 0.962 at 0.78, 0.94 at 0.9, so 0.962 + (0.94 - 0.962) * (0.07 / 0.12).
    const seed2 = 0.962 + ((0.94 - 0.962) * 0.07) / 0.12;
    expect(mag.cells[0]!.mean).toBeCloseTo(((0.945 + 0.91) / 2 + (0.951 + 0.93) / 2 + seed2) / 3, 12);
    expect(mag.cells[0]!.interpolated).toBe(true);
    expect(mag.cells[0]!.achieved).toBeCloseTo(0.85, 12);
    expect(t.interpolated).toBe(true);
  });

  it('interpolates from the dense point at 0 and never extrapolates past a run\'s last point', () => {
    const t = compare(db, SWEEP, { at: [0.25, 0.85] });
    const rnd = t.rows.find((r) => r.strategy === 'random')!;
    // At 0.25, halfway between dense (s=0) and s=0.5.
    const at25 = done('random').map((r) => (r.points[0]![2] + r.points[1]![2]) / 2);
    expect(rnd.cells[0]!.mean).toBeCloseTo(mean(at25), 12);
    // random seed 1 stops at 0.8: only two runs reach 0.85.
    expect(rnd.cells[1]!.n).toBe(2);
  });

  it('marks the best mean in every column', () => {
    const t = compare(db, SWEEP);
    t.columns.forEach((_, j) => {
      const means = t.rows.map((r) => r.cells[j]!.mean);
      const best = means.indexOf(Math.max(...means));
      expect(t.rows.map((r, i) => r.best.includes(j) === (i === best))).toEqual(t.rows.map(() => true));
    });
    const loss = compare(db, SWEEP, { metric: 'loss' });
    expect(loss.rows.find((r) => r.strategy === 'magnitude')!.best).toEqual([0, 1, 2]);
  });

  it('finds the highest evaluated sparsity within one point of dense accuracy, per run', () => {
    const t = compare(db, SWEEP);
    for (const row of t.rows) {
      const per = done(row.strategy).map((r) => {
        const dense = r.points[0]![2];
        return Math.max(0, ...r.points.filter(([, , a]) => a >= dense - 0.01 - 1e-12).map(([, s]) => s));
      });
      expect(row.withinTolerance!.mean).toBeCloseTo(mean(per), 12);
      expect(row.withinTolerance!.std).toBeCloseTo(sampleStd(per), 12);
    }
    // By hand: magnitude 0.8, 0.8, 0.78; random 0, 0.5, 0.
    expect(t.rows[0]!.withinTolerance!.mean).toBeCloseTo((0.8 + 0.8 + 0.78) / 3, 12);
    expect(t.rows[1]!.withinTolerance!.mean).toBeCloseTo(0.5 / 3, 12);
    const loose = compare(db, SWEEP, { tolerance: 0.05 });
    expect(loose.rows[0]!.withinTolerance!.mean).toBeCloseTo(0.9, 12);
  });

  it('computes the normalised trapezoid AUC and the compression at the top target', () => {
    const t = compare(db, SWEEP);
    for (const row of t.rows) {
      const aucs = done(row.strategy).map((r) => {
        const pts = [...r.points].sort((a, b) => a[1] - b[1]);
        let area = 0;
        for (let i = 0; i + 1 < pts.length; i++) area += ((pts[i + 1]![1] - pts[i]![1]) * (pts[i]![2] + pts[i + 1]![2])) / 2;
        return area / pts[pts.length - 1]![1];
      });
      expect(row.auc!.mean).toBeCloseTo(mean(aucs), 12);
      const comp = done(row.strategy).map((r) => {
        const last = r.points[r.points.length - 1]!;
        return TOTAL_PARAMS / (Math.round(PRUNABLE * (1 - last[1])) + TOTAL_PARAMS - PRUNABLE);
      });
      expect(row.compression!.mean).toBeCloseTo(mean(comp), 12);
    }
  });

  it('filters with --where and groups with --by', () => {
    const t = compare(db, SWEEP, { where: parseWhere('scorer=random,seed=0,seed=2') });
    expect(t.rows.map((r) => r.strategy)).toEqual(['random']);
    expect(t.rows[0]!.runs).toBe(2);
    const byBoth = compare(db, SWEEP, { by: ['scorer', 'structure'] });
    expect(byBoth.rows.map((r) => r.strategy)).toEqual(['magnitude / unstructured', 'random / unstructured']);
  });

  it('treats a --where value carrying SQL as a literal value', () => {
    for (const evil of ["magnitude' OR '1'='1", "x'); DROP TABLE runs; --", 'random" OR 1=1 --']) {
      const t = compare(db, SWEEP, { where: [{ field: 'scorer', values: [evil] }] });
      expect(t.rows).toEqual([]);
    }
    // The tables are intact and the ordinary query still answers.
    expect(compare(db, SWEEP).rows).toHaveLength(2);
  });
});

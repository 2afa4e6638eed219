import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openResultsDatabase, type Db } from '@prunelab/store';
import { plotData, plotSpec } from './plot.js';
import { renderSvg, svgToPng } from './render.js';
import { buildReport } from './report.js';
import { buildSyntheticDb, SWEEP } from './test-utils/synthetic-db.js';

let dir: string;
let db: Db;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'prunelab-report-'));
  db = openResultsDatabase(buildSyntheticDb(dir));
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('plots', () => {
  it('aggregates per strategy and target, the dense point included', () => {
    const data = plotData(db, SWEEP);
    expect(new Set(data.map((d) => d.strategy))).toEqual(new Set(['magnitude', 'random']));
    const dense = data.find((d) => d.strategy === 'random' && d.target === 0)!;
    expect(dense.mean).toBeCloseTo(0.96, 12);
    expect(dense.lo).toBeCloseTo(0.95, 12);
    expect(dense.hi).toBeCloseTo(0.97, 12);
    expect(data.find((d) => d.strategy === 'random' && d.target === 0.9)!.n).toBe(2);
  });

  it('renders one line per strategy to SVG, and a PNG from it', async () => {
    for (const x of ['sparsity', 'compression', 'flops'] as const) {
      const svg = await renderSvg(plotSpec(plotData(db, SWEEP, { x }), { x }));
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.match(/<g class="mark-line /g)).toHaveLength(2);
      expect(svg.match(/<g class="mark-area /g)).toHaveLength(2);
    }
    expect(JSON.stringify(plotSpec([], { x: 'compression' }))).toContain('"type":"log"');
    const png = svgToPng(await renderSvg(plotSpec(plotData(db, SWEEP))));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });
});

describe('report', () => {
  it('is self-contained and escapes every config and error string', async () => {
    const html = await buildReport(db, SWEEP, { generatedAt: 'fixed' });
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).toContain('&lt;script&gt;window.__pwned = 1&lt;/script&gt;');
    expect(html).toContain('worker crashed: &lt;img src=x onerror=alert(1)&gt;');
    expect(html.match(/<table class="compare"/g)).toHaveLength(2);
    expect(html.match(/<table class="heatmap"/g)).toHaveLength(2);
    expect(html.match(/<figure class="plot"/g)).toHaveLength(3);
    expect(html).toContain('Content-Security-Policy');
  });
});

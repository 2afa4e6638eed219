import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { labelKind, parseWhere } from '@prunelab/results';
import { structureLabel } from '@prunelab/runner';
import { openDatabase, openResultsDatabase, runSummaries, Writer } from '@prunelab/store';
import { main } from '../main.js';
import { runTinySweep } from '../test-utils/tiny-sweep.js';

let dir: string;
let db: string;

/** Runs the CLI in-process and captures what it prints. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prunelab-cli-results-'));
  db = (await runTinySweep(dir)).database;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('results, compare, plot, export commands', () => {
  it('results list and results runs, in every format', async () => {
    const list = await cli('results', 'list', '--db', db, '--format', 'json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ sweep: 'tiny', runs: 4, done: 4, failed: 0 })]);
    for (const format of ['table', 'markdown', 'csv', 'json']) {
      const runs = await cli('results', 'runs', '--sweep', 'tiny', '--db', db, '--format', format, '--where', 'scorer=random');
      expect(runs.code).toBe(0);
      expect(runs.stdout.match(/random/g)!.length).toBeGreaterThanOrEqual(2);
      expect(runs.stdout).not.toContain('magnitude');
    }
  });

  it('compare prints one row per strategy in each format', async () => {
    const json = await cli('compare', '--sweep', 'tiny', '--db', db, '--format', 'json', '--at', '0.5,0.7');
    expect(json.code).toBe(0);
    const t = JSON.parse(json.stdout) as { rows: Array<{ strategy: string; cells: Array<{ n: number; ci95: number[] } | null> }>; columns: number[] };
    expect(t.columns).toEqual([0.5, 0.7]);
    expect(t.rows.map((r) => r.strategy)).toEqual(['magnitude', 'random']);
    expect(t.rows[0]!.cells[0]).toMatchObject({ n: 2, ci95: [expect.any(Number), expect.any(Number)] });
    const csv = await cli('compare', '--sweep', 'tiny', '--db', db, '--format', 'csv', '--tolerance', '2', '--metric', 'loss');
    expect(csv.stdout.trim().split('\n')).toHaveLength(3);
    const md = await cli('compare', '--sweep', 'tiny', '--db', db, '--format', 'markdown', '--by', 'scorer,model');
    expect(md.stdout).toContain('| magnitude / mlp |');
  });

  it('treats an injected --where value as a literal and reports bad input with exit 2', async () => {
    const inj = await cli('compare', '--sweep', 'tiny', '--db', db, '--where', "scorer=magnitude' OR '1'='1");
    expect(inj.code).toBe(2);
    expect(inj.stderr).toContain('no finished runs matching --where');
    expect((await cli('compare', '--sweep', 'tiny', '--db', db)).code).toBe(0);
    const unknown = await cli('compare', '--sweep', 'tiny', '--db', db, '--where', 'colour=red');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^error\[E_UNKNOWN_NAME\]: .*Valid --where field names: scorer, model, scope, status, run_id, schedule, seed, backend, dataset, structure$/m,
    );
    expect((await cli('compare', '--sweep', 'nope', '--db', db)).stderr).toContain('Known sweeps: tiny');
    expect((await cli('compare', '--sweep', 'tiny', '--db', db, '--format', 'xml')).code).toBe(2);
    expect((await cli('compare', '--sweep', 'tiny', '--db', join(dir, 'missing.sqlite'))).stderr).toContain('error[E_FILE_NOT_FOUND]');
    expect((await cli('compare', '--sweep', 'tiny', '--db', db, '--by', 'colour')).code).toBe(2);
  });

  it('defaults --sweep to the only sweep, and with several lists them (exit 2)', async () => {
    const runs = await cli('results', 'runs', '--db', db, '--format', 'json');
    expect(runs.code).toBe(0);
    expect(JSON.parse(runs.stdout)).toHaveLength(4);
    expect((await cli('compare', '--db', db)).stdout).toMatch(/^tiny: test accuracy/);
    const svg = join(dir, 'out', 'default.svg');
    expect((await cli('plot', '--db', db, '--out', svg)).code).toBe(0);
    expect(existsSync(svg)).toBe(true);
    const page = join(dir, 'out', 'default.html');
    expect((await cli('report', '--db', db, '--out', page)).code).toBe(0);
    expect(readFileSync(page, 'utf8')).toContain('<title>prunelab report: tiny</title>');

    const two = join(dir, 'two.sqlite');
    copyFileSync(db, two);
    const w = openDatabase(two);
    new Writer(w).upsertSweep({ name: 'other', file: null, yaml: 'name: other\n', gitCommit: null });
    w.close();
    for (const command of [['compare'], ['plot', '--out', join(dir, 'out', 'x.svg')], ['report'], ['results', 'runs']]) {
      const r = await cli(...command, '--db', two);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^error\[E_CONFIG_INVALID\]: --sweep: the results database holds 2 sweeps: (other, tiny|tiny, other)\. Choose one with --sweep NAME/,
      );
    }
    expect((await cli('compare', '--db', two, '--sweep', 'tiny')).code).toBe(0);
  });

  it('prints accuracy in percent, labelled, wherever a user reads it', async () => {
    const view = (() => {
      const d = openResultsDatabase(db);
      try {
        return new Map(runSummaries(d, 'tiny').map((r) => [r.run_id, r.final_accuracy!]));
      } finally {
        d.close();
      }
    })();
    const runs = JSON.parse((await cli('results', 'runs', '--db', db, '--format', 'json')).stdout) as Array<{ run_id: string; final_accuracy_pct: number }>;
    for (const r of runs) expect(r.final_accuracy_pct).toBeCloseTo(view.get(r.run_id)! * 100, 9);
    expect((await cli('results', 'runs', '--db', db, '--format', 'csv')).stdout.split('\n')[0]).toContain(',final_accuracy_pct,');
    const csv = (await cli('compare', '--db', db, '--format', 'csv')).stdout.split('\n');
    const header = csv[0]!.split(',');
    expect(header).toContain('s0.9_mean_pct');
    expect(header).toContain('dense_mean_pct');
    const mean = Number(csv[1]!.split(',')[header.indexOf('s0.9_mean_pct')]);
    expect(mean).toBeGreaterThan(1);
    expect(mean).toBeLessThanOrEqual(100);
    expect((await cli('compare', '--db', db)).stdout).toContain('test accuracy (%)');
  });

  it('selects the labels the runner writes with --where, verbatim or by kind', async () => {
    // The runner's structure labels fall into the kinds --where accepts.
    const structures = [
      [{ kind: 'unstructured' }, 'unstructured'],
      [{ kind: 'n:m', n: 2, m: 4 }, 'n:m'],
      [{ kind: 'block', rows: 4, cols: 4 }, 'block'],
      [{ kind: 'unit', reduce: 'l2' }, 'unit'],
      [{ kind: 'unit', reduce: 'l1', normalize: 'layer-l2' }, 'unit'],
    ] as const;
    for (const [structure, kind] of structures) {
      const label = structureLabel(structure);
      expect(labelKind('structure', label)).toBe(kind);
      expect(parseWhere(`structure=${label}`)).toEqual([{ field: 'structure', values: [label] }]);
    }
    const byKind = await cli('results', 'runs', '--db', db, '--format', 'json', '--where', 'structure=unstructured,scorer=random,model=mlp');
    expect(JSON.parse(byKind.stdout)).toHaveLength(2);
    const quoted = await cli('results', 'runs', '--db', db, '--format', 'json', '--where', `scorer="random",schedule='one-shot'`);
    expect(JSON.parse(quoted.stdout)).toHaveLength(2);
    const bad = await cli('compare', '--db', db, '--where', 'schedule=iterative(rate=0.9');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unclosed bracket');
  });

  it('plot writes SVG and PNG; export writes CSV and JSON', async () => {
    const svg = join(dir, 'out', 'plot.svg');
    expect((await cli('plot', '--sweep', 'tiny', '--db', db, '--out', svg, '--x', 'compression')).code).toBe(0);
    expect(readFileSync(svg, 'utf8').match(/<g class="mark-line /g)).toHaveLength(2);
    const png = join(dir, 'out', 'plot.png');
    expect((await cli('plot', '--sweep', 'tiny', '--db', db, '--out', png, '--x', 'flops')).code).toBe(0);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    expect((await cli('plot', '--sweep', 'tiny', '--db', db, '--out', join(dir, 'x.gif'))).code).toBe(2);
    const points = await cli('export', '--sweep', 'tiny', '--db', db);
    // 4 runs × (dense + 3 targets) + header.
    expect(points.stdout.trim().split('\n')).toHaveLength(17);
    const runs = await cli('export', '--sweep', 'tiny', '--db', db, '--what', 'runs', '--format', 'json');
    expect(JSON.parse(runs.stdout)).toHaveLength(4);
  });
});

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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
    expect(unknown.stderr).toMatch(/^error\[E_UNKNOWN_NAME\]: .*Valid --where field names: backend, dataset, model, run_id, schedule, scope, scorer, seed, status, structure/);
    expect((await cli('compare', '--sweep', 'nope', '--db', db)).stderr).toContain('Known sweeps: tiny');
    expect((await cli('compare', '--sweep', 'tiny', '--db', db, '--format', 'xml')).code).toBe(2);
    expect((await cli('compare', '--sweep', 'tiny', '--db', join(dir, 'missing.sqlite'))).stderr).toContain('error[E_FILE_NOT_FOUND]');
    expect((await cli('compare', '--sweep', 'tiny', '--db', db, '--by', 'colour')).code).toBe(2);
    expect((await cli('results', 'runs', '--db', db)).stderr).toContain('--sweep is required');
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

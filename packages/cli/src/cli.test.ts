import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Runs the built CLI as a user would (npm test builds first).
const bin = resolve(import.meta.dirname, '../dist/bin.js');
const repo = resolve(import.meta.dirname, '../../..');

function cli(args: string[], cwd = repo) {
  const results = join(mkdtempSync(join(tmpdir(), 'prunelab-cli-')), 'results');
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, PRUNELAB_RESULTS: results } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, results };
}

function sweepFile(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'prunelab-cli-'));
  const f = join(dir, 'bad.yaml');
  writeFileSync(f, yaml);
  return f;
}

const GOOD = `dataset: mnist
model: { name: mlp, preset: lenet-300-100 }
scorer: magnitude
prune: { sparsities: [0.5, 0.9] }
`;

describe('prunelab CLI', () => {
  it('--help lists the commands', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    for (const c of ['run', 'compare', 'list', 'schema']) expect(r.stdout).toContain(c);
  });

  it('list scorers --format json gives name, family, granularities, description, options', () => {
    const r = cli(['list', 'scorers', '--format', 'json']);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((x) => x.name)).toContain('magnitude');
    for (const row of rows) expect(Object.keys(row).sort()).toEqual(['description', 'family', 'granularities', 'name', 'options']);
    // Each entry's options as JSON Schema (every option of every entry: commands/schema.test.ts).
    expect(rows.find((x) => x.name === 'fisher')?.options).toMatchObject({ type: 'object', properties: { batches: { type: 'integer' } } });
  });

  it('schema prints a JSON Schema that knows the run keys, and the committed sweep.schema.json is current', () => {
    const r = cli(['schema']);
    const schema = JSON.parse(r.stdout) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['grid', 'seeds', 'prune', 'scorer', 'dataset']));
    // Editors read the committed file: regenerate it with `prunelab schema > sweep.schema.json`.
    expect(JSON.parse(readFileSync(join(repo, 'sweep.schema.json'), 'utf8'))).toEqual(schema);
  });

  describe.each([
    ['a missing file', () => '/no/such/sweep.yaml', /error\[E_FILE_NOT_FOUND\]: \/no\/such\/sweep\.yaml: file not found/],
    ['invalid YAML', () => sweepFile('prune: [\n'), /error\[E_YAML_PARSE\]: .*bad\.yaml:\d+:\d+: invalid YAML/],
    [
      'an unknown scorer',
      () => sweepFile(GOOD.replace('scorer: magnitude', 'scorer: magnitood')),
      /error\[E_UNKNOWN_NAME\]: .*bad\.yaml:3:\d+: scorer: unknown scorer "magnitood"\. Valid scorer names: /,
    ],
    [
      'an unknown dataset',
      () => sweepFile(GOOD.replace('dataset: mnist', 'dataset: mnits')),
      /error\[E_UNKNOWN_NAME\]: .*bad\.yaml:1:\d+: dataset: unknown dataset "mnits"\. Valid dataset names: .*fashion-mnist/,
    ],
    [
      'a sparsity of 1',
      () => sweepFile(GOOD.replace('[0.5, 0.9]', '[0.5, 1]')),
      /error\[E_CONFIG_INVALID\]: .*bad\.yaml:4:\d+: prune\.sparsities\[1\]: .*\(got 1\)/,
    ],
    ['a negative sparsity', () => sweepFile(GOOD.replace('[0.5, 0.9]', '[-0.1]')), /prune\.sparsities\[0\]: .*\(got -0\.1\)/],
  ])('bad input: %s', (_name, file, message) => {
    it('prints one line naming the file and key, exits 2 and writes nothing', () => {
      const r = cli(['run', file()]);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(existsSync(r.results)).toBe(false);
    });
  });

  it('an unknown command lists the valid ones and exits 2', () => {
    const r = cli(['rnu']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Valid commands: run, /);
  });
});

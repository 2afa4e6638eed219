import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '@prunelab/store';
import { BASE, put, type BadInput } from './case.js';
import { BIN, HEAP_LIMIT_MB, TIME_LIMIT_MS, changes, limiter, runCli, snapshot } from './harness.js';
import { configCases } from './cases/config.js';
import { dataCases } from './cases/data.js';
import { databaseCases } from './cases/database.js';
import { flagCases } from './cases/flags.js';
import { MODEL_TOPOLOGY, MODEL_WEIGHTS, modelCases, modelFolder } from './cases/model.js';
import { setCases } from './cases/set.js';
import { yamlCases } from './cases/yaml.js';

/**
 * The bad-input corpus (issue 14): every case runs through the real CLI, each
 * in its own process and fresh folder, and must
 *  - exit with status 2 (a user error), within the time limit;
 *  - print no stack trace and no "internal error", and end in one
 *    `error[E_...]` line that matches the case (its file:line:col where the
 *    input has one);
 *  - create, change or remove nothing in its folder: no results folder, no
 *    half-written database, no file named by an injected command.
 */
const CASES: ReadonlyArray<readonly [string, readonly BadInput[]]> = [
  ['YAML', yamlCases],
  ['config values', configCases],
  ['--set', setCases],
  ['flags', flagCases],
  ['data files', dataCases],
  ['model files', modelCases],
  ['database files', databaseCases],
];
const ALL = CASES.flatMap(([, cases]) => cases);

const root = mkdtempSync(join(tmpdir(), 'prunelab-bad-input-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const caseDir = () => mkdtempSync(join(root, `c${n++}-`));

// Each case is its own node process (0.3-1 s of start-up on the 2-core machine); three at a time.
const slot = limiter(3);
const CASE_TIMEOUT = TIME_LIMIT_MS * 4;

describe('the bad-input corpus', () => {
  it('has at least 120 cases with distinct names, across every kind of input', () => {
    expect(ALL.length).toBeGreaterThanOrEqual(120);
    expect(new Set(ALL.map((c) => c.name)).size).toBe(ALL.length);
    for (const [kind, cases] of CASES) expect(cases.length, kind).toBeGreaterThan(0);
    expect(existsSync(BIN), `build the CLI first: npx tsc -b packages/cli (${BIN})`).toBe(true);
  });

  // Controls: the fixtures the cases break are valid, so each case fails for the reason it names.
  it.concurrent(
    'controls: the base sweep, the tfjs model fixture and an empty results database are accepted, and extends: finds the project configs/ from any folder',
    async () => {
      const sweepDir = caseDir();
      put(sweepDir, 'sweep.yaml', BASE);
      const modelDir = caseDir();
      modelFolder({ modelTopology: MODEL_TOPOLOGY, weightsManifest: [{ paths: ['weights.bin'], weights: MODEL_WEIGHTS }] })(modelDir);
      const dbDir = caseDir();
      openDatabase(join(dbDir, 'ok.sqlite')).close();
      // Issue 13: a sweep outside the repository, run from its own folder, extends the project's configs/training/.
      const extendsDir = caseDir();
      put(extendsDir, 'sweep.yaml', `extends: [training/lottery-adam.yaml]\n${BASE}`);
      const [a, b, c, d] = await Promise.all([
        slot(() => runCli(['run', 'sweep.yaml', '--dry-run'], sweepDir)),
        slot(() => runCli(['run', 'sweep.yaml', '--dry-run'], modelDir)),
        slot(() => runCli(['results', 'list', '--db', 'ok.sqlite'], dbDir)),
        slot(() => runCli(['run', 'sweep.yaml', '--dry-run'], extendsDir)),
      ]);
      expect(a.status, `base sweep: ${a.stderr}`).toBe(0);
      expect(b.status, `tfjs model: ${b.stderr}`).toBe(0);
      expect(c.status, `results database: ${c.stderr}`).toBe(0);
      expect(d.status, `extends from another folder: ${d.stderr}`).toBe(0);
      expect(existsSync(join(sweepDir, 'results')), 'dry-run writes nothing').toBe(false);
    },
    CASE_TIMEOUT,
  );

  for (const [kind, cases] of CASES) {
    describe(kind, () => {
      it.concurrent.each(cases.map((c) => [c.name, c] as const))(
        '%s',
        async (_name, c) => {
          const dir = caseDir();
          c.setup?.(dir);
          const before = snapshot(dir);
          const r = await slot(() => runCli(c.args, dir));
          const show = `prunelab ${c.args.map((a) => JSON.stringify(a)).join(' ')}\n--- stderr\n${r.stderr}--- stdout\n${r.stdout.slice(0, 2000)}`;
          expect(r.signal, `killed after the ${TIME_LIMIT_MS / 1000} s limit (or past the ${HEAP_LIMIT_MB} MB heap): ${show}`).toBeNull();
          expect(r.status, show).toBe(2);
          expect(`${r.stderr}${r.stdout}`, `a stack trace reached the user: ${show}`).not.toMatch(/^\s+at .+[:(]\d+/m);
          expect(r.stderr, show).not.toMatch(/internal error/);
          const last = r.stderr.trim().split('\n').at(-1) ?? '';
          expect(last, show).toMatch(/^error\[E_[A-Z_]+\]: /);
          expect(last, show).toMatch(c.message);
          expect(changes(before, snapshot(dir)), `${show}\n--- the folder changed`).toEqual([]);
          rmSync(dir, { recursive: true, force: true });
        },
        CASE_TIMEOUT,
      );
    });
  }
});

describe('output that is not a bad input', () => {
  it.concurrent(
    'a reader that closes the pipe early (prunelab run --dry-run | head -n 1) ends the output quietly',
    async () => {
      const dir = caseDir();
      // 3,000 runs print about 200 KiB, more than a pipe holds, so later writes meet the closed pipe.
      put(dir, 'sweep.yaml', `${BASE}grid:\n  seed: [${Array.from({ length: 3000 }, (_, i) => i).join(', ')}]\n`);
      const r = await slot(async () =>
        spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" run sweep.yaml --dry-run | head -n 1; echo "prunelab exit \${PIPESTATUS[0]}" >&2`], {
          cwd: dir,
          encoding: 'utf8',
          timeout: TIME_LIMIT_MS,
        }),
      );
      expect(r.stdout.split('\n')[0]).toMatch(/^[0-9a-f]{16} {2}to run/);
      expect(r.stderr).not.toMatch(/EPIPE|^\s+at |internal error/m);
      expect(r.stderr).toMatch(/prunelab exit 0$/m);
      expect(readdirSync(dir)).toEqual(['sweep.yaml']);
    },
    CASE_TIMEOUT,
  );

  it.concurrent(
    'the query line that run prints quotes the database path, so pasting it runs nothing else',
    async () => {
      const dir = caseDir();
      put(dir, 'sweep.yaml', BASE);
      const results = "res '$(touch PWNED)'";
      const r = await slot(() => runCli(['run', 'sweep.yaml', '--results', results, '-j', '1', '--no-gpu'], dir));
      expect(r.status, r.stderr).toBe(0);
      const query = r.stdout.split('\n').find((l) => l.startsWith('query:'));
      expect(query).toBeDefined();
      // Paste it into a shell, with sqlite3 replaced by a function that prints its arguments.
      const pasted = spawnSync('bash', ['-c', `sqlite3() { printf '%s\\n' "$@"; }; ${query!.replace(/^query:\s+/, '')}`], { cwd: dir, encoding: 'utf8' });
      expect(pasted.stdout.split('\n').slice(0, 2)).toEqual([
        join(dir, results, 'prunelab.sqlite'),
        "select scorer, sparsity, avg(accuracy) from curve_points where sweep = 'bad-input' group by 1, 2",
      ]);
      expect(existsSync(join(dir, 'PWNED'))).toBe(false);
    },
    CASE_TIMEOUT,
  );
});

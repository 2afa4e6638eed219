import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPrunelabError, type PrunelabError } from '@prunelab/core';
import { runId } from './identity.js';
import { loadSweep } from './load.js';
import { runConfigSchema } from './schema.js';
import { tempDir, trainOf, writeSweep, TINY_SWEEP } from '../test-utils/fixtures.js';

const repo = resolve(import.meta.dirname, '../../../..');

function loadError(yaml: string, set?: string[]): PrunelabError {
  const file = writeSweep(tempDir(), yaml);
  try {
    loadSweep(file, set ? { set } : {});
  } catch (e) {
    if (isPrunelabError(e)) return e;
    throw e;
  }
  throw new Error('expected loadSweep to fail');
}

describe('loadSweep', () => {
  it('expands the quickstart into scorer x seed runs with extends applied', () => {
    const s = loadSweep(join(repo, 'experiments/quickstart.yaml'), { configsDir: join(repo, 'configs') });
    expect(s.name).toBe('quickstart');
    expect(s.runs.map((r) => [r.config.scorer.name, r.config.seed])).toEqual([
      ['magnitude', 0],
      ['magnitude', 1],
      ['random', 0],
      ['random', 1],
    ]);
    const c = s.runs[0]!.config;
    expect(c.model).toEqual({ name: 'mlp', preset: 'lenet-300-100', hidden: [300, 100] });
    expect(c.dataset).toMatchObject({ name: 'mnist', valSize: 5000, trainSize: 20000 });
    expect(c.finetune.lr).toBe(1.2e-4);
    expect(c.prune.sparsities.length).toBeGreaterThanOrEqual(5);
  });

  it('applies zip axes pairwise and grid axes as a product', () => {
    const s = loadSweep(writeSweep(tempDir(), `${TINY_SWEEP.replace('seeds: [0, 1]\n', '')}zip:\n  train.lr: [0.1, 0.01]\n  train.epochs: [1, 2]\n`));
    expect(s.runs.map((r) => [r.config.scorer.name, trainOf(r.config).lr, trainOf(r.config).epochs])).toEqual([
      ['magnitude', 0.1, 1],
      ['magnitude', 0.01, 2],
      ['random', 0.1, 1],
      ['random', 0.01, 2],
    ]);
  });

  it('samples random: axes reproducibly from their seed', () => {
    const yaml = `${TINY_SWEEP.replace('seeds: [0, 1]\n', '')}random:\n  n: 3\n  seed: 7\n  params:\n    train.lr: { dist: loguniform, low: 1.0e-4, high: 1.0e-1 }\n    finetune.epochs: { dist: choice, values: [1, 2] }\n`;
    const a = loadSweep(writeSweep(tempDir(), yaml));
    const b = loadSweep(writeSweep(tempDir(), yaml));
    expect(a.runs).toHaveLength(2 * 3);
    const lrs = a.runs.map((r) => trainOf(r.config).lr);
    expect(lrs).toEqual(b.runs.map((r) => trainOf(r.config).lr));
    for (const lr of lrs) {
      expect(lr).toBeGreaterThanOrEqual(1e-4);
      expect(lr).toBeLessThanOrEqual(1e-1);
    }
    expect(new Set(lrs).size).toBe(3);
    for (const r of a.runs) expect([1, 2]).toContain(r.config.finetune.epochs);
  });

  it('labels a plug-in with its non-default options, so a control never shares a row with its treatment', () => {
    const yaml = TINY_SWEEP.replace('seeds: [0, 1]\n', '') + 'schedule: { name: iterative, rewind: init }\nzip:\n  schedule.reinit: [false, true]\n';
    const s = loadSweep(writeSweep(tempDir(), yaml));
    expect([...new Set(s.runs.map((r) => r.labels.schedule))]).toEqual(['iterative(rewind=init)', 'iterative(reinit=true, rewind=init)']);
    expect(s.runs.map((r) => r.labels.scorer)).toContain('magnitude');
  });

  it('types --set values by YAML and applies them before expansion', () => {
    const s = loadSweep(writeSweep(tempDir(), TINY_SWEEP), { set: ['train.lr=0.5', 'seeds=[7]', 'prune.scope=layerwise'] });
    expect(s.runs.map((r) => r.config.seed)).toEqual([7, 7]);
    expect(trainOf(s.runs[0]!.config).lr).toBe(0.5);
    expect(s.runs[0]!.config.prune.scope).toBe('layerwise');
  });

  it('parses structure shorthands and fills structure defaults from the registry', () => {
    const s = loadSweep(writeSweep(tempDir(), TINY_SWEEP), { set: ['prune.structure=2:4'] });
    expect(s.runs[0]!.config.prune.structure).toEqual({ kind: 'n:m', n: 2, m: 4 });
    expect(s.runs[0]!.labels.structure).toBe('2:4');
    const u = loadSweep(writeSweep(tempDir(), TINY_SWEEP), { set: ['prune.structure=unit'] });
    expect(u.runs[0]!.config.prune.structure).toEqual({ kind: 'unit', reduce: 'l2' });
  });

  it('unit normalize: layer-l2 is carried to the projection and labelled; none is the default and leaves the run id alone', () => {
    const load = (set: string) => loadSweep(writeSweep(tempDir(), TINY_SWEEP), { set: [set] }).runs[0]!;
    const norm = load('prune.structure={kind: unit, normalize: layer-l2}');
    expect(norm.config.prune.structure).toEqual({ kind: 'unit', reduce: 'l2', normalize: 'layer-l2' });
    expect(norm.labels.structure).toBe('unit-l2-layernorm');
    const plain = load('prune.structure=unit');
    const none = load('prune.structure={kind: unit, normalize: none}');
    expect(none.config.prune.structure).toEqual(plain.config.prune.structure);
    expect(runId(none.config, 'x')).toBe(runId(plain.config, 'x'));
    expect(runId(norm.config, 'x')).not.toBe(runId(plain.config, 'x'));
    const e = loadError(TINY_SWEEP, ['prune.structure={kind: unit, normalize: l1}']);
    expect(e.code).toBe('E_CONFIG_INVALID');
    expect(e.message).toMatch(/prune\.structure\.normalize/);
  });

  it('an unknown structure lists the valid ones', () => {
    const e = loadError(TINY_SWEEP, ['prune.structure=blocky']);
    expect(e.code).toBe('E_UNKNOWN_NAME');
    expect(e.message).toMatch(/unknown structure "blocky".*Valid structure names: block, n:m, unit, unstructured/);
  });

  it("a schedule option the run's prune spec contradicts is refused at load, at the option", () => {
    const e = loadError(`${TINY_SWEEP}schedule: { name: iterative, ratePerLayer: { dense2: 0.1 } }\n`, ['prune.scope={perLayer: {dense1: 0.5}}']);
    expect(e.code).toBe('E_CONFIG_INVALID');
    expect(e.message).toMatch(
      /sweep\.yaml:10:\d+: schedule\.ratePerLayer: ratePerLayer sets a per-layer scope of its own, and prune\.scope gives another\. Give the per-layer rates with ratePerLayer only/,
    );
  });

  it('a unit-only scorer with unstructured pruning is refused', () => {
    const e = loadError(TINY_SWEEP.replace('[magnitude, random]', '[magnitude, apoz]'));
    expect(e.message).toMatch(/scorer "apoz" scores units, but structure "unstructured" needs weight scores/);
  });
});

describe('plug-in options are validated once, by the config schema', () => {
  const run = (o: Record<string, unknown>) => ({ dataset: 'mnist', model: 'mlp', scorer: 'magnitude', prune: { sparsities: [0.5] }, ...o });

  it('a parsed config holds each plug-in with its parsed options, and the projection structure, for the worker to use as they are', () => {
    const c = runConfigSchema.parse(run({ schedule: 'iterative', prune: { sparsities: [0.5], structure: '2:4' } }));
    expect(c.schedule).toEqual({ name: 'iterative', rate: 0.2, rewind: 'none', reinit: false });
    expect(c.prune.structure).toEqual({ kind: 'n:m', n: 2, m: 4 });
    expect(runConfigSchema.parse(run({ prune: { sparsities: [0.5], structure: { kind: 'unit' } } })).prune.structure).toEqual({ kind: 'unit', reduce: 'l2' });
    expect(runConfigSchema.parse(run({})).schedule).toEqual({ name: 'one-shot' });
  });

  it('the schema itself refuses an unknown name or a bad option of any plug-in slot', () => {
    const refused = (o: Record<string, unknown>) => runConfigSchema.safeParse(run(o)).success === false;
    expect(refused({ scorer: 'magnitood' })).toBe(true);
    expect(refused({ dataset: { name: 'imagenet' } })).toBe(true);
    expect(refused({ model: { name: 'mlp', hiden: [4] } })).toBe(true);
    expect(refused({ schedule: { name: 'iterative', rate: 2 } })).toBe(true);
    expect(refused({ prune: { sparsities: [0.5], structure: { kind: 'block', rows: 0, cols: 2 } } })).toBe(true);
    expect(refused({ prune: { sparsities: [0.5], structure: 'blocky' } })).toBe(true);
  });

  it("a shorthand structure's bad option names the option and its value", () => {
    expect(loadError(TINY_SWEEP, ['prune.structure=5:4']).message).toMatch(/sweep\.yaml:6:\d+: prune\.structure\.n: n must be at most m \(got 5\)/);
    expect(loadError(TINY_SWEEP, ['prune.structure=0:4']).message).toMatch(/prune\.structure\.n: .*\(got 0\)/);
  });

  it('an unknown name is reported at the name, with the valid ones', () => {
    const e = loadError(TINY_SWEEP, ['prune.structure={kind: blocky, rows: 2}']);
    expect(e.code).toBe('E_UNKNOWN_NAME');
    expect(e.message).toMatch(/prune\.structure\.kind: unknown structure "blocky"\. Valid structure names: [a-z:, ]+ \(or 'N:M' such as '2:4'\)$/);
    const s = loadError(TINY_SWEEP, ['schedule={name: two-shot}']);
    expect(s.code).toBe('E_UNKNOWN_NAME');
    expect(s.message).toMatch(/schedule\.name: unknown schedule "two-shot"\. Valid schedule names: [a-z-, ]+$/);
    for (const name of ['admm', 'gradual', 'iterative', 'one-shot']) expect(s.message).toContain(name);
  });
});

describe('loadSweep errors', () => {
  it('a missing file names the file', () => {
    try {
      loadSweep('/nonexistent/sweep.yaml');
      expect.unreachable();
    } catch (e) {
      expect((e as PrunelabError).code).toBe('E_FILE_NOT_FOUND');
      expect((e as Error).message).toContain('/nonexistent/sweep.yaml');
    }
  });

  it('invalid YAML gives file:line:column', () => {
    const e = loadError('name: x\nprune: { sparsities: [0.5\n');
    expect(e.code).toBe('E_YAML_PARSE');
    expect(e.message).toMatch(/sweep\.yaml:\d+:\d+: invalid YAML/);
  });

  it('an unknown scorer in a grid points at the axis and lists valid names', () => {
    const e = loadError(TINY_SWEEP.replace('[magnitude, random]', '[magnitude, magnitud]'));
    expect(e.code).toBe('E_UNKNOWN_NAME');
    expect(e.message).toMatch(/sweep\.yaml:8:\d+: scorer: unknown scorer "magnitud"\. Valid scorer names: .*magnitude.*random/);
    expect(e.message.split('\n')).toHaveLength(1);
  });

  it('an unknown dataset lists the valid datasets', () => {
    const e = loadError(TINY_SWEEP.replace('name: synthetic, kind: blobs, dims: 8, classes: 3, ', 'name: imagenet, '));
    expect(e.code).toBe('E_UNKNOWN_NAME');
    expect(e.message).toMatch(/sweep\.yaml:2:\d+: dataset\.name: unknown dataset "imagenet"\. Valid dataset names: .*mnist/);
  });

  it('a sparsity outside [0, 1) names the key, the value and the line', () => {
    const e = loadError(TINY_SWEEP.replace('[0.5, 0.9]', '[0.5, 1.2]'));
    expect(e.code).toBe('E_CONFIG_INVALID');
    expect(e.message).toMatch(/sweep\.yaml:6:\d+: prune\.sparsities\[1\]: .*\[0, 1\).*\(got 1\.2\)/);
  });

  it('an unknown key is named', () => {
    const e = loadError(TINY_SWEEP.replace('train: {', 'train: { lrr: 3,'));
    expect(e.message).toMatch(/train: unknown key "lrr"/);
  });

  it('a bad plug-in option names the plug-in key path', () => {
    const e = loadError(TINY_SWEEP.replace('hidden: [16]', 'hidden: [-1]'));
    expect(e.code).toBe('E_CONFIG_INVALID');
    expect(e.message).toMatch(/model\.hidden\[0\]/);
  });

  it('a malformed --set is a user error', () => {
    const e = loadError(TINY_SWEEP, ['train.lr']);
    expect(e.message).toMatch(/--set expects path=value/);
  });
});

describe('loadSweep: every bad input is a user error with its position (issue 14)', () => {
  it('YAML that cannot become plain data: an undefined alias, an alias bomb, an unknown tag', () => {
    expect(loadError(`${TINY_SWEEP}description: *nope\n`).message).toMatch(/sweep\.yaml:10:14: alias \*nope refers to no anchor/);
    const laughs = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...'bcdefg'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`),
    ].join('\n');
    expect(loadError(`${laughs}\n${TINY_SWEEP}`).message).toMatch(/sweep\.yaml:2:\d+: aliases expand more than 100 times \(an alias bomb\)/);
    expect(loadError(TINY_SWEEP.replace('scorer: [magnitude, random]', 'scorer: !python/object [magnitude]')).message).toMatch(
      /sweep\.yaml:8:11: unknown YAML tag !python\/object\. Remove the tag/,
    );
    expect(loadError(TINY_SWEEP.replace('name: tiny', 'name: !!binary dGlueQ==')).message).toMatch(/unknown YAML tag !!binary/);
  });

  it('an empty file says so, and a missing plug-in key says which and how to add it', () => {
    expect(loadError('').message).toMatch(/sweep\.yaml: the sweep file is empty\. Give at least dataset/);
    expect(loadError('# only a comment\n').message).toMatch(/the sweep file is empty/);
    expect(loadError('- a\n- b\n').message).toMatch(/sweep\.yaml:1:1: a sweep file must be a mapping of keys to values, not a list/);
    expect(loadError(TINY_SWEEP.replace(/^dataset: .*\n/m, '')).message).toMatch(/dataset: required, but missing\. Add dataset, e\.g\. dataset: mnist/);
  });

  it('a folder or a device as the sweep file is refused without reading it', () => {
    const dir = tempDir();
    for (const f of [dir, '/dev/zero']) {
      try {
        loadSweep(f);
        expect.unreachable();
      } catch (e) {
        expect((e as PrunelabError).code).toBe('E_CONFIG_INVALID');
        expect((e as Error).message).toMatch(/cannot read this as a YAML file: it is (a folder|a character device)/);
      }
    }
  });

  it('extends: a folder, a device, a list or a missing file is reported at the extends entry', () => {
    const dir = tempDir();
    writeSweep(dir, '- a\n- b\n', 'list.yaml');
    const at = (target: string) => loadError(`extends: [${target}]\n${TINY_SWEEP}`);
    expect(at(dir).message).toMatch(/sweep\.yaml:1:11: extends\[0\]: base config .* is a folder, not a file/);
    expect(at('/dev/zero').message).toMatch(/sweep\.yaml:1:11: extends\[0\]: base config \/dev\/zero is a character device, not a regular file/);
    expect(at(join(dir, 'list.yaml')).message).toMatch(
      /sweep\.yaml:1:11: extends\[0\]: base config .*list\.yaml must be a mapping of keys to values, not a list/,
    );
    const missing = loadError(`extends: nope/nothing.yaml\n${TINY_SWEEP}`);
    expect(missing.message).toMatch(
      /sweep\.yaml:1:10: extends: base config "nope\/nothing\.yaml" not found; looked for .*nope\/nothing\.yaml, .*configs\/nope\/nothing\.yaml/,
    );
  });

  it('extends finds the project configs/ from a sweep in any folder, whatever the working directory', () => {
    const dir = tempDir();
    const file = writeSweep(dir, `extends: [datasets/mnist.yaml, models/lenet-300-100.yaml]\nscorer: magnitude\nprune: { sparsities: [0.5] }\n`);
    const cwd = process.cwd();
    try {
      process.chdir(tempDir());
      const s = loadSweep(file);
      expect(s.runs[0]!.config.dataset.name).toBe('mnist');
      expect(s.runs[0]!.config.model).toMatchObject({ name: 'mlp', preset: 'lenet-300-100' });
    } finally {
      process.chdir(cwd);
    }
  });

  it('a sweep name taken from the file name follows the name rule', () => {
    const file = writeSweep(tempDir(), TINY_SWEEP.replace('name: tiny\n', ''), "q'$(touch PWNED)'.yaml");
    try {
      loadSweep(file);
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(
        /name: invalid sweep name: use letters, digits.* \(got "q'\$\(touch PWNED\)'"\)\. Rename the file, or set name: in it/,
      );
    }
    expect(loadError(TINY_SWEEP.replace('name: tiny', 'name: ../../escaped')).message).toMatch(/sweep\.yaml:1:7: name: /);
  });

  it('duplicate or decreasing sparsities are refused with the sorted list as the fix', () => {
    expect(loadError(TINY_SWEEP.replace('[0.5, 0.9]', '[0.5, 0.9, 0.9]')).message).toMatch(
      /sweep\.yaml:6:\d+: prune\.sparsities\[2\]: sparsity 0\.9 is listed twice .*\(got 0\.9\)\. Write \[0\.5, 0\.9\]/,
    );
    expect(loadError(TINY_SWEEP.replace('[0.5, 0.9]', '[0.9, 0.5]')).message).toMatch(
      /prune\.sparsities\[1\]: sparsities must increase: 0\.5 comes after 0\.9 \(got 0\.5\)\. Write \[0\.5, 0\.9\]/,
    );
  });

  it('zip lists of unequal length give the line of the zip', () => {
    const e = loadError(`${TINY_SWEEP}zip:\n  train.lr: [0.1, 0.01]\n  train.epochs: [1, 2, 3]\n`);
    expect(e.message).toMatch(/sweep\.yaml:12:\d+: zip\.train\.epochs: zip lists must have equal lengths/);
  });

  it('axes that multiply out past MAX_RUNS are refused before any run is built', () => {
    const values = `[${Array.from({ length: 50 }, (_, i) => i).join(', ')}]`;
    const e = loadError(
      `${TINY_SWEEP}grid:\n  seed: ${values}\n  train.epochs: ${values.replace(/\d+/g, (d) => String(Number(d) + 1))}\n  finetune.epochs: ${values.replace(/\d+/g, (d) => String(Number(d) + 1))}\n`.replace(
        'grid:\n  scorer: [magnitude, random]\n',
        '',
      ),
    );
    expect(e.message).toMatch(/the axes expand to 250,000 runs, more than the 100,000/);
  });

  it('--set cannot reach Object.prototype', () => {
    expect(loadError(TINY_SWEEP, ['__proto__.polluted=1']).message).toMatch(/"__proto__" cannot be a config key/);
    expect(loadError(TINY_SWEEP, ['constructor.prototype.polluted=1']).message).toMatch(/cannot be a config key/);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('epochs and batch sizes have upper bounds', () => {
    expect(loadError(TINY_SWEEP, ['train.epochs=1e12']).message).toMatch(/train\.epochs: .*\(got 1000000000000\)\. See `prunelab schema`/);
    expect(loadError(TINY_SWEEP, ['finetune.batchSize=1e15']).message).toMatch(/finetune\.batchSize: /);
  });
});

import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPrunelabError, type PrunelabError } from '@prunelab/core';
import { runId } from './identity.js';
import { loadSweep } from './load.js';
import { tempDir, writeSweep, TINY_SWEEP } from '../test-utils/fixtures.js';

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
    const s = loadSweep(
      writeSweep(
        tempDir(),
        `${TINY_SWEEP.replace('seeds: [0, 1]\n', '')}zip:\n  train.lr: [0.1, 0.01]\n  train.epochs: [1, 2]\n`,
      ),
    );
    expect(s.runs.map((r) => [r.config.scorer.name, r.config.train.lr, r.config.train.epochs])).toEqual([
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
    const lrs = a.runs.map((r) => r.config.train.lr);
    expect(lrs).toEqual(b.runs.map((r) => r.config.train.lr));
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
    expect(s.runs[0]!.config.train.lr).toBe(0.5);
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

  it('a unit-only scorer with unstructured pruning is refused', () => {
    const e = loadError(TINY_SWEEP.replace('[magnitude, random]', '[magnitude, apoz]'));
    expect(e.message).toMatch(/scorer "apoz" scores units, but structure "unstructured" needs weight scores/);
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

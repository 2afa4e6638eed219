import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalConfig, denseKey, runId } from './identity.js';
import { loadSweep } from './load.js';
import { runConfigSchema } from './schema.js';

const repo = resolve(import.meta.dirname, '../../../..');
const CHECKSUM = 'fixed-checksum-for-tests';

function config(overrides: Record<string, unknown> = {}) {
  return runConfigSchema.parse({
    dataset: { name: 'mnist', valSize: 5000, trainSize: 20000 },
    model: { name: 'mlp', preset: 'lenet-300-100' },
    scorer: 'magnitude',
    prune: { sparsities: [0.5, 0.9] },
    ...overrides,
  });
}

describe('run identity', () => {
  it('canonical config leaves out defaults and execution-only keys', () => {
    expect(canonicalConfig(config({ backend: 'cpu', lane: 'cpu', seed: 0 }))).toEqual({
      dataset: { name: 'mnist', trainSize: 20000 }, // valSize 5000 is the default
      model: { name: 'mlp', preset: 'lenet-300-100' },
      scorer: { name: 'magnitude' },
      schedule: { name: 'one-shot' },
      prune: { sparsities: [0.5, 0.9] },
    });
  });

  it('writing a default explicitly does not change the id', () => {
    const a = runId(config(), CHECKSUM);
    const b = runId(config({ train: { lr: 1.2e-3, optimizer: 'adam' }, seed: 0, schedule: { name: 'one-shot' } }), CHECKSUM);
    expect(b).toBe(a);
  });

  it('the backend and lane do not change the id; the seed, lr and data do', () => {
    const a = runId(config(), CHECKSUM);
    expect(runId(config({ backend: 'wasm' }), CHECKSUM)).toBe(a);
    expect(runId(config({ seed: 1 }), CHECKSUM)).not.toBe(a);
    expect(runId(config({ train: { lr: 0.01 } }), CHECKSUM)).not.toBe(a);
    expect(runId(config(), 'other-data')).not.toBe(a);
  });

  it('the learning-rate schedule and augmentation keep every id at their defaults, and change the ids they concern when set', () => {
    const a = runId(config(), CHECKSUM);
    const d = denseKey(config(), CHECKSUM);
    const defaults = { lrSchedule: { kind: 'constant', warmupEpochs: 0 }, augment: { crop: 0, flip: false } };
    expect(runId(config({ train: defaults, finetune: defaults }), CHECKSUM)).toBe(a);
    expect(denseKey(config({ train: defaults }), CHECKSUM)).toBe(d);
    const cifar = { lrSchedule: { kind: 'cosine' }, augment: { crop: 4, flip: true } };
    expect(runId(config({ train: cifar }), CHECKSUM)).not.toBe(a);
    expect(denseKey(config({ train: cifar }), CHECKSUM)).not.toBe(d);
    expect(runId(config({ finetune: { lrSchedule: { kind: 'step', milestones: [1] } } }), CHECKSUM)).not.toBe(a);
    expect(denseKey(config({ finetune: cifar }), CHECKSUM)).toBe(d);
  });

  it('dense keys ignore everything after dense training', () => {
    const a = denseKey(config(), CHECKSUM);
    expect(denseKey(config({ scorer: 'random', prune: { sparsities: [0.99] }, finetune: { epochs: 3 } }), CHECKSUM)).toBe(a);
    expect(denseKey(config({ seed: 1 }), CHECKSUM)).not.toBe(a);
  });

  it('ADMM keeps its training budget rule in the id, even at the default', () => {
    expect(canonicalConfig(config({ schedule: { name: 'admm' } }))['schedule']).toEqual({ name: 'admm', budget: 'shared' });
    expect(canonicalConfig(config({ schedule: { name: 'admm', budget: 'shared' } }))['schedule']).toEqual({ name: 'admm', budget: 'shared' });
    expect(canonicalConfig(config({ schedule: { name: 'admm', budget: 'extra', iterations: 3 } }))['schedule']).toEqual({
      name: 'admm',
      budget: 'extra',
      iterations: 3,
    });
  });

  it('pins the ADMM ids, which changed when ADMM began to fit the common budget', () => {
    // Changed on purpose: ADMM used to train an extra budget per target; by default it now shares the common one
    // (a49cf03c372e65c6 and d1d749a93fd6e418 before), so earlier ADMM results are never reused for the new behaviour.
    expect(runId(config({ schedule: { name: 'admm' } }), CHECKSUM)).toMatchInlineSnapshot(`"4ca8d9bac6a0d576"`);
    expect(runId(config({ schedule: { name: 'admm', iterations: 3 } }), CHECKSUM)).toMatchInlineSnapshot(`"5f1170e184f5d2ab"`);
    expect(runId(config({ schedule: { name: 'admm', budget: 'extra' } }), CHECKSUM)).toMatchInlineSnapshot(`"db64b61343db1416"`);
  });

  it('pins the lottery smoke ids: the ticket and the older reinit control keep theirs next to reinit: ticket', () => {
    const sweep = loadSweep(join(repo, 'experiments/lottery2019-lenet300-smoke.yaml'), { configsDir: join(repo, 'configs') });
    const ids = sweep.runs.map((r) => `${String(r.config.schedule['reinit'])}/${r.config.seed}: ${runId(r.config, CHECKSUM)}`);
    expect(ids).toMatchInlineSnapshot(`
      [
        "false/0: dc5317864f523648",
        "false/1: d1e4cf75aefc4974",
        "false/2: c0a5ab3dfc9f8bff",
        "true/0: b2f5ef515f690ca0",
        "true/1: cf374e4cc5defdc6",
        "true/2: 0e685b8d072af304",
        "ticket/0: d15ba040e576bc1e",
        "ticket/1: 5be4724bdc8801db",
        "ticket/2: a79459e73e478f6b",
      ]
    `);
  });

  // Pinned, as open_lth pins its hashes (lottery/test/test_desc.py): if one of
  // these changes, every stored run would be renamed and resume would redo them.
  it('pins the ids of the quickstart runs', () => {
    const sweep = loadSweep(join(repo, 'experiments/quickstart.yaml'), { configsDir: join(repo, 'configs') });
    const ids = sweep.runs.map((r) => `${r.config.scorer.name}/${r.config.seed}: ${runId(r.config, CHECKSUM)} dense ${denseKey(r.config, CHECKSUM)}`);
    expect(ids).toMatchInlineSnapshot(`
      [
        "magnitude/0: ac38e37318e0db41 dense e0e5738670611195",
        "magnitude/1: 319a110862963597 dense 241234d42f6e191e",
        "random/0: 4c975c3c7526708a dense e0e5738670611195",
        "random/1: 41ed2d9a949db293 dense 241234d42f6e191e",
      ]
    `);
  });
});

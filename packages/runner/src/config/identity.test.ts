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

  it('dense keys ignore everything after dense training', () => {
    const a = denseKey(config(), CHECKSUM);
    expect(denseKey(config({ scorer: 'random', prune: { sparsities: [0.99] }, finetune: { epochs: 3 } }), CHECKSUM)).toBe(a);
    expect(denseKey(config({ seed: 1 }), CHECKSUM)).not.toBe(a);
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

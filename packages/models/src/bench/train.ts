import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '@prunelab/datasets';
import { initBackend, type BackendName } from '@prunelab/engine';
import { Net } from '../net.js';
import { train } from '../train.js';
import { modelRegistry } from '../zoo/all.js';

/**
 * Training throughput (samples/s and achieved GFLOP/s) of LeNet-300-100 and
 * LeNet-5 (caffe) on MNIST, per backend, batch 60, Adam. One backend per
 * process (tfjs keeps one active backend), so the script re-runs itself.
 * FLOPs per training example = 3 x forward (forward, input and weight
 * gradients) = 6 x multiply-accumulates.
 */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'nx.json'))) dir = dirname(dir);
  return dir;
}

const MODELS = [
  { label: 'lenet-300-100', name: 'mlp', options: { preset: 'lenet-300-100' }, examples: { wasm: 12_000, cpu: 3_000, tensorflow: 12_000, webgpu: 12_000 } },
  { label: 'lenet-5', name: 'lenet-5', options: { preset: 'caffe' }, examples: { wasm: 1_200, cpu: 60, tensorflow: 3_000, webgpu: 3_000 } },
] as const;

async function measure(backend: BackendName) {
  await initBackend(backend);
  const ds = await loadDataset({ name: 'mnist', trainSize: 12_000, testSize: 1_000 });
  const rows = [];
  for (const m of MODELS) {
    const net = new Net(modelRegistry.create(m.name, m.options)(ds.shape, ds.classes), 0);
    const macs = net.params.reduce((s, p) => s + p.kernel.size * p.outPixels, 0);
    const examples = m.examples[backend];
    const cfg = { epochs: 0, batchSize: 60, optimizer: 'adam' as const, lr: 1e-3, momentum: 0.9, weightDecay: 0 };
    // Warm-up (kernel compilation, XNNPACK caches): 5 steps, or 1 where a step takes ~40 s (conv on cpu).
    train(net, ds, { ...cfg, epochs: Math.min(300, examples) / ds.splits.train.indices.length }, { seed: 0 });
    const r = train(net, ds, { ...cfg, epochs: examples / ds.splits.train.indices.length }, { seed: 1 });
    const samplesPerS = (r.examples / r.wallMs) * 1000;
    rows.push({ model: m.label, backend, batch: 60, samplesPerS, gflops: (samplesPerS * 6 * macs) / 1e9, macsPerExample: macs });
    net.dispose();
  }
  return rows;
}

const arg = process.argv[2] as BackendName | undefined;
if (arg) {
  process.stdout.write(`${JSON.stringify(await measure(arg))}\n`);
} else {
  const { spawnSync } = await import('node:child_process');
  const rows: unknown[] = [];
  for (const backend of ['wasm', 'cpu', 'tensorflow', 'webgpu'] as const) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), backend], { encoding: 'utf8' });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status === 0 && line.startsWith('[')) rows.push(...(JSON.parse(line) as unknown[]));
    else rows.push({ backend, unavailable: (r.stderr.trim().split('\n').find((l) => l.includes('Error')) ?? 'failed').slice(0, 200) });
  }
  for (const row of rows as Array<Record<string, number | string>>) {
    process.stdout.write(
      'unavailable' in row
        ? `${row['backend']}: unavailable (${row['unavailable']})\n`
        : `${row['model']} on ${row['backend']}: ${(row['samplesPerS'] as number).toFixed(0)} samples/s, ${(row['gflops'] as number).toFixed(2)} GFLOP/s (batch 60)\n`,
    );
  }
  const file = join(repoRoot(), 'results/bench/models-train.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(rows, null, 2)}\n`);
}

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '@prunelab/datasets';
import { initBackend, tf } from '@prunelab/engine';
import { getWeights, modelRegistry, Net } from '@prunelab/models';
import { scorerRegistry } from '../index.js';

/**
 * Times every registered scorer (default options: 4 x 256 = 1,024 MNIST
 * calibration examples from a 10,000-example train split) on LeNet-300-100,
 * on the wasm backend, and writes results/bench/scorers.json at the repo root
 * (the nearest ancestor holding nx.json). Usage: npm run bench (after build).
 */
function repoRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'nx.json'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

async function main(): Promise<void> {
  const backend = await initBackend('wasm');
  const ds = await loadDataset({ name: 'mnist', trainSize: 10000 });
  const net = new Net(modelRegistry.create('mlp', { preset: 'lenet-300-100' })(ds.shape, ds.classes), 0);
  const initialWeights = getWeights(net);
  const rows: Array<{ scorer: string; family: string; ms: number; tensorsLeaked: number }> = [];
  const load0 = loadavg()[0]!;
  for (const entry of scorerRegistry.list()) {
    const scorer = scorerRegistry.create(entry.name, {});
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    await scorer.score({ net, ds, seed: 0, initialWeights });
    const ms = performance.now() - t0;
    rows.push({ scorer: entry.name, family: entry.family, ms: Math.round(ms), tensorsLeaked: tf.memory().numTensors - before });
    process.stdout.write(`${entry.name.padEnd(20)} ${entry.family.padEnd(12)} ${String(Math.round(ms)).padStart(8)} ms\n`);
  }
  const load1 = loadavg()[0]!;
  process.stdout.write(`backend ${backend.package}; ${cpus().length} cores; load average (1 min) ${load0.toFixed(2)} before, ${load1.toFixed(2)} after\n`);
  const out = join(repoRoot(resolve(dirname(fileURLToPath(import.meta.url)))), 'results', 'bench', 'scorers.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        model: 'mlp lenet-300-100',
        dataset: 'mnist trainSize 10000',
        calibration: 'scorer defaults (1,024 examples: 4 x 256)',
        backend: backend.package,
        cores: cpus().length,
        loadAverage: { before: load0, after: load1 },
        date: new Date().toISOString(),
        rows,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`wrote ${out}\n`);
  net.dispose();
}

await main();

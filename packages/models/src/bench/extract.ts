// Inference latency of unit-pruned, extracted (physically smaller) models
// against the dense originals (Li et al. 2017: removing filters/neurons, not
// masking them, is what makes a pruned network faster on dense kernels).
// Run the compiled file with node; writes <repo root>/results/bench/models.json.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { project } from '@prunelab/projection';
import { initBackend, tf } from '@prunelab/engine';
import type { Architecture } from '../architecture.js';
import { Net } from '../net.js';
import { netMetrics } from '../metrics.js';
import { modelRegistry } from '../zoo/all.js';
import { extractNet } from '../extract/extract.js';

interface Row {
  model: string;
  sparsity: number;
  batch: number;
  denseMs: number;
  extractedMs: number;
  speedup: number;
  denseParams: number;
  extractedParams: number;
  macsDense: number;
  macsExtracted: number;
  maxAbsDiff: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median wall time of forward + readback, after warm-up. */
function latency(net: Net, x: tf.Tensor, reps: number): number {
  const times: number[] = [];
  for (let i = 0; i < reps + 3; i++) {
    const t = performance.now();
    const y = net.forward(x);
    y.dataSync();
    y.dispose();
    if (i >= 3) times.push(performance.now() - t);
  }
  return median(times);
}

function findRoot(start: string): string {
  let d = start;
  for (;;) {
    const pkg = join(d, 'package.json');
    if (existsSync(pkg) && 'workspaces' in (JSON.parse(readFileSync(pkg, 'utf8')) as object)) return d;
    const up = dirname(d);
    if (up === d) return process.cwd();
    d = up;
  }
}

async function main(): Promise<void> {
  const backend = await initBackend((process.env['BENCH_BACKEND'] as 'auto' | 'wasm' | 'cpu' | undefined) ?? 'auto');
  const reps = Number(process.env['BENCH_REPS'] ?? 30);
  const models: Array<[string, Architecture, string]> = [
    ['mlp lenet-300-100', modelRegistry.create('mlp', { preset: 'lenet-300-100' })([28, 28, 1], 10), 'dense3'],
    ['lenet-5 caffe', modelRegistry.create('lenet-5', { preset: 'caffe' })([28, 28, 1], 10), 'dense2'],
  ];
  const rows: Row[] = [];
  const out = (s: string) => process.stdout.write(`${s}\n`);
  out(`backend ${backend.name} (${backend.package}), median of ${reps} forward passes`);
  out('model\tunit sparsity\tbatch\tdense ms\textracted ms\tspeedup\tparams dense->extracted');
  for (const [label, arch, output] of models) {
    for (const sparsity of [0.5, 0.75, 0.9]) {
      const net = new Net(arch, 0);
      const scores = net.params.map((p) => ({ name: p.name, shape: [...p.kernel.shape], scores: Float32Array.from(p.kernel.dataSync(), Math.abs) }));
      // Layerwise unit pruning by L2 norm (Li et al. 2017), output layer kept whole.
      const r = project(scores, { sparsity, scope: 'layerwise', structure: { kind: 'unit', reduce: 'l2' }, exclude: [output] });
      net.params.forEach((p, i) => tf.tidy(() => p.kernel.assign(tf.mul(p.kernel, tf.tensor(Float32Array.from(r.masks[i]!.mask), p.kernel.shape)))));
      const { net: small } = extractNet(net);
      for (const batch of [1, 64]) {
        const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', 1);
        const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(net.forward(x), small.forward(x)))).dataSync()[0]!);
        const denseMs = latency(net, x, reps);
        const extractedMs = latency(small, x, reps);
        x.dispose();
        const row: Row = {
          model: label,
          sparsity,
          batch,
          denseMs,
          extractedMs,
          speedup: denseMs / extractedMs,
          denseParams: net.totalParams(),
          extractedParams: small.totalParams(),
          macsDense: netMetrics(net).macsDense,
          macsExtracted: netMetrics(small).macsDense,
          maxAbsDiff: diff,
        };
        rows.push(row);
        out(`${label}\t${sparsity}\t${batch}\t${denseMs.toFixed(3)}\t${extractedMs.toFixed(3)}\t${row.speedup.toFixed(2)}x\t${row.denseParams} -> ${row.extractedParams}`);
      }
      small.dispose();
      net.dispose();
    }
  }
  const dir = join(findRoot(dirname(fileURLToPath(import.meta.url))), 'results', 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'models.json');
  const report = { package: '@prunelab/models', bench: 'extract', backend, node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, loadavg: loadavg(), reps, rows };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  out(`wrote ${file}`);
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}

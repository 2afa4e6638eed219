import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '@prunelab/datasets';
import { activeNativeEngine, chosenBlasCore, initBackend, nativeStatus, type BackendName, type DirectIsa } from '@prunelab/engine';
import { Net } from '../net.js';
import { trainingSchema } from '../optimizer.js';
import { train } from '../train.js';
import { modelRegistry } from '../zoo/all.js';

/**
 * Training throughput (samples/s and achieved GFLOP/s) of LeNet-300-100 and
 * LeNet-5 (caffe) on MNIST and ResNet-20 (He et al. 2016, option A) on 32x32x3 images, batch 60, Adam, one thread, on every backend that
 * loads, and PyTorch's on the same core in the same run (scripts/torch-reference.py,
 * Debian's python3-torch, OPENBLAS_NUM_THREADS=1), with the ratio to it. Also
 * the single-core OpenBLAS sgemm rate, the ceiling the native engine works
 * against. The machine is shared and drifts: compare ratios, which come from
 * rounds of native and PyTorch run back to back (ROUNDS below).
 * FLOPs per training example = 3 x forward (forward, input and weight
 * gradients) = 6 x multiply-accumulates.
 */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'nx.json'))) dir = dirname(dir);
  return dir;
}

/**
 * `image`: the input the model takes, when it is not MNIST's (ResNet-20 on CIFAR-10's 32x32x3, from
 * synthetic values: throughput does not depend on them). `examples: 0` skips a backend (ResNet-20 on
 * pure-JS cpu would take hours).
 */
const MODELS = [
  { label: 'lenet-300-100', name: 'mlp', options: { preset: 'lenet-300-100' }, examples: { native: 24_000, wasm: 12_000, cpu: 3_000, tensorflow: 12_000, webgpu: 12_000 } },
  { label: 'lenet-5', name: 'lenet-5', options: { preset: 'caffe' }, examples: { native: 3_000, wasm: 1_200, cpu: 60, tensorflow: 3_000, webgpu: 3_000 } },
  {
    label: 'resnet-20',
    name: 'resnet',
    options: { depth: 20, shortcut: 'A' },
    image: [32, 32, 3],
    examples: { native: 600, wasm: 240, cpu: 0, tensorflow: 600, webgpu: 600 },
  },
] as const;

const BACKENDS = ['native', 'wasm', 'cpu', 'tensorflow', 'webgpu'] as const satisfies readonly BackendName[];
type Backend = (typeof BACKENDS)[number];

interface Row {
  readonly model: string;
  readonly backend: string;
  readonly batch: number;
  readonly samplesPerS: number;
  readonly gflops: number;
}

/** `isa`: on native, the direct convolution kernels' instruction set, when not the widest the CPU has (or 'off': im2col and GEMM). */
async function measure(backend: Backend, isa?: DirectIsa): Promise<{ rows: Row[]; package: string; sgemmGflops?: number }> {
  const info = await initBackend(backend);
  const label = isa ? `${backend} (direct kernels: ${isa})` : backend;
  if (isa) activeNativeEngine()?.directIsa(isa);
  const mnist = await loadDataset({ name: 'mnist', trainSize: 12_000, testSize: 1_000 });
  const rows: Row[] = [];
  for (const m of MODELS) {
    const examples = m.examples[backend];
    if (examples === 0) continue;
    const image = 'image' in m ? m.image : undefined;
    const ds = image
      ? { ...(await loadDataset({ name: 'synthetic', kind: 'blobs', dims: image.reduce((a, b) => a * b, 1), classes: 10, trainSize: 1_200, valSize: 60, testSize: 60 })), shape: [...image] }
      : mnist;
    const net = new Net(modelRegistry.create(m.name, m.options)(ds.shape, ds.classes), 0);
    const macs = net.params.reduce((s, p) => s + p.kernel.size * p.outPixels, 0);
    const cfg = trainingSchema.parse({ batchSize: 60, optimizer: 'adam', lr: 1e-3, momentum: 0.9, weightDecay: 0 });
    // Warm-up (kernel compilation, XNNPACK caches): 5 steps, or 1 where a step takes ~40 s (conv on cpu).
    train(net, ds, { ...cfg, epochs: Math.min(300, examples) / ds.splits.train.indices.length }, { seed: 0 });
    const r = train(net, ds, { ...cfg, epochs: examples / ds.splits.train.indices.length }, { seed: 1 });
    const samplesPerS = (r.examples / r.wallMs) * 1000;
    rows.push({ model: m.label, backend: label, batch: 60, samplesPerS, gflops: (samplesPerS * 6 * macs) / 1e9 });
    net.dispose();
  }
  const addon = activeNativeEngine();
  return { rows, package: info.package, ...(addon && { sgemmGflops: sgemmRate(addon) }) };
}

/** Single-thread sgemm GFLOP/s at 1024^3, through the addon (the same OpenBLAS and kernel set the native engine uses). */
function sgemmRate(addon: NonNullable<ReturnType<typeof activeNativeEngine>>): number {
  const n = 1024;
  const heap = new Float32Array(3 * n * n);
  for (let i = 0; i < 2 * n * n; i++) heap[i] = ((i % 7) - 3) * 0.1;
  addon.gemm(heap, false, false, n, n, n, 0, n, n * n, n, 2 * n * n, n, 0);
  const reps = 8;
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) addon.gemm(heap, false, false, n, n, n, 0, n, n * n, n, 2 * n * n, n, 0);
  return (2 * n ** 3 * reps) / ((performance.now() - t0) / 1000) / 1e9;
}

/**
 * PyTorch on one thread with OpenBLAS, twice: as installed (OpenBLAS picks its
 * own kernels: Prescott on the development machine) and with the kernel set
 * prunelab gives OpenBLAS. Per model the faster is the reference, so a ratio
 * never flatters prunelab.
 */
function torchReference(root: string): Row[] | { unavailable: string } {
  const core = chosenBlasCore();
  const runs = [undefined, ...(core ? [core] : [])].map((c) => {
    const env = { ...process.env, OPENBLAS_NUM_THREADS: '1', ...(c && { OPENBLAS_CORETYPE: c }) };
    if (!c) delete env['OPENBLAS_CORETYPE'];
    return spawnSync('/usr/bin/python3', [join(root, 'scripts/torch-reference.py')], { encoding: 'utf8', env, timeout: 600_000 });
  });
  const ok = runs.filter((r) => r.status === 0).map((r) => JSON.parse(r.stdout) as Row[]);
  if (ok.length === 0) return { unavailable: (runs[0]?.stderr.trim().split('\n').pop() ?? 'failed').slice(0, 200) };
  return ok[0]!.map((row) => ok.map((rows) => rows.find((r) => r.model === row.model) ?? row).reduce((a, b) => (b.samplesPerS > a.samplesPerS ? b : a)));
}

/** One backend's measurement in a child process (a backend that does not load is a finding, not a crash). */
function runBackend(backend: Backend, isa?: DirectIsa): { rows: Row[]; package: string; sgemmGflops?: number } | { unavailable: string } {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), backend, ...(isa ? [isa] : [])], { encoding: 'utf8' });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status === 0 && line.startsWith('{')) return JSON.parse(line) as { rows: Row[]; package: string; sgemmGflops?: number };
  const reason = r.stderr.split('\n').find((l) => l.startsWith('unavailable: '))?.slice('unavailable: '.length);
  return { unavailable: (reason ?? (r.stderr.trim().split('\n').pop() || 'failed')).slice(0, 200) };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Rounds of native then PyTorch, back to back. This shared machine's speed drifts by more than the
 * effect measured (sgemm at 74 and 132 GFLOP/s ten minutes apart on 2026-11-30), so a ratio taken
 * from one native run and one PyTorch run minutes later says little. Each round gives a ratio per
 * model from two runs seconds apart; the bench reports the median and the range over the rounds.
 */
const ROUNDS = 5;

const arg = process.argv[2] as Backend | undefined;
if (arg) {
  try {
    process.stdout.write(`${JSON.stringify(await measure(arg, process.argv[3] as DirectIsa | undefined))}\n`);
  } catch (e) {
    process.stderr.write(`unavailable: ${(e as Error).message.split('\n')[0]}\n`);
    process.exitCode = 1;
  }
} else {
  const root = repoRoot();
  const unavailable: Array<{ backend: string; unavailable: string }> = [];
  const packages: Record<string, string> = {};
  const nativeRounds: Row[][] = [];
  const torchRounds: Row[][] = [];
  const sgemmRounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const got = runBackend('native');
    if ('unavailable' in got) {
      unavailable.push({ backend: 'native', unavailable: got.unavailable });
    } else {
      nativeRounds.push(got.rows);
      packages['native'] = got.package;
      if (got.sgemmGflops) sgemmRounds.push(got.sgemmGflops);
    }
    const torch = torchReference(root);
    if (!Array.isArray(torch)) {
      process.stdout.write(`pytorch: unavailable (${torch.unavailable})\n`);
      break;
    }
    torchRounds.push(torch);
    if ('unavailable' in got) break;
  }
  const rows: Row[] = [];
  // The native engine with narrower direct kernels than this CPU's widest (what a CPU without AVX-512 runs;
  // here still built with -march=native, so the compiler may use AVX-512's 32 registers for them) and
  // with none, once each: what the direct kernels are worth, in the same run.
  const status = nativeStatus();
  const narrower: DirectIsa[] = status.available && nativeRounds.length ? [...status.addon.directIsa().available.slice(1), 'off'] : [];
  for (const isa of narrower) {
    const got = runBackend('native', isa);
    if (!('unavailable' in got)) rows.push(...got.rows);
  }
  for (const backend of BACKENDS.filter((b) => b !== 'native')) {
    const got = runBackend(backend);
    if ('unavailable' in got) unavailable.push({ backend, unavailable: got.unavailable });
    else {
      rows.push(...got.rows);
      packages[backend] = got.package;
    }
  }
  // Per model: the median native and PyTorch rates, and the per-round ratios (same round, seconds apart).
  const pick = (round: Row[], model: string) => round.find((r) => r.model === model);
  const summarise = (rounds: Row[][]): Row[] =>
    (rounds[0] ?? []).map((first) => {
      const rates = rounds.map((r) => pick(r, first.model)?.samplesPerS ?? NaN);
      const samplesPerS = median(rates);
      return { ...first, samplesPerS, gflops: (first.gflops / first.samplesPerS) * samplesPerS };
    });
  const torchRows = summarise(torchRounds);
  const nativeRows = summarise(nativeRounds);
  const sgemm = sgemmRounds.length ? median(sgemmRounds) : undefined;
  const roundRatios = (model: string) =>
    nativeRounds.flatMap((n, i) => {
      const a = pick(n, model);
      const b = torchRounds[i] && pick(torchRounds[i], model);
      return a && b ? [a.samplesPerS / b.samplesPerS] : [];
    });
  const report = [...nativeRows, ...rows, ...torchRows].map((row) => {
    const ref = torchRows.find((t) => t.model === row.model);
    const ratios = row.backend === 'native' ? roundRatios(row.model) : [];
    return {
      ...row,
      ratioToPytorch: ratios.length ? median(ratios) : ref ? row.samplesPerS / ref.samplesPerS : null,
      ...(ratios.length && { ratioRange: [Math.min(...ratios), Math.max(...ratios)], rounds: ratios.length }),
      shareOfSgemm: sgemm ? row.gflops / sgemm : null,
    };
  });
  for (const row of unavailable) process.stdout.write(`${row.backend}: unavailable (${row.unavailable})\n`);
  for (const row of report) {
    const range = 'ratioRange' in row && row.ratioRange ? ` (rounds: ${row.ratioRange.map((r) => r.toFixed(2)).join('-')}x over ${row.rounds})` : '';
    process.stdout.write(
      `${row.model} on ${row.backend}: ${row.samplesPerS.toFixed(0)} samples/s, ${row.gflops.toFixed(1)} GFLOP/s` +
        `${row.ratioToPytorch !== null ? `, ${row.ratioToPytorch.toFixed(2)}x PyTorch${range}` : ''}${row.shareOfSgemm !== null ? `, ${(row.shareOfSgemm * 100).toFixed(0)}% of sgemm` : ''}\n`,
    );
  }
  if (sgemm) process.stdout.write(`single-core OpenBLAS sgemm (1024^3, through the addon), median of ${sgemmRounds.length}: ${sgemm.toFixed(1)} GFLOP/s\n`);
  const file = join(root, 'results/bench/models-train.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ sgemmGflops: sgemm ?? null, rounds: ROUNDS, packages, rows: report, unavailable }, null, 2)}\n`);
}

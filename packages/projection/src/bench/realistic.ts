/**
 * The projection benchmark on realistic scores: a global 90% top-k over ~25M
 * scores for each distribution of distributions.ts and for a trained network,
 * each timed alternately with torch.kthvalue on the same values (torch.ts), so
 * that every distribution gets its own ratio to the reference measured in the
 * same minutes.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { project } from '../index.js';
import { keepCount } from '../rounding.js';
import type { LayerScores } from '../types.js';
import { DISTRIBUTIONS, tileNetwork } from './distributions.js';
import { readLenet300 } from './realnet.js';
import type { TorchReference } from './torch.js';

const SPARSITY = 0.9;
/** 50 layers of [7812, 64]: 24,998,400 scores, as in the structure benchmark. */
const LAYERS = 50;
const ROWS = 7812;
const COLS = 64;
/** LeNet-300-100 has 266,200 kernel weights: 94 copies make 25,022,800. */
const COPIES = 94;
export const TRAINED = 'lenet300-1epoch';

/** The layers of a named distribution at benchmark size (`trainedFile`: the network's magnitudes, for TRAINED). */
export function realisticLayers(name: string, trainedFile?: string): LayerScores[] {
  if (name === TRAINED) {
    if (trainedFile === undefined) throw new Error(`${TRAINED} needs the magnitudes file`);
    return tileNetwork(readLenet300(trainedFile).layers, COPIES);
  }
  const d = DISTRIBUTIONS.find((x) => x.name === name);
  if (d === undefined) throw new Error(`unknown distribution ${name}`);
  return d.make(LAYERS, ROWS, COLS, 20260 + DISTRIBUTIONS.indexOf(d));
}

function describe(name: string): string {
  if (name === TRAINED)
    return `kernel |W| of LeNet-300-100 after 1 epoch on MNIST (PyTorch, Adam, batch 60), ${COPIES} copies of its 3 layers, copy c shifted by c ulps`;
  return DISTRIBUTIONS.find((x) => x.name === name)!.what;
}

export interface RealisticRow {
  distribution: string;
  what: string;
  n: number;
  layers: number;
  reps: number;
  medianMs: number;
  minMs: number;
  torchMedianMs: number | null;
  torchMinMs: number | null;
  /** medianMs / torchMedianMs: the target is at most 0.4. */
  ratio: number | null;
  /**
   * The same in CPU time (process.cpuUsage; Python's time.process_time), which
   * other jobs on the machine inflate less than wall time; a cross-check only.
   */
  cpuMedianMs: number;
  torchCpuMedianMs: number | null;
  cpuRatio: number | null;
  /** Layers the global guard pinned at their floor. */
  pinnedLayers: number;
  extraBytes: number;
  extraOverInput: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The k-th largest score, as the smallest one kept when no layer was pinned (what torch.kthvalue returns). */
function smallestKept(layers: readonly LayerScores[], masks: readonly { mask: Uint8Array }[]): number {
  let t = Infinity;
  layers.forEach((l, li) => {
    const m = masks[li]!.mask;
    for (let i = 0; i < m.length; i++) if (m[i] === 1 && l.scores[i]! < t) t = l.scores[i]!;
  });
  return t;
}

/**
 * Times project() and torch.kthvalue alternately, `reps` times each after one
 * warm-up call of each, on one distribution. `memory` measures the extra memory
 * of one call in a fresh process.
 */
export async function benchOne(
  name: string,
  layers: readonly LayerScores[],
  reps: number,
  torch: TorchReference | null,
  memory: () => { extraBytes: number },
  gc: () => void,
  say: (s: string) => void,
): Promise<RealisticRow> {
  const n = layers.reduce((s, l) => s + l.scores.length, 0);
  const kept = keepCount(SPARSITY, n);
  const spec = { sparsity: SPARSITY };
  const first = project(layers, spec);
  const pinnedLayers = first.warnings.filter((w) => w.includes('under its floor')).length;
  const file = join(tmpdir(), `prunelab-bench-scores-${process.pid}.f32`);
  if (torch !== null) {
    const all = new Float32Array(n);
    let o = 0;
    for (const l of layers) {
      all.set(l.scores, o);
      o += l.scores.length;
    }
    writeFileSync(file, all);
    await torch.load(file, n);
    const value = (await torch.kth(n - kept + 1)).value; // warm-up, and the same threshold?
    if (pinnedLayers === 0 && value !== smallestKept(layers, first.masks))
      say(`  ${name}: torch.kthvalue gives ${value}, the smallest kept score is ${smallestKept(layers, first.masks)}`);
  }
  const ours: number[] = [];
  const oursCpu: number[] = [];
  const theirs: number[] = [];
  const theirsCpu: number[] = [];
  for (let r = 0; r < reps; r++) {
    gc();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    project(layers, spec);
    ours.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    oursCpu.push((c.user + c.system) / 1000);
    if (torch !== null) {
      const t = await torch.kth(n - kept + 1);
      theirs.push(t.ms);
      theirsCpu.push(t.cpuMs);
    }
  }
  if (torch !== null) rmSync(file, { force: true });
  const m = memory();
  const torchMedianMs = theirs.length > 0 ? median(theirs) : null;
  return {
    distribution: name,
    what: describe(name),
    n,
    layers: layers.length,
    reps,
    medianMs: median(ours),
    minMs: Math.min(...ours),
    torchMedianMs,
    torchMinMs: theirs.length > 0 ? Math.min(...theirs) : null,
    ratio: torchMedianMs === null ? null : median(ours) / torchMedianMs,
    cpuMedianMs: median(oursCpu),
    torchCpuMedianMs: theirsCpu.length > 0 ? median(theirsCpu) : null,
    cpuRatio: theirsCpu.length > 0 ? median(oursCpu) / median(theirsCpu) : null,
    pinnedLayers,
    extraBytes: m.extraBytes,
    extraOverInput: m.extraBytes / (n * 4),
  };
}

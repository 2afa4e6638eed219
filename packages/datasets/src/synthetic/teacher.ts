import { permutation } from '@prunelab/core';
import { sharedFloat32, sharedUint8 } from '../shared.js';
import { generatePool, splitStream, type GeneratedPool } from './generate.js';
import type { TeacherOptions } from './schema.js';

/**
 * A random sparse teacher network labels Gaussian inputs: the "planted" ground
 * truth for judging whether a pruning scorer recovers the connections that
 * matter (a student-teacher setup in the spirit of Saad & Solla 1995). Each
 * layer keeps exactly round((1 - teacherSparsity) * in * out) weights, chosen
 * uniformly; kept weights are N(0, 2 / (in * density)) (He et al. 2015, scaled
 * for the density so activations keep their size), biases N(0, 0.1^2); hidden
 * layers use ReLU and the label is the argmax of the last layer. Classes are
 * not forced to be balanced.
 */
export interface TeacherLayer {
  /** [in, out]; `weights[i * out + j]` connects input i to output j. */
  readonly shape: readonly [number, number];
  readonly weights: Float32Array;
  readonly bias: Float32Array;
  /** 1 where the teacher has a connection; weights are exactly 0 where it is 0. */
  readonly mask: Uint8Array;
}

export interface Teacher {
  readonly layers: readonly TeacherLayer[];
}

export function makeTeacher(o: Pick<TeacherOptions, 'seed' | 'layers' | 'teacherSparsity'>): Teacher {
  const layers: TeacherLayer[] = [];
  for (let l = 0; l + 1 < o.layers.length; l++) {
    const fanIn = o.layers[l]!;
    const fanOut = o.layers[l + 1]!;
    const size = fanIn * fanOut;
    const rng = splitStream(o.seed, `teacher:${l}`);
    const zeros = Math.round(o.teacherSparsity * size);
    const mask = sharedUint8(size).fill(1);
    const order = permutation(size, rng);
    for (let i = 0; i < zeros; i++) mask[order[i]!] = 0;
    const density = Math.max(1 - o.teacherSparsity, 1 / size);
    const std = Math.sqrt(2 / (fanIn * density));
    const weights = sharedFloat32(size);
    for (let i = 0; i < size; i++) weights[i] = mask[i] ? rng.normal() * std : 0;
    const bias = sharedFloat32(fanOut);
    for (let j = 0; j < fanOut; j++) bias[j] = rng.normal() * 0.1;
    layers.push({ shape: [fanIn, fanOut], weights, bias, mask });
  }
  return { layers };
}

/** The teacher's class for one input (ReLU hidden layers, argmax of the output). */
export function teacherLabel(t: Teacher, input: ArrayLike<number>): number {
  let act: ArrayLike<number> = input;
  t.layers.forEach((layer, l) => {
    const [fanIn, fanOut] = layer.shape;
    const out = new Float64Array(fanOut);
    for (let j = 0; j < fanOut; j++) out[j] = layer.bias[j]!;
    for (let i = 0; i < fanIn; i++) {
      const a = act[i]!;
      if (a === 0) continue;
      const row = i * fanOut;
      for (let j = 0; j < fanOut; j++) out[j]! += a * layer.weights[row + j]!;
    }
    if (l + 1 < t.layers.length) for (let j = 0; j < fanOut; j++) out[j] = Math.max(0, out[j]!);
    act = out;
  });
  let best = 0;
  for (let j = 1; j < act.length; j++) if (act[j]! > act[best]!) best = j;
  return best;
}

export function generateTeacherData(o: TeacherOptions): { pool: GeneratedPool; teacher: Teacher } {
  const teacher = makeTeacher(o);
  const d = o.layers[0]!;
  const pool = generatePool(o.seed, d, { train: o.trainSize, val: o.valSize, test: o.testSize }, (rng, x, y, start, n) => {
    for (let i = 0; i < n; i++) {
      const row = (start + i) * d;
      for (let j = 0; j < d; j++) x[row + j] = rng.normal();
      y[start + i] = teacherLabel(teacher, x.subarray(row, row + d));
    }
  });
  return { pool, teacher };
}

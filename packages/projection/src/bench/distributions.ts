/**
 * Score distributions for the projection benchmark and its exactness tests: the
 * shapes real pruning scores take, each a stress for a selection built on a
 * sample (sorted runs, heavy ties, a generator's lattice, layers of very
 * different scales, a mass of exact zeros). All are deterministic in their seed.
 */
import type { LayerScores } from '../types.js';

export interface Distribution {
  name: string;
  /** One line for the benchmark record. */
  what: string;
  /** `layers` layers of [rows, cols]. */
  make: (layers: number, rows: number, cols: number, seed: number) => LayerScores[];
}

/**
 * Uniform in [0, 1) on the float32 grid (24-bit): SplitMix32, a Weyl sequence
 * through MurmurHash3's fmix32 finaliser (Steele, Lea & Flood 2014, "Fast
 * splittable pseudorandom number generators", OOPSLA).
 */
function splitmix(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 8) / 2 ** 24;
  };
}

/** |N(0, 1)| by Box-Muller (one of the pair). */
function halfNormal(r: () => number): number {
  return Math.abs(Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
}

function layersOf(layers: number, rows: number, cols: number, fill: (l: number, scores: Float32Array) => void): LayerScores[] {
  return Array.from({ length: layers }, (_, l) => {
    const scores = new Float32Array(rows * cols);
    fill(l, scores);
    return { name: `layer${l}`, shape: [rows, cols], scores };
  });
}

export const DISTRIBUTIONS: readonly Distribution[] = [
  {
    name: 'uniform',
    what: 'uniform in [0, 1)',
    make: (layers, rows, cols, seed) => {
      const r = splitmix(seed);
      return layersOf(layers, rows, cols, (_, s) => s.forEach((_x, i) => (s[i] = r())));
    },
  },
  {
    name: 'zeros80',
    what: '80% exact zeros at random positions (an iterative round), the rest uniform',
    make: (layers, rows, cols, seed) => {
      const r = splitmix(seed);
      return layersOf(layers, rows, cols, (_, s) => s.forEach((_x, i) => (s[i] = r() < 0.8 ? 0 : r())));
    },
  },
  {
    name: 'halfnormal-scaled',
    what: '|N(0, sigma_l^2)|, sigma_l = 2^U(-1.5, 1.5) per layer (trained magnitudes: scales 8x apart)',
    make: (layers, rows, cols, seed) => {
      const r = splitmix(seed);
      return layersOf(layers, rows, cols, (_, s) => {
        const sigma = 2 ** (3 * r() - 1.5);
        s.forEach((_x, i) => (s[i] = sigma * halfNormal(r)));
      });
    },
  },
  {
    name: 'sorted',
    what: 'uniform, sorted ascending within each layer',
    make: (layers, rows, cols, seed) => {
      const r = splitmix(seed);
      return layersOf(layers, rows, cols, (_, s) => {
        s.forEach((_x, i) => (s[i] = r()));
        s.sort();
      });
    },
  },
  {
    name: 'ties16',
    what: '16 distinct values, floor(16u)/16 (heavy ties)',
    make: (layers, rows, cols, seed) => {
      const r = splitmix(seed);
      return layersOf(layers, rows, cols, (_, s) => s.forEach((_x, i) => (s[i] = Math.floor(16 * r()) / 16)));
    },
  },
  {
    name: 'lcg',
    what: 'x/2^32 of the 32-bit LCG x = 1664525x + 1013904223 (Numerical Recipes), one stream through all layers',
    make: (layers, rows, cols, seed) => {
      let x = seed >>> 0;
      return layersOf(layers, rows, cols, (_, s) =>
        s.forEach((_v, i) => {
          x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
          s[i] = x / 2 ** 32;
        }),
      );
    },
  },
];

/**
 * A trained network's scores scaled up by repetition: `copies` copies of its
 * layers, in order. Copy c adds c to the float32 bits of every score (c units in
 * the last place, a relative change below 2^-16 for up to 128 copies), so the copies
 * are not exact ties of each other (which would turn the input into a tie-heavy
 * one) while the values, their spread within and between layers, and each
 * layer's order stay the network's.
 */
export function tileNetwork(base: readonly LayerScores[], copies: number): LayerScores[] {
  const out: LayerScores[] = [];
  for (let c = 0; c < copies; c++) {
    for (const l of base) {
      const scores = Float32Array.from(l.scores);
      const bits = new Int32Array(scores.buffer);
      for (let i = 0; i < bits.length; i++) bits[i] = bits[i]! + c;
      out.push({ name: `${l.name}#${c}`, shape: [...l.shape], scores });
    }
  }
  return out;
}

import { describe, expect, it } from 'vitest';
import { ProjectionError } from './errors.js';
import { project } from './project.js';
import type { ProjectionSpec } from './types.js';
import { objectiveImportance, projectWeights } from './weights.js';

const L = (name = 'fc1', shape = [4, 2], scores = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8])) => ({ name, shape, scores });

function expectError(fn: () => unknown, code: string, ...parts: (string | RegExp)[]): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ProjectionError);
    const err = e as ProjectionError;
    expect(err.code).toBe(code);
    expect(err.isUserError).toBe(true);
    expect(err.name).toBe('ProjectionError');
    for (const p of parts) expect(err.message).toMatch(p);
    return;
  }
  throw new Error('expected a ProjectionError');
}

describe('errors', () => {
  it('NaN and infinite scores name the layer, index and value (every structure, both selection paths)', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const s = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
      s[5] = bad;
      for (const structure of [
        { kind: 'unstructured' },
        { kind: 'n:m', n: 2, m: 4 },
        { kind: 'block', rows: 2, cols: 2 },
        { kind: 'unit', reduce: 'l1' },
      ] as const)
        expectError(() => project([L('fc1', [4, 2], s)], { sparsity: 0.5, structure }), 'E_PROJECTION_NONFINITE', /"fc1"/, /\[5\]/, String(bad));
      const big = new Float32Array(20000).fill(1).map((_, i) => i);
      big[17777] = bad;
      for (const structure of [{ kind: 'unstructured' }, { kind: 'n:m', n: 2, m: 4 }, { kind: 'unit', reduce: 'l2' }] as const)
        expectError(() => project([L('big', [200, 100], big)], { sparsity: 0.5, structure }), 'E_PROJECTION_NONFINITE', /"big"/, /17777/);
      // 9 entries: the last one is outside the four-at-a-time loop of the check.
      const odd = Float32Array.from({ length: 9 }, (_, i) => i);
      odd[8] = bad;
      expectError(
        () => project([L('odd', [3, 3], odd)], { sparsity: 0.5, structure: { kind: 'unit', reduce: 'l1' } }),
        'E_PROJECTION_NONFINITE',
        /"odd"/,
        /\[8\]/,
      );
    }
    expectError(
      () => projectWeights([{ name: 'w', shape: [2], weights: Float32Array.from([1, NaN]) }], { sparsity: 0.5 }),
      'E_PROJECTION_NONFINITE',
      /"w"/,
      /weights\[1\]/,
    );
  });

  it('shape mismatch and ranks', () => {
    expectError(() => project([L('fc1', [3, 2])], { sparsity: 0.5 }), 'E_PROJECTION_SHAPE', /"fc1"/, /\[3,2\]/, /8/);
    expectError(() => project([L('fc1', [8])], { sparsity: 0.5, structure: { kind: 'n:m', n: 2, m: 4 } }), 'E_PROJECTION_SHAPE', /"fc1"/, /rank/);
    expectError(() => project([L('fc1', [2, 2, 2])], { sparsity: 0.5, structure: { kind: 'unit', reduce: 'l2' } }), 'E_PROJECTION_SHAPE', /"fc1"/);
    expectError(() => project([L('fc1', [4, 0])], { sparsity: 0.5 }), 'E_PROJECTION_SHAPE', /"fc1"/);
    expectError(() => project([L('a'), L('a')], { sparsity: 0.5 }), 'E_PROJECTION_SHAPE', /"a"/);
  });

  it('group errors: m not dividing the input dimension, n > m, blocks not tiling', () => {
    expectError(() => project([L('fc1', [4, 2])], { sparsity: 0.5, structure: { kind: 'n:m', n: 1, m: 3 } }), 'E_PROJECTION_GROUP', /"fc1"/, /m=3/, /4/);
    expectError(() => project([L()], { sparsity: 0.5, structure: { kind: 'n:m', n: 5, m: 4 } }), 'E_PROJECTION_GROUP', /n=5/);
    expectError(() => project([L()], { sparsity: 0.5, structure: { kind: 'n:m', n: 0, m: 4 } }), 'E_PROJECTION_GROUP', /n=0/);
    expectError(() => project([L('fc1', [4, 2])], { sparsity: 0.5, structure: { kind: 'block', rows: 3, cols: 1 } }), 'E_PROJECTION_GROUP', /"fc1"/, /3x1/);
    expectError(() => project([L()], { sparsity: 0.5, structure: { kind: 'unit', reduce: 'max' } as never }), 'E_PROJECTION_GROUP', /max/);
    expectError(
      () => project([L()], { sparsity: 0.5, structure: { kind: 'unit', reduce: 'l2', normalize: 'l1' } as never }),
      'E_PROJECTION_GROUP',
      /normalize/,
      /l1/,
    );
  });

  it('sparsity out of range (global and per layer), minDensity out of range', () => {
    for (const s of [-0.1, 1, 1.5, NaN, Infinity]) expectError(() => project([L()], { sparsity: s }), 'E_PROJECTION_SPARSITY', String(s));
    expectError(() => project([L()], { sparsity: 0.5, scope: { perLayer: { fc1: 1 } } }), 'E_PROJECTION_SPARSITY', /"fc1"/, /1/);
    expectError(() => project([L()], { sparsity: 0.5, minDensity: 2 }), 'E_PROJECTION_SPARSITY', /minDensity/);
  });

  it('guard floors that cannot fit in the budget', () => {
    const layers = [L('a', [1, 2], Float32Array.from([1, 2])), L('b', [1, 2], Float32Array.from([1, 2])), L('c', [1, 2], Float32Array.from([1, 2]))];
    expectError(() => project(layers, { sparsity: 0.9 }), 'E_PROJECTION_SPARSITY', /floors/, /allowEmptyLayers/);
  });

  it('unknown names in perLayer, exclude and previous; wrong previous length', () => {
    expectError(() => project([L()], { sparsity: 0.5, scope: { perLayer: { nope: 0.5 } } }), 'E_PROJECTION_SCOPE', /"nope"/);
    expectError(() => project([L()], { sparsity: 0.5, exclude: ['nope'] }), 'E_PROJECTION_SCOPE', /"nope"/);
    expectError(() => project([L()], { sparsity: 0.5, previous: [{ name: 'nope', mask: new Uint8Array(8) }] }), 'E_PROJECTION_SCOPE', /"nope"/);
    expectError(() => project([L()], { sparsity: 0.5, previous: [{ name: 'fc1', mask: new Uint8Array(7) }] }), 'E_PROJECTION_SHAPE', /"fc1"/, /7/, /8/);
    expectError(() => project([L()], { sparsity: 0.5, scope: 'nope' } as unknown as ProjectionSpec), 'E_PROJECTION_SCOPE', /nope/);
  });

  it('objectiveImportance length mismatch', () => {
    expectError(() => objectiveImportance(new Float32Array(3), new Float32Array(2)), 'E_PROJECTION_SHAPE', /3/);
  });
});

import { describe, expect, it } from 'vitest';
import { isPrunelabError, type PrunelabError } from '@prunelab/core';
import { loadSweep } from './load.js';
import { tempDir, trainOf, writeSweep, TINY_SWEEP } from '../test-utils/fixtures.js';

const withRandom = (params: string): string => `${TINY_SWEEP.replace('seeds: [0, 1]\n', '')}random:\n  n: 8\n  seed: 3\n  params:\n${params}`;

function loadError(yaml: string): PrunelabError {
  try {
    loadSweep(writeSweep(tempDir(), yaml));
  } catch (e) {
    if (isPrunelabError(e)) return e;
    throw e;
  }
  throw new Error('expected loadSweep to fail');
}

describe('random: axis ranges', () => {
  it('int draws from [low, high], both ends included', () => {
    const s = loadSweep(writeSweep(tempDir(), withRandom('    train.epochs: { dist: int, low: 1, high: 2 }\n')));
    const epochs = s.runs.map((r) => trainOf(r.config).epochs);
    expect(new Set(epochs)).toEqual(new Set([1, 2]));
  });

  it.each(['int', 'uniform', 'loguniform'])('%s with high below low is a user error at the key, with the fix', (dist) => {
    const e = loadError(withRandom(`    train.epochs: { dist: ${dist}, low: 3, high: 1 }\n`));
    expect(e.code).toBe('E_CONFIG_INVALID');
    expect(e.message).toMatch(/sweep\.yaml:\d+:\d+: random\.params\.train\.epochs\.high: high must be at least low \(3\)/);
    expect(e.message).toContain('Write low: 1, high: 3');
  });
});

import { describe, expect, it } from 'vitest';
import { isPrunelabError } from '@prunelab/core';
import { loadSweep } from './load.js';
import { prepareRuns } from '../sweep/prepare.js';
import { tempDir, writeSweep, TINY_SWEEP } from '../test-utils/fixtures.js';

describe('augment at load time', () => {
  it('a flat dataset with crops or flips is refused at the key that asks for them, with the file position', async () => {
    const yaml = TINY_SWEEP.replace(
      'finetune: { epochs: 1, batchSize: 50, lr: 0.001 }',
      'finetune: { epochs: 1, batchSize: 50, lr: 0.001, augment: { crop: 4, flip: true } }',
    );
    let err: unknown;
    try {
      await prepareRuns(loadSweep(writeSweep(tempDir(), yaml)));
    } catch (e) {
      err = e;
    }
    expect(isPrunelabError(err) && err.code).toBe('E_CONFIG_INVALID');
    expect(String((err as Error).message)).toMatch(
      /sweep\.yaml:5:\d+: finetune\.augment: dataset synthetic: random crops and flips need images \[height, width, channels\]; these examples have shape \[8\] \(got \{"crop":4,"flip":true\}\)\. Remove augment/,
    );
  });

  it('augment written at its default (off) passes', async () => {
    const yaml = TINY_SWEEP.replace(
      'train: { epochs: 2, batchSize: 50, lr: 0.01 }',
      'train: { epochs: 2, batchSize: 50, lr: 0.01, augment: { crop: 0, flip: false } }',
    );
    expect(await prepareRuns(loadSweep(writeSweep(tempDir(), yaml)))).toHaveLength(4);
  });
});

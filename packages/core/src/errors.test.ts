import { describe, expect, it } from 'vitest';
import { PrunelabError, withPosition } from './errors.js';

describe('withPosition', () => {
  it('adds the sweep file position to an error that names only a key', () => {
    const e = new PrunelabError('E_MODEL_INVALID', 'm/model.json is not valid JSON', { path: 'model.path', fix: 'Convert it again' });
    const located = withPosition(e, { file: 'sweep.yaml', line: 3, column: 9 });
    expect(located.message).toBe('sweep.yaml:3:9: model.path: m/model.json is not valid JSON. Convert it again');
    expect([located.code, located.problem, located.isUserError]).toEqual(['E_MODEL_INVALID', 'm/model.json is not valid JSON', true]);
  });

  it('keeps an error that already names its own file (a corrupt data file)', () => {
    const e = new PrunelabError('E_DATASET_CORRUPT', 'bad magic', { file: 'train-images' });
    expect(withPosition(e, { file: 'sweep.yaml', line: 1 })).toBe(e);
  });
});

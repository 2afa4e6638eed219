import { describe, expect, it } from 'vitest';
import { isPrunelabError } from '@prunelab/core';
import { formatWhere, parseWhere } from './where.js';

describe('parseWhere', () => {
  it('parses field=value pairs, grouping repeated fields', () => {
    expect(parseWhere("scorer=magnitude,structure=2:4,scorer=random")).toEqual([
      { field: 'scorer', values: ['magnitude', 'random'] },
      { field: 'structure', values: ['2:4'] },
    ]);
    expect(parseWhere(undefined)).toEqual([]);
    expect(formatWhere(parseWhere('scorer=a, seed=1'))).toBe('scorer=a,seed=1');
  });

  it('keeps everything after the first = as the value, quotes and SQL included', () => {
    expect(parseWhere("scorer=x' OR 1=1 --")).toEqual([{ field: 'scorer', values: ["x' OR 1=1 --"] }]);
  });

  it('rejects an unknown field, listing the valid ones', () => {
    try {
      parseWhere('scorer=magnitude,colour=red');
      expect.unreachable();
    } catch (e) {
      expect(isPrunelabError(e) && e.code).toBe('E_UNKNOWN_NAME');
      expect((e as Error).message).toContain('"colour"');
      expect((e as Error).message).toContain('backend, dataset, model, run_id, schedule, scope, scorer, seed, status, structure');
    }
    // A field name that is itself SQL never reaches a statement either.
    expect(() => parseWhere('1=1 OR scorer=x')).toThrow(/unknown --where field/);
    expect(() => parseWhere('scorer')).toThrow(/field=value/);
    expect(() => parseWhere('scorer=')).toThrow(/no value/);
  });
});

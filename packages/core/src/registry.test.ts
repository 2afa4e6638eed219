import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Registry } from './registry.js';
import { PrunelabError } from './errors.js';

describe('Registry', () => {
  const r = new Registry<{ name: string; description: string; schema: z.ZodType; create: (o: { k: number }) => number }>('widget');
  r.register({ name: 'b', description: '', schema: z.object({ k: z.number().default(1) }), create: (o) => o.k * 2 });
  r.register({ name: 'a', description: '', schema: z.object({ k: z.number() }), create: (o) => o.k });

  it('lists names sorted', () => expect(r.names()).toEqual(['a', 'b']));
  it('creates with parsed options', () => expect(r.create('b', {})).toBe(2));
  it('unknown name lists the valid names', () => {
    try {
      r.get('c', { file: 'x.yaml', path: 'widget' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PrunelabError);
      expect((e as PrunelabError).code).toBe('E_UNKNOWN_NAME');
      expect((e as Error).message).toBe('x.yaml: widget: unknown widget "c". Valid widget names: a, b');
    }
  });
  it('rejects duplicates', () => {
    expect(() => r.register({ name: 'a', description: '', schema: z.object({}), create: () => 0 })).toThrow(/twice/);
  });
  it('bad options name the key', () => {
    expect(() => r.create('a', { k: 'x' }, { path: 'widget' })).toThrow(/widget\.k/);
  });
});

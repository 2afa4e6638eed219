import { describe, expect, it } from 'vitest';
import { project } from '@prunelab/projection';
import { structureRegistry } from './all.js';

// Generated from the registry: every structure validates its defaults (or a
// minimal example) and its spec drives the projection to an exact count.
const examples: Record<string, Record<string, unknown>> = { 'n:m': { n: 2, m: 4 }, block: { rows: 2, cols: 2 } };

describe.each(structureRegistry.list())('structure $name', (entry) => {
  it('builds a projection spec that keeps an exact, feasible budget', () => {
    const spec = structureRegistry.create(entry.name, examples[entry.name] ?? {});
    const scores = Float32Array.from({ length: 8 * 4 }, (_, i) => ((i * 7919) % 31) + 1);
    const r = project([{ name: 'dense1', shape: [8, 4], scores }], { sparsity: 0.5, scope: 'layerwise', structure: spec });
    const kept = r.masks[0]!.mask.reduce((a, b) => a + b, 0);
    expect(kept).toBe(r.kept);
    expect(kept).toBe(16);
  });
  it('rejects unknown options', () => {
    expect(() => structureRegistry.create(entry.name, { ...(examples[entry.name] ?? {}), bogus: 1 })).toThrow(/bogus|unrecognized|Unrecognized/);
  });
});

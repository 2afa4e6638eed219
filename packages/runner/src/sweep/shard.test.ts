import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignShards, parseShard, selectShard, usefulShards, type ShardableRun } from './shard.js';

/** Runs with distinct ids, each starting from one of a few dense models, with integer costs. */
const runsArb = fc
  .uniqueArray(
    fc.record({
      id: fc.stringMatching(/^[0-9a-f]{6}$/),
      denseKey: fc.constantFrom('d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6'),
      cost: fc.integer({ min: 1, max: 1000 }),
    }),
    { selector: (r) => r.id, maxLength: 40 },
  )
  .map((runs): ShardableRun[] => runs);

const ids = (runs: readonly ShardableRun[]) => runs.map((r) => r.id);
const cost = (runs: readonly ShardableRun[]) => runs.reduce((s, r) => s + r.cost, 0);

describe('assignShards', () => {
  it('puts every run in exactly one shard, with every run of a dense model in the same shard', () => {
    fc.assert(
      fc.property(runsArb, fc.integer({ min: 1, max: 9 }), (runs, count) => {
        const shards = assignShards(runs, count);
        expect(shards).toHaveLength(count);
        expect(shards.flatMap(ids).sort()).toEqual(ids(runs).sort());
        const shardOfKey = new Map<string, number>();
        shards.forEach((shard, i) => {
          for (const r of shard) {
            expect(shardOfKey.get(r.denseKey) ?? i).toBe(i);
            shardOfKey.set(r.denseKey, i);
          }
        });
        // As many shards have runs as there are dense models, up to the shard count.
        expect(shards.filter((s) => s.length > 0)).toHaveLength(Math.min(count, usefulShards(runs)));
      }),
      { seed: 19, numRuns: 300 },
    );
  });

  it('does not depend on the order of the runs, and keeps their order within a shard', () => {
    fc.assert(
      fc.property(
        runsArb.chain((runs) => fc.tuple(fc.constant(runs), fc.shuffledSubarray(runs, { minLength: runs.length, maxLength: runs.length }))),
        fc.integer({ min: 1, max: 9 }),
        ([runs, shuffled], count) => {
          const a = assignShards(runs, count).map((s) => ids(s).sort());
          const b = assignShards(shuffled, count).map((s) => ids(s).sort());
          expect(b).toEqual(a);
          for (const shard of assignShards(runs, count)) expect(ids(shard)).toEqual(ids(runs).filter((id) => ids(shard).includes(id)));
        },
      ),
      { seed: 19, numRuns: 200 },
    );
  });

  it("balances within Graham's bound: no shard costs more than the mean plus the costliest dense model's runs", () => {
    fc.assert(
      fc.property(runsArb, fc.integer({ min: 1, max: 9 }), (runs, count) => {
        const groups = new Map<string, number>();
        for (const r of runs) groups.set(r.denseKey, (groups.get(r.denseKey) ?? 0) + r.cost);
        const biggest = Math.max(0, ...groups.values());
        for (const shard of assignShards(runs, count)) expect(cost(shard)).toBeLessThanOrEqual(cost(runs) / count + biggest);
      }),
      { seed: 19, numRuns: 300 },
    );
  });

  it('a dense model with several runs is trained in one shard: 3 seeds x 3 strategies over 8 shards fill 3', () => {
    const runs = [0, 1, 2].flatMap((seed) => ['a', 'b', 'c'].map((s) => ({ id: `${s}${seed}`, denseKey: `seed${seed}`, cost: 10 })));
    const shards = assignShards(runs, 8);
    expect(shards.map(ids)).toEqual([['a0', 'b0', 'c0'], ['a1', 'b1', 'c1'], ['a2', 'b2', 'c2'], [], [], [], [], []]);
    expect(selectShard(runs, parseShard('2/8')).map((r) => r.id)).toEqual(['a1', 'b1', 'c1']);
    expect(selectShard(runs, parseShard('5/8'))).toEqual([]);
    expect(selectShard(runs, undefined)).toEqual(runs);
  });

  it('runs of train: none (one trained model, nothing to train per shard) spread over every shard', () => {
    // One dense key for all: the model file's weights, shared by every seed and strategy.
    const runs = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => ({ id, denseKey: 'own', cost: 10, config: { train: 'none' } }));
    const shards = assignShards(runs, 3);
    expect(shards.map((s) => s.length)).toEqual([2, 2, 2]);
    expect(usefulShards(runs)).toBe(6);
    // The same runs training a dense model stay together.
    const trained = runs.map((r) => ({ ...r, config: { train: { epochs: 1 } } }));
    expect(assignShards(trained, 3).map((s) => s.length)).toEqual([6, 0, 0]);
    expect(usefulShards(trained)).toBe(1);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fit, formatDuration, renderProgress, type ProgressState, type TaskView } from './progress-view.js';
import { ProgressTracker } from './progress.js';

const lanes = (entries: Record<string, Record<string, TaskView>>) => new Map(Object.entries(entries).map(([l, t]) => [l, new Map(Object.entries(t))]));
const state = (s: Partial<ProgressState>): ProgressState => ({
  dense: { done: 0, total: 0 },
  runs: { total: 8, done: 0, failed: 0, interrupted: 0, skipped: 0 },
  stopping: false,
  lanes: new Map(),
  etaSeconds: undefined,
  ...s,
});
const run = (phase: string): TaskView => ({ kind: 'run', phase });

describe('progress display', () => {
  it('while dense models train, it shows them and their progress, not "0/8 | ETA 0s | idle"', () => {
    const lines = renderProgress(
      state({ dense: { done: 1, total: 3 }, lanes: lanes({ cpu: { 'dense mlp seed=1': { kind: 'dense', phase: 'training' } } }) }),
      100,
    );
    expect(lines[0]).toMatch(/dense models 1\/3 \| then 8 run\(s\)/);
    expect(lines[0]).not.toMatch(/ETA|idle/);
    expect(lines[1]).toBe('  cpu: dense mlp seed=1 (training)');
  });

  it('after Ctrl-C it shows the true counts, not "6/6"', () => {
    const s = state({ stopping: true, runs: { total: 6, done: 2, failed: 0, interrupted: 4, skipped: 0 } });
    const [status] = renderProgress(s, 100);
    expect(status).toMatch(/stopping: 2 done, 4 interrupted, 0 stopping, 0 not started of 6/);
    expect(status).not.toMatch(/6\/6/);
    // Mid-stop: two runs still finishing, two never started.
    const mid = state({
      stopping: true,
      runs: { total: 6, done: 1, failed: 0, interrupted: 1, skipped: 0 },
      lanes: lanes({ cpu: { a: run('started'), b: run('pruned@0.5') } }),
    });
    expect(renderProgress(mid, 100)[0]).toMatch(/1 done, 1 interrupted, 2 stopping, 2 not started of 6/);
  });

  it('at 80 columns each task keeps its lane and the start of its label, one line each', () => {
    const s = state({
      runs: { total: 8, done: 3, failed: 1, interrupted: 0, skipped: 0 },
      etaSeconds: 95,
      lanes: lanes({
        cpu: {
          'scorer=magnitude prune.scope=layerwise train.lr=0.0012 seed=0': run('finetuned@0.9'),
          'scorer=random prune.scope=global seed=1': run('pruned@0.5'),
        },
        gpu: { 'scorer=fisher seed=2': run('started') },
      }),
    });
    const lines = renderProgress(s, 80);
    expect(lines[0]).toBe('[##########----------] runs 3/8 done | 1 failed | ETA 1m35s');
    expect(lines.slice(1)).toEqual([
      '  cpu: scorer=magnitude prune.scope=layerwise train.lr=0.0012 seed=0 (finetune…',
      '  cpu: scorer=random prune.scope=global seed=1 (pruned@0.5)',
      '  gpu: scorer=fisher seed=2 (started)',
    ]);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(79);
  });

  it('every line fits every width, whatever the state', () => {
    const task = fc.record({ kind: fc.constantFrom<'dense' | 'run'>('dense', 'run'), phase: fc.string({ maxLength: 20 }) });
    const arb = fc.record({
      dense: fc.record({ done: fc.nat(50), total: fc.nat(50) }),
      runs: fc.record({ total: fc.nat(10_000), done: fc.nat(10_000), failed: fc.nat(100), interrupted: fc.nat(100), skipped: fc.nat(100) }),
      stopping: fc.boolean(),
      lanes: fc.dictionary(fc.constantFrom('cpu', 'gpu'), fc.dictionary(fc.string({ maxLength: 120 }), task, { maxKeys: 12 })),
      etaSeconds: fc.option(fc.double({ min: 0, max: 1e7, noNaN: true }), { nil: undefined }),
    });
    fc.assert(
      fc.property(arb, fc.integer({ min: 1, max: 300 }), (raw, columns) => {
        const lines = renderProgress({ ...raw, lanes: lanes(raw.lanes) }, columns);
        expect(lines.length).toBeGreaterThanOrEqual(1);
        expect(lines.length).toBeLessThanOrEqual(9);
        for (const l of lines) expect(l.length).toBeLessThanOrEqual(Math.max(10, columns - 1));
      }),
      { numRuns: 300, seed: 80 },
    );
  });

  it('says idle only while work is left', () => {
    expect(renderProgress(state({}), 80)).toEqual(['[--------------------] runs 0/8 done | ETA ?', '  idle: waiting for work']);
    expect(renderProgress(state({ runs: { total: 8, done: 8, failed: 0, interrupted: 0, skipped: 0 }, etaSeconds: 0 }), 80)).toEqual([
      '[####################] runs 8/8 done | ETA 0s',
    ]);
  });

  it('helpers: durations and cuts', () => {
    expect([0, 59, 60, 3599, 3600, 86_399].map(formatDuration)).toEqual(['0s', '59s', '1m00s', '59m59s', '1h00m', '23h59m']);
    expect(fit('abcdef', 6)).toBe('abcdef');
    expect(fit('abcdef', 4)).toBe('abc…');
  });
});

describe('progress tracker', () => {
  it("follows runSweep's events: dense phase, runs in flight, true counts, ETA from the runs' rate", () => {
    let now = 0;
    const t = new ProgressTracker(() => now);
    t.apply({ event: 'sweep-start', total: 4, dense: 2 });
    t.apply({ event: 'dense-start', lane: 'cpu', run: 'dense mlp seed=0' });
    expect(renderProgress(t.state(), 80)[0]).toMatch(/dense models 0\/2/);
    t.apply({ event: 'dense-end', lane: 'cpu', run: 'dense mlp seed=0', denseDone: 1, denseTotal: 2 });
    t.apply({ event: 'run-start', lane: 'cpu', run: 'a' });
    now = 10_000;
    t.apply({ event: 'run-phase', lane: 'cpu', run: 'a', phase: 'pruned@0.5' });
    expect(t.state().lanes.get('cpu')).toEqual(new Map([['a', { kind: 'run', phase: 'pruned@0.5' }]]));
    t.apply({ event: 'progress', lane: 'cpu', run: 'a', done: 1, failed: 0, interrupted: 0, skipped: 1, total: 4 });
    // 1 run in 10 s; 2 runs left (one of the 4 was left to another process).
    expect(t.state().etaSeconds).toBe(20);
    expect(renderProgress(t.state(), 120)[0]).toMatch(/runs 1\/4 done \| 1 left to another process \| dense models 1\/2 \| ETA 20s/);
    t.apply({ event: 'stopping' });
    expect(t.state()).toMatchObject({ stopping: true, etaSeconds: undefined });
    expect(t.apply({ event: 'something else' })).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { Dispatcher, type Outcome, type WorkItem } from './dispatcher.js';
import type { Lane } from '../lanes/types.js';

// Stand-in lanes: the dispatcher only needs names and capacities; execute is injected.
const lane = (name: 'cpu' | 'gpu', capacity = 1): Lane => ({ name, capacity, run: () => Promise.reject(new Error('unused')), close: async () => undefined });

interface Item extends WorkItem {
  readonly label: string;
}
const item = (label: string, cost: number, pin: Item['pin'] = 'auto', ready = () => true, priority = 0): Item => ({
  key: label,
  label,
  cost,
  pin,
  ready,
  priority,
});
const tick = () => new Promise((r) => setTimeout(r, 1));

async function dispatch(lanes: Lane[], items: Item[], exec?: (i: Item, l: Lane) => Promise<Outcome>) {
  const order: Array<[string, string]> = [];
  const unrunnable: string[] = [];
  const d = new Dispatcher<Item>(
    lanes,
    exec ??
      (async (i, l) => {
        order.push([l.name, i.label]);
        await tick();
        return 'done';
      }),
    (i, reason) => unrunnable.push(`${i.label}: ${reason}`),
  );
  await d.run(items);
  return { order, unrunnable, d };
}

describe('Dispatcher', () => {
  it('sends the most expensive runs to the GPU lane first and the cheapest to the CPU lane', async () => {
    const { order } = await dispatch([lane('gpu'), lane('cpu')], [item('small', 1), item('big', 100), item('mid', 10)]);
    expect(order.slice(0, 2)).toEqual([
      ['gpu', 'big'],
      ['cpu', 'small'],
    ]);
    expect(order).toHaveLength(3);
  });

  it('without a GPU lane, takes the longest first', async () => {
    const { order } = await dispatch([lane('cpu')], [item('small', 1), item('big', 100), item('mid', 10)]);
    expect(order.map(([, l]) => l)).toEqual(['big', 'mid', 'small']);
  });

  it('runs dense trainings before the runs waiting on them', async () => {
    let denseDone = false;
    const seen: string[] = [];
    const d = new Dispatcher<Item>(
      [lane('cpu', 2)],
      async (i) => {
        seen.push(i.label);
        await tick();
        if (i.label === 'dense') denseDone = true;
        return 'done';
      },
      () => undefined,
    );
    await d.run([item('run-a', 50, 'auto', () => denseDone), item('run-b', 60, 'auto', () => denseDone), item('dense', 1, 'auto', () => true, 1)]);
    expect(seen).toEqual(['dense', 'run-b', 'run-a']);
  });

  it('honours pinning', async () => {
    const { order } = await dispatch([lane('gpu'), lane('cpu')], [item('a', 100, 'cpu'), item('b', 1, 'gpu'), item('c', 50, 'cpu')]);
    for (const [l, label] of order) expect(l).toBe(label === 'b' ? 'gpu' : 'cpu');
  });

  it('a broken lane hands its item back and the other lane finishes everything', async () => {
    const done: string[] = [];
    const { unrunnable } = await dispatch([lane('gpu'), lane('cpu')], [item('a', 100), item('b', 10), item('c', 1)], async (i, l) => {
      await tick();
      if (l.name === 'gpu') return 'lane-broken';
      done.push(i.label);
      return 'done';
    });
    expect(done.sort()).toEqual(['a', 'b', 'c']);
    expect(unrunnable).toEqual([]);
  });

  it('items pinned to a missing or broken lane are reported, not lost', async () => {
    const { unrunnable } = await dispatch([lane('cpu')], [item('a', 1, 'gpu')]);
    expect(unrunnable).toEqual(['a: no gpu lane is available']);
  });

  it('drain stops handing out work; the rest is reported as interrupted', async () => {
    const seen: string[] = [];
    const unrunnable: string[] = [];
    const d: Dispatcher<Item> = new Dispatcher<Item>(
      [lane('cpu')],
      async (i) => {
        seen.push(i.label);
        d.drain();
        await tick();
        return 'done';
      },
      (i, reason) => unrunnable.push(`${i.label}: ${reason}`),
    );
    await d.run([item('a', 3), item('b', 2), item('c', 1)]);
    expect(seen).toEqual(['a']);
    expect(unrunnable.sort()).toEqual(['b: interrupted before it started', 'c: interrupted before it started']);
  });
});

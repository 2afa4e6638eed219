import type { Lane } from '../lanes/types.js';

/** A unit of work for the lanes: a dense training or a pruning run. */
export interface WorkItem {
  readonly key: string;
  /** Dense trainings unblock runs, so they go first. */
  readonly priority: number;
  /** parameters x examples x epochs. */
  readonly cost: number;
  /** `auto` goes to any lane; `cpu` / `gpu` pin it. */
  readonly pin: 'auto' | 'cpu' | 'gpu';
  /** False while the item waits on another (a run on its dense model). */
  ready(): boolean;
}

/** What executing an item on a lane came to: `lane-broken` requeues it and retires the lane. */
export type Outcome = 'done' | 'lane-broken';

/**
 * One queue, many lanes. Every lane slot pulls the next ready item it may
 * take: the GPU lane the most expensive, CPU lanes the cheapest when a GPU lane
 * is there to take the big ones (otherwise the most expensive first, the
 * longest-processing-time rule). Items pinned to a lane wait for that lane.
 */
export class Dispatcher<T extends WorkItem> {
  private readonly queue: T[] = [];
  private readonly alive = new Set<Lane>();
  private wake: () => void = () => undefined;
  private changed: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly lanes: readonly Lane[],
    private readonly execute: (item: T, lane: Lane) => Promise<Outcome>,
    private readonly onUnrunnable: (item: T, reason: string) => void,
  ) {
    for (const l of lanes) this.alive.add(l);
    this.arm();
  }

  /** Stop handing out work; running items finish (or see the cancel flag) on their own. */
  drain(): void {
    this.stopped = true;
    this.signal();
  }

  async run(items: readonly T[]): Promise<void> {
    this.queue.push(...items);
    await Promise.all(this.lanes.flatMap((lane) => Array.from({ length: lane.capacity }, () => this.slot(lane))));
    // Whatever is left could not run: its lane is absent or broke, or we were drained.
    for (const item of this.queue.splice(0)) {
      const reason = this.stopped
        ? 'interrupted before it started'
        : this.alive.size === 0
          ? 'every lane that could run it broke down (workers died outside any task; see the log)'
          : `no ${item.pin} lane is available`;
      this.onUnrunnable(item, reason);
    }
  }

  private async slot(lane: Lane): Promise<void> {
    for (;;) {
      if (this.stopped || !this.alive.has(lane)) return;
      const item = this.take(lane);
      if (!item) {
        // Nothing this slot may take now. While anything runs, it may make work
        // ready (a dense model) or hand work back (a broken lane): wait for it.
        if (!this.anyBusy) return;
        await this.changed;
        continue;
      }
      this.busy++;
      let outcome: Outcome = 'done';
      try {
        outcome = await this.execute(item, lane);
      } finally {
        this.busy--;
      }
      if (outcome === 'lane-broken') {
        this.alive.delete(lane);
        this.queue.push(item);
      }
      this.signal();
    }
  }

  private busy = 0;
  private get anyBusy(): boolean {
    return this.busy > 0;
  }

  private canTake(item: T, lane: Lane): boolean {
    if (item.pin === 'auto') return true;
    return item.pin === lane.name;
  }

  private take(lane: Lane): T | undefined {
    const hasGpu = [...this.alive].some((l) => l.name === 'gpu');
    const cheapestFirst = lane.name === 'cpu' && hasGpu;
    let best = -1;
    for (let i = 0; i < this.queue.length; i++) {
      const it = this.queue[i]!;
      if (!this.canTake(it, lane) || !it.ready()) continue;
      if (best < 0) {
        best = i;
        continue;
      }
      const b = this.queue[best]!;
      if (it.priority !== b.priority) {
        if (it.priority > b.priority) best = i;
        continue;
      }
      if (cheapestFirst ? it.cost < b.cost : it.cost > b.cost) best = i;
    }
    return best < 0 ? undefined : this.queue.splice(best, 1)[0];
  }

  private arm(): void {
    this.changed = new Promise((resolve) => (this.wake = resolve));
  }

  private signal(): void {
    const wake = this.wake;
    this.arm();
    wake();
  }
}

import { describe, expectTypeOf, it } from 'vitest';
import type { DenseResult, DenseTask, PruneTask, RunResult } from '../worker/messages.js';
import type { Lane } from './types.js';

// Checked by the typecheck (tsconfig.test.json): a caller of Lane.run gets its
// task kind's result without a cast, as the dense phase and execution rely on.
describe('Lane.run', () => {
  it('returns a DenseResult for a DenseTask and a RunResult for a PruneTask', () => {
    const train = (lane: Lane, task: DenseTask) => lane.run(task);
    const prune = (lane: Lane, task: PruneTask) => lane.run(task, [task.port]);
    expectTypeOf(train).returns.resolves.toEqualTypeOf<DenseResult>();
    expectTypeOf(prune).returns.resolves.toEqualTypeOf<RunResult>();
  });
});

import { afterEach, expect, it, vi } from 'vitest';
import { initBackend, tf } from './index.js';

afterEach(() => vi.restoreAllMocks());

// Found in `prunelab export model`: an error line preceded by tfjs's banner.
it("prints no tfjs banner on the cpu backend's first tensor", async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  await initBackend('cpu');
  const before = tf.memory().numTensors;
  tf.tidy(() => tf.add(tf.tensor([1, 2]), tf.tensor([3, 4])).dataSync());
  expect(tf.memory().numTensors).toBe(before);
  expect([...warn.mock.calls, ...log.mock.calls].map((c) => String(c[0]))).toEqual([]);
});

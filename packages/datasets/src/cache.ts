/**
 * Per-process caches, so that loading the same dataset twice (several runs in
 * one process, the runner and a scorer) returns the same shared pools and the
 * main thread holds one copy. Promises are cached, so concurrent loads share
 * one read; a failed load is forgotten so a fixed file can be retried.
 */
const entries = new Map<string, Promise<unknown>>();

export function cached<T>(key: string, make: () => Promise<T>): Promise<T> {
  const hit = entries.get(key);
  if (hit) return hit as Promise<T>;
  const p = make();
  entries.set(key, p);
  p.catch(() => {
    if (entries.get(key) === p) entries.delete(key);
  });
  return p;
}

/** Drops every cached pool and dataset (their memory is freed once no worker holds them). */
export function clearDatasetCache(): void {
  entries.clear();
}

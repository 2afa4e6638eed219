/**
 * Promise.all, except that when several promises reject it throws the rejection of the
 * earliest one in the list, not the first to settle. Loaders that read files in parallel use
 * it so that a folder with several damaged files always names the same one, whatever order
 * the disk answers in.
 */
export async function allInOrder<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

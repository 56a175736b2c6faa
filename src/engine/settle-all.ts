/**
 * Like Promise.all, but waits for every promise to settle, so that no part is still writing when cleanup starts.
 * `onFirstFailure` runs as soon as one fails (to abort the others); the error thrown is the first in time, not the
 * abort errors it caused in the others.
 */
export async function settleAll<T>(promises: Promise<T>[], onFirstFailure: () => void): Promise<T[]> {
  let first: { error: unknown } | undefined;
  const results = await Promise.allSettled(
    promises.map((p) =>
      p.catch((error: unknown) => {
        if (!first) {
          first = { error };
          onFirstFailure();
        }
        throw error;
      }),
    ),
  );
  if (first) throw first.error;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

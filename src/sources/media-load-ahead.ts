/**
 * Maps `items` through `load` with up to `depth` loads in flight, yielding the results in input order: S3 requests
 * for small objects, uploads and deletes are bound by latency, so a few overlap. A load that fails is reported when
 * its turn comes. When the consumer stops early (an error, an abort), the loads already started are awaited and
 * their outcomes dropped, so nothing keeps running once the generator has closed.
 */
export async function* loadAhead<T, R>(
  items: AsyncIterable<T> | Iterable<T>,
  load: (item: T) => Promise<R>,
  depth: number,
): AsyncGenerator<R> {
  const iterator = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
  const pending: Promise<R>[] = [];
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && pending.length < depth) {
        const next = await iterator.next();
        if (next.done) exhausted = true;
        else pending.push(started(load(next.value)));
      }
      const first = pending.shift();
      if (first === undefined) return;
      yield await first;
    }
  } finally {
    await Promise.allSettled(pending);
    await iterator.return?.();
  }
}

/** Marks the rejection as handled for now; it is rethrown when the promise is awaited in turn. */
function started<R>(promise: Promise<R>): Promise<R> {
  promise.catch(() => {});
  return promise;
}

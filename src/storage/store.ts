import type { Readable } from 'node:stream';

/** What a store knows about one object. */
export interface StoredObject {
  key: string;
  sizeBytes: number;
  modifiedAt: Date;
}

/**
 * Where backups live: a flat namespace of keys ("shop/live/7k3qx2/db.dump.age") holding byte strings.
 * Keys use "/" as separator, never start with "/" and never contain "..", "\\" or empty segments.
 *
 * Contract, shared by every driver and checked by test/storage/store-contract.ts:
 * - `write` consumes `body` to its end and stores exactly its bytes under `key`, replacing any object there. The
 *   object becomes visible only once complete: if `body` errors or the write fails, `write` rejects and no object,
 *   partial or temporary, is left under `key` (an earlier object under `key` may be gone). The store never closes or
 *   destroys `body` on success; on failure it destroys it.
 * - `read` resolves to a stream of the object's bytes, or rejects with BackstopError code `not-found`. The caller
 *   consumes or destroys the stream.
 * - `stat` resolves to the object's description, or `undefined` when there is none.
 * - `list` yields every object whose key starts with `prefix`, across as many pages as the backend needs, in
 *   ascending key order.
 * - `delete` is idempotent: deleting a missing key succeeds.
 * - `link` returns a URL from which an HTTP GET fetches the object's bytes until `ttlSeconds` have passed, and is
 *   refused afterwards. `filename` is offered to the browser as the download name.
 * - Failures that may pass when tried again are BackstopErrors with `retryable: true`.
 */
export interface Store {
  write(key: string, body: Readable, options?: { contentType?: string }): Promise<{ sizeBytes: number }>;
  read(key: string): Promise<Readable>;
  stat(key: string): Promise<StoredObject | undefined>;
  list(prefix: string): AsyncIterable<StoredObject>;
  delete(key: string): Promise<void>;
  link(key: string, ttlSeconds: number, options?: { filename?: string }): Promise<string>;
  /** Where the store is, for people: "directory /srv/backups" or "s3://bucket/prefix/". No secrets. */
  describe(): string;
}

import type { Readable } from 'node:stream';
import type { DownloadGrant } from './download-link-signer.ts';

/** What a store knows about one object. */
export interface StoredObject {
  key: string;
  sizeBytes: number;
  modifiedAt: Date;
}

/**
 * Where backups live: a flat namespace of keys ("shop/live/7k3qx2/db.dump.age") holding byte strings.
 * Keys use "/" as separator, never start with "/" and never contain "\\", NUL, empty segments or "." / ".."
 * segments. Every method rejects a key that breaks these rules with BackstopError code `bad-key`.
 *
 * Contract, shared by every driver and checked by test/storage/store-contract.ts:
 * - `write` consumes `body` to its end, stores exactly its bytes under `key`, replacing any object there, and resolves
 *   to the number of bytes stored. The object becomes visible only once complete: if `body` errors or the write fails,
 *   `write` rejects and no object, partial or temporary, is left under `key` (an earlier object under `key` may be
 *   gone). When `body` errors, `write` rejects with that very error, so the caller sees why its source failed. The
 *   store never closes or destroys `body` on success; on failure it destroys it.
 * - `read` resolves to a stream of the object's bytes, or rejects with BackstopError code `not-found`. The caller
 *   consumes or destroys the stream.
 * - `stat` resolves to the object's description, or `undefined` when there is none.
 * - `list` yields every object whose key starts with `prefix` (a plain string prefix: "a/b" also yields "a/bc/x";
 *   a prefix no valid key could start with is `bad-key`), across as many pages as the backend needs, in ascending order of the keys' UTF-8 bytes (S3's order).
 * - `delete` is idempotent: deleting a missing key succeeds.
 * - `link` returns a URL from which an HTTP GET fetches the object's bytes until `ttlSeconds` (a positive integer)
 *   have passed, and is refused afterwards. `filename` (default: the key's last segment) is offered to the browser as
 *   the download name.
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
  /**
   * Only for stores whose links Backstop serves itself (the directory store; S3 links go to S3): what the token of
   * one of its links grants, for the `/downloads/<token>` route. Throws `link-invalid` or `link-expired`. A wrapper
   * passes it through.
   */
  grant?(token: string): DownloadGrant;
}

import type { Dirent } from 'node:fs';
import { type FileHandle, open, readdir, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { BackstopError } from '../domain/backstop-error.ts';
import { CountedSource } from './counted-source.ts';
import type { DownloadGrant, DownloadLinkSigner } from './download-link-signer.ts';
import type { Store, StoredObject } from './store.ts';
import { assertValidKey, assertValidPrefix, compareKeys, keyBasename } from './store-key.ts';
import { isTemporaryFileOf, isTemporaryName, writeFileAtomically } from './write-file-atomically.ts';

export interface FsStoreOptions {
  /** The directory holding the objects; created on the first write. */
  root: string;
  /** Signs the links that Backstop's own HTTP server serves, as a directory has no URLs of its own. */
  links: DownloadLinkSigner;
}

/** Errors that say "nothing is there" when resolving a key's path. */
const ABSENT = new Set(['ENOENT', 'ENOTDIR']);
/** Errors of a busy or overloaded system, which pass when tried later. */
const TRANSIENT = new Set(['EAGAIN', 'EBUSY', 'EINTR', 'EMFILE', 'ENFILE', 'ETIMEDOUT']);

/** A Store in a local directory: key "a/b/c" is the file <root>/a/b/c. */
export class FsStore implements Store {
  readonly #root: string;
  readonly #links: DownloadLinkSigner;

  constructor(options: FsStoreOptions) {
    this.#root = resolve(options.root);
    this.#links = options.links;
  }

  async write(key: string, body: Readable): Promise<{ sizeBytes: number }> {
    const source = new CountedSource(body);
    let path: string | undefined;
    try {
      path = this.#pathOf(key);
      await writeFileAtomically(path, source.chunks(), { syncUpTo: this.#root });
    } catch (error) {
      // The write may have created directories for the object; a failed one leaves no empty folders either.
      if (path !== undefined) await this.#removeEmptyParents(path);
      throw source.failWith(() => storeError(error, 'write', key));
    }
    return { sizeBytes: source.sizeBytes };
  }

  async read(key: string): Promise<Readable> {
    const path = this.#pathOf(key);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw ABSENT.has(errorCode(error)) ? notFound(key) : storeError(error, 'read', key);
    }
    try {
      // Opening a directory for reading succeeds; a key naming a directory ("a" beside "a/b") names no object.
      if (!(await handle.stat()).isFile()) throw notFound(key);
    } catch (error) {
      await handle.close();
      throw storeError(error, 'read', key);
    }
    return handle.createReadStream();
  }

  async stat(key: string): Promise<StoredObject | undefined> {
    return this.#statFile(key, this.#pathOf(key));
  }

  async *list(prefix: string): AsyncIterable<StoredObject> {
    assertValidPrefix(prefix);
    // Start in the deepest directory the prefix names completely; its last, partial segment filters names there.
    yield* this.#walk(prefix.slice(0, prefix.lastIndexOf('/') + 1), prefix);
  }

  async delete(key: string): Promise<void> {
    const path = this.#pathOf(key);
    try {
      await unlink(path);
    } catch (error) {
      // EISDIR: the key names a directory ("a" beside "a/b"), so no object.
      if (!ABSENT.has(errorCode(error)) && errorCode(error) !== 'EISDIR') throw storeError(error, 'delete', key);
    }
    await this.#removeUnfinishedWrites(path, key);
    await this.#removeEmptyParents(path);
  }

  /**
   * Removes the temporary files of writes to `path` that never finished: a process killed mid-write leaves one, and
   * deleting the key is how its abandoned attempt is discarded. (A write still running loses its temporary file and
   * fails, which is right: the key was deleted after it started.)
   */
  async #removeUnfinishedWrites(path: string, key: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(dirname(path));
    } catch (error) {
      if (ABSENT.has(errorCode(error))) return;
      throw storeError(error, 'delete', key);
    }
    for (const name of names) {
      if (isTemporaryFileOf(name, path)) await rm(join(dirname(path), name), { force: true });
    }
  }

  /**
   * What the token of one of this store's links grants (for Backstop's `/downloads/<token>` route); throws
   * `link-invalid` or `link-expired`.
   */
  grant(token: string): DownloadGrant {
    return this.#links.verify(token);
  }

  async link(key: string, ttlSeconds: number, options: { filename?: string } = {}): Promise<string> {
    assertValidKey(key);
    return this.#links.sign(key, ttlSeconds, options.filename ?? keyBasename(key));
  }

  describe(): string {
    return `directory ${this.#root}`;
  }

  #pathOf(key: string): string {
    assertValidKey(key);
    const segments = key.split('/');
    if (segments.some(isTemporaryName)) {
      throw new BackstopError('bad-key', `storage key ${JSON.stringify(key)} has a name reserved for temporary files`, {
        userMessage: 'That storage key is not valid.',
      });
    }
    return join(this.#root, ...segments);
  }

  async #statFile(key: string, path: string): Promise<StoredObject | undefined> {
    try {
      const stats = await stat(path);
      return stats.isFile() ? { key, sizeBytes: stats.size, modifiedAt: stats.mtime } : undefined;
    } catch (error) {
      if (ABSENT.has(errorCode(error))) return undefined;
      throw storeError(error, 'stat', key);
    }
  }

  /** Yields the objects under directory `directoryKey` ("" or "a/b/") whose keys start with `prefix`, in key order. */
  async *#walk(directoryKey: string, prefix: string): AsyncGenerator<StoredObject> {
    const directory = join(this.#root, directoryKey);
    let entries: Dirent[];
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch (error) {
      if (ABSENT.has(errorCode(error))) return;
      throw storeError(error, 'list', prefix);
    }
    // A directory sorts as its name plus "/", so files "b-c" and "b.d" come before the keys in directory "b", as in S3.
    // Names no key can have (temporary files, strays with a backslash) are not objects of this store.
    const children = entries
      .filter(
        (entry) =>
          (entry.isFile() || entry.isDirectory()) && !isTemporaryName(entry.name) && !entry.name.includes('\\'),
      )
      .map((entry) => ({ entry, key: `${directoryKey}${entry.name}${entry.isDirectory() ? '/' : ''}` }))
      .filter(({ key }) => key.startsWith(prefix))
      .sort((a, b) => compareKeys(a.key, b.key));
    for (const { entry, key } of children) {
      if (entry.isDirectory()) {
        yield* this.#walk(key, prefix);
        continue;
      }
      const object = await this.#statFile(key, join(directory, entry.name));
      // Undefined when deleted since readdir: then it is no longer there to list.
      if (object) yield object;
    }
  }

  /** Deleted backups and failed writes leave no empty folders behind. Best effort: an error only means a folder stays. */
  async #removeEmptyParents(path: string): Promise<void> {
    for (let directory = dirname(path); directory !== this.#root; directory = dirname(directory)) {
      try {
        await rmdir(directory);
      } catch {
        return;
      }
    }
  }
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? '';
}

function notFound(key: string): BackstopError {
  return new BackstopError('not-found', `no object under ${key}`, { userMessage: `Nothing is stored under ${key}.` });
}

function storeError(error: unknown, action: string, key: string): unknown {
  if (error instanceof BackstopError) return error;
  const code = errorCode(error);
  return new BackstopError('storage-failed', `could not ${action} ${key} in the backup directory: ${String(error)}`, {
    userMessage: `The backup directory could not ${action} ${key} (${code || 'unknown error'}).`,
    cause: error,
    retryable: TRANSIENT.has(code),
  });
}

import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MEDIA_FORMAT, type MediaManifestFile, type MediaSkippedFile } from './media-manifest.ts';

/**
 * Serialised entries are gathered up to this many bytes before one write to the spool file. Small on purpose: entries
 * that wait long outlive V8's young generation and are collected only with the old one, which then grows (at 256 KiB,
 * a backup of 500,000 files held 84 MB of heap against 48 MB at 16 KiB, and took longer).
 */
const WRITE_BYTES = 16 * 1024;

/** One list of the manifest (`files` or `skipped`), its entries serialised to a file as they come. */
class SpooledList {
  private fd: number | undefined;
  /** Reused for every write, and for reading the list back: a fresh buffer each time would be garbage to collect. */
  private buffer = Buffer.allocUnsafeSlow(2 * WRITE_BYTES);
  private pending: string[] = [];
  private pendingBytes = 0;
  /** Entries so far. */
  count = 0;
  /** Bytes of the list's entries with their separators, as they will appear between `[\n    ` and `\n  ]`. */
  bytes = 0;

  constructor(private readonly path: () => Promise<string>) {}

  async add(entry: object): Promise<void> {
    const text = (this.count === 0 ? '' : ',\n    ') + JSON.stringify(entry);
    this.count += 1;
    const length = Buffer.byteLength(text);
    this.bytes += length;
    this.pending.push(text);
    this.pendingBytes += length;
    if (this.pendingBytes >= WRITE_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    this.fd ??= openSync(await this.path(), 'w');
    if (this.buffer.length < this.pendingBytes) this.buffer = Buffer.allocUnsafeSlow(2 * this.pendingBytes);
    const length = this.buffer.write(this.pending.join(''));
    for (let written = 0; written < length; ) written += writeSync(this.fd, this.buffer, written, length - written);
    this.pending = [];
    this.pendingBytes = 0;
  }

  /** The list as the manifest holds it: `[]`, or its entries one a line. */
  async *text(): AsyncGenerator<Buffer> {
    if (this.count === 0) {
      yield Buffer.from('[]');
      return;
    }
    await this.flush();
    this.close();
    yield Buffer.from('[\n    ');
    // Each piece is read into the same buffer: the tar copies a piece before it asks for the next.
    const file = await open(await this.path(), 'r');
    try {
      for (;;) {
        const { bytesRead } = await file.read(this.buffer, 0, this.buffer.length, null);
        if (bytesRead === 0) break;
        yield this.buffer.subarray(0, bytesRead);
      }
    } finally {
      await file.close();
    }
    yield Buffer.from('\n  ]');
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * The manifest of a media tar: JSON with one file a line, so that `grep` and `diff` work on manifests of large trees,
 * keys in a fixed order, so that two backups of the same tree give the same bytes. It is built while the tar is
 * written, without holding its entries in memory: each file's line goes to a temporary file as the file is archived,
 * so a backup of 500,000 files keeps no more than one of 4,000. `content()` then gives the manifest's bytes (a test
 * holds them to a serialiser of the whole manifest) and `size` their length, which the tar header needs first.
 * `discard()` removes the temporary files; call it however the backup ends.
 */
export class MediaManifestSpool {
  private dir: Promise<string> | undefined;
  private readonly files = new SpooledList(() => this.fileOf('files'));
  private readonly skipped = new SpooledList(() => this.fileOf('skipped'));
  private totalBytes = 0;

  constructor(private readonly tempDir: string = tmpdir()) {}

  addFile(file: MediaManifestFile): Promise<void> {
    this.totalBytes += file.size;
    return this.files.add(file);
  }

  addSkipped(skipped: MediaSkippedFile): Promise<void> {
    return this.skipped.add(skipped);
  }

  /** The manifest's length in bytes. */
  get size(): number {
    return (
      Buffer.byteLength(this.head()) +
      listBytes(this.files) +
      Buffer.byteLength(this.middle()) +
      listBytes(this.skipped) +
      Buffer.byteLength(this.tail())
    );
  }

  /** The manifest's bytes. A piece's memory is reused once the next piece is asked for: copy what is kept. */
  async *content(): AsyncGenerator<Buffer> {
    yield Buffer.from(this.head());
    yield* this.files.text();
    yield Buffer.from(this.middle());
    yield* this.skipped.text();
    yield Buffer.from(this.tail());
  }

  async discard(): Promise<void> {
    this.files.close();
    this.skipped.close();
    if (this.dir !== undefined) await rm(await this.dir, { recursive: true, force: true });
  }

  private head(): string {
    return `{\n  "format": ${JSON.stringify(MEDIA_FORMAT)},\n  "files": `;
  }

  private middle(): string {
    return ',\n  "skipped": ';
  }

  private tail(): string {
    const totals = { files: this.files.count, bytes: this.totalBytes, skipped: this.skipped.count };
    return `,\n  "totals": ${JSON.stringify(totals)}\n}\n`;
  }

  private async fileOf(list: 'files' | 'skipped'): Promise<string> {
    this.dir ??= mkdtemp(join(this.tempDir, 'backstop-manifest-'));
    return join(await this.dir, `${list}.jsonl`);
  }
}

function listBytes(list: SpooledList): number {
  return list.count === 0 ? 2 : 6 + list.bytes + 4; // `[\n    ` entries `\n  ]`, or `[]`
}

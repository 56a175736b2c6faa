/**
 * The header blocks of one regular file in a media tar: a POSIX ustar header, preceded by a PAX extended header
 * (`path=`) when the name is not ASCII or does not fit ustar's name and prefix fields. Owner, group and mode are the
 * same for every entry and no user or group names are written, so the same tree always gives the same bytes; the
 * layout is the one tar-stream writes (a test holds the two equal), so archives read the same with either.
 */

const BLOCK = 512;
const MODE = 0o644;
const USTAR_MAGIC = Buffer.from('ustar\u000000', 'latin1'); // "ustar\0" and version "00"

/** Every header block of a file entry of `size` bytes named `name`, modified at `mtime`. */
export function fileHeaderBlocks(name: string, size: number, mtime: Date): Buffer {
  const ustar = ustarHeader(name, size, mtime, '0');
  if (ustar !== undefined) return ustar;
  const pax = paxRecords(name);
  const padding = (BLOCK - (pax.length % BLOCK)) % BLOCK;
  return Buffer.concat([
    ustarHeader('PaxHeader', pax.length, mtime, 'x')!,
    pax,
    Buffer.alloc(padding),
    ustarHeader('PaxHeader', size, mtime, '0')!,
  ]);
}

/** The bytes that end an archive: two zero blocks. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

/** Zero bytes that bring an entry of `size` bytes to a whole number of blocks. */
export function paddingAfter(size: number): Buffer {
  const over = size % BLOCK;
  return over === 0 ? EMPTY : ZEROS.subarray(0, BLOCK - over);
}

const EMPTY = Buffer.alloc(0);
const ZEROS = Buffer.alloc(BLOCK);

/** A ustar header, or undefined when the name is not ASCII or cannot be split into prefix (155) and name (100). */
function ustarHeader(fullName: string, size: number, mtime: Date, type: '0' | 'x'): Buffer | undefined {
  if (Buffer.byteLength(fullName) !== fullName.length) return undefined;
  let name = fullName;
  let prefix = '';
  // Leading directories move to the prefix field until the rest fits the name field.
  while (name.length > 100) {
    const slash = name.indexOf('/');
    if (slash === -1) return undefined;
    prefix += prefix === '' ? name.slice(0, slash) : `/${name.slice(0, slash)}`;
    name = name.slice(slash + 1);
  }
  if (prefix.length > 155) return undefined;
  // From the shared pool (a header is copied into the tar at once): a tree of 500,000 files is as many headers.
  const block = Buffer.allocUnsafe(BLOCK).fill(0);
  block.write(name, 0, 'latin1');
  block.write(octal(MODE, 6), 100, 'latin1');
  block.write(octal(0, 6), 108, 'latin1'); // uid
  block.write(octal(0, 6), 116, 'latin1'); // gid
  writeNumber(block, 124, size);
  writeNumber(block, 136, Math.floor(mtime.getTime() / 1000) || 0);
  block.write(type, 156, 'latin1');
  USTAR_MAGIC.copy(block, 257);
  block.write(octal(0, 6), 329, 'latin1'); // devmajor
  block.write(octal(0, 6), 337, 'latin1'); // devminor
  if (prefix !== '') block.write(prefix, 345, 'latin1');
  block.write(octal(checksum(block), 6), 148, 'latin1');
  return block;
}

/** `value` in octal, zero-padded to `digits`, then a space (all sevens when it does not fit). */
function octal(value: number, digits: number): string {
  const text = value.toString(8);
  return text.length > digits ? `${'7'.repeat(digits)} ` : `${text.padStart(digits, '0')} `;
}

/** A 12-byte numeric field: octal when it fits 11 digits, else base-256 (GNU), as sizes over 8 GiB need. */
function writeNumber(block: Buffer, offset: number, value: number): void {
  if (value.toString(8).length <= 11) {
    block.write(octal(value, 11), offset, 'latin1');
    return;
  }
  block[offset] = 0x80;
  let rest = value;
  for (let i = 11; i > 0; i--) {
    block[offset + i] = rest & 0xff;
    rest = Math.floor(rest / 0x100);
  }
}

/** The sum of the header's bytes with the checksum field counted as eight spaces. */
function checksum(block: Buffer): number {
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += block[i]!;
  for (let i = 156; i < BLOCK; i++) sum += block[i]!;
  return sum;
}

/** A PAX `path` record: "<length> path=<name>\n", where the length counts its own digits. */
function paxRecords(name: string): Buffer {
  const record = ` path=${name}\n`;
  const length = Buffer.byteLength(record);
  let digits = String(length).length;
  if (length + digits >= 10 ** digits) digits += 1;
  return Buffer.from(`${length + digits}${record}`);
}

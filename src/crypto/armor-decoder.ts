import { BODY_LINE_BYTES } from './age-header.ts';
import { corruptError, truncatedError } from './decrypt-errors.ts';
import { decodeStrictBase64 } from './strict-base64.ts';

const ARMOR_BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const ARMOR_END = '-----END AGE ENCRYPTED FILE-----';
// As in age: whitespace is tolerated around the armor, but not without bound.
const MAX_WHITESPACE = 1024;
const MAX_LINE = MAX_WHITESPACE + ARMOR_BEGIN.length + 2;
// Characters that cannot appear in a run of full lines ("-" and "_" included: Node's decoder would take base64url).
const NOT_BASE64 = /[^A-Za-z0-9+/\r\n]/;
// Bounds the strings made for the fast path: V8 strings cannot hold a whole large buffer, and a run with a bad
// character is rescanned once per line before it as those lines are decoded one by one.
const WINDOW = 64 * 1024;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const WHITESPACE = /^[\t\n\v\f\r ]*$/;
const EMPTY = Buffer.alloc(0);

/**
 * Decodes age's ASCII armor (strict PEM: `-----BEGIN AGE ENCRYPTED FILE-----`, 64-column padded base64 lines, the
 * last one shorter or full, the END line) from bytes arriving in any slices, with the reference implementation's
 * rules: LF or CRLF line ends, whitespace only before and after the armor. Throws `decrypt-corrupt` on malformed
 * armor and `decrypt-truncated` when the input ends before the END line.
 */
export class ArmorDecoder {
  private state: 'leading' | 'body' | 'end-line' | 'trailing' = 'leading';
  private pending = EMPTY; // the start of a line whose newline has not arrived
  private whitespace = 0; // before the BEGIN line, then after the END line

  /** Decodes the next armored bytes and returns the binary bytes they complete. */
  write(chunk: Buffer): Buffer[] {
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = EMPTY;
    const decoded: Buffer[] = [];
    let position = 0;
    while (position < data.length) {
      if (this.state === 'trailing') {
        this.readTrailing(data.subarray(position));
        break;
      }
      if (this.state === 'body') {
        const run = this.decodeFullLines(data, position);
        if (run.length > 0) {
          decoded.push(run.data);
          position += run.length;
          continue;
        }
      }
      const newline = data.indexOf(NEWLINE, position);
      if (newline === -1) {
        if (data.length - position > MAX_LINE) throw corruptError('an armor line is too long');
        this.pending = Buffer.from(data.subarray(position)); // a copy, so the caller's buffer is not retained
        break;
      }
      this.readLine(data.toString('latin1', position, newline), decoded);
      position = newline + 1;
    }
    return decoded;
  }

  /**
   * Decodes the run of full 64-column lines (the bulk of a file) at `start` in one go, without a per-line regex:
   * the line ends are checked by position, the characters by one scan of the run, and Node's decoder (which skips
   * line ends) must then yield 48 bytes per line, which a stray character would prevent.
   */
  private decodeFullLines(data: Buffer, start: number): { data: Buffer; length: number } {
    let end = start;
    let lines = 0;
    const limit = Math.min(data.length, start + WINDOW);
    for (;;) {
      const newline = data.indexOf(NEWLINE, end);
      if (newline === -1 || newline >= limit) break;
      const columns = newline - end;
      if (columns !== 64 && !(columns === 65 && data[newline - 1] === CARRIAGE_RETURN)) break;
      end = newline + 1;
      lines++;
    }
    const text = data.toString('latin1', start, end);
    if (lines === 0 || NOT_BASE64.test(text)) return { data: EMPTY, length: 0 };
    const bytes = Buffer.from(text, 'base64');
    return bytes.length === lines * BODY_LINE_BYTES ? { data: bytes, length: end - start } : { data: EMPTY, length: 0 };
  }

  /** Called at the end of the input; returns the bytes the last line held. */
  end(): Buffer[] {
    const decoded: Buffer[] = [];
    // As in age, the END line may lack its newline.
    if (this.pending.length > 0) this.readLine(this.pending.toString('latin1'), decoded);
    if (this.state !== 'trailing') throw truncatedError('the ASCII armor ends before its END line');
    return decoded;
  }

  private readLine(rawLine: string, decoded: Buffer[]): void {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    switch (this.state) {
      case 'leading':
        if (WHITESPACE.test(line)) {
          this.countWhitespace(rawLine.length + 1);
        } else if (line === ARMOR_BEGIN) {
          this.state = 'body';
        } else {
          throw corruptError(`the ASCII armor does not start with ${ARMOR_BEGIN}`);
        }
        break;
      case 'body': {
        if (line === ARMOR_END) {
          this.startTrailing();
          break;
        }
        // An empty line would decode to nothing; age rejects it rather than treat it as the short last line.
        const data = line.length > 0 && line.length <= 64 ? decodeStrictBase64(line, 'padded') : undefined;
        if (data === undefined) throw corruptError('an ASCII armor line is not 64 columns of canonical base64');
        decoded.push(data);
        if (data.length < BODY_LINE_BYTES) this.state = 'end-line';
        break;
      }
      case 'end-line':
        if (line !== ARMOR_END) throw corruptError('a short ASCII armor line is not followed by the END line');
        this.startTrailing();
        break;
    }
  }

  private startTrailing(): void {
    this.state = 'trailing';
    this.whitespace = 0;
  }

  private readTrailing(data: Buffer): void {
    if (!WHITESPACE.test(data.toString('latin1', 0, MAX_WHITESPACE))) {
      throw corruptError('data follows the ASCII armor END line');
    }
    this.countWhitespace(data.length);
  }

  private countWhitespace(count: number): void {
    this.whitespace += count;
    if (this.whitespace >= MAX_WHITESPACE) throw corruptError('too much whitespace around the ASCII armor');
  }
}

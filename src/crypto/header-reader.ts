import { AGE_INTRO, BODY_LINE_BYTES, type Stanza } from './age-header.ts';
import { corruptError, truncatedError } from './decrypt-errors.ts';
import { decodeStrictBase64 } from './strict-base64.ts';

/** A parsed header: its stanzas, its MAC, and the bytes the MAC covers. */
export interface ParsedHeader {
  readonly stanzas: Stanza[];
  readonly mac: Buffer;
  readonly macInput: Buffer;
}

// age sets no limit; real headers are a few hundred bytes, and a limit keeps a wrong input from filling memory.
const MAX_HEADER_SIZE = 1024 * 1024;
const NEWLINE = 0x0a;
const MAX_INTRO_LENGTH = 64;
const ARGUMENT = /^[\x21-\x7e]+$/;

/**
 * Reads the age header from bytes arriving in any slices, line by line, as strictly as the reference implementation:
 * each line is checked as soon as it is complete, so a file that is not age fails at its first line.
 */
export class HeaderReader {
  private state: 'intro' | 'stanza' | 'body' = 'intro';
  private readonly lines: Buffer[] = []; // complete lines, newline included: what the MAC covers
  private partial: Buffer[] = [];
  private size = 0;
  private readonly stanzas: Stanza[] = [];
  private lineCount = 0;
  private stanza: { type: string; args: string[] } | undefined; // the stanza whose body is being read
  private body: Buffer[] = [];

  /**
   * Feeds the next bytes. Returns undefined while the header is incomplete; once its closing line has been read,
   * returns the header and how many bytes of `chunk` belong to it (the rest is payload). Throws `decrypt-corrupt`
   * on a malformed header.
   */
  write(chunk: Buffer): { header: ParsedHeader; used: number } | undefined {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline + 1;
      this.size += end - start;
      if (this.size > MAX_HEADER_SIZE) throw corruptError('the header is over 1 MiB long');
      if (newline === -1) {
        this.partial.push(chunk.subarray(start));
        if (this.state === 'intro') this.checkIntroPrefix();
        return undefined;
      }
      this.partial.push(chunk.subarray(start, newline));
      const line = Buffer.concat(this.partial);
      this.partial = [];
      start = end;
      const header = this.readLine(line);
      if (header !== undefined) return { header, used: start };
    }
    return undefined;
  }

  /** Called when the input ends before the header did: throws `decrypt-truncated`. */
  end(): never {
    throw truncatedError(this.size === 0 ? 'it is empty' : 'it ends inside the age header');
  }

  /** Fails early on input that is not age, rather than buffering it up to the size limit looking for a newline. */
  private checkIntroPrefix(): void {
    const received = Buffer.concat(this.partial).toString('latin1');
    // Keep reading while the line may still be the intro or one introProblem() has a specific message for.
    const promising = `${AGE_INTRO}\r`.startsWith(received) || received.startsWith('age-encryption.org/');
    if (!promising || received.length > MAX_INTRO_LENGTH) throw corruptError(introProblem(received));
  }

  private readLine(line: Buffer): ParsedHeader | undefined {
    const text = line.toString('latin1');
    this.lineCount++;
    switch (this.state) {
      case 'intro':
        if (text !== AGE_INTRO) throw corruptError(introProblem(text));
        this.state = 'stanza';
        break;
      case 'stanza':
        if (text.startsWith('---')) return this.readClosingLine(text);
        this.readStanzaLine(text);
        break;
      case 'body':
        this.readBodyLine(text);
        break;
    }
    this.lines.push(line, NEWLINE_BUFFER);
    return undefined;
  }

  private readStanzaLine(text: string): void {
    const [prefix, type, ...args] = text.split(' ');
    if (prefix !== '->' || type === undefined || ![type, ...args].every((arg) => ARGUMENT.test(arg))) {
      throw corruptError(`header line ${this.lineCount} is neither a recipient stanza nor the closing line`);
    }
    this.stanza = { type, args };
    this.body = [];
    this.state = 'body';
  }

  private readBodyLine(text: string): void {
    // 64 columns at most; any other length or a non-canonical encoding is rejected, as the MAC covers the text.
    const data = text.length <= 64 ? decodeStrictBase64(text, 'unpadded') : undefined;
    if (data === undefined) {
      throw corruptError(
        text.startsWith('->') || text.startsWith('---')
          ? `the stanza before header line ${this.lineCount} ends without its final short body line`
          : `header line ${this.lineCount} is not a valid stanza body line`,
      );
    }
    this.body.push(data);
    if (data.length < BODY_LINE_BYTES) {
      this.stanzas.push({ ...this.stanza!, body: Buffer.concat(this.body) });
      this.state = 'stanza';
    }
  }

  private readClosingLine(text: string): ParsedHeader {
    const [prefix, encodedMac, ...rest] = text.split(' ');
    const mac = encodedMac === undefined ? undefined : decodeStrictBase64(encodedMac, 'unpadded');
    if (prefix !== '---' || rest.length > 0 || mac === undefined || mac.length !== 32) {
      throw corruptError('the header closing line (--- MAC) is malformed');
    }
    if (this.stanzas.length === 0) throw corruptError('the header has no recipient stanza');
    return { stanzas: this.stanzas, mac, macInput: Buffer.concat([...this.lines, CLOSING_PREFIX]) };
  }
}

const NEWLINE_BUFFER = Buffer.from('\n');
const CLOSING_PREFIX = Buffer.from('---');

function introProblem(firstLine: string): string {
  if (firstLine === `${AGE_INTRO}\r`) return 'its line endings were changed to CRLF, as a text-mode transfer does';
  if (firstLine.startsWith('age-encryption.org/')) return 'it uses an age format version other than v1';
  return `it is not an age-encrypted file (it does not start with "${AGE_INTRO}")`;
}

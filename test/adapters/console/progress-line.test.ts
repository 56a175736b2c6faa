import { Writable } from 'node:stream';
import { expect, test } from 'vitest';
import { ProgressLine } from '../../../adapters/console/progress-line.ts';

/** What the line shows last, after its redraws. */
function lastDrawn(written: string[]): string {
  return written.at(-1)!.replace('\r\x1b[K', '');
}

test('a phase that joins another or ends leaves no frozen figure; separate phases stand side by side', () => {
  const written: string[] = [];
  const out = new Writable({
    write: (chunk, _encoding, done) => {
      written.push(String(chunk));
      done();
    },
  });
  let now = 0;
  const line = new ProgressLine(out, () => (now += 200));
  const mb = 1048576;
  line.update({ phase: 'media', bytesDone: 1 * mb });
  expect(lastDrawn(written)).toBe('media 1.0 MB');
  line.update({ phase: 'media, restore', bytesDone: 3 * mb });
  expect(lastDrawn(written)).toBe('media, restore 3.0 MB');
  line.update({ phase: 'restore', bytesDone: 4 * mb });
  expect(lastDrawn(written)).toBe('restore 4.0 MB');
  line.update({ phase: 'verify db', bytesDone: 1 * mb, bytesExpected: 2 * mb });
  expect(lastDrawn(written)).toBe('restore 4.0 MB  ·  verify db 1.0 MB / 2.0 MB');
});

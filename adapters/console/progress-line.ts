import type { Writable } from 'node:stream';
import type { Progress } from '../../src/sources/source.ts';

/**
 * A one-line progress display on a terminal: every phase that reported (db, media, ...) with its bytes, redrawn at
 * most ten times a second. `done()` clears the line.
 */
export class ProgressLine {
  private readonly phases = new Map<string, Progress>();
  private lastDraw = 0;

  constructor(
    private readonly out: Writable,
    private readonly now: () => number = Date.now,
  ) {}

  readonly update = (progress: Progress): void => {
    // An operation's progress names its phases together ("media, restore"): a report naming a phase replaces every
    // earlier one that named it, so a phase that joined or ended leaves no frozen figure behind.
    const names = new Set(progress.phase.split(', '));
    for (const phase of this.phases.keys()) {
      if (phase.split(', ').some((name) => names.has(name))) this.phases.delete(phase);
    }
    this.phases.set(progress.phase, progress);
    const now = this.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const parts = [...this.phases.values()].map((p) => {
      const total = p.bytesExpected ? ` / ${mb(p.bytesExpected)}` : '';
      return `${p.phase} ${mb(p.bytesDone)}${total}`;
    });
    this.out.write(`\r\x1b[K${parts.join('  ·  ')}`);
  };

  done(): void {
    if (this.lastDraw > 0) this.out.write('\r\x1b[K');
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MB`;
}

import type { ProgressListener } from './source.ts';

/** Reports at most once per this many bytes, so progress stays cheap for trees of tiny files. */
const REPORT_EVERY_BYTES = 1024 * 1024;

/** Counts bytes and tells a listener about them now and then. */
export class MediaProgress {
  private bytesDone = 0;
  private reportedAt = 0;

  constructor(
    private readonly listener: ProgressListener | undefined,
    private readonly phase: string,
    private readonly bytesExpected?: number,
  ) {}

  add(bytes: number): void {
    this.bytesDone += bytes;
    if (this.bytesDone - this.reportedAt >= REPORT_EVERY_BYTES) this.report();
  }

  /** Reports the final figure, so a listener sees 100 %. */
  finish(): void {
    if (this.reportedAt !== this.bytesDone || this.bytesDone === 0) this.report();
  }

  private report(): void {
    this.reportedAt = this.bytesDone;
    this.listener?.({ phase: this.phase, bytesDone: this.bytesDone, bytesExpected: this.bytesExpected });
  }
}

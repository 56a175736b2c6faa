import type { CliIo } from './cli-io.ts';

export interface RestorePreview {
  destination: string;
  overwrites: string[];
  backupSummary: string;
}

/**
 * The terminal's confirmation of a restore: says what will be overwritten and asks the user to type the
 * destination's name. Resolves to whether to go on; with no terminal it refuses (the caller says to use --yes).
 */
export async function confirmRestore(io: CliIo, preview: RestorePreview, safetyBackup: boolean): Promise<boolean> {
  io.stderr.write(
    [
      `This restore OVERWRITES ${preview.destination} with ${preview.backupSummary}:`,
      ...preview.overwrites.map((line) => `  - ${line}`),
      safetyBackup
        ? '  A safety backup of what is there now is taken first.'
        : '  No safety backup will be taken (--no-safety-backup): what is there now will be lost.',
      '',
    ].join('\n'),
  );
  const answer = await io.prompt(`Type ${preview.destination} to go on: `);
  return answer.trim() === preview.destination;
}

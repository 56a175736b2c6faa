/** Options every `backstop` command accepts, wherever they stand on the line. */
export interface GlobalOptions {
  config?: string;
  json: boolean;
  yes: boolean;
  help: boolean;
  verbose: boolean;
  /** Follow an operation that `create` / `restore` queued to its end (implied when nothing else could run it). */
  wait: boolean;
  /** --no-color: no colour even on a terminal (as NO_COLOR=1). */
  noColor: boolean;
  /** --progress json: progress as JSON lines on stdout, then the result as one last line (implies --json, --wait). */
  progress?: 'json';
}

/** The global options as typed, for suggesting the one meant when a command is given a flag it does not know. */
export const globalFlags: readonly string[] = [
  '--json',
  '--wait',
  '--yes',
  '--verbose',
  '--help',
  '--config',
  '--no-color',
  '--progress',
];

/**
 * Takes the global options out of argv and returns them with the remaining words. `--` ends option parsing (so a
 * note may start with a dash) and stays in `words`, so the command's own parser knows that what follows is no flag
 * either. Command-specific flags (`--no-safety-backup`, `-i`, `-o`) stay in `words`.
 */
export function splitGlobalOptions(argv: readonly string[]): {
  options: GlobalOptions;
  words: string[];
  problem?: string;
} {
  const options: GlobalOptions = { json: false, yes: false, help: false, verbose: false, wait: false, noColor: false };
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      words.push(...argv.slice(i));
      break;
    }
    if (arg === '--json') options.json = true;
    else if (arg === '--yes' || arg === '-y') options.yes = true;
    else if (arg === '--help' || arg === '-h') options.help = true;
    else if (arg === '--verbose' || arg === '-v') options.verbose = true;
    else if (arg === '--wait' || arg === '-w') options.wait = true;
    else if (arg === '--no-color') options.noColor = true;
    else if (arg === '--progress' || arg.startsWith('--progress=')) {
      const value = arg === '--progress' ? argv[++i] : arg.slice('--progress='.length);
      if (value !== 'json') return { options, words, problem: `--progress takes json (progress as JSON lines)` };
      options.progress = 'json';
      // The last line is the result, the document --json prints; it comes once the work has ended.
      options.json = true;
      options.wait = true;
    } else if (arg === '--config' || arg === '-c') {
      const value = argv[i + 1];
      if (value === undefined) return { options, words, problem: '--config needs a file path' };
      options.config = value;
      i += 1;
    } else if (arg.startsWith('--config=')) options.config = arg.slice('--config='.length);
    else words.push(arg);
  }
  return { options, words };
}

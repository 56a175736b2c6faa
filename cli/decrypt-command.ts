import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import { createDecryptStream, readIdentityFiles } from '../src/crypto/index.ts';
import { parseAdminArgs } from './admin-args.ts';
import { adminFlags } from './admin-flags.ts';
import { usageError } from './usage-error.ts';

export const decryptUsage = 'backstop decrypt <file|-> [-i <identity-file>]... [-o <output-file>]';

/**
 * `backstop decrypt`: decrypts any age file (an object fetched from storage by hand) with the given identity files,
 * or the configured ones. Output goes to a temporary file renamed into place only after the whole input was
 * authenticated, so a damaged object never leaves a plausible-looking partial output. A file that is not there (the
 * input, an identity, the output's folder) is a mistake in the command line, answered before anything is read.
 */
export async function decryptCommand(
  args: string[],
  io: CliIo,
  json: boolean,
  configuredIdentities: () => string[],
): Promise<number> {
  const refuse = (message: string, code: 'usage' | 'file-not-found' = 'usage') =>
    usageError(io, json, message, { ...(code === 'usage' && { usage: decryptUsage }), code });
  // After `--` a word is the file to read, even one that starts with a dash; `-` alone is standard input.
  const parsed = parseAdminArgs(args, adminFlags.decrypt, { command: 'decrypt', positionals: 1 });
  if (typeof parsed === 'string') return refuse(parsed);
  const [input] = parsed.positionals;
  const identityFiles = parsed.strings('identity').map((file) => resolve(io.cwd, file));
  const outputWord = parsed.string('output');
  const output = outputWord === undefined ? undefined : resolve(io.cwd, outputWord);
  if (input === undefined) return refuse('decrypt needs a file to read (or - for standard input)');
  if (output === undefined && io.stdout.isTTY) {
    return refuse('the output is binary: write it to a file with -o <output-file>, or redirect standard output');
  }
  const inputPath = resolve(io.cwd, input);
  if (input !== '-' && !isFile(inputPath)) {
    return refuse(`${inputPath} does not exist (or is not a file): nothing to decrypt`, 'file-not-found');
  }
  if (output !== undefined && !isDirectory(dirname(output))) {
    return refuse(`the folder of ${output} does not exist: create it, or write elsewhere with -o`, 'file-not-found');
  }
  // A missing or unreadable identity file is refused by readIdentityFiles, naming the file (a usage error too).
  const identities = await readIdentityFiles(identityFiles.length > 0 ? identityFiles : configuredIdentities());
  const source = input === '-' ? io.stdin : createReadStream(inputPath, { highWaterMark: 1 << 20 });
  if (output === undefined) {
    await pipeline(source, createDecryptStream(identities), io.stdout, { end: false });
    return exitCodes.ok;
  }
  const temporary = join(dirname(output), `.${basename(output)}.partial-${process.pid}`);
  try {
    await pipeline(
      source,
      createDecryptStream(identities),
      createWriteStream(temporary, { flags: 'wx', highWaterMark: 1 << 20 }),
    );
    await rename(temporary, output);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  io.stderr.write(`Decrypted ${input} to ${output}\n`);
  return exitCodes.ok;
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

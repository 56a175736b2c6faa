import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type CliIo, exitCodes } from '../adapters/console/cli-io.ts';
import { generateIdentity } from '../src/crypto/index.ts';
import { parseAdminArgs } from './admin-args.ts';
import { adminFlags } from './admin-flags.ts';
import { usageError } from './usage-error.ts';

export const keygenUsage = 'backstop keygen [-o <identity-file>]   (default file: ./backstop.key)';

/**
 * `backstop keygen`: writes a new age identity file (mode 0600, never over an existing file), in the format of
 * age-keygen, and prints its recipient with the config lines that use it.
 */
export function keygenCommand(args: string[], io: CliIo, json: boolean, now: Date): number {
  const parsed = parseAdminArgs(args, adminFlags.keygen, { command: 'keygen' });
  if (typeof parsed === 'string') return usageError(io, json, parsed, { usage: keygenUsage });
  const out = parsed.string('output') ?? 'backstop.key';
  const path = resolve(io.cwd, out);
  if (existsSync(path)) {
    const message = `${path} already exists; keygen never overwrites a key. Choose another file with -o.`;
    return usageError(io, json, message, { code: 'file-exists' });
  }
  const { identity, recipient } = generateIdentity();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `# created: ${now.toISOString()}\n# public key: ${recipient}\n${identity}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
  if (json) {
    io.stdout.write(`${JSON.stringify({ identityFile: path, recipient })}\n`);
  } else {
    io.stdout.write(
      `${recipient}\n\nWrote the identity (private key) to ${path}. Keep a copy offline: without it no backup made for\n` +
        `this recipient can be decrypted. To use it, put this in backstop.yaml:\n\n` +
        `encryption:\n  recipients: [${recipient}]\n  identities: [${path}]\n`,
    );
  }
  return exitCodes.ok;
}

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateIdentity } from '../../src/crypto/index.ts';

/**
 * The `encryption:` section instances sharing a state database need (they must use the same keys): writes a fresh
 * identity to `dir/fleet.key` and returns the YAML naming it as recipient and identity.
 */
export function sharedKeyYaml(dir: string): string {
  const { identity, recipient } = generateIdentity();
  const file = join(dir, 'fleet.key');
  writeFileSync(file, `${identity}\n`, { mode: 0o600 });
  return `encryption:\n  recipients: [${recipient}]\n  identities: [${file}]\n`;
}

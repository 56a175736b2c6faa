import { userInfo } from 'node:os';
import type { CliIo } from '../adapters/console/cli-io.ts';
import type { Principal } from '../src/domain/principal.ts';

/** Whoever runs `backstop` holds the config and keys: the operator, with every role, named by their login. */
export function cliOperator(io: Pick<CliIo, 'env'>): Principal {
  return { kind: 'operator', id: `cli:${io.env['USER'] ?? safeUserName()}` };
}

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Unix socket paths are limited to about 100 bytes on Linux and macOS. */
const MAX_SOCKET_PATH = 100;

/**
 * Where `backstop serve` on the embedded state listens for commands handed over by other `backstop` processes: in
 * the data directory, or, when that path would be too long for a socket, in the temp directory under a name derived
 * from the data directory (so every process using that data directory finds the same one).
 */
export function handOffSocketPath(dataDir: string): string {
  const inDataDir = join(dataDir, 'backstop.sock');
  if (Buffer.byteLength(inDataDir) <= MAX_SOCKET_PATH) return inDataDir;
  const digest = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
  return join(tmpdir(), `backstop-${digest}.sock`);
}

// Runs s3rver in its own process (it needs --openssl-legacy-provider, which vitest's workers do not have) and
// prints {"port": N} on stdout once it listens. Stops when its parent closes stdin.
//   node --openssl-legacy-provider s3rver-process.mjs <directory> [address (127.0.0.1)] [port (0: any)]
import S3rver from 's3rver';

const [directory, address = '127.0.0.1', port = '0'] = process.argv.slice(2);
const server = new S3rver({ address, port: Number(port), directory, silent: true });
const listening = await server.run();
process.stdout.write(`${JSON.stringify({ port: listening.port })}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await server.close();
  process.exit(0);
});

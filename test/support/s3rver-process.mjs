// Runs s3rver in its own process (it needs --openssl-legacy-provider, which vitest's workers do not have) and
// prints {"port": N} on stdout once it listens. Stops when its parent closes stdin.
import S3rver from 's3rver';

const directory = process.argv[2];
const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await server.close();
  process.exit(0);
});

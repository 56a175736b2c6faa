// Bundles the compiled command line (dist/cli/main.js, built by tsc) into dist/bundle/: one module for what every
// command loads, and chunks for what only some load (split at the dynamic imports). Node spends most of a short
// command's start-up on resolving, reading and compiling hundreds of small modules (the query builder alone is 257),
// so the bundle starts in about half the time and memory. The threads Backstop starts (sealing, the HTTP front) are
// entries of their own next to the chunks, where the code that starts them looks for them. Libraries loaded only by
// the commands that use them (the AWS SDK, the chat platforms, the web server) stay in node_modules.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const dist = join(import.meta.dirname, '..', 'dist');
const outdir = join(dist, 'bundle');
rmSync(outdir, { recursive: true, force: true });

await build({
  entryPoints: {
    main: join(dist, 'cli', 'main.js'),
    'seal-worker': join(dist, 'src', 'engine', 'seal-worker.js'),
    'front-thread': join(dist, 'adapters', 'http-front', 'front-thread.js'),
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  sourcemap: true,
  logLevel: 'warning',
  external: [
    '@aws-sdk/*',
    '@smithy/*',
    '@slack/bolt',
    'discord.js',
    'express',
    'nodemailer',
    'openid-client',
    'pg',
    'pino',
    'prom-client',
  ],
  // Bundled CommonJS libraries call require() for Node's own modules; an ES module has none of its own.
  banner: {
    js: "import { createRequire as createRequireOfBundle } from 'node:module';\nconst require = createRequireOfBundle(import.meta.url);",
  },
});

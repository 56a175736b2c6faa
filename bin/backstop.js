#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm run build`, which `npm ci` runs); in a checkout that was never built,
// runs the TypeScript sources through tsx instead (also when BACKSTOP_FROM_SOURCE=1, as the tests do).
import { existsSync } from 'node:fs';

// 22.13: the first 22 with node:sqlite (the embedded state) without a flag.
const [nodeMajor, nodeMinor] = process.versions.node.split('.').map(Number);
if (nodeMajor < 22 || (nodeMajor === 22 && nodeMinor < 13)) {
  process.stderr.write(
    `backstop: needs Node.js 22.13 or newer (24 LTS recommended); this is ${process.version}. ` +
      'In a checkout of Backstop, `bash scripts/with-node.sh node bin/backstop.js ...` fetches Node 24 into .node/.\n',
  );
  process.exit(2);
}

// Node 22 calls node:sqlite experimental on every start; Node 24 does not. The warning says nothing to act on.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  if (String(warning?.message ?? warning).startsWith('SQLite is an experimental feature')) return;
  emitWarning(warning, ...rest);
};

// A reader that goes away (`backstop list | head`) is not an error worth a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

// The bundle (dist/bundle/, made by `npm run build`) starts fastest; dist/cli is the same code as separate modules.
const bundled = new URL('../dist/bundle/main.js', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);
let main;
const fromSource = process.env.BACKSTOP_FROM_SOURCE === '1';
if (!fromSource && existsSync(bundled)) {
  main = await import(bundled.href);
} else if (!fromSource && existsSync(compiled)) {
  main = await import(compiled.href);
} else {
  // Only a development checkout has the sources and tsx (a dev dependency); an installed package has dist/.
  const { register } = await import('tsx/esm/api').catch(() => {
    process.stderr.write('backstop: dist/ is missing; build it with `npm run build`.\n');
    process.exit(2);
  });
  register();
  main = await import('../cli/main.ts');
}
process.exitCode = await main.runCli(process.argv.slice(2));

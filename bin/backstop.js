#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm run build`, which `npm ci` runs); in a checkout that was never built,
// runs the TypeScript sources through tsx instead (also when BACKSTOP_FROM_SOURCE=1, as the tests do).
import { existsSync } from 'node:fs';

// A reader that goes away (`backstop list | head`) is not an error worth a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
let main;
if (existsSync(compiled) && process.env.BACKSTOP_FROM_SOURCE !== '1') {
  main = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  main = await import('../src/cli/main.ts');
}
process.exitCode = await main.runCli(process.argv.slice(2));

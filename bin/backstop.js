#!/usr/bin/env node
// Backstop runs from its TypeScript sources through tsx's loader: one code path for the CLI, the tests and the demo.
import { register } from 'tsx/esm/api';

register();
// A reader that goes away (`backstop list | head`) is not an error worth a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));

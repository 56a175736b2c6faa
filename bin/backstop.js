#!/usr/bin/env node
// Backstop runs from its TypeScript sources through tsx's loader: one code path for the CLI, the tests and the demo.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2));

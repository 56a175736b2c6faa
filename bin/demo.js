#!/usr/bin/env node
// `npm run demo`: runs scripts/demo.ts through tsx's loader (see bin/backstop.js).
import { register } from 'tsx/esm/api';

register();
await import('../scripts/demo.ts');

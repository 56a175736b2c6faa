// Worker threads do not inherit the main thread's TypeScript loader: register it here, then run the front.
import { register } from 'tsx/esm/api';

register();
await import('./front-thread.ts');

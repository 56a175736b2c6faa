// Stands in for the front's thread: says it listens, then fails as a thread with a bug would.
import { parentPort, workerData } from 'node:worker_threads';

parentPort.postMessage({ type: 'listening', address: workerData.host, port: 1 });
setTimeout(() => {
  throw new Error('the front broke');
}, 50);

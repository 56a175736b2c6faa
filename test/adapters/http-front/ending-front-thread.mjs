// Stands in for the front's thread: says it listens, then ends on its own, unasked.
import { parentPort, workerData } from 'node:worker_threads';

parentPort.postMessage({ type: 'listening', address: workerData.host, port: 1 });
setTimeout(() => process.exit(0), 50);

/**
 * What the HTTP front costs the requests it only passes on: the same express app served directly (as `serve` does
 * without chat) and behind the front (as `serve` does with chat), in one run, alternating.
 *
 *   node --import tsx bench/http-front-bench.ts [--requests N] [--megabytes M]
 *
 * Measures, for each: N small GETs (`/healthz`-like JSON) one after another on one kept-alive connection (latency
 * p50/p99), the same N as 50 concurrent clients (throughput), and the download of an M MB body streamed in 64 KiB
 * pieces (throughput, the path of a directory store's download link). Prints the ratios front/direct and this
 * process's peak RSS (the front thread lives in it).
 */
import { randomBytes } from 'node:crypto';
import { Agent, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import express from 'express';
import { startHttpFront } from '../adapters/http-front/http-front.ts';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const index = argv.indexOf(name);
  return index >= 0 ? Number(argv[index + 1]) : fallback;
};
const requests = option('--requests', 5000);
const megabytes = option('--megabytes', 1024);

const piece = randomBytes(64 * 1024);
const app = express();
app.get('/healthz', (_request, response) => {
  response.json({ status: 'ok' });
});
app.get('/blob', (_request, response) => {
  response.type('application/octet-stream');
  let left = (megabytes * 1024 * 1024) / piece.length;
  const next = () => {
    while (left > 0) {
      left -= 1;
      if (!response.write(piece)) {
        response.once('drain', next);
        return;
      }
    }
    response.end();
  };
  next();
});

function fetchOnce(agent: Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      response.on('end', () => resolve(bytes));
      response.on('error', reject);
    }).on('error', reject);
  });
}

async function measure(base: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 50 });
  const latencies: number[] = [];
  for (let i = 0; i < requests; i += 1) {
    const started = performance.now();
    await fetchOnce(agent, `${base}/healthz`);
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  const concurrentStarted = performance.now();
  let issued = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (issued < requests) {
        issued += 1;
        await fetchOnce(agent, `${base}/healthz`);
      }
    }),
  );
  const concurrentMs = performance.now() - concurrentStarted;
  const downloadStarted = performance.now();
  const bytes = await fetchOnce(agent, `${base}/blob`);
  const downloadMs = performance.now() - downloadStarted;
  if (bytes !== megabytes * 1024 * 1024) throw new Error(`downloaded ${bytes} bytes, not ${megabytes} MB`);
  agent.destroy();
  return {
    p50: latencies[Math.floor(latencies.length * 0.5)]!,
    p99: latencies[Math.floor(latencies.length * 0.99)]!,
    perSecond: requests / (concurrentMs / 1000),
    mbPerSecond: megabytes / (downloadMs / 1000),
  };
}

const direct: Server = app.listen(0, '127.0.0.1');
await new Promise((resolve) => direct.once('listening', resolve));
const front = await startHttpFront({ app, host: '127.0.0.1', port: 0, endpoints: [], log: console.error });
const results: Record<'direct' | 'front', Array<Awaited<ReturnType<typeof measure>>>> = { direct: [], front: [] };
for (let round = 0; round < 2; round += 1) {
  results.direct.push(await measure(`http://127.0.0.1:${(direct.address() as AddressInfo).port}`));
  results.front.push(await measure(`http://127.0.0.1:${front.port}`));
}
await front.close();
direct.close();

const best = (runs: Array<Awaited<ReturnType<typeof measure>>>) => ({
  p50: Math.min(...runs.map((r) => r.p50)),
  p99: Math.min(...runs.map((r) => r.p99)),
  perSecond: Math.max(...runs.map((r) => r.perSecond)),
  mbPerSecond: Math.max(...runs.map((r) => r.mbPerSecond)),
});
const d = best(results.direct);
const f = best(results.front);
const ms = (value: number) => `${value.toFixed(2)} ms`;
console.log(`# ${requests} requests, ${megabytes} MB download; best of 2 rounds each, alternating`);
console.log('| path | sequential p50 | sequential p99 | 50 concurrent | download |');
console.log('| --- | --- | --- | --- | --- |');
console.log(
  `| direct | ${ms(d.p50)} | ${ms(d.p99)} | ${d.perSecond.toFixed(0)} req/s | ${d.mbPerSecond.toFixed(0)} MB/s |`,
);
console.log(
  `| front | ${ms(f.p50)} | ${ms(f.p99)} | ${f.perSecond.toFixed(0)} req/s | ${f.mbPerSecond.toFixed(0)} MB/s |`,
);
console.log(
  `front / direct: latency p50 ${(f.p50 / d.p50).toFixed(2)}x, p99 ${(f.p99 / d.p99).toFixed(2)}x; ` +
    `throughput ${(f.perSecond / d.perSecond).toFixed(2)}x; download ${(f.mbPerSecond / d.mbPerSecond).toFixed(2)}x`,
);
console.log(
  `peak RSS of this process (client, app and front thread): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
);

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Router as createRouter, type Router } from 'express';
import { stylesheet } from './stylesheet.ts';

/**
 * The Backups view's stylesheet and script, served from the package (nothing from a CDN), with an ETag so a browser
 * asks again cheaply. The script is web/live.ts compiled by the build into dist/web/live.js.
 */
export function webAssets(): Router {
  const router = createRouter();
  const assets: Record<string, { type: string; body: () => string | undefined }> = {
    '/assets/backstop.css': { type: 'text/css; charset=utf-8', body: () => stylesheet },
    '/assets/live.js': { type: 'text/javascript; charset=utf-8', body: once(readLiveScript) },
  };
  for (const [path, asset] of Object.entries(assets)) {
    router.get(path, (request, response) => {
      const body = asset.body();
      if (body === undefined) {
        response.status(404).type('text/plain').send('The web view was not built: run npm run build.');
        return;
      }
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
      response.set({ etag, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
      if (request.get('if-none-match') === etag) response.status(304).end();
      else response.type(asset.type).send(body);
    });
  }
  return router;
}

/**
 * dist/web/live.js: next to dist/bundle when running the bundle, next to dist/src when running the build, under
 * dist/ when running the sources.
 */
function readLiveScript(): string | undefined {
  for (const relative of ['../web/live.js', '../../../web/live.js', '../../../dist/web/live.js']) {
    const path = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(path)) return readFileSync(path, 'utf8');
  }
  return undefined;
}

function once<T>(read: () => T): () => T {
  let value: { read: T } | undefined;
  return () => {
    value ??= { read: read() };
    return value.read;
  };
}

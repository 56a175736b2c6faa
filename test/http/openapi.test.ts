import SwaggerParser from '@apidevtools/swagger-parser';
import type { Router } from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createApiRouter } from '../../src/http/api/api-router.ts';
import { endpoints } from '../../src/http/api/openapi.ts';
import { createHttpApp } from '../../src/http/create-http-app.ts';
import type { Store } from '../../src/storage/store.ts';
import { makeEngine, makeStore, type TestEngine, target } from '../support/engine.ts';
import { listen } from './listen.ts';

let engine: TestEngine;
let store: Store;
let cleanupStore: () => Promise<void>;
let server: { url: string; close: () => Promise<void> };

beforeAll(async () => {
  ({ store, cleanup: cleanupStore } = await makeStore('directory'));
  engine = await makeEngine({ store, targets: [target('shop', 'live', { mediaDir: '/nonexistent' })] });
  server = await listen(createHttpApp({ state: engine.state.db, store, engine: engine.ctx }));
});

afterAll(async () => {
  await server?.close();
  await engine?.close();
  await cleanupStore?.();
});

/** The routes an express router serves, as `METHOD /path` with OpenAPI's `{id}` for `:id`. */
function routesOf(router: Router): string[] {
  const routes: string[] = [];
  for (const layer of router.stack) {
    const route = layer.route as { path: string; methods: Record<string, boolean> } | undefined;
    if (!route) continue;
    for (const method of Object.keys(route.methods)) {
      routes.push(`${method.toUpperCase()} ${route.path.replace(':id', '{id}')}`);
    }
  }
  return routes.sort();
}

describe('the OpenAPI document', () => {
  test('is served without a token at /api/v1/openapi.json and is a valid OpenAPI 3.1 document', async () => {
    const response = await fetch(`${server.url}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    const document = await response.json();
    expect(document.openapi).toBe('3.1.0');
    // Validates against the OpenAPI 3.1 schema and resolves every $ref.
    await expect(SwaggerParser.validate(structuredClone(document))).resolves.toMatchObject({ openapi: '3.1.0' });
  });

  test('describes exactly the routes the API serves', () => {
    const router = createApiRouter({ engine: engine.ctx, state: engine.state.db, approvalReachable: () => true });
    const described = endpoints.map((e) => `${e.method.toUpperCase()} ${e.path}`).sort();
    expect(routesOf(router).filter((route) => route !== 'GET /openapi.json')).toEqual(described);
  });

  test('its request schemas are the ones that validate requests', async () => {
    const document = await (await fetch(`${server.url}/api/v1/openapi.json`)).json();
    const create = document.paths['/backups'].post;
    expect(create.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      required: ['app', 'env'],
      additionalProperties: false,
      properties: { app: { type: 'string', minLength: 1, maxLength: 100 }, note: { maxLength: 500 } },
    });
    expect(create.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }));
    const list = document.paths['/backups'].get;
    expect(list.parameters).toContainEqual(
      expect.objectContaining({ name: 'limit', in: 'query', schema: expect.objectContaining({ maximum: 1000 }) }),
    );
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(['app', 'env', 'trigger', 'limit', 'cursor']);
    expect(document.paths['/restores'].post.requestBody.content['application/json'].schema.properties).toHaveProperty(
      'safetyBackup',
      { type: 'boolean', default: true },
    );
  });
});

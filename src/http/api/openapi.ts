import { z } from 'zod';
import { idPattern } from '../../domain/new-id.ts';
import type { Role } from '../../domain/principal.ts';
import {
  createBackupBody,
  createDownloadBody,
  createDrillBody,
  createRestoreBody,
  listAuditQuery,
  listBackupsQuery,
  listOperationsQuery,
  listRestoreRequestsQuery,
  listSchedulesQuery,
  previewRestoreQuery,
} from './api-schemas.ts';

interface Endpoint {
  method: 'get' | 'post' | 'put' | 'delete';
  /** The path under /api/v1, with `{id}` for the id. */
  path: string;
  summary: string;
  /** The role it needs on the app it touches ("whoever asked" for a withdrawal). */
  role: Role | 'whoever asked';
  body?: z.ZodType;
  query?: z.ZodObject;
  answer: { status: 200 | 202; description: string };
  /** Answers a JSON array (a list) rather than an object. */
  list?: true;
  /** Answers a server-sent event stream rather than JSON. */
  stream?: true;
}

/**
 * Every endpoint of the API, with the schemas that validate its requests (the same objects the routes parse with):
 * the OpenAPI document is made from this list, and a test holds it equal to the routes the router serves.
 */
export const endpoints: readonly Endpoint[] = [
  {
    method: 'post',
    path: '/backups',
    summary: 'Create a backup (queued; follow its operation)',
    role: 'operator',
    body: createBackupBody,
    answer: { status: 202, description: 'The backup and its operationId; Location: the operation' },
  },
  {
    method: 'get',
    path: '/backups',
    summary: 'List backups, newest first',
    role: 'viewer',
    query: listBackupsQuery,
    list: true,
    answer: { status: 200, description: 'An array of backups; Link: the next page, when there is one' },
  },
  { method: 'get', path: '/backups/{id}', summary: 'Show a backup', role: 'viewer', answer: ok('The backup') },
  {
    method: 'put',
    path: '/backups/{id}/pin',
    summary: 'Pin a backup: retention never deletes it',
    role: 'operator',
    answer: ok('The backup'),
  },
  {
    method: 'delete',
    path: '/backups/{id}/pin',
    summary: 'Unpin a backup',
    role: 'operator',
    answer: ok('The backup'),
  },
  {
    method: 'post',
    path: '/backups/{id}/verify',
    summary: 'Read a backup back, decrypt it and check every checksum',
    role: 'operator',
    answer: ok('The backup with verification: { ok, parts, metadata }'),
  },
  {
    method: 'post',
    path: '/backups/{id}/drill',
    summary: 'Drill a backup: restore it into scratch space, check every table and the configured checks (queued)',
    role: 'operator',
    answer: { status: 202, description: 'The drill and its operationId; Location: the operation' },
  },
  {
    method: 'post',
    path: '/drills',
    summary: "Drill a target's newest completed backup (queued)",
    role: 'operator',
    body: createDrillBody,
    answer: { status: 202, description: 'The drill and its operationId; Location: the operation' },
  },
  { method: 'get', path: '/drills/{id}', summary: 'Show a drill', role: 'viewer', answer: ok('The drill') },
  {
    method: 'post',
    path: '/restores',
    summary: 'Restore a backup (queued), or into a protected target open a restore request',
    role: 'restorer',
    body: createRestoreBody,
    answer: {
      status: 202,
      description:
        'The restore and its operationId (Location: the operation); into a protected target ' +
        '{ approvalRequired: true, requestId, message, request } (Location: the request)',
    },
  },
  {
    method: 'get',
    path: '/restores/preview',
    summary: 'What a restore would overwrite, whether it needs approval and takes a safety backup (changes nothing)',
    role: 'restorer',
    query: previewRestoreQuery,
    answer: ok('{ destination, protected, overwrites, backup, needsApproval, safetyBackup, confirmWith }'),
  },
  { method: 'get', path: '/restores/{id}', summary: 'Show a restore', role: 'viewer', answer: ok('The restore') },
  {
    method: 'get',
    path: '/restore-requests',
    summary: 'List restore requests, newest first',
    role: 'viewer',
    query: listRestoreRequestsQuery,
    list: true,
    answer: ok('An array of restore requests; Link: the next page, when there is one'),
  },
  {
    method: 'get',
    path: '/restore-requests/{id}',
    summary: 'Show a restore request',
    role: 'viewer',
    answer: ok('The request'),
  },
  ...(['approve', 'deny'] as const).map(
    (decision): Endpoint => ({
      method: 'post',
      path: `/restore-requests/{id}/${decision}`,
      summary: `${decision === 'approve' ? 'Approve' : 'Deny'} someone else's restore request (a person, never a token)`,
      role: 'approver',
      answer: ok('The request'),
    }),
  ),
  {
    method: 'post',
    path: '/restore-requests/{id}/withdraw',
    summary: 'Withdraw a restore request one asked for',
    role: 'whoever asked',
    answer: ok('The request'),
  },
  {
    method: 'post',
    path: '/downloads',
    summary: 'Prepare download links of a backup (queued)',
    role: 'operator',
    body: createDownloadBody,
    answer: { status: 202, description: 'The download and its operationId; Location: the operation' },
  },
  {
    method: 'get',
    path: '/downloads/{id}',
    summary: 'Show a download, with its links once ready',
    role: 'operator',
    answer: ok('The download'),
  },
  {
    method: 'get',
    path: '/operations',
    summary: 'List operations (queued, running, finished), newest first',
    role: 'viewer',
    query: listOperationsQuery,
    list: true,
    answer: ok('An array of operations; Link: the next page, when there is one'),
  },
  {
    method: 'get',
    path: '/operations/{id}',
    summary: 'Show an operation',
    role: 'viewer',
    answer: ok('The operation'),
  },
  {
    method: 'post',
    path: '/operations/{id}/cancel',
    summary: 'Cancel a queued or running operation',
    role: 'operator',
    answer: ok('The operation'),
  },
  {
    method: 'get',
    path: '/events',
    summary: 'Follow operations as server-sent events',
    role: 'viewer',
    answer: ok(
      'text/event-stream: first the queued and running operations, then one `operation` event (data: the ' +
        "operation's JSON, id: its id) each time one is queued, makes progress or ends",
    ),
    stream: true,
  },
  {
    method: 'get',
    path: '/targets',
    list: true,
    summary: 'The targets the caller may read, their parts, and what the caller may do on each',
    role: 'viewer',
    answer: ok('An array of { app, env, parts, protected, may: { createBackup, restoreInto, approve, ... } }'),
  },
  {
    method: 'get',
    path: '/schedules',
    summary: "Each target's schedule, next run, last scheduled result and retention policy",
    role: 'viewer',
    query: listSchedulesQuery,
    list: true,
    answer: ok('An array of schedules'),
  },
  {
    method: 'get',
    path: '/audit',
    summary: 'The audit log, newest first',
    role: 'operator',
    query: listAuditQuery,
    list: true,
    answer: ok('An array of audit entries; Link: the next page, when there is one'),
  },
];

function ok(description: string): Endpoint['answer'] {
  return { status: 200, description };
}

const problem = {
  type: 'object',
  description: 'An RFC 9457 problem; `code` is stable for scripts, `detail` says what to do.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', format: 'uri', examples: ['urn:backstop:problem:forbidden'] },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
  },
  additionalProperties: true,
};

/** A schema of the request side (defaults are what the server fills in), without its own `$schema`. */
function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
}

/** The OpenAPI 3.1 document of the API, served at `/api/v1/openapi.json`. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const endpoint of endpoints) {
    const parameters = [
      ...(endpoint.path.includes('{id}')
        ? [{ name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: idPattern } }]
        : []),
      ...Object.entries(endpoint.query ? (jsonSchema(endpoint.query)['properties'] as object) : {}).map(
        ([name, schema]) => ({ name, in: 'query', required: false, schema }),
      ),
      ...(endpoint.method === 'post'
        ? [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              description: 'Makes the POST safe to retry: a retry with the same key gets the first answer again.',
              schema: { type: 'string', minLength: 1, maxLength: 255 },
            },
          ]
        : []),
    ];
    paths[endpoint.path] ??= {};
    paths[endpoint.path]![endpoint.method] = {
      summary: endpoint.summary,
      description: `Needs: ${endpoint.role}${endpoint.role === 'whoever asked' ? '' : ' role on the app'}.`,
      operationId: `${endpoint.method}${endpoint.path.replace(/[{}]/g, '').replace(/[/-](\w)/g, (_, c: string) => c.toUpperCase())}`,
      ...(parameters.length > 0 && { parameters }),
      ...(endpoint.body && {
        requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(endpoint.body) } } },
      }),
      responses: {
        [endpoint.answer.status]: {
          description: endpoint.answer.description,
          content: {
            'application/json': {
              schema: { type: endpoint.path.endsWith('s') && endpoint.method === 'get' ? 'array' : 'object' },
            },
          },
        },
        default: {
          description: 'A refusal or failure',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Backstop API',
      // The API's own version, as in its path: it changes when an answer changes incompatibly.
      version: '1',
      description:
        'Backups of PostgreSQL databases and media files: create, list, restore, download, and follow the work. ' +
        'Lists take limit and cursor and link the next page in a Link header.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A token from `backstop token create`.' },
      },
      schemas: { Problem: problem },
    },
  };
}

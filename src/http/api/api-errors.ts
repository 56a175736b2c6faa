import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Response } from 'express';
import type { z } from 'zod';
import { BackstopError } from '../../domain/backstop-error.ts';
import { idShapeHint } from '../../domain/new-id.ts';
import { reasonOf } from '../../domain/reason-of.ts';
import { closestWord } from '../../text/closest-word.ts';

/**
 * An answer other than success, sent as an RFC 9457 problem (`application/problem+json`):
 * `{ type, title, status, detail, code, ...details }`. `code` is stable for scripts (`type` is the same code as a URN);
 * `detail` says what to do.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Engine error codes that are not plain 400s. Any other BackstopError with a userMessage is the caller's mistake. */
export const statusOfCode: Record<string, number> = {
  forbidden: 403,
  'approval-required': 403,
  'backup-not-found': 404,
  'request-not-found': 404,
  'restore-not-found': 404,
  'download-not-found': 404,
  'operation-not-found': 404,
  'unknown-target': 404,
  'not-found': 404,
  'backup-not-restorable': 409,
  'backup-not-downloadable': 409,
  'backup-not-verifiable': 409,
  'no-media': 409,
  'operation-finished': 409,
  'request-decided': 409,
  'approval-unreachable': 409,
};

/** The members of `error`'s problem document. */
export function problemOf(error: ApiError): Record<string, unknown> {
  return {
    ...error.details,
    type: `urn:backstop:problem:${error.code}`,
    title: STATUS_CODES[error.status] ?? 'Error',
    status: error.status,
    detail: error.message,
    code: error.code,
  };
}

export function sendError(response: Response, error: ApiError): void {
  if (error.status === 401) response.set('WWW-Authenticate', 'Bearer realm="backstop"');
  response.status(error.status).type('application/problem+json').json(problemOf(error));
}

/**
 * Parses `value` with `schema`, or a 400 `invalid-request` naming each problem (`where` is "body" or "query"): a
 * missing field is "required", an unknown one is named with the nearest known name, a query parameter given twice
 * says so.
 */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, where: 'body' | 'query'): z.infer<T> {
  if (
    where === 'body' &&
    (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value))
  ) {
    throw new ApiError(
      400,
      'invalid-request',
      'The request body must be a JSON object, sent with Content-Type: application/json.',
    );
  }
  if (where === 'query') {
    const repeated = Object.entries(value as Record<string, unknown>).filter(([, given]) => Array.isArray(given));
    if (repeated.length > 0) {
      const names = repeated.map(([name]) => `query.${name}`).join(', ');
      throw new ApiError(400, 'invalid-request', `The request is not valid: ${names}: given more than once.`);
    }
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const known = 'shape' in schema ? Object.keys((schema as unknown as z.ZodObject).shape) : [];
  const noun = where === 'body' ? 'field' : 'parameter';
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? `${where}.${issue.path.map(String).join('.')}` : where;
    if (issue.code === 'unrecognized_keys') {
      return issue.keys
        .map((key) => {
          const nearest = issue.path.length === 0 ? closestWord(key, known) : undefined;
          return `${path}: unknown ${noun} "${key}"${nearest ? ` (did you mean ${nearest}?)` : ''}`;
        })
        .join('; ');
    }
    if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return `${path}: required`;
    return `${path}: ${issue.message}`;
  });
  const accepted = known.length > 0 ? ` (${where === 'body' ? 'fields' : 'parameters'}: ${known.join(', ')})` : '';
  throw new ApiError(400, 'invalid-request', `The request is not valid: ${problems.join('; ')}${accepted}.`);
}

/**
 * The API's last error handler: ApiErrors as they are, malformed JSON as 400, engine errors with a message for people
 * by their code, and anything else as a 500 `internal` without details (logged with `log`).
 */
export function apiErrorHandler(log: (line: string) => void): ErrorRequestHandler {
  return (error: unknown, request, response, next) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    sendError(response, toApiError(error, `${request.method} ${request.originalUrl}`, log));
  };
}

function toApiError(error: unknown, where: string, log: (line: string) => void): ApiError {
  if (error instanceof ApiError) return error;
  // Express could not percent-decode a parameter of the path (`%ZZ`); every parameter of the API's paths is an id.
  if (error instanceof URIError) {
    return new ApiError(
      400,
      'malformed-id',
      `The id in the path is malformed (not valid percent-encoding): ${idShapeHint}.`,
    );
  }
  const parserError = error as { type?: string; status?: number };
  if (parserError.type === 'entity.parse.failed') {
    return new ApiError(400, 'invalid-json', 'The request body is not valid JSON.');
  }
  if (parserError.type === 'entity.too.large') {
    return new ApiError(413, 'too-large', 'The request body is too large.');
  }
  if (typeof parserError.type === 'string' && typeof parserError.status === 'number' && parserError.status < 500) {
    return new ApiError(parserError.status, 'invalid-request', 'The request body could not be read as JSON.');
  }
  if (error instanceof BackstopError && error.userMessage !== undefined) {
    return new ApiError(statusOfCode[error.code] ?? 400, error.code, error.userMessage, { ...error.details });
  }
  log(`HTTP API: ${where} failed: ${reasonOf(error)}`);
  return new ApiError(500, 'internal', 'Something went wrong on the server; the details are in its log.');
}

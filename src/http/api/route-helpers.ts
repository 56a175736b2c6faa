import type { Request, Response } from 'express';
import { idShapeHint, isWellFormedId } from '../../domain/new-id.ts';
import type { Operation } from '../../domain/operation.ts';
import { ApiError } from './api-errors.ts';

/**
 * The id in the request's path, or 400 `malformed-id`: text that cannot be an id names nothing, and a NUL byte in it
 * would fail the database query rather than find nothing.
 */
export function idIn(request: Request, what: string): string {
  const given = String(request.params['id']);
  if (isWellFormedId(given)) return given;
  throw new ApiError(400, 'malformed-id', `The ${what} id in the path is malformed: ${idShapeHint}.`);
}

/** 202 Accepted with the operation to follow in `Location`. */
export function accepted(request: Request, response: Response, operation: Operation): Response {
  return response.status(202).location(`${request.baseUrl}/operations/${operation.id}`);
}

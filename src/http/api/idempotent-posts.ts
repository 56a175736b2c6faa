import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { reasonOf } from '../../domain/reason-of.ts';
import type { IdempotencyKeys } from '../../state/idempotency-keys.ts';
import { principalOf } from './api-access.ts';
import { ApiError } from './api-errors.ts';

/**
 * The key of an `Idempotency-Key` header: a structured-field string (`"..."`) or a bare token, 1 to 255 visible ASCII
 * characters, so a UUID, a CI job id or any printable name will do.
 */
function keyIn(header: string): string {
  const value = header.trim();
  const quoted = /^"([\x20-\x21\x23-\x5b\x5d-\x7e]{1,255})"$/.exec(value)?.[1];
  if (quoted !== undefined) return quoted;
  if (/^[\x21-\x7e]{1,255}$/.test(value) && !value.startsWith('"')) return value;
  throw new ApiError(
    400,
    'invalid-idempotency-key',
    'The Idempotency-Key header must be 1 to 255 printable ASCII characters (a UUID is a good choice).',
  );
}

/**
 * Makes POSTs with an `Idempotency-Key` header safe to retry: the first request with a key is handled and, when it
 * succeeds, its answer is kept for a day; a retry (same principal, key, path and body) gets that answer again, marked
 * `Idempotent-Replayed: true`, and does nothing. A refusal or a failure frees the key, so the same request may be
 * retried once its cause is mended. A key reused for another request is 422 `idempotency-key-reused`; a retry while
 * the first is still being handled is 409 `idempotency-key-in-use`. Runs after authentication and body parsing.
 */
export function idempotentPosts(keys: IdempotencyKeys, log: (line: string) => void): RequestHandler {
  return async (request, response, next) => {
    const header = request.get('idempotency-key');
    if (request.method !== 'POST' || header === undefined) {
      next();
      return;
    }
    const key = keyIn(header);
    const principal = principalOf(response).id;
    const fingerprint = createHash('sha256')
      .update(`${request.method} ${request.baseUrl}${request.path}\n${JSON.stringify(request.body ?? null)}`)
      .digest('hex');
    const claim = await keys.claim(principal, key, fingerprint);
    if (claim.kind === 'answered') {
      response.status(claim.status).set('Idempotent-Replayed', 'true').type('application/json');
      if (claim.location !== null) response.location(claim.location);
      response.send(claim.body);
      return;
    }
    if (claim.kind === 'in-progress') {
      throw new ApiError(
        409,
        'idempotency-key-in-use',
        'A request with this Idempotency-Key is still being handled; retry in a moment to get its answer.',
      );
    }
    if (claim.kind === 'other-request') {
      throw new ApiError(
        422,
        'idempotency-key-reused',
        'This Idempotency-Key was used for another request (another path or body) within the last day: send a new ' +
          'key with each new request, and the same key only with a retry of the same request.',
      );
    }
    let settled = false;
    const settle = (done: Promise<void>) => {
      settled = true;
      return done.catch((error: unknown) =>
        log(`HTTP API: keeping the answer for an Idempotency-Key failed: ${reasonOf(error)}`),
      );
    };
    const send = response.json.bind(response);
    response.json = (body: unknown) => {
      const status = response.statusCode;
      const location = response.get('location') ?? null;
      const kept =
        status >= 200 && status < 300
          ? keys.answer(principal, key, fingerprint, { status, location, body: JSON.stringify(body) })
          : keys.release(principal, key, fingerprint);
      // The answer is kept before it is sent, so a retry that follows it at once finds it.
      void settle(kept).then(() => send(body));
      return response;
    };
    response.on('close', () => {
      if (!settled) void settle(keys.release(principal, key, fingerprint));
    });
    next();
  };
}

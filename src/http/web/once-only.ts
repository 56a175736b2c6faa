import type { RequestHandler, Response } from 'express';
import type { IdempotencyKeys } from '../../state/idempotency-keys.ts';

/** How long a repeated submission waits for the first one's answer before saying it is still being handled. */
const waitForFirstMs = 10_000;

/**
 * Does the work of a form once per rendering: the first submission with a form's `once` token is handled and its
 * redirect kept (in the state, for every instance); a repeat waits for that answer and gets the same redirect. A
 * refused or failed first submission frees the token, so the person can correct and send the form again.
 */
export function onceOnly(keys: IdempotencyKeys, principalOf: (response: Response) => string): RequestHandler {
  return async (request, response, next) => {
    const once = request.body?.once;
    if (typeof once !== 'string' || once === '') {
      next();
      return;
    }
    const principal = principalOf(response);
    const key = `web:${once}`;
    const fingerprint = `${request.method} ${request.path}`;
    const deadline = Date.now() + waitForFirstMs;
    for (;;) {
      const claim = await keys.claim(principal, key, fingerprint);
      if (claim.kind === 'answered' && claim.location !== null) {
        response.redirect(303, claim.location);
        return;
      }
      if (claim.kind === 'other-request') {
        next();
        return;
      }
      if (claim.kind === 'first') break;
      if (Date.now() > deadline) {
        response.status(409).type('text').send('This form is being handled already: reload the page in a moment.');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const redirect = response.redirect.bind(response) as (status: number, url: string) => void;
    let answered = false;
    response.redirect = ((status: number, url: string) => {
      answered = true;
      void keys
        .answer(principal, key, fingerprint, { status, location: url, body: '' })
        .finally(() => redirect(status, url));
    }) as Response['redirect'];
    response.once('finish', () => {
      if (!answered) void keys.release(principal, key, fingerprint).catch(() => undefined);
    });
    next();
  };
}

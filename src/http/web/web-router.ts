import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { BackstopError } from '../../domain/backstop-error.ts';
import type { PartsChoice } from '../../domain/part-kind.ts';
import { reasonOf } from '../../domain/reason-of.ts';
import type { Target } from '../../domain/target.ts';
import type { IdempotencyKeys } from '../../state/idempotency-keys.ts';
import { configHolderId, type WebSession, type WebSessions } from '../../state/web-sessions.ts';
import type { UseCaseContext } from '../../use-cases/use-case-context.ts';
import { statusOfCode } from '../api/api-errors.ts';
import { type Html, html } from './html.ts';
import { page } from './layout.ts';
import { oidcRoutes } from './oidc-routes.ts';
import type { OidcSignIn } from './oidc-sign-in.ts';
import { onceOnly } from './once-only.ts';
import { redeemLinkPage, signInPage } from './sign-in-page.ts';
import { webAssets } from './web-assets.ts';
import { backupRoutes } from './web-backup-routes.ts';
import {
  clearSessionCookie,
  crossSiteRefusal,
  loadSession,
  sessionOf,
  sessionSecretOf,
  setSessionCookie,
} from './web-session.ts';
import { workRoutes } from './web-work-routes.ts';

export interface WebOptions {
  engine: UseCaseContext;
  sessions: WebSessions;
  /** Whether the site is served over https (config `http.publicUrl`): cookies are then Secure and `__Host-`. */
  secure: boolean;
  approvalReachable: (target: Target) => boolean;
  /** How long a sign-in lasts. */
  sessionTtlSeconds: number;
  /** Where each form's answer is kept, so that a form sent twice does its work once. */
  formAnswers: IdempotencyKeys;
  /** Sign-in with an OpenID Connect provider, when `web.oidc` is configured. */
  oidc?: OidcSignIn;
  /** `http.publicUrl`: the address browsers use, for the provider's redirect back. */
  publicUrl?: string;
}

/** What every page answer carries: no caching of anyone's data, no framing, no sniffing, no referrer to other sites,
 * a strict CSP. */
const securityHeaders: RequestHandler = (_request, response, next) => {
  response.set({
    'content-security-policy':
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
      "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    // Not no-referrer: with it, browsers send `Origin: null` on a page's own form posts, which the CSRF check refuses.
    'referrer-policy': 'same-origin',
    'cache-control': 'no-store',
    'cross-origin-opener-policy': 'same-origin',
  });
  next();
};

/**
 * The Backups view: server-rendered pages, each a form or a link, made live by one small script (the event stream
 * of `/api/v1/events`, local times). Every page and action calls the same use cases as the API and chat, with the
 * signed-in person's principal, so they decide who may do what and audit it. Forms carry the session's CSRF token;
 * a request from another site is refused. Form bodies are parsed per route, never for anything mounted beside it
 * (chat needs raw bodies); mounted last, it answers any other GET with a page that says there is no such page.
 */
export function createWebRouter(options: WebOptions): Router {
  const router = express.Router();
  router.use(webAssets());
  const form = express.urlencoded({ extended: false, limit: '16kb' });
  const withSession = loadSession(options.sessions);

  // Browsers ask for it on every site; there is none.
  router.get('/favicon.ico', (_request, response) => {
    response.status(204).end();
  });
  router.get('/', securityHeaders, withSession, (_request, response) => {
    response.redirect(303, sessionOf(response) ? '/backups' : '/sign-in');
  });
  router.get('/sign-in', securityHeaders, withSession, (request, response) => {
    if (sessionOf(response)) response.redirect(303, '/backups');
    else {
      const signedOut = request.query['signed-out'] !== undefined;
      send(
        response,
        200,
        signInPage({
          ...(options.oidc && { provider: options.oidc.settings.name }),
          ...(signedOut && { done: 'You are signed out.' }),
        }),
      );
    }
  });
  router.get('/sign-in/link/:secret', securityHeaders, (request, response) => {
    send(response, 200, redeemLinkPage(String(request.params['secret'])));
  });
  router.post('/sign-in/link', securityHeaders, form, async (request, response) => {
    const fetchSite = request.get('sec-fetch-site');
    if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') {
      send(response, 403, signInPage({ message: 'This sign-in came from another site, so it was refused.' }));
      return;
    }
    const secret = typeof request.body?.link === 'string' ? request.body.link : '';
    if (!(await options.sessions.redeemSignInLink(secret))) {
      const message =
        'This sign-in link was used already or has expired. Run "backstop web login" on the server for a new one.';
      send(response, 400, signInPage({ message }));
      return;
    }
    const subject = { principal: configHolderId, also: [], name: 'config holder', configHolder: true };
    const { secret: cookie } = await options.sessions.open(subject, options.sessionTtlSeconds);
    setSessionCookie(response, cookie, options.secure, options.sessionTtlSeconds);
    response.redirect(303, '/backups');
  });
  if (options.oidc) oidcRoutes(router, options, options.oidc);
  router.post('/sign-out', securityHeaders, form, withSession, async (request, response) => {
    const session = sessionOf(response);
    const secret = sessionSecretOf(request);
    if (session && secret && crossSiteRefusal(request, session, request.body?.csrf) === undefined) {
      await options.sessions.end(secret);
    }
    clearSessionCookie(response, options.secure);
    response.redirect(303, '/sign-in?signed-out');
  });

  const signedIn: RequestHandler = (request, response, next) => {
    const session = sessionOf(response);
    if (session) {
      next();
      return;
    }
    if (request.method === 'GET') response.redirect(303, '/sign-in');
    else send(response, 401, signInPage({ message: 'You are not signed in (or the session ended): sign in again.' }));
  };
  const sameSite: RequestHandler = (request, response, next) => {
    const why = crossSiteRefusal(request, sessionOf(response) as WebSession, request.body?.csrf);
    if (why === undefined) next();
    else sendError(response, sessionOf(response), 403, why);
  };
  const reads = [securityHeaders, withSession, signedIn];
  const once = onceOnly(options.formAnswers, (response) => sessionIn(response).principal.id);
  const changes = [securityHeaders, form, withSession, signedIn, sameSite, once];
  backupRoutes(router, options, { reads, changes });
  workRoutes(router, options, { reads, changes });
  // Any other page: a page that says so (an API path never gets here: the API answers its own 404s).
  router.get(/.*/, securityHeaders, withSession, (request, response) => {
    sendError(response, sessionOf(response), 404, `There is no page ${request.path} here.`);
  });
  router.use(webErrors(options));
  return router;
}

/** The session a signed-in route runs for. */
export function sessionIn(response: Response): WebSession {
  return sessionOf(response) as WebSession;
}

export function send(response: Response, status: number, body: Html): void {
  response.status(status).type('html').send(body.text);
}

export function sendError(response: Response, session: WebSession | undefined, status: number, message: string): void {
  send(
    response,
    status,
    page(
      { title: 'Not done', session, notice: { kind: 'error', text: message } },
      html`<p><a href="/backups">Back to the backups</a></p>`,
    ),
  );
}

/** Engine errors with a message for people become a page with that message; anything else is logged, not shown. */
function webErrors(options: WebOptions): express.ErrorRequestHandler {
  return (error: unknown, request: Request, response: Response, next) => {
    if (response.headersSent) {
      next(error);
      return;
    }
    if (error instanceof BackstopError && error.userMessage !== undefined) {
      sendError(response, sessionOf(response), statusOfCode[error.code] ?? 400, error.userMessage);
      return;
    }
    if (error instanceof WebInputError) {
      sendError(response, sessionOf(response), error.status, error.message);
      return;
    }
    if ((error as { type?: string }).type === 'entity.too.large') {
      sendError(response, sessionOf(response), 413, 'The form sent is too large: a note is at most 500 characters.');
      return;
    }
    if (error instanceof URIError) {
      sendError(response, sessionOf(response), 400, 'That address is malformed.');
      return;
    }
    options.engine.log(`Web: ${request.method} ${request.originalUrl} failed: ${reasonOf(error)}`);
    sendError(response, sessionOf(response), 500, 'Something went wrong on the server; the details are in its log.');
  };
}

/** `app/env` from a form or query field, or undefined. */
export function targetIn(value: unknown): { app: string; env: string } | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^([^/]+)\/([^/]+)$/.exec(value);
  return match ? { app: match[1] as string, env: match[2] as string } : undefined;
}

/** The parts a form or query names: undefined when it names none; anything but db, media or db+media is refused. */
export function partsIn(value: unknown): PartsChoice | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'db' || value === 'media' || value === 'db+media') return value;
  throw new WebInputError(
    400,
    `"${String(value)}" is not something to back up or restore: choose db, media or db+media.`,
  );
}

/** A mistake in what a browser sent (a hand-written address, a forged form), said to the person as it is. */
export class WebInputError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

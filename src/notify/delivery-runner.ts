import { performance } from 'node:perf_hooks';
import { retryDelayMs, type WebhookEndpoint } from '../config/webhook-config.ts';
import type { Operation } from '../domain/operation.ts';
import { reasonOf } from '../domain/reason-of.ts';
import type { JobsContext } from '../jobs/jobs-context.ts';
import { OperationStopped } from '../jobs/operation-stopped.ts';
import { RetryLater } from '../jobs/retry-later.ts';
import type { OperationRunner } from '../jobs/worker.ts';
import { type Delivery, type WebhookDeliveries, withDeliveries } from '../state/webhook-deliveries.ts';
import { digestTypes } from './webhook-dispatcher.ts';
import { type DeliveryContent, type WebhookRequest, webhookRequest } from './webhook-payload.ts';
import { redactUrl } from './webhook-redact.ts';

export interface DeliveryRunnerOptions {
  /** The HTTP client (default: the global fetch). */
  fetch?: typeof fetch;
}

/** The longest wait an endpoint may ask for with Retry-After. */
const MAX_RETRY_AFTER_MS = 3600 * 1000;
/** How much of an endpoint's answer is read, and how much of it a message quotes. */
const ANSWER_READ_MAX = 16 * 1024;
const ANSWER_QUOTED_MAX = 200;

/**
 * Runs `delivery` operations: sends one webhook delivery (an event, or a day's digest) to its endpoint.
 *
 * Contract:
 * - Each attempt POSTs the endpoint's format with a timeout and records a `webhook_attempts` row (number, time,
 *   duration, status code or error), whatever happens.
 * - 2xx: the delivery is `delivered`. A delivery already delivered (or given up) is not sent again. (No `fence`:
 *   marking a sent message delivered is right whoever holds the lease, and it keeps a worker that took the
 *   operation over from sending it again. Receivers drop the rare repeat by its `webhook-id`.)
 * - No answer (network error, timeout), 408, 429 or 5xx: `RetryLater` after the endpoint's backoff (first delay,
 *   doubling, at most an hour; longer when a 429/503 asks for it with Retry-After), while attempts remain; the last
 *   such failure gives the delivery up (`failed`, with the reason) and fails the operation.
 * - Any other answer (a 4xx, a redirect) is permanent: `failed` at once.
 * - An endpoint that is no longer in the config, or an event that is gone, fails the delivery with a clear reason.
 * - Messages, logs and attempt rows name the endpoint by its name, never by its URL (Slack and Discord webhook URLs
 *   are secrets); anything an error or an endpoint says is redacted of the URL.
 * - Nothing here holds a database transaction while waiting for the endpoint.
 */
export function deliveryRunner(
  ctx: JobsContext,
  endpoints: readonly WebhookEndpoint[],
  options: DeliveryRunnerOptions = {},
): OperationRunner {
  const post = options.fetch ?? fetch;
  return {
    async run(operation, { signal }) {
      const delivery = await withDeliveries(ctx, (d) => d.find(operation.subjectId));
      if (!delivery) throw new Error(`webhook delivery ${operation.subjectId} no longer exists`);
      if (delivery.status !== 'pending') return; // delivered, or given up, by an earlier attempt
      const endpoint = endpoints.find((e) => e.name === delivery.endpoint);
      if (!endpoint) {
        return giveUp(
          ctx,
          delivery,
          `The webhook endpoint ${delivery.endpoint} is no longer in the configuration (webhooks:), so this ` +
            'message was not sent. Unnamed endpoints are named by their place in the list (webhook-0 is the ' +
            'first): give each a name: so that editing the list does not rename them.',
        );
      }
      const content = await withDeliveries(ctx, (d) => loadContent(d, delivery, endpoint));
      if (typeof content === 'string') return giveUp(ctx, delivery, content);

      const at = ctx.clock();
      let request: WebhookRequest;
      try {
        request = webhookRequest(endpoint, content, {
          deliveryId: delivery.id,
          now: at,
          createdAt: delivery.createdAt,
        });
      } catch (error) {
        return giveUp(ctx, delivery, `The message could not be made: ${reasonOf(error)}`);
      }
      const started = performance.now();
      const outcome = await send(post, endpoint, request, signal);
      const durationMs = Math.round(performance.now() - started);
      const attempt = await withDeliveries(ctx, (d) =>
        d.recordAttempt({
          deliveryId: delivery.id,
          at,
          durationMs,
          statusCode: outcome.kind === 'answered' ? outcome.status : null,
          error: outcome.kind === 'answered' ? outcome.problem : outcome.reason,
        }),
      ).catch((error) => {
        ctx.log(`webhook ${endpoint.name}: could not record an attempt of delivery ${delivery.id}: ${String(error)}`);
        return operation.attempts;
      });
      const what = content.kind === 'event' ? content.event.type : `digest of ${content.day}`;

      if (outcome.kind === 'stopped') {
        if (outcome.cause.stopCause === 'cancelled') {
          await withDeliveries(ctx, (d) => d.markFailed(delivery.id, outcome.cause.message));
        }
        throw outcome.cause;
      }
      if (outcome.kind === 'answered' && outcome.problem === null) {
        await withDeliveries(ctx, (d) => d.markDelivered(delivery.id, ctx.clock()));
        ctx.log(
          `webhook ${endpoint.name}: delivered ${what} (delivery ${delivery.id}, attempt ${attempt}, ` +
            `answered ${outcome.status} in ${durationMs} ms)`,
        );
        return;
      }
      const reason = outcome.kind === 'answered' ? outcome.problem! : outcome.reason;
      if (!outcome.retryable) {
        return giveUp(ctx, delivery, `${reason}. ${permanentHint(endpoint, outcome)}`, `${what}: `);
      }
      if (operation.attempts >= operation.maxAttempts) {
        return giveUp(
          ctx,
          delivery,
          `${endpoint.name} gave no usable answer to ${operation.attempts} attempt${operation.attempts === 1 ? '' : 's'}; ` +
            `the last: ${reason}. Check that the endpoint is up and reachable from Backstop.`,
          `${what}: `,
        );
      }
      await withDeliveries(ctx, (d) => d.notePending(delivery.id, reason));
      const backoff = retryDelayMs(endpoint, operation.attempts);
      const asked = outcome.kind === 'answered' ? outcome.retryAfterMs : undefined;
      throw new RetryLater(Math.max(backoff, Math.min(asked ?? 0, MAX_RETRY_AFTER_MS)), reason);
    },
    async discard() {
      // An unfinished attempt leaves nothing behind: its attempt row says what happened.
    },
    abandon: (operation, reason) => abandonDelivery(ctx, operation, reason),
  };
}

/**
 * Records a delivery whose operation ended without running (cancelled while queued, or out of attempts) as failed
 * with the reason. Needs no webhook configuration, so whoever cancels an operation can call it.
 */
export async function abandonDelivery(ctx: JobsContext, operation: Operation, reason: string): Promise<void> {
  await withDeliveries(ctx, (d) => d.markFailed(operation.subjectId, reason));
}

/** Marks the delivery failed, logs why, and fails the operation with the same words. */
async function giveUp(ctx: JobsContext, delivery: Delivery, reason: string, context = ''): Promise<never> {
  await withDeliveries(ctx, (d) => d.markFailed(delivery.id, reason));
  ctx.log(`webhook ${delivery.endpoint}: gave up delivery ${delivery.id}: ${context}${reason}`);
  throw new Error(reason);
}

/** The event or the digest a delivery sends; a string says why there is nothing to send. */
async function loadContent(
  deliveries: WebhookDeliveries,
  delivery: Delivery,
  endpoint: WebhookEndpoint,
): Promise<DeliveryContent | string> {
  if (delivery.eventId !== null) {
    const event = await deliveries.event(delivery.eventId);
    return event ? { kind: 'event', event } : `The event ${delivery.eventId} of this delivery no longer exists.`;
  }
  if (delivery.digestDay !== null) {
    const events = await deliveries.eventsOfDay(delivery.digestDay, digestTypes(endpoint));
    return events.length > 0
      ? { kind: 'digest', day: delivery.digestDay, events }
      : `Nothing to send: ${endpoint.name} no longer lists any of the events of ${delivery.digestDay} in its digest.`;
  }
  return `Delivery ${delivery.id} names neither an event nor a digest day.`;
}

type Outcome =
  | {
      kind: 'answered';
      status: number;
      /** null for a 2xx; else what went wrong, in words. */
      problem: string | null;
      retryable: boolean;
      retryAfterMs: number | undefined;
    }
  | { kind: 'unanswered'; reason: string; retryable: true }
  | { kind: 'stopped'; reason: string; cause: OperationStopped; retryable: false };

async function send(
  post: typeof fetch,
  endpoint: WebhookEndpoint,
  request: { body: string; headers: Record<string, string> },
  signal: AbortSignal,
): Promise<Outcome> {
  const timeout = AbortSignal.timeout(endpoint.timeoutMs);
  const both = AbortSignal.any([signal, timeout]);
  const redact = (text: string) => redactUrl(text, endpoint.url);
  const stoppedOr = (other: () => Outcome): Outcome => {
    if (signal.aborted) {
      const cause =
        signal.reason instanceof OperationStopped
          ? signal.reason
          : new OperationStopped('shutdown', 'the delivery was stopped');
      return { kind: 'stopped', reason: `stopped: ${cause.message}`, cause, retryable: false };
    }
    return other();
  };
  const timedOut = (): Outcome => ({
    kind: 'unanswered',
    reason: `${endpoint.name} did not answer within ${formatSeconds(endpoint.timeoutMs)}`,
    retryable: true,
  });
  let response: Response;
  try {
    response = await post(endpoint.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal: both,
      // A webhook URL is used as written: a redirect is reported, not followed with the message.
      redirect: 'manual',
    });
  } catch (error) {
    return stoppedOr(() =>
      timeout.aborted
        ? timedOut()
        : {
            kind: 'unanswered',
            reason: `${endpoint.name} could not be reached (${redact(networkReason(error))})`,
            retryable: true,
          },
    );
  }
  let answer = '';
  try {
    answer = await readSome(response, ANSWER_READ_MAX);
  } catch {
    if (signal.aborted) return stoppedOr(timedOut);
    if (timeout.aborted && !response.ok) return timedOut();
    // A 2xx whose body could not be read was still accepted.
  }
  const status = response.status;
  if (status >= 200 && status < 300) {
    return { kind: 'answered', status, problem: null, retryable: false, retryAfterMs: undefined };
  }
  const quoted = quote(redact(answer));
  const statusText = response.statusText ? ` ${response.statusText}` : '';
  const redirect = status >= 300 && status < 400 ? ' (a redirect)' : '';
  return {
    kind: 'answered',
    status,
    problem: `${endpoint.name} answered ${status}${statusText}${redirect}${quoted ? `: ${quoted}` : ''}`,
    retryable: status === 408 || status === 429 || status >= 500,
    retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
  };
}

/** What to do about an answer that no retry will change. */
function permanentHint(endpoint: WebhookEndpoint, outcome: Outcome): string {
  const status = outcome.kind === 'answered' ? outcome.status : 0;
  const where = `webhook ${endpoint.name} (webhooks: in the config)`;
  if (status >= 300 && status < 400) return `Write the URL the endpoint redirects to as the url: of ${where}.`;
  if (status === 404 || status === 410) {
    return endpoint.format === 'generic'
      ? `Check the url: of ${where}.`
      : `The ${endpoint.format === 'slack' ? 'Slack' : 'Discord'} webhook was probably deleted: create a new one and put its URL in the url: of ${where}.`;
  }
  if (status === 401 || status === 403) {
    return endpoint.format === 'generic'
      ? `The receiver refused the signature or the credentials: give it the same secret as ${where}.`
      : `The ${endpoint.format === 'slack' ? 'Slack' : 'Discord'} webhook refused the message: check the url: of ${where} and that the webhook is still allowed to post.`;
  }
  if (status === 413) return 'The message was too large for the receiver.';
  if (status === 400 || status === 422) {
    return `The receiver did not accept the message: check that format: ${endpoint.format} of ${where} matches the receiver.`;
  }
  return `Check the receiver and the url: of ${where}.`;
}

/** Reads at most `max` characters of the answer and drops the rest. */
async function readSome(response: Response, max: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (text.length >= max) break;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text.slice(0, max);
}

/** One line of at most ANSWER_QUOTED_MAX characters of what the endpoint said, in quotes; '' when it said nothing. */
function quote(answer: string): string {
  const line = answer.replace(/\s+/g, ' ').trim();
  if (line === '') return '';
  return `"${line.length > ANSWER_QUOTED_MAX ? `${line.slice(0, ANSWER_QUOTED_MAX - 1)}…` : line}"`;
}

/** fetch says "fetch failed"; the reason is its cause: "connect ECONNREFUSED 127.0.0.1:8080". */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code && !cause.message.includes(code) ? `${code}: ${cause.message}` : cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Retry-After in seconds or as an HTTP date, in milliseconds from now. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

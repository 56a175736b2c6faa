import { performance } from 'node:perf_hooks';
import type { EmailAlertEndpoint } from '../config/email-alert-config.ts';
import { retryDelayMs } from '../config/webhook-config.ts';
import { reasonOf } from '../domain/reason-of.ts';
import type { JobsContext } from '../jobs/jobs-context.ts';
import { RetryLater } from '../jobs/retry-later.ts';
import type { OperationRunner } from '../jobs/worker.ts';
import { type Delivery, withDeliveries } from '../state/webhook-deliveries.ts';
import { alertEmail } from './alert-email.ts';
import { abandonDelivery } from './delivery-runner.ts';
import type { Mailer } from './mailer.ts';

/**
 * Runs the `delivery` operations of email alerts (endpoints `email:<app>`): emails one failed or missed backup to the
 * app's `notify.email` addresses through the configured SMTP server.
 *
 * Contract, as for webhooks (deliveryRunner):
 * - Each attempt records a `webhook_attempts` row (time, duration, the SMTP server's reply code or why it gave none).
 * - Accepted by the server: `delivered`, never sent again. A delivery already delivered or given up is not sent.
 * - No answer (connection refused, a timeout: the mailer bounds every step) or a 4xx reply: tried again after the
 *   backoff while attempts remain. A 5xx reply (an address refused, authentication failed) is permanent: `failed`.
 * - An app no longer in the config, an event that is gone, or no `email:` section fails the delivery with why.
 */
export function emailAlertRunner(
  ctx: JobsContext,
  endpoints: readonly EmailAlertEndpoint[],
  mailer: Mailer | undefined,
): OperationRunner {
  return {
    async run(operation, { signal }) {
      const delivery = await withDeliveries(ctx, (d) => d.find(operation.subjectId));
      if (!delivery) throw new Error(`alert delivery ${operation.subjectId} no longer exists`);
      if (delivery.status !== 'pending') return;
      const endpoint = endpoints.find((e) => e.name === delivery.endpoint);
      if (!endpoint) {
        const app = delivery.endpoint.slice('email:'.length);
        return giveUp(
          ctx,
          delivery,
          `apps.${app}.notify.email is no longer in the configuration: the alert was not sent.`,
        );
      }
      if (!mailer) return giveUp(ctx, delivery, 'email: is not configured, so the alert could not be sent.');
      const event =
        delivery.eventId === null ? undefined : await withDeliveries(ctx, (d) => d.event(delivery.eventId!));
      if (!event) return giveUp(ctx, delivery, `The event ${delivery.eventId} of this alert no longer exists.`);
      signal.throwIfAborted();

      const at = ctx.clock();
      const started = performance.now();
      let failure: { reason: string; code: number | null; permanent: boolean } | undefined;
      try {
        await mailer.send(alertEmail(event, endpoint.to));
      } catch (error) {
        const code = smtpCode(error);
        failure = { reason: reasonOf(error), code, permanent: code !== null && code >= 500 };
      }
      const durationMs = Math.round(performance.now() - started);
      await withDeliveries(ctx, (d) =>
        d.recordAttempt({
          deliveryId: delivery.id,
          at,
          durationMs,
          statusCode: failure ? failure.code : null,
          error: failure?.reason ?? null,
        }),
      ).catch((error) => ctx.log(`${endpoint.name}: could not record an attempt of ${delivery.id}: ${String(error)}`));
      const what = `${event.type} of ${event.app}/${event.env} to ${endpoint.to.join(', ')}`;
      if (!failure) {
        await withDeliveries(ctx, (d) => d.markDelivered(delivery.id, ctx.clock()));
        ctx.log(`${endpoint.name}: emailed ${what} via ${mailer.describe()} (delivery ${delivery.id})`);
        return;
      }
      const where = `the SMTP server ${mailer.describe()} (email.smtp in the config)`;
      if (failure.permanent) {
        return giveUp(
          ctx,
          delivery,
          `${where} refused the alert: ${failure.reason}. Check the addresses in apps.${endpoint.app}.notify.email and the SMTP settings.`,
        );
      }
      if (operation.attempts >= operation.maxAttempts) {
        return giveUp(
          ctx,
          delivery,
          `${where} did not take the alert in ${operation.attempts} attempts; the last: ${failure.reason}.`,
        );
      }
      await withDeliveries(ctx, (d) => d.notePending(delivery.id, failure.reason));
      throw new RetryLater(retryDelayMs(endpoint, operation.attempts), `${what}: ${failure.reason}`);
    },
    async discard() {
      // An unfinished attempt leaves nothing behind: its attempt row says what happened.
    },
    abandon: (operation, reason) => abandonDelivery(ctx, operation, reason),
  };
}

/** The SMTP reply code nodemailer reports (`responseCode`), or null when the server gave none. */
function smtpCode(error: unknown): number | null {
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' ? code : null;
}

async function giveUp(ctx: JobsContext, delivery: Delivery, reason: string): Promise<never> {
  await withDeliveries(ctx, (d) => d.markFailed(delivery.id, reason));
  ctx.log(`${delivery.endpoint}: gave up alert delivery ${delivery.id}: ${reason}`);
  throw new Error(reason);
}

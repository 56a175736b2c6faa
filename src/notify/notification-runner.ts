import { isEmailAlertEndpoint } from '../config/email-alert-config.ts';
import type { JobsContext } from '../jobs/jobs-context.ts';
import type { OperationRunner } from '../jobs/worker.ts';
import { withDeliveries } from '../state/webhook-deliveries.ts';
import { abandonDelivery } from './delivery-runner.ts';

/**
 * The runner of `delivery` operations: a delivery to an email alert endpoint (`email:<app>`) goes to `emailAlerts`,
 * any other to `webhooks`. Both record their deliveries in the same books, so cancelling or abandoning one is the same.
 */
export function notificationRunner(
  ctx: JobsContext,
  runners: { webhooks: OperationRunner; emailAlerts: OperationRunner },
): OperationRunner {
  return {
    async run(operation, options) {
      const delivery = await withDeliveries(ctx, (d) => d.find(operation.subjectId));
      const runner =
        delivery !== undefined && isEmailAlertEndpoint(delivery.endpoint) ? runners.emailAlerts : runners.webhooks;
      return runner.run(operation, options);
    },
    async discard() {
      // Neither kind leaves anything behind between attempts.
    },
    abandon: (operation, reason) => abandonDelivery(ctx, operation, reason),
  };
}

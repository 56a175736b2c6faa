import type { BackstopConfig } from '../src/config/backstop-config.ts';
import { Worker } from '../src/jobs/worker.ts';
import { deliveryRunner } from '../src/notify/delivery-runner.ts';
import { emailAlertRunner } from '../src/notify/email-alert-runner.ts';
import { notificationRunner } from '../src/notify/notification-runner.ts';
import { engineRunners } from '../src/use-cases/operation-runners.ts';
import type { UseCaseContext } from '../src/use-cases/use-case-context.ts';

/** Background-work settings from the config (`workers:`), with defaults: 2 side by side, 30-second leases. */
export function workerSettings(config: BackstopConfig) {
  const workers = config.raw.workers;
  const leaseMs = (workers?.leaseSeconds ?? 30) * 1000;
  return {
    concurrency: workers?.concurrency ?? 2,
    leaseMs,
    // Often enough that progress looks live and a cancel is heard within a second or two.
    heartbeatMs: Math.min(1000, leaseMs / 3),
    pollMs: 1000,
  };
}

/** The workers of a `serve` or `worker` process: the configured settings, running every kind of operation. */
export function createWorker(config: BackstopConfig, engine: UseCaseContext, log: (line: string) => void): Worker {
  return new Worker({
    ...workerSettings(config),
    queue: engine.operations,
    runners: {
      ...engineRunners(engine),
      delivery: notificationRunner(engine, {
        webhooks: deliveryRunner(engine, config.webhooks),
        emailAlerts: emailAlertRunner(engine, config.emailAlerts, engine.mailer),
      }),
    },
    clock: engine.clock,
    log,
  });
}

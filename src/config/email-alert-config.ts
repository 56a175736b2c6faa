import type { EventType } from '../domain/events.ts';
import type { ConfigFile } from './config-schema.ts';
import { DEFAULT_FIRST_DELAY_SECONDS, DEFAULT_WEBHOOK_ATTEMPTS, type SuccessPolicy } from './webhook-config.ts';

/** The events an app's `notify.email` addresses hear of: something went wrong with its backups and a person should act. */
export const EMAIL_ALERT_EVENT_TYPES: readonly EventType[] = [
  'backup.failed',
  'backup.missed',
  'drill.failed',
  'drill.missed',
];

/** What every email alert endpoint's name starts with; webhook names cannot contain a colon. */
export const EMAIL_ALERT_PREFIX = 'email:';

/**
 * Where one app's alerts are emailed: an endpoint of the notification deliveries, as a webhook is (durable, retried,
 * recorded per attempt), named `email:<app>`, for the events of that app only.
 */
export interface EmailAlertEndpoint {
  name: string;
  app: string;
  to: readonly string[];
  events: readonly EventType[];
  /** Alerts are failures, always sent at once; nothing goes to a digest. */
  success: SuccessPolicy;
  retry: { attempts: number; firstDelayMs: number };
}

/** The email alert endpoints of a validated config: one per app with `notify.email`. */
export function resolveEmailAlerts(apps: ConfigFile['apps']): EmailAlertEndpoint[] {
  return Object.entries(apps).flatMap(([app, config]) =>
    config.notify?.email === undefined
      ? []
      : [
          {
            name: `${EMAIL_ALERT_PREFIX}${app}`,
            app,
            to: config.notify.email,
            events: EMAIL_ALERT_EVENT_TYPES,
            success: 'never' as const,
            retry: { attempts: DEFAULT_WEBHOOK_ATTEMPTS, firstDelayMs: DEFAULT_FIRST_DELAY_SECONDS * 1000 },
          },
        ],
  );
}

/** Whether a delivery's endpoint is an email alert endpoint (else a webhook). */
export function isEmailAlertEndpoint(name: string): boolean {
  return name.startsWith(EMAIL_ALERT_PREFIX);
}

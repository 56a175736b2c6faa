import type { JobsContext } from '../jobs/jobs-context.ts';
import type { Mailer } from '../notify/mailer.ts';

/** What the use cases work with: the engine and the queue, and how people are reached. */
export interface UseCaseContext extends JobsContext {
  /** Sends download links; undefined when email is not configured. */
  mailer: Mailer | undefined;
  /** Email addresses by principal (slack:U1, cli:ana): where links go when the caller gives none. */
  people: Readonly<Record<string, string>>;
}

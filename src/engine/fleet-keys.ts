import { recipientOf } from '../crypto/index.ts';
import { BackstopError } from '../domain/backstop-error.ts';
import type { FleetSettings } from '../state/fleet-settings.ts';

const RECIPIENTS = 'recipients';

/**
 * Checks, at the start of an instance sharing the state with others, that it agrees with the fleet on keys: the
 * state records the age recipients the fleet encrypts to (the first instance's, then every recipient added since).
 * An instance must encrypt to all of them (another instance may hold only one of their identities) and hold an
 * identity for at least one (to decrypt what the others write); else it refuses to start, saying what to add.
 * Recipients an instance adds to its config are added to the record: that is how a new key is rolled out (add it to
 * every instance, then retire the old one with `backstop keys retire`). Returns the recipients it added.
 */
export async function agreeOnFleetKeys(
  settings: FleetSettings,
  own: { recipients: readonly string[]; identities: readonly string[] },
  now: Date,
): Promise<string[]> {
  return settings.update(RECIPIENTS, now, (value) => {
    const recorded: string[] = value === undefined ? [...own.recipients] : (JSON.parse(value) as string[]);
    const missing = recorded.filter((recipient) => !own.recipients.includes(recipient));
    if (missing.length > 0) {
      throw refused(
        `this instance does not encrypt to ${missing.join(', ')}, which the other instances sharing the state ` +
          'encrypt to (and may hold only that key for). Add it to encryption.recipients; to stop using a key ' +
          'everywhere, run `backstop keys retire <age1...>` once every instance has its successor.',
      );
    }
    const decryptable = new Set(own.identities.map((identity) => recipientOf(identity)));
    if (!recorded.some((recipient) => decryptable.has(recipient))) {
      throw refused(
        `none of this instance's identities decrypts what the fleet writes (it encrypts to ${recorded.join(', ')}). ` +
          'Add the identity file of one of them to encryption.identities.',
      );
    }
    const added = own.recipients.filter((recipient) => !recorded.includes(recipient));
    return { value: JSON.stringify([...recorded, ...added]), result: added };
  });
}

/** Stops encrypting to `recipient` across the fleet (its backups stay readable with its identity). */
export async function retireFleetRecipient(settings: FleetSettings, recipient: string, now: Date): Promise<string[]> {
  return settings.update(RECIPIENTS, now, (value) => {
    const recorded: string[] = value === undefined ? [] : (JSON.parse(value) as string[]);
    if (!recorded.includes(recipient)) {
      const message = `The fleet does not encrypt to ${recipient}; it encrypts to ${recorded.join(', ') || 'nothing yet'}.`;
      throw new BackstopError('invalid-option', message, { userMessage: message });
    }
    const left = recorded.filter((r) => r !== recipient);
    if (left.length === 0) {
      const message = `${recipient} is the fleet's only recipient: add its successor to every instance first.`;
      throw new BackstopError('invalid-option', message, { userMessage: message });
    }
    return { value: JSON.stringify(left), result: left };
  });
}

function refused(why: string): BackstopError {
  const message = `This instance cannot join the others sharing the state: ${why}`;
  return new BackstopError('config-invalid', message, { userMessage: message });
}

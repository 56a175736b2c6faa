import { closestWord } from '../text/closest-word.ts';
import { BackstopError } from './backstop-error.ts';
import { type Target, targetName } from './target.ts';

/** The configured target `app/env`, or an error that lists the known ones and suggests the nearest. */
export function findTarget(targets: readonly Target[], app: string, env: string): Target {
  const found = targets.find((t) => t.app === app && t.env === env);
  if (found) return found;
  const names = targets.map(targetName);
  const suggestion = closestWord(`${app}/${env}`, names);
  const known =
    names.length > 0
      ? `Configured targets: ${names.join(', ')}.`
      : 'No apps are configured yet: add them under apps: in backstop.yaml.';
  const message = `Unknown target ${app}/${env}.${suggestion ? ` Did you mean ${suggestion}?` : ''} ${known}`;
  throw new BackstopError('unknown-target', message, { userMessage: message });
}

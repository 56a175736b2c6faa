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

/**
 * Nothing when `app` is configured; else an `unknown-target` error naming the apps of `visible` (the targets the asker
 * may see) and suggesting the nearest, so a typo is not mistaken for a missing grant.
 */
export function checkAppConfigured(configured: readonly Target[], visible: readonly Target[], app: string): void {
  if (configured.some((t) => t.app === app)) return;
  const apps = [...new Set(visible.map((t) => t.app))];
  const suggestion = closestWord(app, apps);
  const known = apps.length > 0 ? `Configured apps: ${apps.join(', ')}.` : 'No app is configured that you may see.';
  const message = `Unknown app ${app}.${suggestion ? ` Did you mean ${suggestion}?` : ''} ${known}`;
  throw new BackstopError('unknown-target', message, { userMessage: message });
}

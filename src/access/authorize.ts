import { BackstopError } from '../domain/backstop-error.ts';
import { type Principal, type Role, roleIncludes, roles } from '../domain/principal.ts';
import type { AccessPolicy } from './access-policy.ts';

/** What a principal may ask for; each needs a role on the app it touches. */
export type Action =
  | 'backup.read'
  | 'backup.create'
  | 'backup.verify'
  | 'backup.pin'
  | 'backup.download'
  | 'backup.drill'
  | 'restore.request'
  | 'restore.approve'
  | 'retention.preview'
  | 'retention.prune'
  | 'operation.read'
  | 'operation.cancel'
  | 'schedule.read'
  | 'audit.read';

/** The one table of who may do what: the role each action needs on its app. */
export const neededRole: Readonly<Record<Action, Role>> = {
  'backup.read': 'viewer',
  'operation.read': 'viewer',
  'schedule.read': 'viewer',
  'retention.preview': 'viewer',
  'backup.create': 'operator',
  'backup.verify': 'operator',
  'backup.pin': 'operator',
  'backup.download': 'operator',
  'backup.drill': 'operator',
  'retention.prune': 'operator',
  'operation.cancel': 'operator',
  'audit.read': 'operator',
  'restore.request': 'restorer',
  'restore.approve': 'approver',
};

/** Why `principal` may not take `action` on `app`, in words that say what to ask for; undefined when it may. */
export function refusal(access: AccessPolicy, principal: Principal, action: Action, app: string): string | undefined {
  const needed = neededRole[action];
  switch (principal.kind) {
    case 'operator':
    case 'system':
      return undefined;
    case 'api': {
      if (!roleIncludes(principal.token.role, needed)) {
        return `This token has the ${principal.token.role} role; ${describe(action)} needs the ${needed} role (or higher).`;
      }
      if (!principal.token.apps.includes('*') && !principal.token.apps.includes(app)) {
        return `This token may not touch app ${app} (it is limited to ${principal.token.apps.join(', ')}).`;
      }
      return access.allows([principal.id], app, needed) ? undefined : notGranted(principal.id, action, app);
    }
    case 'web':
      if (principal.configHolder) return undefined;
      return access.allows([principal.id, ...principal.also], app, needed)
        ? undefined
        : notGranted(principal.id, action, app);
    case 'chat':
      return access.allows([principal.id, ...principal.also], app, needed)
        ? undefined
        : notGranted(principal.id, action, app);
  }
}

/** Throws `forbidden` (its message names the role needed) unless `principal` may take `action` on `app`. */
export function authorize(access: AccessPolicy, principal: Principal, action: Action, app: string): void {
  const why = refusal(access, principal, action, app);
  if (why !== undefined) {
    throw new BackstopError('forbidden', why, {
      userMessage: why,
      details: { requiredRole: neededRole[action], app },
    });
  }
}

/** Of `apps`, those on which `principal` may take `action`. */
export function appsAllowing(
  access: AccessPolicy,
  principal: Principal,
  action: Action,
  apps: readonly string[],
): string[] {
  return apps.filter((app) => refusal(access, principal, action, app) === undefined);
}

function notGranted(id: string, action: Action, app: string): string {
  const needed = neededRole[action];
  return (
    `${describe(action)} needs the ${needed} role on ${app}, which ${id} does not have (roles: ${roles.join(' < ')}).` +
    ` Ask whoever runs Backstop to add ${id} to apps.${app}.access.${needed}.`
  );
}

/** The action as a person names it: "create", "restore", "approve". */
function describe(action: Action): string {
  return actionWords[action];
}

const actionWords: Readonly<Record<Action, string>> = {
  'backup.read': 'reading backups',
  'backup.create': 'create',
  'backup.verify': 'verify',
  'backup.pin': 'pin',
  'backup.download': 'download',
  'backup.drill': 'drill',
  'restore.request': 'restore',
  'restore.approve': 'approving a restore',
  'retention.preview': 'prune --dry-run',
  'retention.prune': 'prune',
  'operation.read': 'reading operations',
  'operation.cancel': 'cancel',
  'schedule.read': 'schedule',
  'audit.read': 'audit',
};

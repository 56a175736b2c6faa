/**
 * What of a configuration may be shown to a person (`backstop config check`): everything but its secrets.
 * - Keys that hold a secret whole: SECRET_KEYS, wherever they stand (S3 and media credentials, the SMTP password,
 *   chat tokens and signing secrets, the OIDC client secret, the download-link secret, webhook signing secrets).
 * - Webhook URLs: a Slack or Discord webhook URL is all it takes to post, so only its scheme and host are shown.
 * - Any other URL (database URLs, S3 endpoints, the public URL): its password, and query parameters that carry one.
 * Identifiers (accessKeyId, clientId, applicationId, the Discord public key, age recipients) are not secrets.
 */
export const REDACTED = '<redacted>';

/** The keys whose whole value is a secret. */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  'secretAccessKey',
  'sessionToken',
  'password',
  'linkSecret',
  'signingSecret',
  'botToken',
  'clientSecret',
  'secret',
]);

/** Query parameters of a URL that carry a secret (libpq's `?password=`, `sslpassword`, tokens). */
const SECRET_PARAMETER = /pass|secret|token|key/i;

/** A copy of `value` (a config or part of one) with every secret replaced by REDACTED. */
export function redactConfig<T>(value: T): T {
  return redact(value, []) as T;
}

function redact(value: unknown, path: readonly (string | number)[]): unknown {
  const key = path.at(-1);
  if (typeof key === 'string' && SECRET_KEYS.has(key) && value !== undefined && value !== null) return REDACTED;
  if (Array.isArray(value)) return value.map((item, index) => redact(item, [...path, index]));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, redact(item, [...path, name])]));
  }
  if (typeof value !== 'string') return value;
  if (path[0] === 'webhooks' && key === 'url') return webhookUrl(value);
  return withoutUrlSecrets(value);
}

/** "https://hooks.slack.com/<redacted>". */
function webhookUrl(text: string): string {
  const url = parsed(text);
  return url === undefined ? REDACTED : `${url.protocol}//${url.host}/${REDACTED}`;
}

/** A URL without its password or secret query parameters; any other text as it is. */
function withoutUrlSecrets(text: string): string {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? parsed(text) : undefined;
  if (url === undefined) return text;
  // A marker URL leaves as it is (REDACTED itself would be percent-encoded).
  const marker = 'backstop-redacted-value';
  let changed = false;
  if (url.password !== '') {
    url.password = marker;
    changed = true;
  }
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_PARAMETER.test(name)) {
      url.searchParams.set(name, marker);
      changed = true;
    }
  }
  // Unchanged text is shown as written (URL would normalise it).
  return changed ? url.href.split(marker).join(REDACTED) : text;
}

function parsed(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

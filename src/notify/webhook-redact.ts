/**
 * Webhook URLs are secrets (a Slack or Discord webhook URL is all it takes to post; a generic one may carry a token):
 * only the scheme and host may be shown.
 */

/** "https://hooks.slack.com/…": the URL as it may appear in messages. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}/…`;
  } catch {
    return '(a URL that does not parse)';
  }
}

/** `text` with every part of `url` beyond its scheme and host (path, query, credentials) replaced by "…". */
export function redactUrl(text: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return text.split(url).join('…');
  }
  const secrets = new Set<string>();
  secrets.add(url);
  secrets.add(parsed.href);
  const pathAndQuery = `${parsed.pathname}${parsed.search}`;
  if (pathAndQuery.length > 1) {
    secrets.add(pathAndQuery);
    try {
      secrets.add(decodeURIComponent(pathAndQuery));
    } catch {
      // not percent-encoded text: the raw form is enough
    }
  }
  if (parsed.search.length > 1) secrets.add(parsed.search.slice(1));
  for (const value of parsed.searchParams.values()) if (value.length >= 6) secrets.add(value);
  // Token-like path segments on their own (an id and a token in a Discord URL, the parts of a Slack one).
  for (const segment of parsed.pathname.split('/')) {
    if (segment.length >= 16 || (segment.length >= 6 && /\d/.test(segment))) secrets.add(segment);
  }
  if (parsed.username) secrets.add(parsed.username);
  if (parsed.password) secrets.add(parsed.password);
  let result = text;
  // Longest first, so a whole URL is replaced before its parts.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret === '') continue;
    const replacement = secret === url || secret === parsed.href ? describeUrl(url) : '…';
    result = result.split(secret).join(replacement);
  }
  return result;
}

/**
 * Replaces `${VAR}` and `${VAR:-default}` in a string with values from `env`. `$${...}` writes a literal `${...}`.
 * Returns the names of variables that were referenced without a default but are not set, so the caller can name
 * them in one error instead of starting with an empty secret.
 */
export function interpolate(
  text: string,
  env: Record<string, string | undefined>,
): { value: string; missing: string[] } {
  const missing: string[] = [];
  const value = text.replace(
    /\$?\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}/g,
    (match, variable: string, hasDefault, fallback) => {
      if (match.startsWith('$$')) return match.slice(1);
      const found = env[variable];
      if (found !== undefined && found !== '') return found;
      if (hasDefault !== undefined) return fallback ?? '';
      missing.push(variable);
      return '';
    },
  );
  return { value, missing };
}

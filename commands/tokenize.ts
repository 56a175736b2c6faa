/**
 * Splits chat text into words the way a shell would for simple cases: whitespace separates, "double" or 'single'
 * quotes (and the typographic quotes chat clients insert) group. An unclosed quote runs to the end.
 */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let inToken = false;
  let quote: string | undefined;
  const closing: Record<string, string> = { '"': '"', "'": "'", '“': '”', '‘': '’', '„': '“' };
  for (const char of text) {
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else current += char;
    } else if (char in closing) {
      quote = closing[char];
      inToken = true;
    } else if (/\s/.test(char)) {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else {
      current += char;
      inToken = true;
    }
  }
  if (inToken) tokens.push(current);
  return tokens;
}

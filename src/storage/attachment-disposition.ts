/**
 * The Content-Disposition value that makes a browser save a download as `filename` (RFC 6266): a quoted ASCII
 * fallback for old clients and the exact name, UTF-8 percent-encoded per RFC 8187, for all others. Shared by the S3
 * presigned links and Backstop's own download route, so both offer the same name.
 */
export function attachmentDisposition(filename: string): string {
  // '%' is replaced too: some browsers percent-decode the plain `filename` parameter.
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  // encodeURIComponent leaves ' ( ) * unescaped, which RFC 8187 does not allow in an ext-value.
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

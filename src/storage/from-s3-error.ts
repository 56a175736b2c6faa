import { BackstopError } from '../domain/backstop-error.ts';

/** S3 error names that mean "slow down" or "try again", whatever status they came with. */
const RETRYABLE_NAMES = new Set([
  'InternalError',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'ServiceUnavailable',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TimeoutError',
]);

/** Network failures below HTTP: the request may not even have reached the server. */
const NETWORK_CODES = new Set([
  'EAI_AGAIN',
  'ECONNABORTED',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'ETIMEDOUT',
]);

interface SdkErrorFields {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/**
 * Turns what the AWS SDK threw into a BackstopError marked retryable or permanent. Throttling, 5xx and network
 * failures are retryable. The message carries only the error's name, status and S3's own text (never credentials,
 * which the SDK does not put in errors); the SDK error stays as `cause` for the log.
 */
export function fromS3Error(error: unknown, action: string, location: string): BackstopError {
  if (error instanceof BackstopError) return error;
  const fields = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorFields;
  const name = fields.name ?? 'Error';
  const status = fields.$metadata?.httpStatusCode;
  const retryable =
    (status !== undefined && (status >= 500 || status === 429)) ||
    fields.$retryable !== undefined ||
    RETRYABLE_NAMES.has(name) ||
    NETWORK_CODES.has(fields.code ?? '');
  const statusText = status === undefined ? '' : ` (HTTP ${status})`;
  return new BackstopError(
    'storage-failed',
    `S3 ${action} of ${location} failed: ${name}${statusText}: ${fields.message ?? String(error)}`,
    {
      userMessage: retryable
        ? `The backup storage could not ${action} ${location} just now (${name}); trying again may work.`
        : `The backup storage refused to ${action} ${location} (${name}).`,
      cause: error,
      retryable,
    },
  );
}

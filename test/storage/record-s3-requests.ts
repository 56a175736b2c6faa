import type { S3Client } from '@aws-sdk/client-s3';

/** One request an S3 client sent, as it went on the wire, and how the server answered. */
export interface RecordedRequest {
  command: string;
  input: Record<string, unknown>;
  headers: Record<string, string>;
  bodyBytes: number | undefined;
  /** The HTTP status, or undefined when the request failed without a response. */
  status: number | undefined;
}

/**
 * Adds a middleware to `client` that records every request after it is built (so headers are final) and its answer.
 * `onAnswered` runs as each answer arrives, so a test can relate answers to other events. A recording wrapper
 * around the real client talking to the real server: nothing is replaced or stubbed.
 */
export function recordS3Requests(
  client: S3Client,
  onAnswered: (request: RecordedRequest) => void = () => {},
): RecordedRequest[] {
  const recorded: RecordedRequest[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      const body = request.body as { byteLength?: unknown } | undefined;
      const entry: RecordedRequest = {
        command: context.commandName ?? 'unknown',
        input: args.input as Record<string, unknown>,
        headers: { ...request.headers },
        bodyBytes: typeof body?.byteLength === 'number' ? body.byteLength : undefined,
        status: undefined,
      };
      recorded.push(entry);
      try {
        const result = await next(args);
        entry.status = (result.response as { statusCode?: number }).statusCode;
        return result;
      } catch (error) {
        entry.status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        throw error;
      } finally {
        onAnswered(entry);
      }
    },
    { step: 'finalizeRequest', name: 'recordS3Requests' },
  );
  return recorded;
}

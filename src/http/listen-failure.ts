import { BackstopError } from '../domain/backstop-error.ts';

/** A port in use is a configuration problem with a clear message and its fix, not a stack trace. */
export function listenFailure(error: { code?: string; message: string }, host: string, port: number): BackstopError {
  const message =
    error.code === 'EADDRINUSE'
      ? `Port ${port} on ${host} is in use (another backstop serve?). Set http.port in the config to another port.`
      : `Backstop could not listen on ${host}:${port}: ${error.message}`;
  return new BackstopError('http-listen-failed', message, { userMessage: message, cause: error });
}

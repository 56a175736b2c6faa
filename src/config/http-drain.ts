import type { ConfigFile } from './config-schema.ts';

/** How `serve` stops its HTTP side (http.drain in the config), in seconds. */
export interface HttpDrain {
  /** After the stop signal, how long new connections are still taken (while /readyz answers 503). */
  delaySeconds: number;
  /** Then, how long the requests under way have to finish before their connections are closed. */
  deadlineSeconds: number;
}

/**
 * Time enough for a download or a slow API call to end, and short enough that delay, deadline and the rest of the
 * stop (handing running operations back, the last chat updates) fit in Kubernetes' default grace period of 30 s.
 */
export const DEFAULT_DRAIN_DEADLINE_SECONDS = 10;

/**
 * In a Kubernetes pod, the endpoints of a terminating pod are removed while it is sent SIGTERM, not before: kube-proxy
 * and ingress controllers go on sending it new connections for a few seconds, and a listener already closed would
 * refuse them (502s at the ingress). Five seconds covers that propagation in a healthy cluster. Elsewhere (a terminal,
 * Compose, a single host) nothing routes by endpoints and nothing needs the wait, so it is 0.
 */
export const KUBERNETES_DRAIN_DELAY_SECONDS = 5;

/**
 * http.drain with its defaults. Kubernetes sets KUBERNETES_SERVICE_HOST in every container it starts: that is how the
 * default delay knows it runs in a pod.
 */
export function httpDrainOf(file: ConfigFile, env: Record<string, string | undefined>): HttpDrain {
  const inPod = (env['KUBERNETES_SERVICE_HOST'] ?? '') !== '';
  return {
    delaySeconds: file.http?.drain?.delay ?? (inPod ? KUBERNETES_DRAIN_DELAY_SECONDS : 0),
    deadlineSeconds: file.http?.drain?.deadline ?? DEFAULT_DRAIN_DEADLINE_SECONDS,
  };
}

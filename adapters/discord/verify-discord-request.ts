import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { BackstopError } from '../../src/domain/backstop-error.ts';

/** Why a request was refused; logged, never told to the sender. */
export type DiscordRequestFailure = 'missing-signature' | 'stale-timestamp' | 'bad-signature';

export interface DiscordRequestToVerify {
  /** The `x-signature-ed25519` header: hex. */
  signature: string | undefined;
  /** The `x-signature-timestamp` header: Unix seconds. */
  timestamp: string | undefined;
  rawBody: Buffer;
}

/** How far a request's timestamp may be from now, either way: replayed requests older than this are refused. */
export const maxRequestAgeMs = 5 * 60 * 1000;

// An Ed25519 public key in SubjectPublicKeyInfo DER is this fixed prefix followed by the 32 raw key bytes.
const ed25519SpkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * Reads the application's public key (the developer portal's "Public Key": 64 hex characters). Throws at start on a
 * malformed key, so a wrong config fails at once rather than refusing every interaction.
 */
export function discordPublicKey(hex: string): KeyObject {
  if (!/^[0-9a-f]{64}$/i.test(hex.trim())) {
    throw new BackstopError('discord-public-key', 'chat.discord.publicKey is not an Ed25519 public key', {
      userMessage:
        "chat.discord.publicKey must be the application's Public Key: 64 hex characters, shown on the General " +
        'Information page of the application in the Discord developer portal.',
    });
  }
  return createPublicKey({
    key: Buffer.concat([ed25519SpkiPrefix, Buffer.from(hex.trim(), 'hex')]),
    format: 'der',
    type: 'spki',
  });
}

/**
 * Checks that a request comes from Discord: an Ed25519 signature by the application's key over the timestamp header
 * followed by the raw body, and a timestamp within five minutes of `now` (so a captured request cannot be replayed
 * later). Takes the clock as a parameter so tests can move it.
 */
export function verifyDiscordRequest(
  request: DiscordRequestToVerify,
  publicKey: KeyObject,
  now: Date,
): { ok: true } | { ok: false; failure: DiscordRequestFailure } {
  const { signature, timestamp, rawBody } = request;
  if (signature === undefined || timestamp === undefined || !/^[0-9a-f]{128}$/i.test(signature)) {
    return { ok: false, failure: 'missing-signature' };
  }
  const seconds = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
  if (!Number.isFinite(seconds) || Math.abs(now.getTime() - seconds * 1000) > maxRequestAgeMs) {
    return { ok: false, failure: 'stale-timestamp' };
  }
  const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]);
  const valid = verify(null, signed, publicKey, Buffer.from(signature, 'hex'));
  return valid ? { ok: true } : { ok: false, failure: 'bad-signature' };
}

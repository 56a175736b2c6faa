import type { DeliveredRequests } from '../../adapters/chat-platform/chat-platform.ts';

/**
 * The fleet's record of delivered chat requests for one process, in memory, for tests of the front and the adapters
 * that are not about sharing it (those use the state's DeliveredChatRequests). Records the keys it was given.
 */
export class MemoryDeliveredRequests implements DeliveredRequests {
  readonly keys = new Set<string>();

  async recordDelivery(keys: readonly string[]): Promise<'first' | 'replay'> {
    const seen = keys.some((key) => this.keys.has(key));
    for (const key of keys) this.keys.add(key);
    return seen ? 'replay' : 'first';
  }
}

import { ChannelBindings } from '../../commands/chat/channel-bindings.ts';
import { type ChatContext, createChatHandler } from '../../commands/chat/chat-handler.ts';
import type { ChatHandler } from '../../commands/chat/chat-types.ts';
import type { ConfigFile } from '../../src/config/config-schema.ts';
import type { Target } from '../../src/domain/target.ts';
import type { Worker } from '../../src/jobs/worker.ts';
import { engineWorker, makeEngine, makeStore, type TestEngine } from './engine.ts';
import type { S3rverPeer } from './s3rver.ts';

export interface ChatRigOptions {
  /** The `apps` section of the config: environments, access grants, channel bindings. */
  apps: ConfigFile['apps'];
  targets: Target[];
  /** When given, the store is a fresh bucket on this s3rver; otherwise a fresh directory. */
  s3?: S3rverPeer;
  /** The engine's clock (default: wall time). The worker's leases always run on wall time. */
  clock?: () => Date;
}

/** An engine with a worker running its operations, and the chat handler over it, as `backstop serve` wires them. */
export interface ChatRig {
  engine: TestEngine;
  /** What the handler was built from: the engine (access, audit log, restore requests) and channel bindings. */
  chat: ChatContext;
  handler: ChatHandler;
  worker: Worker;
  /** Stops the worker, closes the engine and removes the store. */
  close(): Promise<void>;
}

/** Starts a chat rig; a restore request waits 30 minutes for an approver. */
export async function startChatRig(options: ChatRigOptions): Promise<ChatRig> {
  const bindings = new ChannelBindings(options.apps);
  const { store, cleanup } = await makeStore(options.s3 ? 's3' : 'directory', options.s3);
  const engine = await makeEngine({
    store,
    targets: options.targets,
    access: options.apps,
    ...(options.clock && { clock: options.clock }),
  }).catch(async (error: unknown) => {
    await cleanup();
    throw error;
  });
  const chat: ChatContext = { engine: engine.ctx, bindings };
  const worker = engineWorker(engine.ctx, { leaseMs: 30_000, clock: () => new Date() });
  worker.start();
  return {
    engine,
    chat,
    handler: createChatHandler(chat),
    worker,
    close: async () => {
      await worker.stop();
      await engine.close();
      await cleanup();
    },
  };
}

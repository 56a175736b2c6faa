import type { ConfigFile } from '../../src/config/config-schema.ts';

/** A channel bound to an app, or to one of its environments (a target). */
export interface ChannelBinding {
  app: string;
  env?: string;
}

/**
 * Which channel is bound to what, from the config's `apps.<app>.channels` and `apps.<app>.environments.<env>.channels`.
 * Channels are written `slack:C123` / `discord:987` (or `slack-channel:` / `discord-channel:`); callers name them
 * `slack-channel:C123` / `discord-channel:987`.
 */
export class ChannelBindings {
  private readonly byChannel = new Map<string, ChannelBinding>();

  constructor(apps: ConfigFile['apps']) {
    for (const [app, config] of Object.entries(apps)) {
      for (const channel of config.channels ?? []) this.byChannel.set(normalise(channel), { app });
      for (const [env, environment] of Object.entries(config.environments)) {
        for (const channel of environment.channels ?? []) this.byChannel.set(normalise(channel), { app, env });
      }
    }
  }

  of(channel: string): ChannelBinding | undefined {
    return this.byChannel.get(normalise(channel));
  }

  /** Channels bound to `app` or to its environment `env`, as callers name them. */
  channelsOf(app: string, env: string | null): string[] {
    return [...this.byChannel.entries()]
      .filter(([, binding]) => binding.app === app && (binding.env === undefined || binding.env === env))
      .map(([channel]) => channel);
  }
}

function normalise(channel: string): string {
  return channel.replace(/^slack:/, 'slack-channel:').replace(/^discord:/, 'discord-channel:');
}

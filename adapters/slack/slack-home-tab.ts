import type { ChatHandler, ChatMessage, ChatOutput } from '../../commands/chat/chat-types.ts';
import { renderSlackHome } from './render-slack-view.ts';
import { slackCaller } from './slack-caller.ts';
import { describe, SlackOutput } from './slack-output.ts';
import type { SlackWebApi } from './slack-web-api.ts';

export interface SlackHomeTabOptions {
  api: SlackWebApi;
  handler: ChatHandler;
  log: (line: string) => void;
  /** Runs a click's work as the adapter runs every request's: counted while it runs, a failure told and logged. */
  run: (output: SlackOutput, what: string, work: () => Promise<void>) => Promise<void>;
  /** The output options every SlackOutput of the adapter shares (pacing). */
  output: { updateIntervalMs: number; now: () => number };
  /** Reads a user's profile email, for a click whose work sends mail. */
  email: (user: string) => () => Promise<string | undefined>;
}

/**
 * The App Home tab: `opened` publishes a person's overview (the handler's `home`, only what they may read) when they
 * open the tab; `clicked` runs a click on it (Approve or Deny of a request waiting for them). A click there comes
 * from no channel: private answers go by direct message, whose channel also stands for the caller's. The tab is
 * published again once the decision shows (the request's cards are edited, or the clicker is told why not), and when
 * the click's work ends, one publication after another so that an older view never lands after a newer one.
 */
export function createSlackHomeTab(options: SlackHomeTabOptions) {
  const { api, handler, log } = options;

  const publish = async (user: string, channel: string): Promise<void> => {
    const home = await handler.home(slackCaller(user, channel));
    await api.publishView(user, renderSlackHome(home));
  };

  return {
    async opened(user: string, channel: string): Promise<void> {
      await publish(user, channel).catch((error: unknown) =>
        log(`slack: could not publish the App Home of ${user}: ${describe(error)}`),
      );
    },

    async clicked(user: string, value: string): Promise<void> {
      const channel = await api.openDirectMessage(user);
      let publishing = Promise.resolve();
      const republish = () => {
        publishing = publishing
          .then(() => publish(user, channel))
          .catch((error: unknown) => log(`slack: could not publish the App Home of ${user}: ${describe(error)}`));
        return publishing;
      };
      let refreshed = false;
      const refreshOnce = () => {
        if (refreshed) return;
        refreshed = true;
        void republish();
      };
      const output = new SlackOutput({ api, user, ...options.output, log });
      const shown: ChatOutput = {
        update: (message: ChatMessage) => output.update(message),
        private: async (message: ChatMessage) => {
          await output.private(message);
          refreshOnce();
        },
        announce: (message: ChatMessage) => output.announce(message),
        edit: async (reference: string, message: ChatMessage) => {
          await output.edit(reference, message);
          refreshOnce();
        },
      };
      const caller = slackCaller(user, channel, options.email(user));
      await options.run(output, 'that button', () => handler.action(caller, value, shown));
      await republish();
    },
  };
}

import type { ChatSuggestions } from '../../commands/chat/chat-suggestions.ts';
import { type DiscordQuestion, noChoices, responseType } from './acknowledge-discord-interaction.ts';
import { callerOf } from './discord-caller.ts';
import { autocompleteSlot } from './discord-commands.ts';

/** Discord's limits on autocomplete choices (https://discord.com/developers/docs/interactions/application-commands). */
export const choiceLimits = { count: 25, labelLength: 100, valueLength: 100 } as const;

/**
 * The answer to a `/backup` autocomplete: the choices for the option being typed, for the person typing (what they
 * may see, by the same access check as every surface), as an APPLICATION_COMMAND_AUTOCOMPLETE_RESULT. No choices for
 * an option that takes none or without suggestions; rejects only when reading them failed (the front then sends no
 * choices).
 */
export async function answerAutocomplete(
  { interaction }: DiscordQuestion,
  suggestions: ChatSuggestions | undefined,
): Promise<unknown> {
  const caller = callerOf(interaction);
  const asked = autocompleteSlot(interaction.data ?? {});
  if (suggestions === undefined || caller === undefined || asked === undefined) return noChoices;
  const found = await suggestions.suggest(caller, asked.slot, asked.typed, choiceLimits);
  return {
    type: responseType.autocompleteResult,
    data: {
      choices: found
        .filter((choice) => choice.value.length <= choiceLimits.valueLength)
        .map((choice) => ({ name: choice.label, value: choice.value })),
    },
  };
}

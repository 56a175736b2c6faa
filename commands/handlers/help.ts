import { closestWord } from '../../src/text/closest-word.ts';
import type { Command } from '../command.ts';
import { commandNames, usage } from '../usage.ts';
import type { Reply } from './reply.ts';

/** `help [command]`: every command's usage line, or one command's usage and purpose. */
export function handleHelp(command: Extract<Command, { name: 'help' }>, prefix: string): Reply {
  if (command.topic === undefined) {
    const width = Math.max(...commandNames.map((name) => usage[name].line.length));
    const lines = commandNames.map((name) => `  ${prefix}${usage[name].line.padEnd(width)}  ${usage[name].purpose}`);
    return { outcome: 'ok', text: ['Commands:', ...lines].join('\n'), data: usage };
  }
  const entry = (usage as Record<string, (typeof usage)[keyof typeof usage]>)[command.topic];
  if (!entry) {
    const suggestion = closestWord(command.topic, commandNames);
    return {
      outcome: 'refused',
      text: `There is no command '${command.topic}'.${suggestion ? ` Did you mean '${suggestion}'?` : ''} Commands: ${commandNames.join(', ')}.`,
    };
  }
  return { outcome: 'ok', text: `Usage: ${prefix}${entry.line}\n${entry.purpose}.`, data: { [command.topic]: entry } };
}

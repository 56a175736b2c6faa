import type { ChatFormValues, ChatHandler } from '../../commands/chat/chat-types.ts';
import type { QuestionAnswer } from '../chat-platform/chat-platform.ts';
import {
  parseSlackFormMetadata,
  readSlackFormValues,
  type SlackFormMetadata,
  slackFormCallbackId,
  slackFormErrorsAnswer,
} from './render-slack-view.ts';
import { slackCaller } from './slack-caller.ts';

/** A submitted Backstop modal: who submitted it, what it was for and where it was opened, and the answers. */
export interface SlackFormSubmission {
  user: string;
  metadata: SlackFormMetadata;
  values: ChatFormValues;
}

/** The submission in a `view_submission` body, if it is one of the modals Backstop opens; else undefined. */
export function readSlackFormSubmission(body: Record<string, unknown>): SlackFormSubmission | undefined {
  if (body['type'] !== 'view_submission') return undefined;
  const user = field(body['user'], 'id');
  const view = body['view'];
  if (typeof user !== 'string' || typeof view !== 'object' || view === null) return undefined;
  const { callback_id: callbackId, private_metadata: metadata, state } = view as Record<string, unknown>;
  const parsed = callbackId === slackFormCallbackId ? parseSlackFormMetadata(metadata) : undefined;
  return parsed && { user, metadata: parsed, values: readSlackFormValues(state) };
}

/**
 * The answer to a submitted modal, decided before anything runs: the form's errors, which keep it open with each
 * error under its field (and nothing is delivered), or none, which closes it and delivers the submission. A body that
 * is not a Backstop form's is delivered as it is (Bolt answers nothing to it).
 */
export async function checkSlackFormSubmission(
  handler: ChatHandler,
  body: Record<string, unknown>,
  email: (user: string) => () => Promise<string | undefined>,
): Promise<QuestionAnswer> {
  const submission = readSlackFormSubmission(body);
  if (submission === undefined) return { deliver: true };
  const { user, metadata, values } = submission;
  const errors = await handler.checkForm(slackCaller(user, metadata.channel, email(user)), metadata.form, values);
  return Object.keys(errors).length === 0 ? { deliver: true } : { deliver: false, json: slackFormErrorsAnswer(errors) };
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

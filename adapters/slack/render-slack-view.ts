import type {
  ChatForm,
  ChatFormErrors,
  ChatFormField,
  ChatFormValues,
  ChatMessage,
} from '../../commands/chat/chat-types.ts';
import {
  mrkdwn,
  plainText,
  renderSlackMessage,
  type SlackBlock,
  type SlackMrkdwn,
  type SlackPlainText,
  slackText,
} from './render-slack-message.ts';

/** The `callback_id` of every modal Backstop opens: its submission comes back with it. */
export const slackFormCallbackId = 'backstop.form';

/** What a modal carries through Slack to its submission: the form's id and the channel it was opened from. */
export interface SlackFormMetadata {
  form: string;
  /** Where the submission's answers go: the channel of the message whose button opened the form. */
  channel: string;
}

interface SlackOption {
  text: SlackPlainText;
  value: string;
}

/** An input block of a modal: a choice (static select) or a set of checkboxes, its value read by `action_id`. */
export interface SlackInputBlock {
  type: 'input';
  block_id: string;
  label: SlackPlainText;
  optional?: true;
  element:
    | { type: 'static_select'; action_id: 'value'; options: SlackOption[]; initial_option?: SlackOption }
    | { type: 'checkboxes'; action_id: 'value'; options: SlackOption[]; initial_options?: SlackOption[] };
}

/** What `views.open` takes as its `view`. */
export interface SlackModalView {
  type: 'modal';
  callback_id: string;
  private_metadata: string;
  title: SlackPlainText;
  submit: SlackPlainText;
  close: SlackPlainText;
  blocks: Array<{ type: 'section'; text: SlackMrkdwn } | SlackInputBlock>;
}

/** What `views.publish` takes as its `view`. */
export interface SlackHomeView {
  type: 'home';
  blocks: Array<SlackBlock | { type: 'divider' }>;
}

// Slack's limits (https://api.slack.com/reference/surfaces/views, .../block-kit/composition-objects): a modal's title
// up to 24 characters and its buttons' up to 24, private_metadata up to 3000, an option's text up to 75 and its
// value up to 150, 100 options in a select, 100 blocks in a view, a label up to 2000.
const titleLimit = 24;
const optionTextLimit = 75;
const optionValueLimit = 150;
const optionsLimit = 100;
const viewBlocksLimit = 100;
const labelLimit = 2000;

/**
 * A platform-neutral form as a Slack modal: the intro as a mrkdwn section, then an input block per field (block_id
 * the field's name, so the answers and any errors name the same field). `metadata` rides along to the submission.
 * Pure.
 */
export function renderSlackModal(form: ChatForm, metadata: SlackFormMetadata): SlackModalView {
  return {
    type: 'modal',
    callback_id: slackFormCallbackId,
    private_metadata: JSON.stringify(metadata),
    title: plainText(form.title, titleLimit),
    submit: plainText(form.submit, titleLimit),
    close: plainText('Cancel', titleLimit),
    blocks: [{ type: 'section', text: mrkdwn(slackText(form.intro)) }, ...form.fields.map(inputBlock)],
  };
}

function inputBlock(field: ChatFormField): SlackInputBlock {
  const label = plainText(field.label, labelLimit);
  if (field.kind === 'choice') {
    const options = field.options.slice(0, optionsLimit).map((o) => option(o.label, o.value));
    const initial = options.find((o) => o.value === field.initial);
    return {
      type: 'input',
      block_id: field.name,
      label,
      element: { type: 'static_select', action_id: 'value', options, ...(initial && { initial_option: initial }) },
    };
  }
  // Unticked, a set of checkboxes has no value: the input must be optional, or Slack would not let it be submitted.
  const ticked = option(field.description, 'yes');
  return {
    type: 'input',
    block_id: field.name,
    label,
    optional: true,
    element: {
      type: 'checkboxes',
      action_id: 'value',
      options: [ticked],
      ...(field.checked && { initial_options: [ticked] }),
    },
  };
}

function option(text: string, value: string): SlackOption {
  return { text: plainText(text, optionTextLimit), value: value.slice(0, optionValueLimit) };
}

/**
 * A submitted modal's answers (`view.state.values`) by field name: a choice's value (undefined when none is chosen),
 * or whether a checkbox is ticked. Anything else in the state is left out.
 */
export function readSlackFormValues(state: unknown): ChatFormValues {
  const values: ChatFormValues = {};
  const blocks = isRecord(state) && isRecord(state['values']) ? state['values'] : {};
  for (const [name, block] of Object.entries(blocks)) {
    const element = isRecord(block) ? block['value'] : undefined;
    if (!isRecord(element)) continue;
    if (element['type'] === 'static_select') {
      const selected = element['selected_option'];
      values[name] = isRecord(selected) && typeof selected['value'] === 'string' ? selected['value'] : undefined;
    } else if (element['type'] === 'checkboxes') {
      values[name] = Array.isArray(element['selected_options']) && element['selected_options'].length > 0;
    }
  }
  return values;
}

/** The answer to a view_submission that keeps the modal open and shows each error under its field. */
export function slackFormErrorsAnswer(errors: ChatFormErrors): {
  response_action: 'errors';
  errors: Record<string, string>;
} {
  return { response_action: 'errors', errors: { ...errors } };
}

/** A modal's private_metadata back into what `renderSlackModal` put there; undefined when it is not Backstop's. */
export function parseSlackFormMetadata(text: unknown): SlackFormMetadata | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (isRecord(value) && typeof value['form'] === 'string' && typeof value['channel'] === 'string') {
      return { form: value['form'], channel: value['channel'] };
    }
  } catch {
    // Not JSON: not a modal Backstop opened.
  }
  return undefined;
}

/** A person's overview (ChatHandler.home) as an App Home tab: the messages in order, a divider between them. */
export function renderSlackHome(messages: ChatMessage[]): SlackHomeView {
  const blocks: SlackHomeView['blocks'] = [];
  for (const message of messages) {
    if (blocks.length > 0) blocks.push({ type: 'divider' });
    blocks.push(...renderSlackMessage(message).blocks);
  }
  return { type: 'home', blocks: blocks.slice(0, viewBlocksLimit) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

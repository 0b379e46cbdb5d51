// `view.state.values` for a submission, built from the view's input blocks and what the test
// "typed": values are keyed by action_id (or block_id), shapes as in Bolt's ViewStateValue.
type Element = Record<string, unknown> & { type: string; action_id?: string };
type Typed = string | string[] | undefined;
type Option = { text: unknown; value: string };

function options(element: Element): Option[] {
  const groups = (element.option_groups as Array<{ options: Option[] }> | undefined) ?? [];
  return [...((element.options as Option[] | undefined) ?? []), ...groups.flatMap((g) => g.options)];
}

function option(element: Element, value: string): Option {
  const found = options(element).find((o) => o.value === value);
  if (found === undefined) throw new Error(`no option with value "${value}" in ${element.type} "${element.action_id}"`);
  return { text: found.text, value: found.value };
}

const list = (typed: Typed): string[] => (typed === undefined ? [] : Array.isArray(typed) ? typed : [typed]);
const single = (typed: Typed): string | null => (Array.isArray(typed) ? (typed[0] ?? null) : (typed ?? null));

const text = (typed: Typed) => ({ value: single(typed) });
const selected = (key: string) => (typed: Typed) => ({ [key]: single(typed) });
const selectedMany = (key: string) => (typed: Typed) => ({ [key]: list(typed) });

function selectedOption(typed: Typed, element: Element) {
  const value = single(typed);
  return { selected_option: value === null ? null : option(element, value) };
}

const VALUE_SHAPES: Record<string, (typed: Typed, element: Element) => Record<string, unknown>> = {
  plain_text_input: text,
  number_input: text,
  email_text_input: text,
  url_text_input: text,
  static_select: selectedOption,
  radio_buttons: selectedOption,
  multi_static_select: (typed, el) => ({ selected_options: list(typed).map((v) => option(el, v)) }),
  checkboxes: (typed, el) => ({ selected_options: list(typed).map((v) => option(el, v)) }),
  users_select: selected('selected_user'),
  multi_users_select: selectedMany('selected_users'),
  conversations_select: selected('selected_conversation'),
  multi_conversations_select: selectedMany('selected_conversations'),
  channels_select: selected('selected_channel'),
  multi_channels_select: selectedMany('selected_channels'),
  datepicker: selected('selected_date'),
  timepicker: selected('selected_time'),
};

export type StateValues = Record<string, Record<string, unknown>>;

export function buildStateValues(blocks: unknown, typed: Record<string, Typed>): StateValues {
  const inputs = (Array.isArray(blocks) ? blocks : []).filter((b: { type?: unknown }) => b.type === 'input') as Array<{
    block_id: string;
    element: Element;
  }>;
  const known = inputs.flatMap((b) => [b.block_id, b.element.action_id]);
  const unknown = Object.keys(typed).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new Error(`no input with action_id or block_id ${unknown.join(', ')}; the view has ${known.join(', ')}`);
  }
  const values: StateValues = {};
  for (const { block_id: blockId, element } of inputs) {
    const shape = VALUE_SHAPES[element.type];
    if (shape === undefined) throw new Error(`input element type ${element.type} is not supported by the Slack fake`);
    const given = typed[element.action_id ?? ''] ?? typed[blockId];
    values[blockId] = { [element.action_id ?? '']: { type: element.type, ...shape(given, element) } };
  }
  return values;
}

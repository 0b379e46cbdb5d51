// Block Kit limits as Slack enforces them (Slack's Block Kit reference, @slack/types block-kit docs).
// The limits are data: one table per surface, block type and element type, so a new limit
// is one line. Problems come back in Slack's wording, `[ERROR] ... [json-pointer:/...]`, the
// form Slack puts in `response_metadata.messages` next to `invalid_blocks` / `invalid_arguments`.

interface Limit {
  /** Dotted path below the object; `name[]` walks every item of an array. */
  path: string;
  max: number;
  min?: number;
  unit: 'chars' | 'items';
}

interface AllowedValues {
  path: string;
  oneOf: string[];
}

type Rule = Limit | AllowedValues;

const chars = (path: string, max: number, min?: number): Limit =>
  min === undefined ? { path, max, unit: 'chars' } : { path, max, min, unit: 'chars' };
const items = (path: string, max: number): Limit => ({ path, max, unit: 'items' });

export const MAX_MESSAGE_BLOCKS = 50;
export const MAX_VIEW_BLOCKS = 100;

const EVERY_BLOCK: Rule[] = [chars('block_id', 255)];

const BLOCK_RULES: Record<string, Rule[]> = {
  section: [chars('text.text', 3000, 1), items('fields', 10), chars('fields[].text', 2000)],
  header: [chars('text.text', 150, 1), { path: 'text.type', oneOf: ['plain_text'] }],
  context: [items('elements', 10)],
  actions: [items('elements', 25)],
  input: [chars('label.text', 2000, 1), chars('hint.text', 2000)],
  image: [chars('image_url', 3000), chars('alt_text', 2000)],
  divider: [],
  rich_text: [],
  markdown: [chars('text', 12000)],
  file: [],
  video: [],
};

const EVERY_ELEMENT: Rule[] = [chars('action_id', 255)];

const OPTION_RULES = (path: string, maxOptions: number): Rule[] => [
  items(path, maxOptions),
  chars(`${path}[].text.text`, 75),
  chars(`${path}[].value`, 75),
  chars(`${path}[].description.text`, 75),
];

const ELEMENT_RULES: Record<string, Rule[]> = {
  button: [chars('text.text', 75, 1), chars('value', 2000), chars('url', 3000)],
  static_select: [...OPTION_RULES('options', 100), items('option_groups', 100)],
  multi_static_select: [...OPTION_RULES('options', 100), items('option_groups', 100)],
  overflow: [...OPTION_RULES('options', 5), chars('options[].url', 3000)],
  checkboxes: OPTION_RULES('options', 10),
  radio_buttons: OPTION_RULES('options', 10),
  plain_text_input: [chars('initial_value', 3000)],
};

/** Where interactive elements sit inside a block. */
const ELEMENT_SLOTS = ['accessory', 'element', 'elements[]'];

const VIEW_RULES: Rule[] = [
  chars('title.text', 24, 1),
  chars('submit.text', 24),
  chars('close.text', 24),
  chars('private_metadata', 3000),
  chars('callback_id', 255),
  chars('external_id', 255),
  { path: 'type', oneOf: ['modal', 'home'] },
];

interface Found {
  value: unknown;
  pointer: string;
}

/** Every value at `path` below `root`, with its JSON pointer. */
function resolve(root: unknown, path: string, pointer: string): Found[] {
  let found: Found[] = [{ value: root, pointer }];
  for (const segment of path.split('.')) {
    const spread = segment.endsWith('[]');
    const key = spread ? segment.slice(0, -2) : segment;
    found = found.flatMap(({ value, pointer: at }) => {
      if (typeof value !== 'object' || value === null || !(key in value)) return [];
      const child = (value as Record<string, unknown>)[key];
      if (!spread) return [{ value: child, pointer: `${at}/${key}` }];
      return Array.isArray(child) ? child.map((item, i) => ({ value: item, pointer: `${at}/${key}/${i}` })) : [];
    });
  }
  return found;
}

function problem(message: string, pointer: string): string {
  return `[ERROR] ${message} [json-pointer:${pointer}]`;
}

function checkRule(root: unknown, rule: Rule, pointer: string): string[] {
  return resolve(root, rule.path, pointer).flatMap(({ value, pointer: at }) => {
    if ('oneOf' in rule) {
      return rule.oneOf.includes(String(value)) ? [] : [problem(`must be one of: ${rule.oneOf.join(', ')}`, at)];
    }
    if (rule.unit === 'items') {
      if (!Array.isArray(value)) return [];
      return value.length > rule.max ? [problem(`no more than ${rule.max} items allowed`, at)] : [];
    }
    if (typeof value !== 'string') return [];
    if (value.length > rule.max) return [problem(`must be less than ${rule.max + 1} characters`, at)];
    if (rule.min !== undefined && value.length < rule.min) {
      return [problem(`must be more than ${rule.min - 1} characters`, at)];
    }
    return [];
  });
}

function checkRules(root: unknown, rules: Rule[], pointer: string): string[] {
  return rules.flatMap((rule) => checkRule(root, rule, pointer));
}

function checkElement(element: Found): string[] {
  const type = (element.value as { type?: unknown } | null)?.type;
  const rules = typeof type === 'string' ? (ELEMENT_RULES[type] ?? []) : [];
  return checkRules(element.value, [...EVERY_ELEMENT, ...rules], element.pointer);
}

function checkBlock(block: unknown, pointer: string): string[] {
  const type = (block as { type?: unknown } | null)?.type;
  if (typeof type !== 'string') return [problem('missing required field: type', pointer)];
  const rules = BLOCK_RULES[type];
  if (rules === undefined) return [problem(`unsupported type: ${type}`, `${pointer}/type`)];
  const elements = ELEMENT_SLOTS.flatMap((slot) => resolve(block, slot, pointer));
  return [...checkRules(block, [...EVERY_BLOCK, ...rules], pointer), ...elements.flatMap(checkElement)];
}

function checkBlockList(blocks: unknown, maxBlocks: number, pointer: string): string[] {
  if (!Array.isArray(blocks)) return [problem('must be an array', pointer)];
  const countProblem = blocks.length > maxBlocks ? [problem(`no more than ${maxBlocks} items allowed`, pointer)] : [];
  return [...countProblem, ...blocks.flatMap((block, i) => checkBlock(block, `${pointer}/${i}`))];
}

/** Problems with a message's `blocks` (chat.postMessage, chat.update, response_url...). */
export function validateMessageBlocks(blocks: unknown): string[] {
  return checkBlockList(blocks, MAX_MESSAGE_BLOCKS, '/blocks');
}

/** Problems with a modal or Home tab `view` (views.open/update/publish, response_action views). */
export function validateView(view: unknown): string[] {
  if (typeof view !== 'object' || view === null) return [problem('must be an object', '/view')];
  const blocks = (view as { blocks?: unknown }).blocks;
  return [...checkRules(view, VIEW_RULES, '/view'), ...checkBlockList(blocks, MAX_VIEW_BLOCKS, '/view/blocks')];
}

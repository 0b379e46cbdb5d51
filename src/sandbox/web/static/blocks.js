// Block Kit as Slack's client draws it: header, section (text, fields, accessory),
// context, divider, actions, image, and the input blocks of modals with their hints and
// field errors. Every text goes through mrkdwn.js or textContent. A button only reports
// that it was pressed (ctx.onButton); what that does is the app's business, over Socket Mode.
import { el } from './dom.js';
import { render } from './mrkdwn.js';

/** A text object: mrkdwn rendered, plain_text as typed. */
export function textObject(obj, ctx) {
  if (!obj || typeof obj.text !== 'string') return document.createTextNode('');
  if (obj.type === 'mrkdwn') return render(obj.text, ctx);
  return document.createTextNode(obj.text);
}

function button(element, block, ctx) {
  const b = el('button', `btn${element.style ? ` btn-${element.style}` : ''}`, element.text?.text ?? '');
  b.type = 'button';
  b.addEventListener('click', () => ctx.onButton?.(element, block));
  return b;
}

/** An element in an actions block or a section's accessory. */
function element(element, block, ctx) {
  switch (element.type) {
    case 'button':
      return button(element, block, ctx);
    case 'image': {
      // Images from elsewhere are not loaded (nothing leaves 127.0.0.1): their alt text stands in.
      return el('span', 'image-alt', `[image: ${element.alt_text ?? ''}]`);
    }
    default:
      return el('span', 'unsupported', `[${element.type}]`);
  }
}

let inputIds = 0;

/** The control of an input block; data-* attributes say how app.js reads its value. */
function inputControl(block, ctx) {
  const e = block.element ?? {};
  const id = `input-${++inputIds}`;
  let control;
  if (e.type === 'static_select') {
    control = el('select');
    const none = el('option', '', e.placeholder?.text ?? 'Choose an option');
    none.value = '';
    control.append(none);
    const groups = [{ options: e.options ?? [] }, ...(e.option_groups ?? [])];
    for (const group of groups) {
      for (const o of group.options ?? []) {
        const option = el('option', '', o.text?.text ?? o.value);
        option.value = o.value;
        control.append(option);
      }
    }
    const initial = ctx.values?.[e.action_id] ?? e.initial_option?.value;
    if (initial !== undefined) control.value = initial;
  } else if (e.type === 'plain_text_input') {
    control = el(e.multiline ? 'textarea' : 'input');
    if (!e.multiline) control.type = 'text';
    if (e.placeholder?.text) control.placeholder = e.placeholder.text;
    if (e.max_length) control.maxLength = e.max_length;
    control.value = ctx.values?.[e.action_id] ?? e.initial_value ?? '';
  } else {
    control = el('span', 'unsupported', `[${e.type}]`);
    return { control, id };
  }
  control.id = id;
  control.dataset.actionId = e.action_id ?? '';
  control.dataset.blockId = block.block_id ?? '';
  return { control, id };
}

function inputBlock(block, ctx) {
  const wrap = el('div', 'block block-input');
  const { control, id } = inputControl(block, ctx);
  const label = el('label', 'input-label', block.label?.text ?? '');
  label.htmlFor = id;
  if (block.optional) label.append(el('span', 'optional', ' (optional)'));
  wrap.append(label, control);
  const error = ctx.errors?.[block.block_id];
  if (error) {
    const message = el('div', 'input-error', error);
    message.id = `${id}-error`;
    message.setAttribute('role', 'alert');
    control.setAttribute('aria-invalid', 'true');
    control.setAttribute('aria-describedby', message.id);
    wrap.append(message);
  }
  if (block.hint?.text) wrap.append(el('div', 'input-hint', block.hint.text));
  return wrap;
}

function block(b, ctx) {
  switch (b.type) {
    case 'header':
      return el('h3', 'block block-header', b.text?.text ?? '');
    case 'divider':
      return el('hr', 'block block-divider');
    case 'section': {
      const wrap = el('div', 'block block-section');
      const body = el('div', 'section-body');
      if (b.text) body.append(el('div', 'section-text'));
      if (b.text) body.lastChild.append(textObject(b.text, ctx));
      if (Array.isArray(b.fields)) {
        const fields = el('div', 'section-fields');
        for (const f of b.fields) {
          const field = el('div', 'section-field');
          field.append(textObject(f, ctx));
          fields.append(field);
        }
        body.append(fields);
      }
      wrap.append(body);
      if (b.accessory) {
        const accessory = el('div', 'section-accessory');
        accessory.append(element(b.accessory, b, ctx));
        wrap.append(accessory);
      }
      return wrap;
    }
    case 'context': {
      const wrap = el('div', 'block block-context');
      for (const e of b.elements ?? []) {
        const part = el('span', 'context-element');
        part.append(e.type === 'image' ? element(e, b, ctx) : textObject(e, ctx));
        wrap.append(part);
      }
      return wrap;
    }
    case 'actions': {
      const wrap = el('div', 'block block-actions');
      for (const e of b.elements ?? []) wrap.append(element(e, b, ctx));
      return wrap;
    }
    case 'image':
      return el('div', 'block image-alt', `[image: ${b.alt_text ?? ''}]`);
    case 'input':
      return inputBlock(b, ctx);
    default:
      return el('div', 'block unsupported', `[${b.type} block]`);
  }
}

/** DOM for a list of blocks. */
export function renderBlocks(blocks, ctx) {
  const fragment = document.createDocumentFragment();
  for (const b of blocks ?? []) fragment.append(block(b, ctx));
  return fragment;
}

/** What the person entered in a modal: { action_id: value }, empty fields left out (Slack sends null). */
export function readInputs(root) {
  const values = {};
  for (const control of root.querySelectorAll('[data-action-id]')) {
    if (control.value !== '') values[control.dataset.actionId] = control.value;
  }
  return values;
}

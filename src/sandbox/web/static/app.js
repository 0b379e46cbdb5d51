// The sandbox page: a Slack workspace drawn from the Slack fake's state, as one person
// sees it, with what happens behind Slack beside it. Everything shown comes from
// /api/state; everything done goes to /api/<action>, which the fake turns into the
// Socket Mode envelope Slack would send the app. The page keeps only what a Slack client
// keeps: who is acting, which tab is open, what is typed in a form not yet submitted.
import { el } from './dom.js';
import { readInputs, renderBlocks, textObject } from './blocks.js';
import { render } from './mrkdwn.js';
import { renderBackstage } from './backstage.js';

const $ = (selector) => document.querySelector(selector);
/** Whoever posts and is none of the workspace's people is the app: only the bot posts here. */
const APP_NAME = 'Portcullis';

const ui = {
  me: sessionStorage.getItem('acting-as') || null,
  tab: 'channel',
  state: null,
  /** Threads the person folded away, by parent ts. */
  folded: new Set(),
  /** What Slack's client tells the person itself (a command it refused, an app that did not answer). */
  notices: [],
  /** The key of the modal on screen: it is redrawn only when the app changed it. */
  modalKey: null,
};

const people = () => ui.state?.people ?? [];
const personOf = (id) => people().find((p) => p.id === id);
const timeOf = (ts) => new Date(Number(ts) * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

// ------------------------------------------------------------------ acting

async function act(action, body = {}) {
  const response = await fetch(`/api/${action}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ as: ui.me, ...body }),
  });
  const result = await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
  if (!result.ok) notice(result.error ?? 'That did not work.');
  await load();
  return result;
}

function notice(text) {
  ui.notices.push({ text, at: Date.now() / 1000 });
  draw();
}

/** A button in a message (ts) or a view (viewId): Slack asks its confirm question first. */
async function press(element, block, where) {
  if (element.url) window.open(element.url, '_blank', 'noopener');
  if (element.confirm && !(await confirmDialog(element.confirm))) return;
  await act('click', { actionId: element.action_id, blockId: block.block_id, ...(element.value === undefined ? {} : { value: element.value }), ...where });
}

function confirmDialog(confirm) {
  const dialog = $('#confirm');
  $('#confirm-title').textContent = confirm.title?.text ?? 'Are you sure?';
  $('#confirm-text').replaceChildren(textObject(confirm.text, { people: people() }));
  $('#confirm-yes').textContent = confirm.confirm?.text ?? 'Yes';
  $('#confirm-no').textContent = confirm.deny?.text ?? 'Cancel';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
  });
}

// ------------------------------------------------------------------ drawing

function message(m, { ephemeral = false } = {}) {
  // An ephemeral's `user` is who sees it; it comes from the app.
  const who = ephemeral ? undefined : personOf(m.user);
  const article = el('article', `msg${ephemeral ? ' ephemeral' : ''}`);
  article.dataset.ts = m.ts;
  const name = who?.realName ?? APP_NAME;
  article.append(el('div', 'avatar', name.slice(0, 1)));
  const main = el('div', 'msg-main');
  const meta = el('div', 'msg-meta');
  meta.append(el('strong', '', name));
  if (who === undefined) meta.append(el('span', 'app-badge', 'APP'));
  meta.append(el('time', '', timeOf(m.ts)));
  if (m.edited) meta.append(el('span', 'muted', '(edited)'));
  if (ephemeral) meta.append(el('span', 'only-you', 'Only visible to you'));
  main.append(meta);
  const body = el('div', 'msg-body');
  const ctx = { people: people(), onButton: (element, block) => press(element, block, { ts: m.ts }) };
  if (Array.isArray(m.blocks) && m.blocks.length > 0) body.append(renderBlocks(m.blocks, ctx));
  else body.append(render(m.text ?? '', ctx));
  main.append(body);
  for (const f of m.files ?? []) main.append(file(f));
  article.append(main);
  return article;
}

function file(f) {
  const card = el('details', 'file');
  const summary = el('summary', '', `📄 ${f.title || f.name}`);
  card.append(summary);
  const pre = el('pre', 'file-content', 'loading…');
  card.append(pre);
  card.addEventListener('toggle', async () => {
    if (!card.open || card.dataset.loaded) return;
    const response = await fetch(`/api/files/${encodeURIComponent(f.id)}`);
    pre.textContent = response.ok ? await response.text() : `could not load ${f.name}`;
    card.dataset.loaded = 'yes';
  });
  return card;
}

function notices() {
  return ui.notices.map((n) => {
    const article = el('article', 'msg ephemeral');
    article.append(el('div', 'avatar', 'S'));
    const main = el('div', 'msg-main');
    const meta = el('div', 'msg-meta');
    meta.append(el('strong', '', 'Slackbot'), el('time', '', timeOf(n.at)), el('span', 'only-you', 'Only visible to you'));
    main.append(meta, el('div', 'msg-body', n.text));
    article.append(main);
    return article;
  });
}

const byTs = (a, b) => Number(a.ts) - Number(b.ts);

function drawChannel() {
  const { messages, ephemerals } = ui.state;
  const parents = new Set(messages.map((m) => m.ts));
  const top = [
    ...messages.map((m) => ({ ts: m.ts, node: () => threadOf(m) })),
    ...ephemerals.filter((e) => !e.threadTs || !parents.has(e.threadTs)).map((e) => ({ ts: e.ts, node: () => message(e, { ephemeral: true }) })),
  ].sort(byTs);
  const list = $('#messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  list.replaceChildren(...top.map((item) => item.node()), ...notices());
  if (atBottom) list.scrollTop = list.scrollHeight;
}

/** A parent with its replies (and the person's ephemerals in that thread) below it. */
function threadOf(m) {
  const wrap = el('div', 'thread');
  wrap.append(message(m));
  const replies = [
    ...m.replies.map((r) => ({ ts: r.ts, node: () => message(r) })),
    ...ui.state.ephemerals.filter((e) => e.threadTs === m.ts).map((e) => ({ ts: e.ts, node: () => message(e, { ephemeral: true }) })),
  ].sort(byTs);
  if (replies.length === 0) return wrap;
  const folded = ui.folded.has(m.ts);
  const toggle = el('button', 'thread-toggle', folded ? `${replies.length} ${replies.length === 1 ? 'reply' : 'replies'}` : 'Hide replies');
  toggle.type = 'button';
  toggle.setAttribute('aria-expanded', String(!folded));
  toggle.addEventListener('click', () => {
    if (folded) ui.folded.delete(m.ts);
    else ui.folded.add(m.ts);
    draw();
  });
  wrap.append(toggle);
  if (!folded) {
    const list = el('div', 'replies');
    list.setAttribute('aria-label', 'Thread');
    list.append(...replies.map((r) => r.node()));
    wrap.append(list);
  }
  return wrap;
}

function drawHome() {
  const home = ui.state.home;
  const root = $('#home-view');
  if (!home) return root.replaceChildren(el('p', 'muted', 'Opening the Home tab…'));
  root.replaceChildren(renderBlocks(home.blocks, { people: people(), onButton: (element, block) => press(element, block, { viewId: home.id }) }));
}

function drawModal() {
  const top = ui.state.modals.at(-1);
  const root = $('#modal-root');
  const key = top ? `${top.view.id}:${top.view.hash}:${JSON.stringify(top.errors ?? {})}` : null;
  if (key === ui.modalKey) return;
  // What the person typed stays when the app only adds field errors to the same view.
  const kept = top && ui.modalKey?.startsWith(`${top.view.id}:`) ? readInputs(root) : {};
  ui.modalKey = key;
  if (!top) return root.replaceChildren();
  const { view, errors } = top;
  const backdrop = el('div', 'modal-backdrop');
  const dialog = el('div', 'modal');
  dialog.setAttribute('role', 'dialog');
  dialog.setAttribute('aria-modal', 'true');
  dialog.setAttribute('aria-labelledby', 'modal-title');
  const title = el('h2', '', view.title?.text ?? '');
  title.id = 'modal-title';
  const form = el('form', 'modal-body');
  form.noValidate = true;
  form.append(renderBlocks(view.blocks, { people: people(), errors: errors ?? {}, values: kept, onButton: (element, block) => press(element, block, { viewId: view.id }) }));
  const footer = el('div', 'modal-footer');
  const close = el('button', 'btn', view.close?.text ?? 'Cancel');
  close.type = 'button';
  close.addEventListener('click', () => act('close', { viewId: view.id }));
  footer.append(close);
  if (view.submit) {
    const submit = el('button', 'btn btn-primary', view.submit.text);
    submit.type = 'submit';
    footer.append(submit);
  }
  form.append(footer);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act('submit', { viewId: view.id, values: readInputs(form) });
  });
  dialog.append(title, form);
  backdrop.append(dialog);
  root.replaceChildren(backdrop);
  (root.querySelector('[aria-invalid="true"]') ?? root.querySelector('[data-action-id]'))?.focus();
}

function drawPeople() {
  const group = $('#acting-as');
  if (group.childElementCount === ui.state.people.length) {
    for (const input of group.querySelectorAll('input')) input.checked = input.value === ui.me;
    return;
  }
  group.replaceChildren(
    ...ui.state.people.map((p) => {
      const label = el('label', 'person');
      const input = el('input');
      input.type = 'radio';
      input.name = 'acting-as';
      input.value = p.id;
      input.checked = p.id === ui.me;
      input.addEventListener('change', () => switchTo(p.id));
      label.append(input, el('span', 'person-name', p.realName), el('span', 'person-role', p.role));
      return label;
    }),
  );
}

function draw() {
  if (!ui.state) return;
  drawPeople();
  $('#channel-name').textContent = `# ${ui.state.channel.name}`;
  $('#channel-view').hidden = ui.tab !== 'channel';
  $('#home-view-wrap').hidden = ui.tab !== 'home';
  $('#nav-channel').setAttribute('aria-current', String(ui.tab === 'channel'));
  $('#nav-home').setAttribute('aria-current', String(ui.tab === 'home'));
  if (ui.tab === 'channel') drawChannel();
  else drawHome();
  drawModal();
  renderBackstage($('#backstage'), ui.state);
}

// ------------------------------------------------------------------ reading

let loading = null;
let again = false;

/** Reads the state once; a change announced meanwhile reads it once more afterwards. */
async function load() {
  if (loading) {
    again = true;
    return loading;
  }
  loading = (async () => {
    do {
      again = false;
      const response = await fetch(`/api/state?as=${encodeURIComponent(ui.me ?? '')}`);
      if (response.ok) ui.state = await response.json();
      draw();
    } while (again);
  })();
  try {
    await loading;
  } finally {
    loading = null;
  }
}

async function switchTo(id) {
  ui.me = id;
  sessionStorage.setItem('acting-as', id);
  ui.notices = [];
  ui.modalKey = null;
  await load();
  if (ui.tab === 'home') await act('home');
}

async function start() {
  const remembered = await fetch(`/api/state?as=${encodeURIComponent(ui.me ?? '')}`);
  const first = remembered.ok ? await remembered.json() : await (await fetch('/api/state')).json();
  ui.me = first.me;
  await load();
  new EventSource('/api/events').addEventListener('message', () => void load());

  $('#composer').addEventListener('submit', (event) => {
    event.preventDefault();
    const box = $('#message');
    const text = box.value.trim();
    if (text === '') return;
    box.value = '';
    void act('command', { text });
  });
  $('#nav-channel').addEventListener('click', () => {
    ui.tab = 'channel';
    draw();
  });
  $('#nav-home').addEventListener('click', async () => {
    ui.tab = 'home';
    draw();
    await act('home');
  });
  document.body.dataset.ready = 'yes';
}

void start();

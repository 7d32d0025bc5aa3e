// Outbound webhooks (admin): the endpoints of the team's ATS that Stagecheck
// tells of every change of a check, each with its delivery log and replay.
// A signing secret is shown once, right after it is made; nothing here shows
// an id or raw JSON.
import * as api from './api.js';
import { h, field, messageBox, busy, time, confirmDialog, notice } from './dom.js';

const EVENTS = [
  ['check.created', 'Check sent'],
  ['check.status_changed', 'Status changed'],
  ['check.completed', 'Check completed'],
  ['check.report_ready', 'Report ready'],
  ['check.error', 'Check error'],
  ['check.cancelled', 'Check cancelled'],
  ['application.moved', 'Application moved to another stage'],
];
const eventLabel = (type) => (EVENTS.find(([t]) => t === type) || [type, 'Other event'])[1];

const STATES = {
  delivered: ['Delivered', 'good'],
  pending: ['Waiting to retry', 'waiting'],
  failed: ['Not delivered', 'bad'],
};

function attemptWords(a) {
  const answer = a.http_status === null ? `no answer (${a.error || 'no reason given'})` : `answered HTTP ${a.http_status}`;
  return `Attempt ${a.attempt}: ${answer}, after ${a.latency_ms} ms`;
}

// The secret, once: with a copy button and a warning.
function secretBox(title, secret) {
  const input = h('input', { type: 'text', readonly: true, value: secret, name: 'signing_secret', spellcheck: 'false' });
  const copy = h('button', { type: 'button', class: 'secondary' }, 'Copy secret');
  copy.addEventListener('click', async () => {
    input.select();
    try { await navigator.clipboard.writeText(secret); notice('The signing secret is copied.'); } catch { /* selected for a manual copy */ }
  });
  return h('div', { class: 'message warn secret-once', role: 'status' },
    h('strong', {}, title), h('p', {}, 'Copy it into your ATS now: it is shown only this once.'),
    field('Signing secret', input), h('div', { class: 'actions' }, copy));
}

function deliveryLog(endpoint, box) {
  const list = h('ul', { class: 'list', 'aria-label': 'Deliveries' });
  const more = h('button', { type: 'button', class: 'secondary small', hidden: true }, 'Show older deliveries');
  let next = null;
  async function load(reset) {
    const pageOf = await api.page(`/webhook-endpoints/${api.seg(endpoint.id)}/deliveries`, reset ? null : next);
    if (reset) list.replaceChildren();
    next = pageOf.next;
    more.hidden = !next;
    if (reset && pageOf.items.length === 0) list.append(h('li', { class: 'muted' }, 'No deliveries yet.'));
    for (const d of pageOf.items) list.append(deliveryRow(d));
  }
  function deliveryRow(d) {
    const [label, tone] = STATES[d.state] || ['Unknown', 'waiting'];
    const replay = h('button', { type: 'button', class: 'secondary small' }, 'Send again');
    replay.addEventListener('click', () => busy(replay, async () => {
      try {
        await api.post(`/webhook-endpoints/${api.seg(endpoint.id)}/deliveries/${api.seg(d.id)}/replay`);
        notice('The event will be sent again now.');
        await load(true);
      } catch (e) { box.error(e.message); }
    }));
    const last = d.attempt_log.length ? d.attempt_log[d.attempt_log.length - 1] : null;
    return h('li', { class: 'delivery' },
      h('span', {}, eventLabel(d.event_type)), h('span', { class: `badge ${tone}` }, label),
      time(d.created_at),
      h('span', { class: 'muted' }, last ? attemptWords(last) : 'Not tried yet'),
      d.state === 'pending' && d.next_attempt_at ? h('span', { class: 'muted' }, 'Next try ', time(d.next_attempt_at)) : null,
      replay);
  }
  more.addEventListener('click', () => busy(more, () => load(false)));
  return { el: h('div', { class: 'delivery-log' }, h('h4', {}, 'Delivery log'), list, more), load };
}

function endpointCard(endpoint, reload) {
  const box = messageBox();
  const secretSlot = h('div');
  const status = endpoint.enabled
    ? h('span', { class: 'badge good' }, 'Active')
    : h('span', { class: 'badge bad' }, 'Disabled');
  const rotate = h('button', { type: 'button', class: 'secondary' }, 'Rotate secret');
  const toggle = h('button', { type: 'button', class: 'secondary' }, endpoint.enabled ? 'Disable' : 'Enable');
  const remove = h('button', { type: 'button', class: 'danger' }, 'Delete');
  const showLog = h('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false' }, 'Show delivery log');
  const log = deliveryLog(endpoint, box);
  log.el.hidden = true;
  const path = `/webhook-endpoints/${api.seg(endpoint.id)}`;
  rotate.addEventListener('click', () => busy(rotate, async () => {
    if (!await confirmDialog('Rotate signing secret', 'A new secret signs from now on; the current one keeps signing for 24 hours so your ATS can switch.', 'Rotate')) return;
    try {
      const rotated = await api.post(`${path}/rotate-secret`);
      document.querySelectorAll('.secret-once').forEach((el) => el.remove());
      secretSlot.replaceChildren(secretBox('New signing secret', rotated.secret));
    } catch (e) { box.error(e.message); }
  }));
  toggle.addEventListener('click', () => busy(toggle, async () => {
    try { await api.patch(path, { enabled: !endpoint.enabled }); await reload(); } catch (e) { box.error(e.message); }
  }));
  remove.addEventListener('click', () => busy(remove, async () => {
    if (!await confirmDialog('Delete endpoint', `Stop sending events to ${endpoint.url} and delete its delivery log?`, 'Delete')) return;
    try { await api.del(path); notice('The endpoint is deleted.'); await reload(); } catch (e) { box.error(e.message); }
  }));
  showLog.addEventListener('click', () => busy(showLog, async () => {
    const open = log.el.hidden;
    if (open) {
      try { await log.load(true); } catch (e) { box.error(e.message); return; }
    }
    log.el.hidden = !open;
    showLog.setAttribute('aria-expanded', String(open));
    showLog.textContent = open ? 'Hide delivery log' : 'Show delivery log';
  }));
  return h('li', { class: 'card endpoint' },
    h('h3', {}, h('span', { class: 'endpoint-url' }, endpoint.url), status),
    endpoint.description ? h('p', {}, endpoint.description) : null,
    !endpoint.enabled ? h('p', { class: 'state-line error' }, `Not sending: ${endpoint.disabled_reason_text || 'it is disabled.'}`) : null,
    endpoint.enabled && endpoint.failing_since ? h('p', { class: 'state-line waiting' }, 'Deliveries have been failing since ', time(endpoint.failing_since), '.') : null,
    h('p', { class: 'muted' }, `Sends: ${endpoint.event_types.map(eventLabel).join(', ')}.`),
    endpoint.previous_secret_valid_until ? h('p', { class: 'hint' }, 'The previous secret also signs until ', time(endpoint.previous_secret_valid_until), '.') : null,
    secretSlot, box.el,
    h('div', { class: 'actions' }, showLog, rotate, toggle, remove),
    log.el);
}

function addForm(onAdded) {
  const url = h('input', { type: 'text', name: 'url', placeholder: 'https://ats.example.com/hooks/stagecheck', spellcheck: 'false', required: true });
  const description = h('input', { type: 'text', name: 'description', maxlength: 200 });
  const boxes = EVENTS.map(([type, label]) => h('label', { class: 'toggle' },
    h('input', { type: 'checkbox', name: 'event_types', value: type, checked: true }), label));
  const box = messageBox();
  const submit = h('button', { type: 'submit' }, 'Add endpoint');
  const form = h('form', { class: 'card', 'aria-labelledby': 'add-endpoint-title' },
    h('h2', { id: 'add-endpoint-title' }, 'Add an endpoint'),
    field('URL', url, 'Where your ATS receives events. It must use https and a public address.'),
    h('fieldset', { class: 'events' }, h('legend', {}, 'Events to send'), boxes),
    field('Description (optional)', description), box.el, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    box.clear();
    busy(submit, async () => {
      const types = boxes.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
      try {
        const created = await api.post('/webhook-endpoints', { url: url.value.trim(), event_types: types, description: description.value.trim() });
        url.value = '';
        description.value = '';
        await onAdded(created);
      } catch (e) { box.error(e.message); url.focus(); }
    });
  });
  return form;
}

export async function outboundView(root, ctx) {
  const list = h('ul', { class: 'endpoints list-plain', 'aria-label': 'Endpoints' });
  const secretSlot = h('div');
  // A secret shown once goes when anything else changes: a rotation makes it stale.
  async function reload(secretShown = false) {
    const { items } = await api.get('/webhook-endpoints');
    if (!ctx.alive()) return;
    if (!secretShown) secretSlot.replaceChildren();
    list.replaceChildren(...(items.length ? items.map((e) => endpointCard(e, () => reload()))
      : [h('li', { class: 'muted' }, 'No endpoints yet. Add your ATS below to have it told of every change of a check.')]));
  }
  await reload();
  if (!ctx.alive()) return;
  root.replaceChildren(
    h('h1', {}, 'Outbound webhooks'),
    h('p', {}, 'Stagecheck tells your ATS of every change of a background check by posting a signed event to each endpoint below (Standard Webhooks). Failed deliveries are tried again for about a day.'),
    secretSlot, list,
    addForm(async (created) => {
      secretSlot.replaceChildren(secretBox('Endpoint added', created.secret));
      await reload(true);
    }));
}

// Notifications for people: the bell in the top bar (the caller's unread
// count, polled every 30 s and on every navigation) and the page listing the
// caller's notifications, newest first, each with a link to its application
// (or check; the Outbound webhooks page for an admin's notice of a disabled
// endpoint), marked read when opened; "Mark all read".
import * as api from './api.js';
import { h, messageBox, busy, time } from './dom.js';

const bell = () => document.getElementById('bell');
const bellCount = () => document.getElementById('bell-count');

// Updates the bell's count; quiet on failure (the next poll tries again).
export async function refreshBell() {
  try {
    const { unread } = await api.get('/notifications/unread-count');
    bellCount().textContent = unread > 0 ? String(unread) : '';
    bellCount().hidden = unread === 0;
    bell().setAttribute('aria-label', unread === 1 ? 'Notifications, 1 unread' : `Notifications, ${unread} unread`);
  } catch { /* signed out or offline: keep what is shown */ }
}

let timer = null;
export function startBell() {
  bell().hidden = false;
  refreshBell();
  if (!timer) timer = setInterval(refreshBell, 30000);
}
export function stopBell() {
  bell().hidden = true;
  if (timer) { clearInterval(timer); timer = null; }
}

// Where a notification leads: a disabled endpoint to the Outbound webhooks
// page (admins only receive those), a check's to its application or check.
function linkOf(n) {
  if (n.kind === 'endpoint_disabled') return '#/admin/webhooks';
  return n.application_id ? `#/applications/${api.seg(n.application_id)}` : `#/checks/${api.seg(n.check_id)}`;
}
function linkText(n) {
  if (n.kind === 'endpoint_disabled') return 'Open Outbound webhooks';
  return n.application_id ? 'Open the application' : 'Open the check';
}
// The kinds that ask for attention carry a badge in the colours the rest of
// the console gives them (a delayed check amber, a disabled endpoint red).
const kindBadges = {
  delayed: { text: 'Delayed', class: 'badge delayed' },
  endpoint_disabled: { text: 'Endpoint disabled', class: 'badge bad' },
};
function kindBadge(n) {
  const b = kindBadges[n.kind];
  return b ? h('span', { class: b.class }, b.text) : null;
}

function row(n, box) {
  const item = h('li', { class: n.read ? 'notification' : 'notification unread' });
  const open = h('a', { href: linkOf(n) }, linkText(n));
  open.addEventListener('click', () => { if (!n.read) api.post(`/notifications/${api.seg(n.id)}/read`).then(refreshBell, () => {}); });
  const mark = h('button', { type: 'button', class: 'secondary small', hidden: n.read }, 'Mark read');
  mark.addEventListener('click', () => busy(mark, async () => {
    try {
      await api.post(`/notifications/${api.seg(n.id)}/read`);
      n.read = true;
      item.classList.remove('unread');
      item.querySelector('.badge.new')?.remove();
      mark.hidden = true;
      refreshBell();
    } catch (e) { box.error(e.message); }
  }));
  item.append(
    h('p', {}, n.read ? null : h('span', { class: 'badge new' }, 'New'), ' ', kindBadge(n), kindBadge(n) ? ' ' : null, n.text),
    h('p', { class: 'muted' }, time(n.created_at), ' · ', open),
    h('div', { class: 'actions' }, mark));
  return item;
}

export async function notificationsView(container, ctx) {
  const box = messageBox();
  const list = h('ul', { class: 'list', 'aria-label': 'Notifications' });
  const more = h('button', { type: 'button', class: 'secondary small', hidden: true }, 'Show older notifications');
  const all = h('button', { type: 'button' }, 'Mark all read');
  let next = null;
  async function load(reset) {
    const pageOf = await api.page('/notifications', reset ? null : next);
    if (!ctx.alive()) return;
    if (reset) list.replaceChildren();
    next = pageOf.next;
    more.hidden = !next;
    if (reset && pageOf.items.length === 0) {
      list.append(h('li', { class: 'muted' }, 'Nothing yet. You are told here when a check you sent, or one on an application you watch, completes, needs review, fails or is past its expected date.'));
    }
    for (const n of pageOf.items) list.append(row(n, box));
  }
  more.addEventListener('click', () => busy(more, () => load(false).catch((e) => box.error(e.message))));
  all.addEventListener('click', () => busy(all, async () => {
    try {
      await api.post('/notifications/read-all');
      await load(true);
      refreshBell();
    } catch (e) { box.error(e.message); }
  }));
  container.append(h('section', { class: 'card', 'aria-labelledby': 'notifications-title' },
    h('h1', { id: 'notifications-title' }, 'Notifications'),
    box.el, h('div', { class: 'actions' }, all), list, more));
  await load(true);
}

// "Watch" / "Stop watching" for an application: a watcher is notified of its
// checks like their sender.
export function watchButton(applicationId) {
  const path = `/applications/${api.seg(applicationId)}/watch`;
  const button = h('button', { type: 'button', class: 'secondary', id: 'watch-application', hidden: true }, 'Watch');
  let watching = false;
  const show = (value) => {
    watching = value;
    button.textContent = watching ? 'Stop watching' : 'Watch';
    button.title = watching ? 'You are told when its checks complete, need review, fail or are late.' : 'Be told when its checks complete, need review, fail or are late.';
    button.hidden = false;
  };
  api.get(path).then((r) => show(r.watching), () => {});
  button.addEventListener('click', () => busy(button, async () => {
    try {
      const r = watching ? await api.del(path) : await api.post(path);
      show(r.watching);
    } catch { /* the button keeps its state */ }
  }));
  return button;
}

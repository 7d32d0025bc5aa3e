// The Stagecheck console: sign-in, role-based navigation and a hash router.
// Views live in admin.js and recruiter.js; all data comes from /api/v1.
import * as api from './api.js';
import { h, field, messageBox, busy } from './dom.js';
import * as admin from './admin.js';
import * as recruiter from './recruiter.js';
import * as outbound from './outbound.js';
import { retentionView } from './retention.js';
import * as notifications from './notifications.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const whoLabel = document.getElementById('who-label');

let me = null;
let cleanup = null;  // the current view's teardown (stops polling)
let generation = 0;  // a render that finishes after navigation is dropped

const ROUTES = [
  { pattern: /^\/admin\/certn$/, view: admin.certnView, admin: true, nav: 'certn' },
  { pattern: /^\/admin\/jobs$/, view: admin.jobsView, admin: true, nav: 'jobs' },
  { pattern: /^\/admin\/jobs\/([^/]+)$/, view: admin.jobView, admin: true, nav: 'jobs' },
  { pattern: /^\/admin\/webhooks$/, view: outbound.outboundView, admin: true, nav: 'webhooks' },
  { pattern: /^\/admin\/users$/, view: admin.usersView, admin: true, nav: 'users' },
  { pattern: /^\/admin\/retention$/, view: retentionView, admin: true, nav: 'retention' },
  { pattern: /^\/candidates$/, view: recruiter.candidatesView, nav: 'candidates' },
  { pattern: /^\/candidates\/([^/]+)$/, view: recruiter.candidateView, nav: 'candidates' },
  { pattern: /^\/applications$/, view: recruiter.applicationsView, nav: 'applications' },
  { pattern: /^\/applications\/([^/]+)$/, view: recruiter.applicationView, nav: 'applications' },
  { pattern: /^\/checks\/([^/]+)$/, view: recruiter.checkView, nav: 'applications' },
  { pattern: /^\/bulk-sends\/([^/]+)$/, view: recruiter.bulkSendView, nav: 'applications' },
  { pattern: /^\/reports\/turnaround$/, view: recruiter.turnaroundView, nav: 'turnaround' },
  { pattern: /^\/notifications$/, view: notifications.notificationsView, nav: 'notifications' },
];

// A check's results URL is /checks/<id> (a link that works from an email or
// another tab); the console itself routes by hash, so it becomes #/checks/<id>.
const pathRoute = /^\/checks\/([^/]+)\/?$/.exec(location.pathname);
if (pathRoute) history.replaceState(null, '', `/#/checks/${pathRoute[1]}`);

// A view's filters ride in the hash after '?' (#/applications?check_status=complete).
const hashPath = (hash) => ((hash || '').replace(/^#/, '').split('?')[0]) || '/';
const routeFor = (hash) => {
  const path = hashPath(hash);
  return ROUTES.find((r) => r.pattern.test(path));
};

const ROLE_WORDS = { admin: 'Admin', recruiter: 'Recruiter', coordinator: 'Coordinator', viewer: 'Viewer' };

function navItems() {
  const items = [];
  if (me.role === 'admin') {
    items.push(['certn', '#/admin/certn', 'Certn settings'], ['jobs', '#/admin/jobs', 'Jobs & interview plans'],
      ['webhooks', '#/admin/webhooks', 'Outbound webhooks'], ['users', '#/admin/users', 'Users'],
      ['retention', '#/admin/retention', 'Data retention']);
  }
  items.push(['candidates', '#/candidates', 'Candidates'], ['applications', '#/applications', 'Applications'],
    ['turnaround', '#/reports/turnaround', 'Turnaround']);
  return items;
}

function renderNav(active) {
  nav.replaceChildren(h('ul', {}, navItems().map(([key, href, label]) =>
    h('li', {}, h('a', { href, 'aria-current': key === active ? 'page' : false }, label)))));
  nav.hidden = false;
  who.hidden = false;
  whoLabel.textContent = `${me.team.name} · ${ROLE_WORDS[me.role] || 'Member'}`;
}

function signInView(message) {
  nav.hidden = true;
  notifications.stopBell();
  who.hidden = true;
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, spellcheck: 'false' });
  const box = messageBox();
  if (message) box.error(message);
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to Stagecheck'),
    h('p', {}, 'Paste the API token your team admin gave you. It is kept only in this browser tab.'),
    field('API token', input),
    box.el,
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    box.clear();
    await busy(submit, async () => {
      api.setToken(input.value.trim());
      try {
        me = await api.get('/me');
      } catch (e) {
        api.clearToken();
        box.error(e.message);
        input.focus();
        return;
      }
      // Signing in from a link (say, a check's results page) lands on it.
      const target = routeFor(location.hash) ? location.hash : (me.role === 'admin' ? '#/admin/certn' : '#/candidates');
      if (location.hash === target) route();
      else location.hash = target;
    });
  });
  main.replaceChildren(form);
  document.title = 'Sign in · Stagecheck';
  input.focus();
}

function forbiddenView() {
  main.replaceChildren(h('section', { class: 'card', 'aria-labelledby': 'denied-title' },
    h('h1', { id: 'denied-title' }, 'Admins only'),
    h('p', { class: 'message error', role: 'alert' },
      'Certn settings, interview plans and users are only available to team admins. Ask an admin of your team for access.'),
    h('p', {}, h('a', { href: '#/candidates' }, 'Go to candidates'))));
  document.title = 'Admins only · Stagecheck';
}

async function route() {
  if (cleanup) { cleanup(); cleanup = null; }
  document.getElementById('notice').hidden = true;
  const mine = ++generation;
  if (!api.token()) { signInView(); return; }
  if (!me) {
    try {
      me = await api.get('/me');
    } catch (e) {
      if (e.status === 401) { api.clearToken(); signInView(e.message); return; }
      main.replaceChildren(h('p', { class: 'message error', role: 'alert' }, e.message));
      return;
    }
    if (mine !== generation) return;
  }
  const path = hashPath(location.hash);
  const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  if (!match) {
    location.replace(me.role === 'admin' ? '#/admin/certn' : '#/candidates');
    return;
  }
  renderNav(match.r.nav);
  notifications.startBell();
  if (match.r.admin && me.role !== 'admin') { forbiddenView(); return; }
  const container = h('div', { class: 'view' });
  main.replaceChildren(container);
  const ctx = {
    me,
    alive: () => mine === generation,
    onCleanup(fn) { const prev = cleanup; cleanup = () => { if (prev) prev(); fn(); }; },
  };
  try {
    await match.r.view(container, ctx, ...match.m.slice(1).map(decodeURIComponent));
  } catch (e) {
    if (!ctx.alive()) return;
    container.replaceChildren(h('p', { class: 'message error', role: 'alert' }, e.message || 'Something went wrong.'));
  }
  if (ctx.alive()) {
    const heading = container.querySelector('h1');
    if (heading) document.title = `${heading.textContent} · Stagecheck`;
  }
}

document.getElementById('sign-out').addEventListener('click', () => {
  api.clearToken();
  me = null;
  if (location.hash === '' || location.hash === '#/') route();
  else location.hash = '';
});

api.whenUnauthorized(() => {
  api.clearToken();
  me = null;
  signInView('Your session has ended. Sign in again.');
});

window.addEventListener('hashchange', route);
route();

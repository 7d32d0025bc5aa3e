// Recruiter views: candidates, applications, the application tab, sending
// background checks, reports, files and the activity feed.
import * as api from './api.js';
import { h, field, select, messageBox, busy, time, formatTime, openDialog, notice, uid } from './dom.js';
import { watchButton } from './notifications.js';

const POLL_MS = 2000;
const ACTIVE = new Set(['queued', 'invited', 'in_progress', 'partial']);
// After this long in `queued`, the card says Certn is slow instead of "Sending".
const SLOW_QUEUE_MS = 8000;

// One vocabulary on the card (Gem's); Lever's tag and Kula's label are kept as
// details. The overall result is Certn's overall_score: only CLEAR is green.
const STATUS_WORDS = {
  queued: 'Sending', invited: 'Pending', in_progress: 'In progress', partial: 'Partial',
  complete: 'Complete', error: 'Error', cancelled: 'Cancelled',
};
const SCORES = {
  CLEAR: { words: 'Clear', tone: 'clear' },
  REVIEW: { words: 'Needs review', tone: 'review' },
  REJECT: { words: 'Rejected', tone: 'reject' },
  RESTRICTED: { words: 'Restricted', tone: 'review' },
  NOT_APPLICABLE: { words: 'No overall result', tone: 'neutral' },
};
const statusWords = (status) => STATUS_WORDS[status] || 'Unknown';
// Certn's per-check values (COMPLETE, CLEAR, NOT_APPLICABLE) as words.
const words = (value) => (value ? String(value).toLowerCase().replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()) : '');
// Where a status change came from, as a person would say it.
function sourceWords(source) {
  const s = String(source || '');
  if (s === 'order') return 'Certn took the order';
  if (s === 'fetch' || s === 'webhook') return 'Certn reported it';
  if (s === 'reconcile') return 'found on a routine check with Certn';
  if (s.startsWith('refresh')) return 'refreshed from Certn by a teammate';
  if (s === 'manual') return 'sent from the application';
  if (s === 'auto_send') return 'sent automatically on stage entry';
  if (s === 'ad_hoc') return 'sent from the candidate profile';
  if (s === 'cancel' || s.startsWith('cancel:')) return 'cancelled by your team';
  return 'updated';
}

// "Show more" paging over an API list ({items, next}); `emptyText` is a
// sentence, or a function making the element to show when nothing matched.
export function pager(list, fetchPage, renderItem, emptyText) {
  let next = null;
  let loaded = 0;
  let generation = 0;  // a page that answers after a reset is dropped
  const button = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show more');
  const box = messageBox();
  async function load() {
    const mine = generation;
    box.clear();
    try {
      const page = await fetchPage(next);
      if (mine !== generation) return;
      for (const item of page.items) list.append(renderItem(item));
      loaded += page.items.length;
      next = page.next;
      button.hidden = !next;
      if (!loaded) list.append(typeof emptyText === 'function' ? emptyText() : h('li', { class: 'muted empty' }, emptyText));
    } catch (e) { box.error(e.message); }
  }
  button.addEventListener('click', () => busy(button, load));
  return {
    el: h('div', { class: 'pager' }, box.el, button),
    load,
    async reset() { generation += 1; next = null; loaded = 0; list.replaceChildren(); await load(); },
  };
}

const fullName = (c) => `${c.first_name} ${c.last_name}`;
const splitTags = (text) => text.split(',').map((t) => t.trim()).filter(Boolean);

// ---- candidates ------------------------------------------------------------

function candidateFields(c = {}) {
  return {
    first: h('input', { type: 'text', name: 'first_name', required: true, maxlength: 100, value: c.first_name || '', autocomplete: 'off' }),
    last: h('input', { type: 'text', name: 'last_name', required: true, maxlength: 100, value: c.last_name || '', autocomplete: 'off' }),
    email: h('input', { type: 'email', name: 'email', maxlength: 254, value: c.email || '', autocomplete: 'off' }),
    phone: h('input', { type: 'tel', name: 'phone', maxlength: 40, value: c.phone || '', autocomplete: 'off' }),
    tags: h('input', { type: 'text', name: 'tags', value: (c.tags || []).join(', '), autocomplete: 'off' }),
  };
}

function candidateFieldList(f) {
  return [
    h('div', { class: 'grid2' }, field('First name', f.first), field('Last name', f.last)),
    h('div', { class: 'grid2' }, field('Email', f.email, 'Certn invites the candidate at this address.'), field('Phone', f.phone)),
    field('Tags', f.tags, 'Separate tags with commas. A tag equal to a package name picks that package on auto-send.'),
  ];
}

export async function candidatesView(root, ctx) {
  signedIn(ctx);
  const f = candidateFields();
  const box = messageBox();
  const create = h('button', { type: 'submit' }, 'Create candidate');
  const form = h('form', { class: 'card', 'aria-labelledby': 'new-candidate-title' },
    h('h2', { id: 'new-candidate-title' }, 'New candidate'), candidateFieldList(f), box.el,
    h('div', { class: 'actions' }, create));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    box.clear();
    const body = { first_name: f.first.value.trim(), last_name: f.last.value.trim(), tags: splitTags(f.tags.value) };
    if (f.email.value.trim()) body.email = f.email.value.trim();
    if (f.phone.value.trim()) body.phone = f.phone.value.trim();
    await busy(create, async () => {
      try {
        const c = await api.post('/candidates', body, { idempotent: true });
        location.hash = `#/candidates/${api.seg(c.id)}`;
      } catch (e) { box.error(e.message); }
    });
  });
  const list = h('ul', { class: 'list', id: 'candidate-list', 'aria-label': 'Candidates' });
  const more = pager(list, (after) => api.page('/candidates', after), (c) =>
    h('li', {}, h('a', { href: `#/candidates/${api.seg(c.id)}` }, fullName(c)),
      h('span', { class: 'muted' }, c.email ? ` · ${c.email}` : ' · no email'),
      c.tags.length ? h('span', { class: 'tags' }, c.tags.map((t) => h('span', { class: 'tag' }, t))) : null),
  'No candidates yet.');
  // replaceChildren would show a null as the word "null": leave it out.
  root.replaceChildren(...[h('h1', {}, 'Candidates'), can.recruit ? form : null,
    h('section', { class: 'card', 'aria-labelledby': 'candidates-title' },
      h('h2', { id: 'candidates-title' }, 'All candidates'), list, more.el)].filter(Boolean));
  await more.load();
}

async function allJobs() {
  const jobs = [];
  let after = null;
  do {
    const page = await api.page('/jobs', after, 100);
    jobs.push(...page.items);
    after = page.next;
  } while (after && jobs.length < 1000);
  return jobs;
}

function packageSelect(items, selected, name = 'package_id') {
  return select([['', 'Choose a package'], ...items.map((p) => [p.id, p.name])], selected || '', { name });
}

export async function candidateView(root, ctx, candidateId) {
  signedIn(ctx);
  const base = `/candidates/${api.seg(candidateId)}`;
  const [read, jobs] = await Promise.all([api.getWithEtag(base), allJobs()]);
  if (!ctx.alive()) return;
  let candidate = read.body;
  // The version the details form was filled from (If-Match on save).
  let candidateEtag = read.etag;
  const jobTitle = (id) => (jobs.find((j) => j.id === id) || { title: 'Unknown job' }).title;
  const heading = h('h1', {}, fullName(candidate));

  // Details. Status tags belong to the integration: shown apart, never edited.
  const f = candidateFields(candidate);
  const systemTags = h('p', { class: 'system-tags', id: 'system-tags' });
  const showSystemTags = (c) => systemTags.replaceChildren(...(c.system_tags.length
    ? [h('span', { class: 'muted' }, 'Status tags: '), ...c.system_tags.map((t) => h('span', { class: 'tag system' }, t))]
    : []));
  showSystemTags(candidate);
  const detailBox = messageBox();
  const save = h('button', { type: 'submit' }, 'Save candidate');
  const reload = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Reload candidate');
  // A role that may not edit candidates reads the details, without a Save.
  if (!can.recruit) for (const input of Object.values(f)) input.readOnly = true;
  const details = h('form', { class: 'card', 'aria-labelledby': 'details-title' },
    h('h2', { id: 'details-title' }, 'Details'), candidateFieldList(f), systemTags, detailBox.el,
    can.recruit ? h('div', { class: 'actions' }, reload, save) : null);
  const fillDetails = (c, etag) => {
    candidate = c;
    candidateEtag = etag;
    const fresh = candidateFields(c);
    for (const key of Object.keys(f)) f[key].value = fresh[key].value;
    heading.textContent = fullName(c);
    showSystemTags(c);
  };
  // Checks sent from this page change the status tags (and so the ETag). When
  // nothing a person edits changed on the server, take the new version
  // quietly: the form stays as typed and a later save is not refused.
  const sameEditableFields = (a, b) => ['first_name', 'last_name', 'email', 'phone'].every((k) => (a[k] || null) === (b[k] || null))
    && a.tags.join('\n') === b.tags.join('\n');
  async function followSystemTags() {
    try {
      const fresh = await api.getWithEtag(base);
      if (!ctx.alive() || !sameEditableFields(fresh.body, candidate)) return;
      candidate = fresh.body;
      candidateEtag = fresh.etag;
      showSystemTags(candidate);
    } catch { /* the next change tries again; a save still says if anything conflicts */ }
  }
  reload.addEventListener('click', () => busy(reload, async () => {
    try {
      const fresh = await api.getWithEtag(base);
      fillDetails(fresh.body, fresh.etag);
      reload.hidden = true;
      detailBox.ok('The candidate was reloaded with the latest changes.');
    } catch (e) { detailBox.error(e.message); }
  }));
  details.addEventListener('submit', async (event) => {
    event.preventDefault();
    detailBox.clear();
    await busy(save, async () => {
      try {
        const saved = await api.patch(base, {
          first_name: f.first.value.trim(), last_name: f.last.value.trim(),
          email: f.email.value.trim() || null, phone: f.phone.value.trim() || null, tags: splitTags(f.tags.value),
        }, { ifMatch: candidateEtag, withEtag: true });
        fillDetails(saved.body, saved.etag);
        reload.hidden = true;
        detailBox.ok('The candidate was saved.');
        feed.reset();
      } catch (e) {
        detailBox.error(e.message);
        reload.hidden = e.code !== 'precondition_failed';
      }
    });
  });

  // Applications.
  const appList = h('ul', { class: 'list', id: 'candidate-applications', 'aria-label': 'Applications' });
  const apps = pager(appList, (after) => api.page(`/applications?candidate_id=${encodeURIComponent(candidateId)}`, after),
    (a) => h('li', {}, h('a', { href: `#/applications/${api.seg(a.id)}` }, a.job_title || jobTitle(a.job_id)),
      h('span', { class: 'muted' }, ` · ${a.stage_name || 'No stage'} · ${APP_STATUS[a.status] || 'Closed'}`),
      a.latest_check ? statusBadge(a.latest_check) : null), 'No applications yet.');
  const appBox = messageBox();
  const jobSelect = select([['', 'Choose a job'], ...jobs.map((j) => [j.id, j.title])], '', { name: 'job_id' });
  const apply = h('button', { type: 'submit' }, 'Create application');
  const applyForm = h('form', { class: 'inline-form', 'aria-label': 'New application' }, field('Job', jobSelect), apply);
  applyForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    appBox.clear();
    if (!jobSelect.value) { appBox.error('Choose a job.'); jobSelect.focus(); return; }
    await busy(apply, async () => {
      try {
        const tab = await api.post('/applications', { candidate_id: candidateId, job_id: jobSelect.value }, { idempotent: true });
        location.hash = `#/applications/${api.seg(tab.id)}`;
      } catch (e) { appBox.error(e.message); }
    });
  });

  // Ad-hoc checks (Kula): no interview-plan stage needed. The same dialog as
  // the application tab: confirm who is invited, with which package.
  const adhocBox = messageBox();
  const adhocList = h('ul', { class: 'list', id: 'adhoc-checks', 'aria-label': 'Ad-hoc background checks' });
  const adhocOpen = h('button', { type: 'button', id: 'adhoc-send' }, 'Send background check');
  let adhocTimer = null;
  let adhocSignature = '';
  ctx.onCleanup(() => clearTimeout(adhocTimer));
  // Polls while an ad-hoc check is open, like the application tab.
  async function loadAdhoc() {
    clearTimeout(adhocTimer);
    try {
      const checks = await api.get(`${base}/background-checks`);
      if (!ctx.alive()) return;
      const sig = viewSignature(checks.items, checks.items);
      if (sig !== adhocSignature) {
        if (adhocSignature) followSystemTags();
        adhocSignature = sig;
        adhocList.replaceChildren(...(checks.items.length ? checks.items.map((c) => h('li', {}, checkSummary(c, candidateId)))
          : [h('li', { class: 'muted' }, 'No ad-hoc checks.')]));
      }
      if (checks.items.some((c) => ACTIVE.has(c.status))) adhocTimer = setTimeout(loadAdhoc, POLL_MS);
    } catch (e) { if (ctx.alive()) adhocBox.error(e.message); }
  }
  function adhocDialog() {
    const box = messageBox();
    const pkg = h('select', { name: 'adhoc_package' });
    const send = h('button', { type: 'button' }, 'Send');
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const dialog = openDialog({
      title: 'Send background check',
      body: [inviteLine(candidate), field('Package', pkg, 'Preselected from the team default; change it for this candidate if needed.'), box.el],
      actions: [cancel, send],
      onClose: () => adhocOpen.isConnected && adhocOpen.focus(),
    });
    cancel.addEventListener('click', () => dialog.close());
    const preferred = (ctx.me.team && ctx.me.team.default_package_id) || '';
    loadPackagesInto(pkg, send, box, (items) => {
      pkg.replaceChildren(h('option', { value: '' }, 'Choose a package'),
        ...items.map((p) => h('option', { value: p.id, selected: p.id === preferred }, p.name)));
    });
    const key = api.idempotencyKey();
    send.addEventListener('click', () => busy(send, async () => {
      box.clear();
      if (!pkg.value) { box.error('Choose a package.'); pkg.focus(); return; }
      try {
        await api.post(`${base}/background-checks`, { package_id: pkg.value }, { idempotencyKey: key });
        dialog.close();
        notice(QUEUED_NOTICE);
      } catch (e) { box.error(e.message); }
      await Promise.all([loadAdhoc(), feed.reset()]);
    }));
  }
  adhocOpen.addEventListener('click', adhocDialog);

  // Files and feed.
  const filesList = h('ul', { class: 'list', id: 'candidate-files', 'aria-label': 'Files' });
  const filesBox = messageBox();
  async function loadFiles() {
    try {
      const files = await api.get(`${base}/files`);
      filesList.replaceChildren(...(files.items.length ? files.items.map((file) => {
        const dl = h('button', { type: 'button', class: 'secondary small' }, 'Download');
        dl.setAttribute('aria-label', `Download ${file.name}`);
        dl.addEventListener('click', () => busy(dl, async () => {
          try { await api.download(`${base}/files/${api.seg(file.id)}`, file.name); } catch (e) { filesBox.error(e.message); }
        }));
        return h('li', {}, h('span', {}, file.name), h('span', { class: 'muted' }, ` · ${Math.ceil(file.size / 1024)} KB · ${formatTime(file.created_at)} `), dl);
      }) : [h('li', { class: 'muted' }, 'No files yet. Reports are saved here when Certn completes a check.')]));
    } catch (e) { filesBox.error(e.message); }
  }
  const feedList = h('ol', { class: 'feed', id: 'activity-feed', 'aria-label': 'Activity feed' });
  const feed = pager(feedList, (after) => api.page(`${base}/activity`, after, 20), feedItem, 'No activity yet.');

  root.replaceChildren(
    h('p', { class: 'crumbs' }, h('a', { href: '#/candidates' }, '← All candidates')), heading,
    h('div', { class: 'columns' },
      h('div', {}, details,
        h('section', { class: 'card', 'aria-labelledby': 'apps-title' }, h('h2', { id: 'apps-title' }, 'Applications'),
          appList, apps.el, can.recruit ? applyForm : null, appBox.el),
        h('section', { class: 'card', 'aria-labelledby': 'adhoc-title' }, h('h2', { id: 'adhoc-title' }, 'Ad-hoc background check'),
          can.recruit ? h('p', {}, 'Send a check without an interview-plan stage.') : null,
          can.recruit ? h('div', { class: 'actions' }, adhocOpen) : null, adhocBox.el, adhocList)),
      h('div', {},
        can.report ? h('section', { class: 'card', 'aria-labelledby': 'files-title' }, h('h2', { id: 'files-title' }, 'Files'), filesList, filesBox.el) : null,
        h('section', { class: 'card', 'aria-labelledby': 'feed-title' }, h('h2', { id: 'feed-title' }, 'Activity feed'), feedList, feed.el))));
  await Promise.all([apps.load(), loadAdhoc(), can.report ? loadFiles() : null, feed.load()]);
}

let currentUserId = null;
// What the signed-in role may do (GET /me's `can`, from the server's one table
// of grants): what it may not open or do is not shown. The router sets it
// before every view (app.js); until then nothing is allowed.
let can = { recruit: false, results: false, report: false, admin: false };
export function signedIn(ctx) {
  currentUserId = ctx.me.user_id;
  can = { ...can, ...(ctx.me.can || {}) };
}

function actorName(e) {
  const actor = e.actor;
  if (actor === 'system') return 'Stagecheck';
  if (actor === 'certn') return 'Certn';
  if (currentUserId && actor === `user:${currentUserId}`) return 'You';
  if (e.actor_name) return e.actor_name;
  if (actor.startsWith('user:')) return 'A teammate';
  return actor;
}

function feedItem(e) {
  return h('li', { class: `feed-item ${e.type}` }, h('p', {}, e.message),
    h('p', { class: 'muted' }, time(e.at), ` · ${actorName(e)}`));
}

// ---- applications ----------------------------------------------------------

// The pipeline overview: every application as a row with its stage and latest
// check, filtered, searched and sorted by the API. The filters live in the
// URL (#/applications?check_status=complete&result=REVIEW), so a view can be
// shared; the counts per check status filter the table when clicked.
const CHECK_FILTERS = [['none', 'Not sent'], ...Object.entries(STATUS_WORDS)];
const RESULT_FILTERS = Object.entries(SCORES).map(([score, s]) => [score, s.words]);
const SORTS = [['updated', 'Last activity'], ['name', 'Candidate name'], ['status', 'Check status']];
const APP_STATUS = { active: 'Active', rejected: 'Rejected', hired: 'Hired' };
const PIPELINE_KEYS = ['q', 'job_id', 'stage_id', 'status', 'check_status', 'result', 'sort'];

// The view's filters from the URL's hash query, and back.
function pipelineFilters() {
  const query = (location.hash.split('?')[1] || '');
  const params = new URLSearchParams(query);
  return Object.fromEntries(PIPELINE_KEYS.filter((k) => params.get(k)).map((k) => [k, params.get(k)]));
}
function pipelineQuery(filters) {
  const params = new URLSearchParams();
  for (const k of PIPELINE_KEYS) if (filters[k] && !(k === 'sort' && filters[k] === 'updated')) params.set(k, filters[k]);
  return params.toString();
}

function checkCell(a) {
  const k = a.latest_check;
  if (!k) return h('span', { class: 'muted' }, 'Not sent');
  return h('div', { class: 'check-cell' }, statusBadge(k),
    k.error_reason ? h('p', { class: 'state-line error' }, api.reasonSentence(k.error_reason)) : null);
}

// `selection` (application ids) is the bulk send's: a row's box adds or
// removes its application, and the bar above the table counts them.
// Without a selection (a role that may not send) the row has no box.
function pipelineRow(a, selection) {
  const closed = a.status !== 'active' ? h('span', { class: 'tag' }, APP_STATUS[a.status] || 'Closed') : null;
  let box = null;
  if (selection) {
    box = h('input', { type: 'checkbox', class: 'select-row', 'aria-label': `Select ${a.candidate.name}`, dataset: { applicationId: a.id } });
    box.checked = selection.ids.has(a.id);
    box.addEventListener('change', () => selection.toggle(a.id, box.checked));
  }
  return h('tr', {},
    box ? h('td', { class: 'select-cell' }, box) : null,
    h('td', {}, h('a', { href: `#/applications/${api.seg(a.id)}` }, a.candidate.name), ' ', closed,
      h('div', { class: 'muted' }, a.candidate.email || 'No email')),
    h('td', {}, a.job_title || 'Unknown job', h('div', { class: 'muted' }, a.stage_name || 'No stage')),
    h('td', {}, checkCell(a)),
    h('td', { 'data-label': 'Package' }, a.latest_check ? (a.latest_check.package_name || 'Background check') : '—'),
    h('td', { 'data-label': 'Sent' }, a.latest_check ? time(a.latest_check.sent_at) : '—'),
    h('td', { 'data-label': 'Last activity' }, time(a.last_activity_at)));
}

// The counts per check status as buttons; the current one is pressed.
function countButtons(counts, current, onPick) {
  const button = (value, label, n) => h('button', {
    type: 'button', class: 'count secondary small', 'aria-pressed': String((current || '') === value),
    dataset: { checkStatus: value }, onclick: () => onPick(value),
  }, `${label} `, h('span', { class: 'count-n' }, String(n)));
  return [button('', 'All', counts.total),
    ...CHECK_FILTERS.filter(([value]) => counts.check_status[value] > 0 || value === current)
      .map(([value, label]) => button(value, label, counts.check_status[value] || 0))];
}

export async function applicationsView(root, ctx) {
  signedIn(ctx);
  const jobs = await allJobs();
  if (!ctx.alive()) return;
  const filters = pipelineFilters();
  if (!can.results) delete filters.result;  // filtering by result is seeing results
  const jobFilter = select([['', 'All jobs'], ...jobs.map((j) => [j.id, j.title])], filters.job_id || '', { name: 'job_id' });
  const stageFilter = select([['', 'All stages']], '', { name: 'stage_id', disabled: true });
  const search = h('input', { type: 'search', name: 'q', maxlength: 100, value: filters.q || '', autocomplete: 'off', placeholder: 'Name or email' });
  const statusFilter = select([['', 'Any'], ...Object.entries(APP_STATUS)], filters.status || '', { name: 'status' });
  const checkFilter = select([['', 'Any'], ...CHECK_FILTERS], filters.check_status || '', { name: 'check_status' });
  const resultFilter = select([['', 'Any'], ...RESULT_FILTERS], filters.result || '', { name: 'result' });
  const sort = select(SORTS, filters.sort || 'updated', { name: 'sort' });
  const counts = h('div', { class: 'counts', id: 'check-counts', role: 'group', 'aria-label': 'Applications by check status' });
  const rows = h('tbody', {});
  const box = messageBox();
  // Only a role that may send checks selects applications for a bulk send.
  const selection = can.recruit ? bulkSelection(rows, box) : null;
  const table = h('table', { id: 'application-table', class: 'pipeline' },
    h('caption', { class: 'visually-hidden' }, 'Applications'),
    h('thead', {}, h('tr', {}, selection ? h('th', { scope: 'col', class: 'select-cell' }, selection.all) : null,
      ['Candidate', 'Job and stage', 'Background check', 'Package', 'Sent', 'Last activity']
        .map((c) => h('th', { scope: 'col' }, c)))), rows);
  const path = (base) => { const q = pipelineQuery(current()); return q ? `${base}?${q}` : base; };
  const list = pager(rows, (after) => api.page(path('/applications'), after, 25), (a) => pipelineRow(a, selection),
    () => h('tr', {}, h('td', { colspan: selection ? 7 : 6, class: 'muted empty' }, 'No applications match these filters.')));
  const current = () => {
    const f = { q: search.value.trim(), job_id: jobFilter.value, stage_id: stageFilter.value, status: statusFilter.value,
      check_status: checkFilter.value, result: can.results ? resultFilter.value : '', sort: sort.value };
    return Object.fromEntries(Object.entries(f).filter(([, v]) => v));
  };
  let countsAsked = 0;
  async function loadCounts() {
    const mine = ++countsAsked;
    try {
      const c = await api.get(path('/applications/counts'));
      if (ctx.alive() && mine === countsAsked) counts.replaceChildren(...countButtons(c, checkFilter.value, pick));
    } catch (e) { box.error(e.message); }
  }
  // The count picked is shown pressed at once; the counts' own reload (which
  // keeps the same pressed one) may arrive after the table's.
  function pressCurrentCount() {
    for (const b of counts.querySelectorAll('button.count')) {
      b.setAttribute('aria-pressed', String(b.dataset.checkStatus === checkFilter.value));
    }
  }
  async function reload() {
    const q = pipelineQuery(current());
    history.replaceState(null, '', `#/applications${q ? `?${q}` : ''}`);
    box.clear();
    pressCurrentCount();
    await Promise.all([list.reset(), loadCounts()]);
  }
  function pick(value) { checkFilter.value = value; reload(); }
  async function loadStages(selected) {
    stageFilter.replaceChildren(h('option', { value: '' }, 'All stages'));
    stageFilter.disabled = !jobFilter.value;
    if (!jobFilter.value) return;
    try {
      const plan = await api.get(`/jobs/${api.seg(jobFilter.value)}/interview-plan`);
      stageFilter.append(...plan.stages.map((st) => h('option', { value: st.id, selected: st.id === selected }, st.name)));
    } catch (e) { box.error(e.message); }
  }
  jobFilter.addEventListener('change', async () => { await loadStages(''); reload(); });
  for (const control of [stageFilter, statusFilter, checkFilter, resultFilter, sort]) control.addEventListener('change', reload);
  let typing = null;
  search.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(reload, 300); });
  const clear = h('button', { type: 'button', class: 'secondary' }, 'Clear filters');
  clear.addEventListener('click', async () => {
    for (const control of [search, jobFilter, statusFilter, checkFilter, resultFilter]) control.value = '';
    sort.value = 'updated';
    await loadStages('');
    reload();
  });
  ctx.onCleanup(() => clearTimeout(typing));
  await loadStages(filters.stage_id || '');
  root.replaceChildren(h('h1', {}, 'Applications'),
    h('section', { class: 'card', 'aria-label': 'Filters' },
      h('div', { class: 'filters' }, field('Search', search), field('Job', jobFilter), field('Stage', stageFilter),
        field('Application status', statusFilter), field('Check status', checkFilter),
        can.results ? field('Result', resultFilter) : null, field('Sort by', sort)),
      h('div', { class: 'actions' }, clear)),
    h('section', { class: 'card' }, counts, selection ? selection.bar : null, box.el, h('div', { class: 'table-wrap' }, table), list.el));
  await reload();
}

// The pipeline's selection for a bulk send: the ids ticked (kept across
// pages and filters), a "select all shown" box for the table's head, and the
// bar with the count and the "Send background check" action. The send's key
// is made per click, so a double click sends once; the progress view follows.
const MAX_BULK = 500;
function bulkSelection(rows, box) {
  const ids = new Set();
  const count = h('span', { id: 'selected-count' }, 'No application selected');
  const send = h('button', { type: 'button', id: 'bulk-send', disabled: true }, 'Send background check');
  const all = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': 'Select every application shown' });
  const refresh = () => {
    count.textContent = ids.size === 0 ? 'No application selected'
      : `${ids.size} application${ids.size === 1 ? '' : 's'} selected${ids.size > MAX_BULK ? ` (at most ${MAX_BULK} at once)` : ''}`;
    send.disabled = ids.size === 0 || ids.size > MAX_BULK;
  };
  const selection = {
    ids, all,
    toggle(id, on) { if (on) ids.add(id); else ids.delete(id); refresh(); },
    bar: h('div', { class: 'bulk-bar row', role: 'group', 'aria-label': 'Selected applications' }, count, send),
  };
  all.addEventListener('change', () => {
    for (const row of rows.querySelectorAll('input.select-row')) {
      row.checked = all.checked;
      selection.toggle(row.dataset.applicationId, all.checked);
    }
  });
  send.addEventListener('click', () => {
    const key = api.idempotencyKey();
    busy(send, async () => {
      try {
        const bulk = await api.post('/bulk-sends', { application_ids: [...ids] }, { idempotencyKey: key });
        location.hash = `#/bulk-sends/${api.seg(bulk.id)}`;
      } catch (e) { box.error(e.message); }
    });
  });
  return selection;
}

const BULK_STATES = { queued: 'Queued', sent: 'Sent', skipped: 'Skipped', failed: 'Failed' };
const SKIP_WORDS = {
  check_already_active: 'It already has a background check in progress.',
  application_not_active: 'The application is closed (rejected or hired).',
};

// A bulk send's progress: the counts and every application's state, polled
// until nothing is queued.
export async function bulkSendView(root, ctx, bulkId) {
  signedIn(ctx);
  const path = `/bulk-sends/${api.seg(bulkId)}`;
  let bulk = await api.get(path);
  let timer = null;
  ctx.onCleanup(() => clearTimeout(timer));
  const countsEl = h('p', { id: 'bulk-counts', class: 'counts' });
  const statusEl = h('p', { id: 'bulk-status', role: 'status' });
  const rows = h('tbody', {});
  function show() {
    const c = bulk.counts;
    countsEl.replaceChildren(...Object.entries(BULK_STATES).map(([k, words]) =>
      h('span', { class: `count bulk-${k}`, dataset: { state: k } }, `${words} `, h('span', { class: 'count-n' }, String(c[k])))));
    statusEl.textContent = bulk.status === 'done'
      ? `Done: ${c.sent} of ${bulk.total} sent to Certn.`
      : `Sending within Certn's rate limit: ${c.sent + c.skipped + c.failed} of ${bulk.total} handled.`;
    rows.replaceChildren(...bulk.items.map((it) => h('tr', { dataset: { state: it.state } },
      h('td', {}, h('a', { href: `#/applications/${api.seg(it.application_id)}` }, it.candidate_name)),
      h('td', {}, h('span', { class: `badge bulk-${it.state}` }, BULK_STATES[it.state] || it.state)),
      h('td', { class: 'muted' }, it.reason ? (SKIP_WORDS[it.reason] || api.reasonSentence(it.reason)) : ''))));
    clearTimeout(timer);
    if (ctx.alive() && bulk.status !== 'done') {
      timer = setTimeout(async () => {
        try { bulk = await api.get(path); } catch { /* keep the last state; try again on the next tick */ }
        if (ctx.alive()) show();
      }, 1000);
    }
  }
  root.replaceChildren(h('p', { class: 'crumbs' }, h('a', { href: '#/applications' }, '← Applications')),
    h('h1', {}, `Bulk send of ${bulk.total} application${bulk.total === 1 ? '' : 's'}`),
    h('section', { class: 'card', id: 'bulk-progress', 'aria-label': 'Progress' }, statusEl, countsEl,
      h('div', { class: 'table-wrap' }, h('table', { id: 'bulk-table' },
        h('thead', {}, h('tr', {}, ['Candidate', 'State', 'Why'].map((t) => h('th', { scope: 'col' }, t)))), rows))));
  show();
}

// "3 h", "2 d": a turnaround in the unit a person reads at a glance.
function duration(seconds) {
  if (seconds < 1) return 'under a second';
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

// The turnaround report: per package, the last `days` days' completed checks.
// The share needing review is a count of results: not for a role without them.
export async function turnaroundView(root, ctx) {
  signedIn(ctx);
  const report = await api.get('/reports/turnaround');
  if (!ctx.alive()) return;
  const review = can.results;
  const columns = ['Package', 'Completed', 'Median', '90th percentile', ...(review ? ['Needing review'] : [])];
  const rows = report.packages.map((p) => h('tr', {},
    h('td', {}, p.package_name || p.package_id), h('td', {}, String(p.count)),
    h('td', {}, duration(p.median_seconds)), h('td', {}, duration(p.p90_seconds)),
    review && p.needs_review_share !== null ? h('td', {}, `${Math.round(p.needs_review_share * 100)}%`) : null));
  root.replaceChildren(h('h1', {}, 'Turnaround'),
    h('section', { class: 'card' },
      h('p', { class: 'muted' }, `Background checks Certn completed in the last ${report.days} days, from sent to complete. Open checks are projected from these figures and flagged “Delayed” past the 90th percentile.`),
      h('div', { class: 'table-wrap' }, h('table', { id: 'turnaround-table' },
        h('thead', {}, h('tr', {}, columns.map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows.length ? rows : h('tr', {}, h('td', { colspan: columns.length, class: 'muted empty' }, 'No check completed in this period.')))))));
}

// When an open check should be done, and "Delayed" once it is past that.
function expectedLine(check) {
  const e = check.expected_completion;
  if (!e || e.source === 'none' || !e.at) return null;
  const basis = e.source === 'certn' ? 'Certn’s estimate'
    : `projected from ${e.based_on} completed checks of this package (median ${duration(e.median_seconds)}, 90% within ${duration(e.p90_seconds)})`;
  return h('p', { class: `state-line expected${check.delayed ? ' delayed' : ''}`, id: `expected-${check.id}` },
    check.delayed ? h('span', { class: 'badge delayed' }, 'Delayed') : null, check.delayed ? ' ' : null,
    `Expected by ${formatTime(e.at)} · ${basis}`);
}

// What the activity's result rule did, in the feed's words.
function ruleLine(check) {
  const r = check.result_rule;
  if (!r) return null;
  return h('p', { class: `state-line rule ${r.action}`, id: `rule-${check.id}` },
    r.action === 'flagged' ? h('span', { class: 'badge review-flag' }, 'Flagged for review') : null,
    r.action === 'flagged' ? ' ' : null, r.detail);
}

// "Complete · Needs review" in amber, never a green "Complete" for a check
// whose result is not clear.
export function statusBadge(check) {
  let text = check.labels ? check.labels.gem : statusWords(check.status);
  let tone = check.status;
  if (check.status === 'error' && check.error_reason === 'applicant_expired') text = 'Expired';
  // A role that may not see results reads "Complete", never "Result pending".
  if (check.status === 'complete' && can.results) {
    const score = SCORES[check.overall_score];
    text = score ? `${text} · ${score.words}` : `${text} · Result pending`;
    tone = `complete score-${score ? score.tone : 'pending'}`;
  }
  return h('span', { class: `badge status-${tone}`, dataset: { status: check.status, score: check.overall_score || '' } }, text);
}

// Queued for longer than Certn usually takes to answer.
const slowQueued = (check) => check.status === 'queued' && Date.now() - Date.parse(check.created_at) > SLOW_QUEUE_MS;
// What a view shows of these checks: their data, and which ones wait on a slow
// Certn (that changes with time alone, so it is part of the signature).
const viewSignature = (data, checks) => JSON.stringify(data) + checks.map(slowQueued).join();

// The sentence under the badge: why it failed and what to do, or that Certn is slow.
function stateLine(check) {
  const cancel = check.cancellation;
  if (cancel && check.error_reason === 'cancelled_by_user') {
    const who = cancel.requested_by ? actorName({ actor: `user:${cancel.requested_by}` }) : 'Your team';
    return h('p', { class: 'state-line cancelled' },
      `Cancelled by ${who === 'You' ? 'you' : who.toLowerCase()}${cancel.reason ? `: “${cancel.reason}”` : ''}. Re-order it to send a new one.`);
  }
  if (cancel && cancel.pending) {
    return h('p', { class: 'state-line waiting' }, 'Cancelling: waiting for Certn to confirm.');
  }
  if (check.error_reason) return h('p', { class: 'state-line error' }, api.reasonSentence(check.error_reason));
  // The server knows why it waits (Certn's daily limit): say that, not "slow".
  if (check.waiting) return h('p', { class: 'state-line waiting' }, check.waiting.message);
  if (slowQueued(check)) {
    return h('p', { class: 'state-line muted' }, 'Certn is not answering; we keep trying.');
  }
  return null;
}

// Status, result, next step, results link, PDF and details of one check.
// Asks before cancelling (with an optional reason for the feed), then asks
// Certn through the server; the card says "Cancelling" until Certn confirms.
function cancelDialog(check, opener, onChange) {
  const reasonId = uid('reason');
  const reason = h('input', { id: reasonId, name: 'reason', maxlength: '500', placeholder: 'For example: the candidate withdrew' });
  const box = messageBox();
  const yes = h('button', { type: 'button', class: 'danger' }, 'Cancel the check');
  const no = h('button', { type: 'button', class: 'secondary' }, 'Keep it');
  const dialog = openDialog({
    title: 'Cancel this background check?',
    body: h('div', {}, h('p', {}, `Certn stops the ${check.package_name || 'background check'} and the candidate is no longer asked to complete it. This cannot be undone, but you can re-order it later.`),
      h('label', { for: reasonId }, 'Reason (optional, shown in the activity feed)'), reason, box.el),
    actions: [no, yes],
    onClose: () => opener.focus(),
  });
  no.addEventListener('click', () => dialog.close());
  yes.addEventListener('click', () => busy(yes, async () => {
    try {
      const body = reason.value.trim() ? { reason: reason.value.trim() } : {};
      await api.post(`/background-checks/${api.seg(check.id)}/cancel`, body);
      dialog.close();
      notice('Cancellation requested.');
      await onChange();
    } catch (e) { box.error(e.message); }
  }));
  no.focus();
}

// One click orders a fresh case with the same package; the key is made per
// click and sent with every retry, so a double click orders once.
function reorder(check, button, onChange) {
  const key = api.idempotencyKey();
  busy(button, async () => {
    try {
      await api.post(`/background-checks/${api.seg(check.id)}/reorder`, {}, { idempotencyKey: key });
      notice('A new background check was ordered.');
      await onChange();
    } catch (e) { notice(e.message); }
  });
}

function checkSummary(check, candidateId, { onReport, onRefresh, onChange, onReorder = false, onResultsPage = false } = {}) {
  const parts = [
    h('div', { class: 'check-head' }, statusBadge(check),
      h('span', { class: 'package-name' }, ` ${check.package_name || 'Background check'}`)),
    stateLine(check),
    expectedLine(check),
    ruleLine(check),
  ];
  const links = [];
  if (check.results_url && !onResultsPage && can.results) {
    links.push(h('a', { href: check.results_url, target: '_blank', rel: 'noopener', class: 'results-link' }, 'Open results'));
  }
  if (onReport && check.certn_case_id && can.report) {
    const view = h('button', { type: 'button', class: 'secondary small', id: `report-${check.id}` }, 'View report');
    view.addEventListener('click', () => onReport(check, view));
    links.push(view);
  }
  if (onReport && ACTIVE.has(check.status) && check.certn_case_id && can.recruit) {
    const pull = h('button', { type: 'button', class: 'secondary small', id: `refresh-${check.id}` }, 'Refresh status');
    pull.addEventListener('click', () => busy(pull, async () => {
      try {
        await api.post(`/background-checks/${api.seg(check.id)}/refresh`);
        notice('The status was refreshed from Certn.');
        if (onRefresh) await onRefresh();
      } catch (e) { notice(e.message); }
    }));
    links.push(pull);
  }
  if (onChange && can.recruit && ACTIVE.has(check.status) && !(check.cancellation && check.cancellation.pending)) {
    const stop = h('button', { type: 'button', class: 'secondary small', id: `cancel-${check.id}` }, 'Cancel check');
    stop.addEventListener('click', () => cancelDialog(check, stop, onChange));
    links.push(stop);
  }
  if (onChange && onReorder && can.recruit && (check.status === 'error' || check.status === 'cancelled')) {
    const again = h('button', { type: 'button', class: 'small', id: `reorder-${check.id}` }, 'Re-order');
    again.addEventListener('click', () => reorder(check, again, onChange));
    links.push(again);
  }
  if (check.report_file_id && can.report) {
    const dl = h('button', { type: 'button', class: 'secondary small', id: `pdf-${check.id}` }, 'Download PDF');
    dl.addEventListener('click', () => busy(dl, async () => {
      try {
        await api.download(`/candidates/${api.seg(candidateId)}/files/${api.seg(check.report_file_id)}`, 'Certn_Report.pdf');
      } catch (e) { notice(e.message); }
    }));
    links.push(dl);
  }
  if (links.length) parts.push(h('div', { class: 'row' }, links));
  const facts = [];
  if (check.certn_short_id) facts.push(`Certn case ${check.certn_short_id}`);
  if (check.labels) facts.push(`Lever tag: ${check.labels.lever_tag}`, `Kula: ${check.labels.kula}`);
  parts.push(h('details', { class: 'history' }, h('summary', {}, `Details and history (${check.history.length})`),
    facts.length ? h('p', { class: 'labels muted' }, facts.join(' · ')) : null,
    h('ol', {}, check.history.map((t) => h('li', {}, time(t.at), ` ${statusWords(t.from)} → ${statusWords(t.to)}`,
      h('span', { class: 'muted' }, ` · ${sourceWords(t.source)}${t.reason ? ` · ${api.reasonSentence(t.reason)}` : ''}`))))));
  return h('div', { class: 'check', dataset: { checkId: check.id, status: check.status } }, parts);
}

function reportPanel(report) {
  return [
    h('dl', { class: 'facts' },
      h('dt', {}, 'Candidate'), h('dd', {}, `${report.candidate.first_name} ${report.candidate.last_name}`),
      h('dt', {}, 'Case ID'), h('dd', {}, report.case_id || '—'),
      h('dt', {}, 'Package'), h('dd', {}, report.package_name || 'Background check'),
      h('dt', {}, 'Overall result'), h('dd', {}, (SCORES[report.overall_score] || { words: 'Not scored yet' }).words),
      h('dt', {}, 'Ordered'), h('dd', {}, time(report.date_ordered)),
      h('dt', {}, 'Completed'), h('dd', {}, time(report.date_completed))),
    h('table', {}, h('caption', {}, 'Result per check'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Check'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Result'))),
      h('tbody', {}, report.checks.map((c) => h('tr', {}, h('td', {}, c.label), h('td', {}, words(c.status)), h('td', {}, words(c.result) || '—'))))),
  ];
}

const QUEUED_NOTICE = 'The background check is on its way to Certn, which emails the candidate an invitation.';

// "Certn emails Ada Lovelace at ada@example.com an invitation." or, without
// an address, the same sentence the check would end with.
function inviteLine(candidate) {
  if (!candidate.email) return h('p', { class: 'message error' }, api.reasonSentence('no_email'));
  return h('p', {}, `Certn emails ${fullName(candidate)} at ${candidate.email} an invitation.`);
}

// Fills a package select from Certn; says so (and disables sending) when the
// team's Certn connection cannot list packages, instead of "Loading…" forever.
function loadPackagesInto(select, sendButton, box, fill) {
  select.replaceChildren(h('option', { value: '' }, 'Loading packages…'));
  api.packages().then((list) => { fill(list); select.focus(); }).catch((e) => {
    select.replaceChildren(h('option', { value: '' }, 'No packages available'));
    select.disabled = true;
    sendButton.disabled = true;
    box.error(e.message);
  });
}

// The state of a check that decides what its report panel shows.
const reportState = (check) => `${check.status}|${check.report_file_id || ''}|${check.updated_at}`;

async function loadReportInto(el, check) {
  el.hidden = false;
  el.replaceChildren(h('h2', { id: 'report-title', tabindex: '-1' }, 'Report'), h('p', { class: 'muted' }, 'Loading…'));
  try {
    const report = await api.get(`/background-checks/${api.seg(check.id)}/report`);
    el.replaceChildren(h('h2', { id: 'report-title', tabindex: '-1' }, `Report — case ${report.case_id || ''}`), ...reportPanel(report));
  } catch (e) {
    const tone = e.code === 'report_not_ready' ? 'message muted' : 'message error';
    el.replaceChildren(h('h2', { id: 'report-title', tabindex: '-1' }, 'Report'), h('p', { class: tone, role: 'status' }, e.message));
  }
}

export async function applicationView(root, ctx, applicationId) {
  signedIn(ctx);
  const path = `/applications/${api.seg(applicationId)}`;
  let tab = await api.get(path);
  if (!ctx.alive()) return;
  let signature = '';
  let timer = null;

  const heading = h('h1', {});
  const meta = h('p', { class: 'meta' });
  const tabBox = messageBox();
  const stagesEl = h('ol', { class: 'stages', id: 'application-stages', 'aria-label': 'Stages of the interview plan' });
  const otherEl = h('div', { id: 'other-checks' });
  const reportEl = h('section', { class: 'card', id: 'report', 'aria-labelledby': 'report-title', hidden: true });
  const moveSelect = h('select', { name: 'stage_id' });
  const move = h('button', { type: 'submit' }, 'Move application');
  const moveForm = h('form', { class: 'inline-form', 'aria-label': 'Move the application' }, field('Move to stage', moveSelect), move);
  const sendTop = h('button', { type: 'button' }, 'Send background check');
  const statusSelect = select([['active', 'Active'], ['rejected', 'Rejected'], ['hired', 'Hired']], tab.status, { name: 'application_status' });
  const setStatus = h('button', { type: 'submit', class: 'secondary' }, 'Update status');
  const statusForm = h('form', { class: 'inline-form', 'aria-label': 'Application status' }, field('Application status', statusSelect), setStatus);
  statusForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    tabBox.clear();
    await busy(setStatus, async () => {
      try {
        await api.post(`${path}/status`, { status: statusSelect.value });
        tabBox.ok(`The application is now ${statusSelect.value}.`);
        await refresh();
      } catch (e) { tabBox.error(e.message); }
    });
  });
  const feedList = h('ol', { class: 'feed', id: 'activity-feed', 'aria-label': 'Activity feed' });
  let feed = null;

  const allChecks = () => [
    ...tab.stages.flatMap((s) => s.activities.flatMap((a) => [a.background_check, ...a.earlier_checks].filter(Boolean))),
    ...tab.other_checks];
  const certnActivities = () => tab.stages.flatMap((s) => s.activities.filter((a) => a.kind === 'certn_background_check').map((a) => ({ stage: s, a })));

  // The check the report panel shows and the state it was loaded in: when
  // that check moves on (say, it completes), the panel loads again.
  let reportShown = null;
  async function showReport(check, opener, { quietly = false } = {}) {
    reportShown = { id: check.id, state: reportState(check) };
    await loadReportInto(reportEl, check);
    if (!quietly) {
      reportEl.scrollIntoView({ block: 'start' });
      reportEl.querySelector('h2').focus({ preventScroll: true });
    }
    void opener;
  }
  function refreshReportIfStale() {
    if (!reportShown || reportEl.hidden) return;
    const check = allChecks().find((c) => c.id === reportShown.id);
    if (check && reportState(check) !== reportShown.state) showReport(check, null, { quietly: true });
  }

  function sendDialog(preferred, opener) {
    const choices = certnActivities();
    const current = choices.find((c) => c.stage.current);
    let chosen = preferred || current || choices[0] || null;
    const box = messageBox();
    const activitySelect = choices.length > 1
      ? select(choices.map((c) => [c.a.id, `${c.stage.name}: Certn background check`]), chosen && chosen.a.id, { name: 'activity_id' })
      : null;
    const pkg = h('select', { name: 'package_id' }, h('option', { value: '' }, 'Loading packages…'));
    const send = h('button', { type: 'button' }, 'Send');
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const stagePackage = () => (chosen && chosen.a.activity.settings.package_id)
      || tab.job.default_package_id || (ctx.me.team && ctx.me.team.default_package_id) || '';
    let items = [];
    const fill = () => {
      pkg.replaceChildren(h('option', { value: '' }, 'Choose a package'),
        ...items.map((p) => h('option', { value: p.id, selected: p.id === stagePackage() }, p.name)));
    };
    if (activitySelect) {
      activitySelect.addEventListener('change', () => {
        chosen = choices.find((c) => c.a.id === activitySelect.value);
        fill();
      });
    }
    const dialog = openDialog({
      title: 'Send background check',
      body: [inviteLine(tab.candidate),
        activitySelect ? field('Activity', activitySelect) : null,
        field('Package', pkg, 'Preselected from the stage; change it for this candidate if needed.'), box.el],
      actions: [cancel, send],
      onClose: () => opener && opener.isConnected && opener.focus(),
    });
    cancel.addEventListener('click', () => dialog.close());
    loadPackagesInto(pkg, send, box, (list) => { items = list; fill(); });
    // One key for this dialog: a second click, or a retry, orders once.
    const key = api.idempotencyKey();
    send.addEventListener('click', () => busy(send, async () => {
      box.clear();
      if (!pkg.value) { box.error('Choose a package.'); pkg.focus(); return; }
      const body = { package_id: pkg.value };
      if (chosen) body.activity_id = chosen.a.id;
      try {
        await api.post(`${path}/background-checks`, body, { idempotencyKey: key });
        dialog.close();
        notice(QUEUED_NOTICE);
      } catch (e) { box.error(e.message); }
      await refresh();
    }));
  }

  function render() {
    heading.textContent = `${fullName(tab.candidate)} — ${tab.job.title}`;
    const currentStage = tab.stages.find((s) => s.current);
    meta.replaceChildren(
      h('a', { href: `#/candidates/${api.seg(tab.candidate.id)}` }, 'Candidate profile'),
      ` · Application ${tab.status} · Current stage: ${currentStage ? currentStage.name : 'none'}`,
      tab.candidate.email ? ` · ${tab.candidate.email}` : ' · no email address');
    const focusedId = document.activeElement && document.activeElement.id;
    moveSelect.replaceChildren(...tab.stages.map((s) => h('option', { value: s.id, selected: s.current }, s.name)));
    statusSelect.value = tab.status;
    stagesEl.replaceChildren(...tab.stages.map((s) => h('li', { class: `stage card${s.current ? ' current' : ''}`, dataset: { stageId: s.id } },
      h('h3', {}, s.name, s.current ? h('span', { class: 'badge current-badge' }, 'Current stage') : null),
      s.activities.length ? h('ul', { class: 'activities' }, s.activities.map((a) => {
        if (a.kind !== 'certn_background_check') {
          return h('li', { class: 'activity' }, a.kind.replace(/_/g, ' '));
        }
        const check = a.background_check;
        const button = h('button', { type: 'button', class: 'small', id: `send-${a.id}` }, 'Send background check');
        button.setAttribute('aria-label', `Send background check (${s.name})`);
        button.addEventListener('click', () => sendDialog({ stage: s, a }, button));
        return h('li', { class: 'activity certn', dataset: { activityId: a.id } },
          h('h4', {}, 'Certn background check'),
          check ? checkSummary(check, tab.candidate.id, { onReport: showReport, onRefresh: () => refresh(), onChange: () => refresh(), onReorder: true }) : h('p', { class: 'muted' }, 'Not sent yet.'),
          can.recruit && (!check || !ACTIVE.has(check.status)) ? h('div', { class: 'actions' }, button) : null,
          a.earlier_checks.length ? h('details', {}, h('summary', {}, `Earlier checks (${a.earlier_checks.length})`),
            a.earlier_checks.map((c) => checkSummary(c, tab.candidate.id, { onReport: showReport, onRefresh: () => refresh() }))) : null);
      })) : h('p', { class: 'muted' }, 'No activities.'))));
    otherEl.replaceChildren(...(tab.other_checks.length ? [h('h2', {}, 'Other background checks'),
      ...tab.other_checks.map((c) => checkSummary(c, tab.candidate.id, { onReport: showReport, onRefresh: () => refresh(), onChange: () => refresh() }))] : []));
    if (focusedId) {
      const again = document.getElementById(focusedId);
      if (again && again !== document.activeElement) again.focus();
    }
  }

  // Polls while a check is open (or its report is still on the way), so
  // status changes appear without a reload.
  function needsPolling() {
    return allChecks().some((c) => ACTIVE.has(c.status) || (c.status === 'complete' && !c.report_file_id));
  }
  function schedule() {
    clearTimeout(timer);
    if (ctx.alive() && needsPolling()) timer = setTimeout(poll, POLL_MS);
  }
  async function refresh() {
    try {
      const fresh = await api.get(path);
      if (!ctx.alive()) return;
      tab = fresh;
      const sig = viewSignature(tab, allChecks());
      if (sig !== signature) {
        signature = sig;
        render();
        refreshReportIfStale();
        if (feed) feed.reset();
      }
      tabBox.clear();
    } catch (e) {
      if (ctx.alive()) tabBox.error(e.message);
    }
    schedule();
  }
  function poll() { refresh(); }
  ctx.onCleanup(() => clearTimeout(timer));

  moveForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    tabBox.clear();
    await busy(move, async () => {
      try {
        const result = await api.post(`${path}/move`, { stage_id: moveSelect.value });
        tab = result.application;
        signature = viewSignature(tab, allChecks());
        render();
        feed.reset();
        const failed = result.triggered.filter((t) => !t.ok);
        if (failed.length) tabBox.error(`Moved, but the automatic background check was not sent: ${api.sentenceFor(0, failed[0].code, failed[0].detail)}`);
        else if (result.triggered.length) tabBox.ok('Moved. A background check was sent automatically.');
        else tabBox.ok('The application was moved.');
        schedule();
      } catch (e) { tabBox.error(e.message); }
    });
  });
  sendTop.addEventListener('click', () => sendDialog(null, sendTop));

  feed = pager(feedList, (after) => api.page(`/candidates/${api.seg(tab.candidate.id)}/activity`, after, 10), feedItem, 'No activity yet.');
  signature = viewSignature(tab, allChecks());
  render();
  // A role that may not recruit has no toolbar (and no "null" in its place).
  root.replaceChildren(...[
    h('p', { class: 'crumbs' }, h('a', { href: '#/applications' }, '← All applications')), heading, meta,
    can.recruit ? h('div', { class: 'card toolbar' }, moveForm, statusForm, h('div', { class: 'actions' }, sendTop, watchButton(applicationId))) : null, tabBox.el,
    h('div', { class: 'columns' },
      h('div', {}, h('h2', {}, 'Interview plan'), stagesEl, otherEl, reportEl),
      h('section', { class: 'card', 'aria-labelledby': 'feed-title' }, h('h2', { id: 'feed-title' }, 'Activity feed'), feedList, feed.el))].filter(Boolean));
  await feed.load();
  schedule();
}

// ---- one check (its results_url) ------------------------------------------

// The page a check's results URL opens: the status, the overall result and
// the report, for any signed-in member of the team.
export async function checkView(root, ctx, checkId) {
  signedIn(ctx);
  const path = `/background-checks/${api.seg(checkId)}`;
  // Opening the page reads the results once through /results (the look is
  // recorded for the admins); polling then reads the check.
  let check = await api.get(can.results ? `${path}/results` : path);
  const candidate = await api.get(`/candidates/${api.seg(check.candidate_id)}`);
  if (!ctx.alive()) return;
  const back = check.application_id
    ? h('a', { href: `#/applications/${api.seg(check.application_id)}` }, '← Application')
    : h('a', { href: `#/candidates/${api.seg(check.candidate_id)}` }, '← Candidate profile');
  const summaryEl = h('section', { class: 'card', id: 'check-summary', 'aria-label': 'Background check' });
  const reportEl = h('section', { class: 'card', id: 'report', 'aria-labelledby': 'report-title' });
  let timer = null;
  let shown = '';
  ctx.onCleanup(() => clearTimeout(timer));
  async function show() {
    summaryEl.replaceChildren(checkSummary(check, check.candidate_id, { onResultsPage: true }));
    if (!can.report) {
      // Say why there is no report rather than leave the page looking broken.
      reportEl.replaceChildren(h('h2', { id: 'report-title' }, 'Report'),
        h('p', { class: 'muted' }, 'Reports are open to recruiters and admins. Ask an admin if you need to see this one.'));
    } else if (reportState(check) !== shown) {
      shown = reportState(check);
      if (check.certn_case_id) await loadReportInto(reportEl, check);
      else reportEl.replaceChildren(h('h2', { id: 'report-title' }, 'Report'), h('p', { class: 'muted' }, 'Certn has not received the order yet.'));
    }
    clearTimeout(timer);
    if (ctx.alive() && (ACTIVE.has(check.status) || (can.report && check.status === 'complete' && !check.report_file_id))) {
      timer = setTimeout(async () => {
        try { check = await api.get(path); } catch { /* keep the last state; try again on the next tick */ }
        if (ctx.alive()) show();
      }, POLL_MS);
    }
  }
  root.replaceChildren(h('p', { class: 'crumbs' }, back),
    h('h1', {}, `Background check — ${fullName(candidate)}`), summaryEl, reportEl);
  await show();
}

// Admin views: the Certn integration, team and job default packages, jobs and
// their interview plans.
import * as api from './api.js';
import { h, field, select, messageBox, busy, time, formatTime, openDialog, confirmDialog, notice, uid } from './dom.js';
import { pager } from './recruiter.js';

const REGIONS = [
  ['north_america', 'North America'],
  ['uk_emea', 'UK / EMEA'],
  ['apac', 'APAC'],
  ['sandbox', 'Demo / sandbox'],
];

const KIND_LABELS = {
  certn_background_check: 'Certn background check',
  interview: 'Interview',
  take_home: 'Take-home assignment',
};

export function kindLabel(kind) { return KIND_LABELS[kind] || kind.replace(/_/g, ' '); }

function randomSecret() {
  return Array.from(crypto.getRandomValues(new Uint8Array(24)), (b) => b.toString(16).padStart(2, '0')).join('');
}

function statusText(view) {
  if (!view) return 'Not connected yet. Enter your Certn API key, region and webhook secret.';
  if (view.connected) return 'Connected';
  const reason = api.sentenceFor(0, view.status, view.status_reason);
  return `Not connected: ${reason}`;
}

async function packageOptions(box, emptyLabel) {
  try {
    const items = await api.packages();
    return [['', emptyLabel], ...items.map((p) => [p.id, p.name])];
  } catch (e) {
    box.error(e.message);
    return [['', emptyLabel]];
  }
}

// The delivery log in words: what Certn sent and what Stagecheck did with it.
const EVENT_WORDS = {
  CASE_STATUS_CHANGED: 'Case status changed',
  CHECK_STATUS_CHANGED: 'A check within the case changed',
  CASE_REPORT_READY: 'Report ready',
};
const VERDICT_WORDS = {
  applied: 'Applied to the check',
  duplicate: 'Already received (ignored)',
  no_change: 'Nothing new',
  ignored: 'Not an event Stagecheck uses',
  orphan: 'Waiting for its check to be ordered',
};

function deliveriesSection() {
  const box = messageBox();
  const list = h('ul', { class: 'list', id: 'certn-deliveries', 'aria-label': 'Recent webhook deliveries' });
  const more = pager(list, (after) => api.page('/integrations/certn/deliveries', after, 10), (d) => {
    const replay = h('button', { type: 'button', class: 'secondary small' }, 'Fetch again');
    replay.setAttribute('aria-label', `Fetch the case of the ${time(d.received_at).textContent} delivery again`);
    replay.addEventListener('click', () => busy(replay, async () => {
      box.clear();
      try {
        await api.post(`/integrations/certn/deliveries/${api.seg(d.delivery_id)}/replay`);
        notice('Stagecheck will fetch this case from Certn again.');
      } catch (e) { box.error(e.message); }
    }));
    return h('li', { class: 'delivery', dataset: { verdict: d.verdict } },
      h('span', {}, EVENT_WORDS[d.event_type] || 'Another event'), ' ',
      h('span', { class: 'muted' }, `· ${VERDICT_WORDS[d.verdict] || 'Recorded'} · `), time(d.received_at), ' ',
      d.check_id ? h('a', { href: `/checks/${api.seg(d.check_id)}` }, 'Open check') : null, ' ',
      d.check_id ? replay : null);
  }, 'No deliveries yet. They appear here as Certn calls the webhook URL.');
  return {
    el: h('section', { class: 'card', 'aria-labelledby': 'deliveries-title' },
      h('h2', { id: 'deliveries-title' }, 'Recent webhook deliveries'),
      h('p', {}, 'What Certn sent to the webhook URL and what Stagecheck did with it, newest first.'),
      box.el, list, more.el),
    load: more.load,
  };
}

// Deliveries that failed signature verification are not stored, so the log
// below cannot show them; the API counts them for the last hour instead.
function signatureBanner() {
  const el = h('div', { class: 'message warn', id: 'webhook-banner', role: 'alert', hidden: true });
  async function load() {
    let summary;
    try {
      summary = await api.get('/integrations/certn/deliveries/refused-summary');
    } catch { return; }  // the page is still useful without it
    const n = summary.failed_signature;
    el.hidden = !(n > 0);
    if (!n) return;
    el.replaceChildren(
      h('strong', {}, `${n} ${n === 1 ? 'delivery' : 'deliveries'} in the last hour failed signature verification: the webhook secret in Certn may not match.`),
      h('p', { class: 'hint' }, 'Certn must sign with the webhook secret set here. Paste the same secret into Certn (Settings → Webhooks), or rotate it below and update Certn. Until then status changes reach Stagecheck only when it asks Certn itself, so they arrive late.'));
  }
  return { el, load };
}

export async function certnView(root, ctx) {
  let view = null;
  try {
    view = await api.get('/integrations/certn');
  } catch (e) {
    if (e.code !== 'certn_not_connected' && e.status !== 404) throw e;
  }
  if (!ctx.alive()) return;

  const status = h('p', { id: 'certn-status', class: 'status-line', role: 'status' });
  const connectBox = messageBox();
  const apiKey = h('input', { type: 'password', name: 'api_key', autocomplete: 'off', spellcheck: 'false' });
  const region = select(REGIONS, view ? view.region : 'north_america', { name: 'region' });
  const secret = h('input', { type: 'password', name: 'webhook_secret', autocomplete: 'off', spellcheck: 'false' });
  const generate = h('button', { type: 'button', class: 'secondary' }, 'Generate secret');
  const showSecret = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false' }, 'Show');
  const save = h('button', { type: 'submit' }, view ? 'Save changes' : 'Connect');
  const verify = h('button', { type: 'button', class: 'secondary' }, 'Verify API key');
  const webhookUrl = h('input', { type: 'text', readonly: true, name: 'webhook_url' });
  const copy = h('button', { type: 'button', class: 'secondary' }, 'Copy webhook URL');
  const lastDelivery = h('dd', { id: 'last-delivery' });
  const maskedKey = h('dd', { id: 'masked-key' });
  const verifiedAt = h('dd', { id: 'verified-at' });
  const graceLine = h('p', { class: 'hint', hidden: true });
  const rotate = h('button', { type: 'button', class: 'secondary' }, 'Rotate webhook secret');
  const actionBox = messageBox();

  function show(v) {
    view = v;
    status.textContent = statusText(v);
    status.className = `status-line ${v && v.connected ? 'ok' : 'warn'}`;
    webhookUrl.value = v ? v.webhook_url : `${location.origin}/certn/certnWebhookHandler`;
    maskedKey.textContent = v ? v.api_key : '—';
    verifiedAt.replaceChildren(v && v.verified_at ? time(v.verified_at) : 'Never');
    lastDelivery.replaceChildren(v && v.last_delivery_at ? time(v.last_delivery_at) : 'No deliveries yet');
    if (v && v.previous_secret_valid_until) {
      graceLine.hidden = false;
      graceLine.replaceChildren('The previous secret stays valid until ', time(v.previous_secret_valid_until), '.');
    } else {
      graceLine.hidden = true;
    }
    save.textContent = v ? 'Save changes' : 'Connect';
    verify.disabled = !v;
    rotate.disabled = !v;
    apiKey.placeholder = v ? `Saved (${v.api_key}); leave empty to keep` : '';
    secret.placeholder = v ? 'Saved; leave empty to keep' : 'At least 16 characters';
    apiKey.required = !v;
    secret.required = !v;
  }

  generate.addEventListener('click', () => {
    secret.value = randomSecret();
    secret.type = 'text';
    showSecret.textContent = 'Hide';
    showSecret.setAttribute('aria-pressed', 'true');
    notice('A new secret was generated. Paste the same secret into Certn\'s webhook settings.');
  });
  showSecret.addEventListener('click', () => {
    const shown = secret.type === 'text';
    secret.type = shown ? 'password' : 'text';
    showSecret.textContent = shown ? 'Show' : 'Hide';
    showSecret.setAttribute('aria-pressed', String(!shown));
  });

  // Save and Verify both act on the stored connection: one at a time.
  const connectActions = h('fieldset', { class: 'actions' }, save, verify);
  const form = h('form', { 'aria-labelledby': 'connect-title' },
    h('h2', { id: 'connect-title' }, 'Connection'),
    field('Certn API key', apiKey, 'From Certn: Settings → API keys. Stored encrypted; only the last 4 characters are shown.'),
    field('Region', region),
    field('Webhook secret', secret, 'The secret Certn signs webhook calls with.'),
    h('div', { class: 'row' }, generate, showSecret),
    connectBox.el,
    connectActions);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    connectBox.clear();
    const body = { region: region.value };
    if (apiKey.value.trim()) body.api_key = apiKey.value.trim();
    if (secret.value) body.webhook_secret = secret.value;
    await busy(save, async () => {
      try {
        const v = await api.put('/integrations/certn', body);
        api.forgetPackages();
        apiKey.value = '';
        secret.value = '';
        show(v);
        if (v.connected) connectBox.ok('Saved. Certn is connected.');
        else connectBox.error(statusText(v));
        refreshPackages();
      } catch (e) {
        // A refused change of a working connection changed nothing.
        const kept = view && view.connected && ['invalid_key', 'wrong_region', 'unreachable'].includes(e.code);
        connectBox.error(kept ? `${e.message} The connection that was working stays in use.` : e.message);
      }
    }, connectActions);
  });
  verify.addEventListener('click', () => busy(verify, async () => {
    connectBox.clear();
    try {
      const v = await api.post('/integrations/certn/verify');
      api.forgetPackages();
      show(v);
      if (v.connected) connectBox.ok('Verified: Certn accepted the API key.');
      else connectBox.error(statusText(v));
      refreshPackages();
    } catch (e) { connectBox.error(e.message); }
  }, connectActions));
  copy.addEventListener('click', async () => {
    actionBox.clear();
    try {
      await navigator.clipboard.writeText(webhookUrl.value);
    } catch {
      webhookUrl.select();
      document.execCommand('copy');
    }
    copy.textContent = 'Copied';
    actionBox.ok('The webhook URL was copied. Paste it into Certn\'s webhook settings.');
    setTimeout(() => { copy.textContent = 'Copy webhook URL'; }, 3000);
  });
  rotate.addEventListener('click', () => {
    const input = h('input', { type: 'text', value: randomSecret(), autocomplete: 'off', spellcheck: 'false', name: 'new_secret' });
    const box = messageBox();
    const ok = h('button', { type: 'button' }, 'Rotate secret');
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const dialog = openDialog({
      title: 'Rotate the webhook secret',
      body: [h('p', {}, 'Certn must sign with the new secret. The old one keeps working for a grace period so no delivery is lost while you update Certn.'),
        field('New webhook secret', input), box.el],
      actions: [cancel, ok],
    });
    cancel.addEventListener('click', () => dialog.close());
    ok.addEventListener('click', () => busy(ok, async () => {
      try {
        show(await api.post('/integrations/certn/webhook-secret/rotate', { webhook_secret: input.value }));
        dialog.close();
        actionBox.ok('The webhook secret was rotated. Paste the new secret into Certn.');
      } catch (e) { box.error(e.message); }
    }));
    input.select();
  });

  // Team default package.
  const teamBox = messageBox();
  const teamSelect = h('select', { name: 'team_default_package' });
  const teamSave = h('button', { type: 'submit' }, 'Save default package');
  const teamForm = h('form', { 'aria-labelledby': 'team-default-title' },
    h('h2', { id: 'team-default-title' }, 'Team default package'),
    h('p', {}, 'Used when a stage and its job name no package.'),
    field('Default package', teamSelect), teamBox.el, h('div', { class: 'actions' }, teamSave));
  teamForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    teamBox.clear();
    await busy(teamSave, async () => {
      try {
        const saved = await api.patch('/team', { default_package_id: teamSelect.value || null },
          { ifMatch: teamEtag, withEtag: true });
        ctx.me.team = saved.body;
        teamEtag = saved.etag;
        teamBox.ok('The team default package was saved.');
      } catch (e) { teamBox.error(e.message); }
    });
  });
  let teamEtag = null;  // the team as this form last read it (If-Match)
  async function refreshPackages() {
    teamBox.clear();
    if (!view || !view.connected) {
      teamSelect.replaceChildren(h('option', { value: '' }, 'Connect Certn to choose a package'));
      teamSelect.disabled = true;
      teamSave.disabled = true;
      return;
    }
    teamSelect.disabled = false;
    teamSave.disabled = false;
    const read = await api.getWithEtag('/team').catch(() => ({ body: ctx.me.team, etag: null }));
    const team = read.body;
    teamEtag = read.etag;
    const options = await packageOptions(teamBox, 'No default');
    teamSelect.replaceChildren(...options.map(([value, label]) =>
      h('option', { value, selected: value === (team.default_package_id || '') }, label)));
  }

  const deliveries = deliveriesSection();
  const banner = signatureBanner();
  root.replaceChildren(
    h('h1', {}, 'Certn settings'),
    banner.el,
    h('section', { class: 'card', 'aria-labelledby': 'status-title' },
      h('h2', { id: 'status-title' }, 'Status'), status,
      h('dl', { class: 'facts' },
        h('dt', {}, 'API key'), maskedKey,
        h('dt', {}, 'Last verified'), verifiedAt,
        h('dt', {}, 'Last webhook delivery'), lastDelivery)),
    h('section', { class: 'card' }, form),
    h('section', { class: 'card', 'aria-labelledby': 'webhook-title' },
      h('h2', { id: 'webhook-title' }, 'Webhook'),
      h('p', {}, 'Paste this URL into Certn (Settings → Webhooks) so status changes arrive here.'),
      field('Webhook URL', webhookUrl),
      h('div', { class: 'actions' }, copy, rotate), graceLine, actionBox.el),
    h('section', { class: 'card' }, teamForm),
    deliveries.el);
  show(view);
  await Promise.all([refreshPackages(), view ? deliveries.load() : null, view ? banner.load() : null]);
}

export async function jobsView(root, ctx) {
  const box = messageBox();
  const title = h('input', { type: 'text', name: 'title', required: true, maxlength: 200 });
  const create = h('button', { type: 'submit' }, 'Create job');
  const form = h('form', { class: 'card', 'aria-labelledby': 'new-job-title' },
    h('h2', { id: 'new-job-title' }, 'New job'), field('Job title', title), box.el,
    h('div', { class: 'actions' }, create));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    box.clear();
    await busy(create, async () => {
      try {
        const job = await api.post('/jobs', { title: title.value.trim() }, { idempotent: true });
        location.hash = `#/admin/jobs/${api.seg(job.id)}`;
      } catch (e) { box.error(e.message); }
    });
  });
  const list = h('ul', { class: 'list', id: 'job-list', 'aria-label': 'Jobs' });
  const more = pager(list, (after) => api.page('/jobs', after), (job) =>
    h('li', {}, h('a', { href: `#/admin/jobs/${api.seg(job.id)}` }, job.title)), 'No jobs yet.');
  root.replaceChildren(h('h1', {}, 'Jobs & interview plans'), form,
    h('section', { class: 'card', 'aria-labelledby': 'jobs-title' }, h('h2', { id: 'jobs-title' }, 'Jobs'), list, more.el));
  await more.load();
  void ctx;
}

export async function jobView(root, ctx, jobId) {
  const path = `/jobs/${api.seg(jobId)}`;
  const [jobRead, planRead] = await Promise.all([api.getWithEtag(path), api.getWithEtag(`${path}/interview-plan`)]);
  if (!ctx.alive()) return;
  const job = jobRead.body;
  const plan = planRead.body;
  // The versions these forms were filled from: a PATCH sends them (If-Match),
  // so an edit made meanwhile in another tab is never silently undone.
  let jobEtag = jobRead.etag;
  let planEtag = planRead.etag;
  let packageList = [];
  let packagesError = null;
  try { packageList = await api.packages(); } catch (e) { packagesError = e.message; }
  const packageName = (id) => (packageList.find((p) => p.id === id) || { name: id }).name;

  // Job details: title and default package.
  const jobBox = messageBox();
  const titleInput = h('input', { type: 'text', name: 'job_title', value: job.title, required: true, maxlength: 200 });
  const jobPackage = select([['', 'Use the team default'], ...packageList.map((p) => [p.id, p.name])],
    job.default_package_id || '', { name: 'job_default_package' });
  const saveJob = h('button', { type: 'submit' }, 'Save job');
  const heading = h('h1', {}, job.title);
  const jobForm = h('form', { class: 'card', 'aria-labelledby': 'job-settings-title' },
    h('h2', { id: 'job-settings-title' }, 'Job settings'),
    field('Job title', titleInput), field('Job default package', jobPackage), jobBox.el,
    h('div', { class: 'actions' }, saveJob));
  if (packagesError) jobBox.error(packagesError);
  jobForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    jobBox.clear();
    await busy(saveJob, async () => {
      try {
        const saved = await api.patch(path, { title: titleInput.value.trim(), default_package_id: jobPackage.value || null },
          { ifMatch: jobEtag, withEtag: true });
        jobEtag = saved.etag;
        heading.textContent = saved.body.title;
        jobBox.ok('The job was saved.');
      } catch (e) { jobBox.error(e.message); }
    });
  });

  // Interview plan.
  const planBox = messageBox();
  const stagesList = h('ol', { class: 'stages', id: 'plan-stages', 'aria-label': 'Stages' });
  let stages = plan.stages;

  async function reload(focusSelector) {
    try {
      const fresh = await api.getWithEtag(`${path}/interview-plan`);
      planEtag = fresh.etag;
      stages = fresh.body.stages;
      renderStages();
      if (focusSelector) {
        const el = stagesList.querySelector(focusSelector);
        if (el) el.focus();
      }
    } catch (e) { planBox.error(e.message); }
  }

  async function act(button, fn, done) {
    planBox.clear();
    await busy(button, async () => {
      try {
        await fn();
        if (done) notice(done);
      } catch (e) {
        if (e.code !== 'precondition_failed') { planBox.error(e.message); return; }
        // Someone else edited the plan: show theirs, then ask for ours again.
        await reload();
        planBox.error('Someone changed this interview plan since you opened it. It now shows their change: make yours again.');
      }
    });
  }

  function activityItem(stage, activity) {
    const settings = activity.settings || {};
    const isCertn = activity.kind === 'certn_background_check';
    const remove = h('button', { type: 'button', class: 'danger small' }, 'Remove activity');
    remove.setAttribute('aria-label', `Remove ${kindLabel(activity.kind)} from ${stage.name}`);
    remove.addEventListener('click', async () => {
      if (!await confirmDialog('Remove activity', `Remove "${kindLabel(activity.kind)}" from the stage "${stage.name}"?`, 'Remove')) return;
      await act(remove, async () => {
        await api.del(`${path}/interview-plan/stages/${api.seg(stage.id)}/activities/${api.seg(activity.id)}`);
        await reload();
      }, 'The activity was removed.');
    });
    const parts = [h('span', { class: 'activity-kind' }, kindLabel(activity.kind))];
    if (isCertn) {
      parts.push(h('span', { class: 'muted' }, ` · Package: ${packageName(settings.package_id)}`));
      const toggleId = uid('auto');
      const toggle = h('input', { type: 'checkbox', id: toggleId, checked: !!settings.auto_send, class: 'auto-send' });
      toggle.addEventListener('change', async () => {
        planBox.clear();
        toggle.disabled = true;
        try {
          const saved = await api.patch(`${path}/interview-plan/stages/${api.seg(stage.id)}/activities/${api.seg(activity.id)}`,
            { settings: { package_id: settings.package_id, auto_send: toggle.checked } }, { ifMatch: planEtag, withEtag: true });
          planEtag = saved.etag;
          settings.auto_send = toggle.checked;
          notice(toggle.checked ? `Moving an application into "${stage.name}" now sends the check automatically.`
            : `Auto-send is off for "${stage.name}".`);
        } catch (e) {
          toggle.checked = !toggle.checked;
          planBox.error(e.message);
        } finally { toggle.disabled = false; }
      });
      parts.push(h('span', { class: 'toggle' }, toggle,
        h('label', { for: toggleId }, 'Send automatically when an application enters this stage')));
    }
    return h('li', { class: 'activity', dataset: { kind: activity.kind } }, h('div', {}, parts), remove);
  }

  function addActivityDialog(stage, opener) {
    const box = messageBox();
    const kind = h('select', { name: 'kind' }, h('option', { value: '' }, 'Loading…'));
    const pkg = h('select', { name: 'package_id' });
    const autoId = uid('auto');
    const auto = h('input', { type: 'checkbox', id: autoId, name: 'auto_send' });
    const certnFields = h('div', { hidden: true },
      field('Package', pkg, 'Packages come live from your Certn account.'),
      h('div', { class: 'toggle' }, auto, h('label', { for: autoId }, 'Auto-send when an application enters this stage')));
    const add = h('button', { type: 'button' }, 'Add activity');
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const dialog = openDialog({
      title: `Add an activity to "${stage.name}"`,
      body: [field('Activity', kind), certnFields, box.el],
      actions: [cancel, add],
      onClose: () => opener.focus(),
    });
    cancel.addEventListener('click', () => dialog.close());
    const loadPackages = async () => {
      pkg.replaceChildren(h('option', { value: '' }, 'Loading packages…'));
      try {
        const items = await api.packages({ fresh: true });
        packageList = items;
        const preferred = job.default_package_id || (ctx.me.team && ctx.me.team.default_package_id) || '';
        pkg.replaceChildren(h('option', { value: '' }, 'Choose a package'),
          ...items.map((p) => h('option', { value: p.id, selected: p.id === preferred }, p.name)));
      } catch (e) {
        pkg.replaceChildren(h('option', { value: '' }, 'No packages'));
        box.error(e.message);
      }
    };
    kind.addEventListener('change', () => {
      certnFields.hidden = kind.value !== 'certn_background_check';
      if (!certnFields.hidden) loadPackages();
    });
    api.get('/activity-kinds').then((kinds) => {
      kind.replaceChildren(h('option', { value: '' }, 'Choose an activity'),
        ...kinds.items.map((k) => h('option', { value: k.name }, k.display_name || kindLabel(k.name))));
      if (!kinds.items.some((k) => k.name === 'certn_background_check')) {
        box.error('Certn background checks can be added once Certn is connected (Certn settings).');
      }
      kind.focus();
    }).catch((e) => box.error(e.message));
    add.addEventListener('click', () => busy(add, async () => {
      box.clear();
      if (!kind.value) { box.error('Choose an activity.'); kind.focus(); return; }
      const body = { kind: kind.value };
      if (kind.value === 'certn_background_check') {
        if (!pkg.value) { box.error('Choose a package for the background check.'); pkg.focus(); return; }
        body.settings = { package_id: pkg.value, auto_send: auto.checked };
      }
      try {
        await api.post(`${path}/interview-plan/stages/${api.seg(stage.id)}/activities`, body);
        dialog.close();
        await reload();
        notice(`${kindLabel(body.kind)} was added to "${stage.name}".`);
      } catch (e) { box.error(e.message); }
    }));
  }

  function stageItem(stage, index) {
    const nameInput = h('input', { type: 'text', value: stage.name, name: 'stage_name', maxlength: 200 });
    const rename = h('button', { type: 'button', class: 'secondary small' }, 'Rename');
    const up = h('button', { type: 'button', class: 'secondary small', disabled: index === 0, 'aria-label': `Move ${stage.name} up`, dataset: { move: 'up' } }, '↑ Up');
    const down = h('button', { type: 'button', class: 'secondary small', disabled: index === stages.length - 1, 'aria-label': `Move ${stage.name} down`, dataset: { move: 'down' } }, '↓ Down');
    const remove = h('button', { type: 'button', class: 'danger small' }, 'Remove stage');
    const addActivity = h('button', { type: 'button', class: 'small' }, 'Add activity');
    addActivity.setAttribute('aria-label', `Add activity to ${stage.name}`);
    remove.setAttribute('aria-label', `Remove stage ${stage.name}`);
    rename.setAttribute('aria-label', `Rename stage ${stage.name}`);
    const stageUrl = `${path}/interview-plan/stages/${api.seg(stage.id)}`;
    rename.addEventListener('click', () => act(rename, async () => {
      await api.patch(stageUrl, { name: nameInput.value.trim() }, { ifMatch: planEtag });
      await reload();
    }, 'The stage was renamed.'));
    nameInput.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); rename.click(); } });
    const move = (delta, button) => act(button, async () => {
      await api.patch(stageUrl, { position: index + delta }, { ifMatch: planEtag });
      await reload(`li[data-stage-id="${CSS.escape(stage.id)}"] button[data-move="${delta < 0 ? 'up' : 'down'}"]:not([disabled])`);
    });
    up.addEventListener('click', () => move(-1, up));
    down.addEventListener('click', () => move(1, down));
    remove.addEventListener('click', async () => {
      if (!await confirmDialog('Remove stage', `Remove the stage "${stage.name}" and its activities?`, 'Remove')) return;
      await act(remove, async () => { await api.del(stageUrl); await reload(); }, 'The stage was removed.');
    });
    addActivity.addEventListener('click', () => addActivityDialog(stage, addActivity));
    return h('li', { class: 'stage card', dataset: { stageId: stage.id } },
      h('div', { class: 'stage-head' },
        field(`Stage ${index + 1} name`, nameInput),
        h('div', { class: 'row' }, rename, up, down, remove)),
      h('ul', { class: 'activities', 'aria-label': `Activities of ${stage.name}` },
        stage.activities.length ? stage.activities.map((a) => activityItem(stage, a))
          : h('li', { class: 'muted' }, 'No activities yet.')),
      h('div', { class: 'actions' }, addActivity));
  }

  function renderStages() {
    stagesList.replaceChildren(...(stages.length ? stages.map(stageItem) : [h('li', { class: 'muted' }, 'No stages yet. Add the first one below.')]));
  }

  const stageName = h('input', { type: 'text', name: 'new_stage', required: true, maxlength: 200 });
  const addStage = h('button', { type: 'submit' }, 'Add stage');
  const addForm = h('form', { class: 'inline-form', 'aria-label': 'Add a stage' }, field('New stage name', stageName), addStage);
  addForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    await act(addStage, async () => {
      await api.post(`${path}/interview-plan/stages`, { name: stageName.value.trim() });
      stageName.value = '';
      await reload();
    }, 'The stage was added.');
    stageName.focus();
  });

  renderStages();
  root.replaceChildren(
    h('p', { class: 'crumbs' }, h('a', { href: '#/admin/jobs' }, '← All jobs')),
    heading, jobForm,
    h('section', { 'aria-labelledby': 'plan-title' },
      h('h2', { id: 'plan-title' }, 'Interview plan'), planBox.el, stagesList,
      h('div', { class: 'card' }, addForm)));
}

// ---- users and their API tokens ---------------------------------------------

const ROLES = [
  ['recruiter', 'Recruiter — sends checks, sees status, result and report'],
  ['coordinator', 'Coordinator — sends checks, sees status and result, not the report'],
  ['viewer', 'Viewer — sees status only'],
  ['admin', 'Admin — everything, including users and Certn settings'],
];
const ROLE_NAMES = { admin: 'Admin', recruiter: 'Recruiter', coordinator: 'Coordinator', viewer: 'Viewer' };
const EXPIRIES = [['', 'Never expires'], ['30', 'Expires in 30 days'], ['90', 'Expires in 90 days'], ['365', 'Expires in a year']];

// The token just issued, shown this once with a way to copy it.
function tokenShownOnce(issued, opener) {
  const value = h('input', { type: 'text', readonly: true, value: issued.token, id: 'new-token', 'aria-label': 'The new API token' });
  const copy = h('button', { type: 'button', class: 'secondary' }, 'Copy token');
  copy.addEventListener('click', async () => {
    value.select();
    try { await navigator.clipboard.writeText(issued.token); notice('Token copied.'); } catch { notice('Select the token and copy it.'); }
  });
  const done = h('button', { type: 'button' }, 'I have copied it');
  const dialog = openDialog({
    title: `Token “${issued.name}” issued`,
    body: h('div', {}, h('p', { class: 'message warn' }, 'Copy this token now: it is shown only once and cannot be shown again.'), value, h('div', { class: 'actions' }, copy)),
    actions: [done],
    onClose: () => opener.focus(),
  });
  done.addEventListener('click', () => dialog.close());
  value.focus();
  value.select();
}

function tokensPanel(user, onChange) {
  const box = messageBox();
  const list = h('ul', { class: 'list tokens', 'aria-label': `API tokens of ${user.name}` });
  const name = h('input', { name: 'token_name', maxlength: '100', required: true, placeholder: 'For example: laptop' });
  const expiry = select(EXPIRIES, '', { name: 'expires_in_days' });
  const issue = h('button', { type: 'submit' }, 'Issue token');
  const form = h('form', { class: 'inline-form', 'aria-label': `Issue a token to ${user.name}` }, field('Token name', name), field('Expiry', expiry), issue);
  async function load() {
    const tokens = await api.get(`/users/${api.seg(user.id)}/tokens`);
    list.replaceChildren(...(tokens.items.length ? tokens.items.map((t) => {
      const revoke = h('button', { type: 'button', class: 'secondary small' }, 'Revoke');
      revoke.setAttribute('aria-label', `Revoke token ${t.name}`);
      revoke.addEventListener('click', async () => {
        if (!await confirmDialog(`Revoke the token “${t.name}”?`, 'Requests with this token are refused from now on. This cannot be undone.', 'Revoke token')) return;
        await busy(revoke, async () => {
          try { await api.del(`/users/${api.seg(user.id)}/tokens/${api.seg(t.id)}`); notice('The token was revoked.'); await load(); } catch (e) { box.error(e.message); }
        });
      });
      const facts = [`created ${formatTime(t.created_at)}`, t.last_used_at ? `last used ${formatTime(t.last_used_at)}` : 'never used',
        t.expires_at ? `expires ${formatTime(t.expires_at)}` : 'no expiry'];
      return h('li', { class: 'token', dataset: { revoked: t.revoked_at ? 'true' : 'false' } }, h('strong', {}, t.name),
        h('span', { class: 'muted' }, ` · ${facts.join(' · ')} `),
        t.revoked_at ? h('span', { class: 'badge' }, `Revoked ${formatTime(t.revoked_at)}`) : revoke);
    }) : [h('li', { class: 'muted' }, 'No tokens yet.')]));
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    box.clear();
    await busy(issue, async () => {
      try {
        const body = { name: name.value.trim() };
        if (expiry.value) body.expires_in_days = Number(expiry.value);
        const issued = await api.post(`/users/${api.seg(user.id)}/tokens`, body);
        name.value = '';
        await load();
        tokenShownOnce(issued, issue);
      } catch (e) { box.error(e.message); }
    });
  });
  return { el: h('div', { class: 'tokens-panel' }, list, user.active ? form : null, box.el), load };
}

export async function usersView(root, ctx) {
  const box = messageBox();
  const list = h('ul', { class: 'list', id: 'users', 'aria-label': 'Users' });
  const name = h('input', { name: 'name', maxlength: '200', required: true, autocomplete: 'off' });
  const email = h('input', { name: 'email', type: 'email', maxlength: '254', required: true, autocomplete: 'off' });
  const role = select(ROLES, 'recruiter', { name: 'role' });
  const add = h('button', { type: 'submit' }, 'Add user');
  const form = h('form', { class: 'card', 'aria-labelledby': 'add-user-title' }, h('h2', { id: 'add-user-title' }, 'Add a user'),
    field('Name', name, 'Shown in the activity feed.'), field('Email', email), field('Role', role), box.el, h('div', { class: 'actions' }, add));
  async function load() {
    const users = await api.get('/users');
    if (!ctx.alive()) return;
    list.replaceChildren(...users.items.map((u) => {
      const tokens = tokensPanel(u, load);
      const show = h('button', { type: 'button', class: 'secondary small', 'aria-expanded': 'false' }, 'Tokens');
      show.setAttribute('aria-label', `Tokens of ${u.name}`);
      tokens.el.hidden = true;
      show.addEventListener('click', () => busy(show, async () => {
        tokens.el.hidden = !tokens.el.hidden;
        show.setAttribute('aria-expanded', String(!tokens.el.hidden));
        if (!tokens.el.hidden) { try { await tokens.load(); } catch (e) { box.error(e.message); } }
      }));
      const off = h('button', { type: 'button', class: 'secondary small' }, 'Deactivate');
      off.setAttribute('aria-label', `Deactivate ${u.name}`);
      off.addEventListener('click', async () => {
        if (!await confirmDialog(`Deactivate ${u.name}?`, 'Their tokens stop working at once. Their name stays in the activity feed.', 'Deactivate')) return;
        await busy(off, async () => {
          try { await api.post(`/users/${api.seg(u.id)}/deactivate`); notice(`${u.name} was deactivated.`); await load(); } catch (e) { box.error(e.message); }
        });
      });
      const self = u.id === ctx.me.user_id;
      return h('li', { class: 'user', dataset: { role: u.role, active: String(u.active) } },
        h('strong', {}, u.name), self ? h('span', { class: 'muted' }, ' (you)') : null,
        h('span', { class: 'muted' }, ` · ${u.email || 'no email'} · ${ROLE_NAMES[u.role] || u.role} `),
        u.active ? null : h('span', { class: 'badge' }, 'Deactivated'), ' ', show, ' ',
        u.active && !self ? off : null, tokens.el);
    }));
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    box.clear();
    await busy(add, async () => {
      try {
        const created = await api.post('/users', { name: name.value.trim(), email: email.value.trim(), role: role.value });
        name.value = '';
        email.value = '';
        notice(`${created.name} was added. Issue them a token to sign in.`);
        await load();
      } catch (e) { box.error(e.message); }
    });
  });
  root.replaceChildren(h('h1', {}, 'Users'),
    h('p', {}, 'Who can sign in to your team, with which role, and their API tokens. A revoked token or a deactivated user is refused from the next request on.'),
    h('section', { class: 'card', 'aria-labelledby': 'users-title' }, h('h2', { id: 'users-title' }, 'Team members'), list), form);
  document.title = 'Users · Stagecheck';
  await load();
}

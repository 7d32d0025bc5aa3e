// Admin view: how long the team keeps report data and webhook bodies
// (GET/PATCH /api/v1/team/retention; docs/operations.md, "Retention and erasure").
import * as api from './api.js';
import { h, field, messageBox, busy, time } from './dom.js';

const FIELDS = [
  ['report_days', 'Report data (days after a check completes)',
    'The report PDF and the per-check results are removed after this many days. Default 365.'],
  ['delivery_body_days', 'Webhook delivery bodies (days)',
    'The bodies of the webhook deliveries Certn sent are removed after this many days; the delivery log keeps when and what. Default 30.'],
  ['unverified_metadata_days', 'Refused deliveries\' details (days)',
    'Deliveries that failed verification are never stored in the database; each server keeps a short record of them in memory, removed after this many days. Default 7.'],
];

export async function retentionView(root) {
  const box = messageBox();
  const inputs = Object.fromEntries(FIELDS.map(([key]) =>
    [key, h('input', { type: 'number', name: key, step: 1, inputmode: 'numeric', required: true })]));
  const changed = h('p', { class: 'muted' });
  const save = h('button', { type: 'submit' }, 'Save retention settings');
  const form = h('form', { class: 'card', 'aria-labelledby': 'retention-title', novalidate: true },
    h('h2', { id: 'retention-title' }, 'How long data is kept'),
    h('p', {}, 'Older data is removed by a background job, a little at a time; each removal of report data is written to the candidate\'s activity.'),
    ...FIELDS.map(([key, label, hint]) => field(label, inputs[key], hint)),
    changed, box.el, h('div', { class: 'actions' }, save));

  const show = (settings) => {
    for (const [key] of FIELDS) inputs[key].value = String(settings[key]);
    changed.replaceChildren(settings.updated_at
      ? h('span', {}, 'Last changed ', time(settings.updated_at))
      : 'These are the defaults; nobody has changed them yet.');
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    box.clear();
    const body = {};
    for (const [key, label] of FIELDS) {
      const text = inputs[key].value.trim();
      if (!/^\d+$/.test(text)) {
        box.error(`${label.split(' (')[0]}: enter a whole number of days.`);
        inputs[key].focus();
        return;
      }
      body[key] = Number(text);
    }
    await busy(save, async () => {
      try {
        show(await api.patch('/team/retention', body));
        box.ok('Retention settings saved.');
      } catch (e) {
        box.error(e.message);
      }
    });
  });

  root.replaceChildren(h('h1', {}, 'Data retention'), form);
  show(await api.get('/team/retention'));
}

// Tiny DOM helpers. Text always goes in as text nodes (never as HTML), so
// nothing the API returns can inject markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'value' || key === 'checked' || key === 'selected' || key === 'disabled') {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let nextId = 0;
export function uid(prefix = 'f') {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

// A labelled form field: <div class="field"><label for=id>…</label><control id=id></div>.
export function field(label, control, hint) {
  if (!control.id) control.id = uid('field');
  const parts = [h('label', { for: control.id }, label), control];
  if (hint) {
    const hintId = uid('hint');
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('p', { class: 'hint', id: hintId }, hint));
  }
  return h('div', { class: 'field' }, parts);
}

export function select(options, selected, attrs = {}) {
  return h('select', attrs, options.map(([value, label]) =>
    h('option', { value, selected: value === selected }, label)));
}

export function formatTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function time(iso) {
  return h('time', { datetime: iso || '' }, formatTime(iso));
}

// An inline error or success message inside a form or section.
export function messageBox() {
  const box = h('p', { class: 'message', role: 'alert', hidden: true });
  return {
    el: box,
    error(text) { box.className = 'message error'; box.textContent = text; box.hidden = false; },
    ok(text) { box.className = 'message ok'; box.textContent = text; box.hidden = false; },
    clear() { box.hidden = true; box.textContent = ''; },
  };
}

// Modal dialog built on <dialog>: Escape closes, focus stays inside.
export function openDialog({ title, body, actions, onClose }) {
  const titleId = uid('dlg');
  const dialog = h('dialog', { 'aria-labelledby': titleId, class: 'dialog' },
    h('h2', { id: titleId }, title), body, h('div', { class: 'actions' }, actions));
  document.body.append(dialog);
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (onClose) onClose();
  });
  dialog.showModal();
  return dialog;
}

export function confirmDialog(title, text, confirmLabel = 'Confirm') {
  return new Promise((resolve) => {
    let answer = false;
    const yes = h('button', { type: 'button', class: 'danger' }, confirmLabel);
    const no = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const dialog = openDialog({ title, body: h('p', {}, text), actions: [no, yes], onClose: () => resolve(answer) });
    yes.addEventListener('click', () => { answer = true; dialog.close(); });
    no.addEventListener('click', () => dialog.close());
    no.focus();
  });
}

let noticeTimer = null;
export function notice(text) {
  const box = document.getElementById('notice');
  box.textContent = text;
  box.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { box.hidden = true; }, 6000);
}

// Disables a button while `fn` runs, so double clicks send once. With a
// `group` (a <fieldset> holding a form's actions) the form's other actions
// wait too, so a second request cannot start from state the first is still
// changing; a fieldset disables its buttons without touching their own state.
export async function busy(button, fn, group = null) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  if (group) group.disabled = true;
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    if (group) group.disabled = false;
  }
}

// Concurrency limits: per key, how many runs of the jobs sharing it may run at once (and how fast
// they start). Set one, see what runs and waits under each, remove one.
import { del, get, put } from '../api.js';
import { announce, confirmDialog, h } from '../dom.js';
import { clearErrors, showErrors } from '../forms.js';
import { deniedHere } from '../workspace.js';

const POLL_MS = 5000;

function field(input, label, hint) {
  const hintId = hint ? `${input.id}-hint` : null;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null);
}

export async function render(view) {
  const key = h('input', { id: 'limit-key', 'data-field': 'key', autocomplete: 'off', maxlength: '64',
    placeholder: 'api.example.com', required: true });
  const maxRunning = h('input', { id: 'limit-max-running', type: 'number', min: '1', max: '1000', value: '1',
    'data-field': 'max_running', inputmode: 'numeric' });
  const perSecond = h('input', { id: 'limit-per-second', type: 'number', min: '0.001', step: 'any',
    'data-field': 'per_second', inputmode: 'decimal' });
  const form = h('form', { class: 'stack', novalidate: true, 'aria-labelledby': 'limit-form-title' },
    h('h2', { id: 'limit-form-title' }, 'Set a limit'),
    h('div', { class: 'grid-3' },
      field(key, 'Concurrency key', 'As set on the jobs (Advanced). Letters, digits and . _ : -'),
      field(maxRunning, 'At most running at once'),
      field(perSecond, 'At most starts per second (optional)')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save limit')));

  const summary = h('p', { class: 'muted', id: 'limits-summary', 'aria-live': 'polite' });
  const tbody = h('tbody');
  const table = h('table', { class: 'table responsive', 'aria-describedby': 'limits-summary' },
    h('caption', { class: 'sr-only' }, 'Your concurrency limits'),
    h('thead', {}, h('tr', {}, ['Key', 'Max running', 'Starts per second', 'Running', 'Waiting', 'Actions']
      .map((t) => h('th', { scope: 'col' }, t)))),
    tbody);

  view.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Concurrency limits')),
    h('p', { class: 'lead' }, 'Jobs that share a concurrency key share its limit: runs over it wait their turn, '
      + 'oldest first, and start as soon as there is room. They never fail for it.'),
    // A role that may not set limits sees why instead of a form the server would refuse.
    deniedHere('limits.manage') ? h('p', { class: 'muted', id: 'limits-denied' }, deniedHere('limits.manage'))
      : h('section', { class: 'card' }, form),
    h('section', { class: 'card', 'aria-labelledby': 'limits-title' },
      h('h2', { id: 'limits-title' }, 'Limits'), summary, h('div', { class: 'table-wrap' }, table)));

  function row(limit) {
    const remove = h('button', { type: 'button', class: 'btn btn-sm btn-danger',
      'aria-label': `Remove the limit of ${limit.key}` }, 'Remove');
    if (deniedHere('limits.manage')) { remove.disabled = true; remove.title = deniedHere('limits.manage'); }
    remove.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: `Remove the limit of “${limit.key}”?`, danger: true,
        confirmLabel: 'Remove limit', message: 'Runs of the key no longer wait for each other.' });
      if (!ok) return;
      try {
        await del(`/concurrency-limits/${encodeURIComponent(limit.key)}`);
        announce(`Removed the limit of “${limit.key}”.`, 'success');
        await load();
      } catch (err) {
        announce(err.message, 'error');
      }
    });
    const edit = h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': `Change the limit of ${limit.key}` },
      'Change');
    edit.addEventListener('click', () => {
      key.value = limit.key;
      maxRunning.value = String(limit.max_running);
      perSecond.value = limit.per_second == null ? '' : String(limit.per_second);
      maxRunning.focus();
    });
    return h('tr', {},
      h('td', { 'data-label': 'Key' }, h('code', {}, limit.key)),
      h('td', { 'data-label': 'Max running' }, String(limit.max_running)),
      h('td', { 'data-label': 'Starts per second' }, limit.per_second == null ? 'No limit' : String(limit.per_second)),
      h('td', { 'data-label': 'Running' }, String(limit.running)),
      h('td', { 'data-label': 'Waiting' }, String(limit.waiting)),
      h('td', { 'data-label': 'Actions' }, h('span', { class: 'row-actions' }, edit, remove)));
  }

  let shown = '';
  async function load() {
    const page = await get('/concurrency-limits', { limit: 100 });
    const fresh = JSON.stringify(page.items);
    if (fresh === shown) return;
    shown = fresh;
    tbody.replaceChildren(...page.items.map(row));
    table.hidden = !page.items.length;
    summary.textContent = page.total ? `${page.total} limit(s).` : 'No limits yet: every key runs without one.';
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const name = key.value.trim();
    const body = { max_running: Number(maxRunning.value),
      per_second: perSecond.value.trim() === '' ? null : Number(perSecond.value) };
    if (!name) { showErrors(form, { message: 'Check the highlighted fields.', errors: { key: ['Enter a key.'] } }); return; }
    try {
      const saved = await put(`/concurrency-limits/${encodeURIComponent(name)}`, body);
      announce(`Limit of “${saved.key}” saved: at most ${saved.max_running} at once.`, 'success');
      await load();
    } catch (err) {
      showErrors(form, err);
    }
  });

  let timer = null;
  let stopped = false;
  async function poll() {
    try { await load(); } catch (err) { summary.textContent = `Could not refresh: ${err.message}`; }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  }
  await poll();
  return () => { stopped = true; clearTimeout(timer); };
}

// A job's backfills: choose a past range, see its slots (a dry run), start it, follow its progress,
// cancel it. The job page refreshes the list on its own polling loop.
import { del, get, post } from './api.js';
import { announce, badge, confirmDialog, h } from './dom.js';
import { clearErrors, showErrors } from './forms.js';
import { formatDateTime, isoToZonedLocal, zonedLocalToIso } from './time.js';
import { deniedHere } from './workspace.js';

const SHOWN_SLOTS = 50;

function field(input, label, hint) {
  const hintId = hint ? `${input.id}-hint` : null;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null);
}

function progressText(b) {
  const done = ['succeeded', 'failed', 'skipped', 'cancelled']
    .reduce((sum, status) => sum + (b.counts[status] || 0), 0);
  const parts = [`${done} of ${b.count} done`];
  for (const status of ['running', 'waiting', 'failed', 'cancelled']) {
    if (b.counts[status]) parts.push(`${b.counts[status]} ${status}`);
  }
  return parts.join(' · ');
}

/** The "Backfill" section of a job page: {element, refresh()} (refresh re-reads the backfills). */
export function backfillSection(job) {
  const zone = job.timezone;
  const dayAgo = isoToZonedLocal(new Date(Date.now() - 24 * 3600_000).toISOString(), zone);
  const now = isoToZonedLocal(new Date().toISOString(), zone);
  const from = h('input', { id: 'backfill-from', type: 'datetime-local', 'data-field': 'from', value: dayAgo });
  const to = h('input', { id: 'backfill-to', type: 'datetime-local', 'data-field': 'to', value: now });
  const concurrency = h('input', { id: 'backfill-concurrency', type: 'number', min: '1', max: '100', value: '1',
    'data-field': 'max_concurrency', inputmode: 'numeric' });
  const preview = h('button', { type: 'submit', class: 'btn', value: 'preview' }, 'Show slots');
  const start = h('button', { type: 'button', class: 'btn btn-primary', disabled: true }, 'Start backfill');
  const result = h('div', { id: 'backfill-preview', 'aria-live': 'polite' });
  const form = h('form', { class: 'stack', novalidate: true, 'aria-labelledby': 'backfill-title' },
    h('p', { class: 'muted small' }, `Runs this job's own slots in a past range again, in ${zone}. A slot that `
      + 'already has a run is not run twice.'),
    h('div', { class: 'grid-3' },
      field(from, 'From'),
      field(to, 'To'),
      field(concurrency, 'At most at once', 'Runs start oldest first.')),
    h('div', { class: 'actions' }, preview, start),
    result);

  const tbody = h('tbody');
  const table = h('table', { class: 'table responsive', hidden: true },
    h('caption', { class: 'sr-only' }, 'Backfills, newest first'),
    h('thead', {}, h('tr', {}, ['Backfill', 'Range', 'Status', 'Progress', 'Actions']
      .map((t) => h('th', { scope: 'col' }, t)))),
    tbody);

  const element = h('section', { class: 'card stack', 'aria-labelledby': 'backfill-title' },
    h('h2', { id: 'backfill-title' }, 'Backfill'),
    deniedHere('job.backfill') ? h('p', { class: 'muted', id: 'backfill-denied' }, deniedHere('job.backfill')) : form,
    h('div', { class: 'table-wrap' }, table));

  function body(dryRun) {
    const errors = {};
    const data = { from: zonedLocalToIso(from.value, zone), to: zonedLocalToIso(to.value, zone), dry_run: dryRun,
      max_concurrency: Number(concurrency.value) };
    if (!data.from) errors.from = ['Choose a date and time.'];
    if (!data.to) errors.to = ['Choose a date and time.'];
    if (!Number.isInteger(data.max_concurrency) || data.max_concurrency < 1) {
      errors.max_concurrency = ['Enter a whole number from 1 to 100.'];
    }
    return { data, errors };
  }

  // A change of range or concurrency needs a new look at the slots before starting.
  form.addEventListener('input', () => { start.disabled = true; });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const { data, errors } = body(true);
    if (Object.keys(errors).length) { showErrors(form, { message: 'Check the highlighted fields.', errors }); return; }
    try {
      const answer = await post(`/jobs/${job.id}/backfill`, data);
      const shown = answer.slots.slice(0, SHOWN_SLOTS);
      result.replaceChildren(
        h('p', {}, answer.count === 1 ? '1 slot in this range.' : `${answer.count} slots in this range.`),
        answer.count ? h('ol', { class: 'slot-list', 'aria-label': 'Slots to run', tabindex: '0' },
          shown.map((slot) => h('li', {}, formatDateTime(slot, zone, { seconds: true })))) : null,
        answer.count > SHOWN_SLOTS ? h('p', { class: 'muted small' }, `and ${answer.count - SHOWN_SLOTS} more.`) : null);
      start.disabled = !answer.count;
    } catch (err) {
      showErrors(form, err);
    }
  });

  start.addEventListener('click', async () => {
    clearErrors(form);
    const { data } = body(false);
    try {
      const started = await post(`/jobs/${job.id}/backfill`, data);
      announce(`Backfill #${started.id} started: ${started.count} run(s).`, 'success');
      result.replaceChildren();
      start.disabled = true;
      await refresh();
    } catch (err) {
      showErrors(form, err);
    }
  });

  function row(b) {
    const cancel = h('button', { type: 'button', class: 'btn btn-sm btn-danger',
      'aria-label': `Cancel backfill ${b.id}` }, 'Cancel');
    if (deniedHere('job.backfill')) { cancel.disabled = true; cancel.title = deniedHere('job.backfill'); }
    cancel.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: `Cancel backfill #${b.id}?`, danger: true, confirmLabel: 'Cancel backfill',
        message: 'Runs not started yet are cancelled; finished runs stay, and a run already going finishes.' });
      if (!ok) return;
      try {
        await del(`/jobs/${job.id}/backfills/${b.id}`);
        announce(`Backfill #${b.id} cancelled.`, 'success');
        await refresh();
      } catch (err) {
        announce(err.message, 'error');
      }
    });
    return h('tr', { 'data-id': String(b.id) },
      h('td', { 'data-label': 'Backfill' }, `#${b.id}`),
      h('td', { 'data-label': 'Range' }, `${formatDateTime(b.from, zone)} – ${formatDateTime(b.to, zone)}`),
      h('td', { 'data-label': 'Status' }, badge(b.status)),
      h('td', { 'data-label': 'Progress' }, h('span', { class: 'progress-text' }, progressText(b))),
      h('td', { 'data-label': 'Actions' }, b.status === 'running' ? cancel : '—'));
  }

  let shown = '';
  async function refresh() {
    const page = await get(`/jobs/${job.id}/backfills`, { limit: 10 });
    const key = JSON.stringify(page.items);
    if (key === shown) return;
    shown = key;
    const focused = tbody.contains(document.activeElement) ? document.activeElement.getAttribute('aria-label') : null;
    tbody.replaceChildren(...page.items.map(row));
    table.hidden = !page.items.length;
    if (focused) tbody.querySelector(`[aria-label="${CSS.escape(focused)}"]`)?.focus();
  }

  return { element, refresh };
}

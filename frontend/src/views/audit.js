// A workspace's audit log: who did what, when, newest first, filtered by action, actor, job and time.
import { get } from '../api.js';
import { debounce, h } from '../dom.js';
import { actorLabel, changeRows } from '../diff.js';
import { setQuery } from '../router.js';
import { reason } from '../roles.js';
import { browserZone, formatDateTime, isoToZonedLocal, zonedLocalToIso } from '../time.js';
import { deniedNote, workspacePage } from '../workspace-page.js';

const LIMIT = 25;
// What the server records (a restore is a job.updated whose details say which version it came from).
export const ACTIONS = ['job.created', 'job.updated', 'job.paused', 'job.resumed', 'job.deleted', 'job.executed',
  'job.secret_rotated', 'member.invited', 'member.joined', 'member.role_changed', 'member.removed',
  'invitation.revoked', 'api_key.created', 'api_key.revoked', 'workspace.created', 'workspace.updated'];

function targetCell(event) {
  const target = event.target || {};
  if (target.type === 'job' && target.id !== undefined && target.id !== null) {
    return h('a', { href: `/jobs/${target.id}` }, `Job #${target.id}`);
  }
  if (!target.type) return '—';
  return `${target.type.replace(/_/g, ' ')}${target.id !== undefined && target.id !== null ? ` #${target.id}` : ''}`;
}

function changesCell(changes) {
  const rows = changeRows(changes);
  if (!rows.length) return h('span', { class: 'muted' }, '—');
  return h('ul', { class: 'changes' }, rows.map((r) => h('li', {},
    h('span', { class: 'change-field' }, `${r.label}: `),
    r.added ? null : [h('del', {}, r.before), ' → '], h('ins', {}, r.after))));
}

export async function render(view, params, query) {
  const page = await workspacePage(view, params.id, 'audit');
  if (!page) return undefined;
  const { workspace, body } = page;
  const denied = reason(workspace.role, 'audit.read');
  if (denied) {
    body.append(h('section', { class: 'card', 'aria-labelledby': 'audit-title' },
      h('h2', { id: 'audit-title' }, 'Audit log'), deniedNote(denied)));
    return undefined;
  }
  const zone = browserZone();
  const state = { action: query.action || '', actor: query.actor || '', job_id: query.job_id || '',
    since: query.since || '', until: query.until || '', page: Math.max(1, Number(query.page) || 1) };

  const action = h('select', { id: 'audit-action' }, h('option', { value: '' }, 'All actions'),
    ACTIONS.map((a) => h('option', { value: a }, a)));
  action.value = state.action;
  const actor = h('input', { id: 'audit-actor', type: 'search', value: state.actor, autocomplete: 'off',
    'aria-describedby': 'audit-actor-hint' });
  const job = h('input', { id: 'audit-job', type: 'number', min: '1', inputmode: 'numeric', value: state.job_id });
  const since = h('input', { id: 'audit-since', type: 'datetime-local',
    value: state.since ? isoToZonedLocal(state.since, zone) : '' });
  const until = h('input', { id: 'audit-until', type: 'datetime-local',
    value: state.until ? isoToZonedLocal(state.until, zone) : '' });
  const summary = h('p', { class: 'muted', id: 'audit-summary', 'aria-live': 'polite' });
  const tbody = h('tbody');
  const table = h('table', { class: 'table responsive', 'aria-describedby': 'audit-summary' },
    h('caption', { class: 'sr-only' }, 'Audit log, newest first'),
    h('thead', {}, h('tr', {}, ['When', 'Who', 'Action', 'Target', 'Changes', 'From'].map((t) => h('th', { scope: 'col' }, t)))),
    tbody);
  const prev = h('button', { type: 'button', class: 'btn btn-sm' }, '← Newer');
  const next = h('button', { type: 'button', class: 'btn btn-sm' }, 'Older →');
  const pager = h('nav', { class: 'pager', 'aria-label': 'Audit log pages' }, prev, next);

  body.append(h('section', { class: 'card', 'aria-labelledby': 'audit-title' },
    h('h2', { id: 'audit-title' }, 'Audit log'),
    h('div', { class: 'filters', role: 'search' },
      h('div', { class: 'field' }, h('label', { for: 'audit-action' }, 'Action'), action),
      h('div', { class: 'field' }, h('label', { for: 'audit-actor' }, 'Actor'), actor,
        h('p', { class: 'hint', id: 'audit-actor-hint' }, 'A member’s e-mail or a key’s name.')),
      h('div', { class: 'field' }, h('label', { for: 'audit-job' }, 'Job ID'), job),
      h('div', { class: 'field' }, h('label', { for: 'audit-since' }, 'Since'), since),
      h('div', { class: 'field' }, h('label', { for: 'audit-until' }, 'Until'), until)),
    summary, h('div', { class: 'table-wrap' }, table), pager));

  function row(event) {
    return h('tr', {},
      h('td', { 'data-label': 'When' }, h('time', { datetime: event.at }, formatDateTime(event.at, zone, { seconds: true }))),
      h('td', { 'data-label': 'Who' }, h('span', { class: 'break' }, actorLabel(event.actor))),
      h('td', { 'data-label': 'Action' }, h('code', {}, event.action)),
      h('td', { 'data-label': 'Target' }, targetCell(event)),
      h('td', { 'data-label': 'Changes' }, changesCell(event.changes)),
      h('td', { 'data-label': 'From' }, h('span', { class: 'small muted nowrap' }, event.ip || '—')));
  }

  let controller = null;
  async function load() {
    setQuery(state);
    if (controller) controller.abort();
    controller = new AbortController();
    let data;
    try {
      data = await get(`/workspaces/${workspace.id}/audit`, { ...state, limit: LIMIT }, { signal: controller.signal });
    } catch (err) {
      if (err.name === 'AbortError') return;
      summary.textContent = err.message;
      return;
    }
    const items = data.items || [];
    const total = data.total ?? items.length;
    const first = total ? (state.page - 1) * LIMIT + 1 : 0;
    summary.textContent = total ? `Showing ${first}–${first + items.length - 1} of ${total} event${total === 1 ? '' : 's'}, newest first.`
      : 'No events match these filters.';
    tbody.replaceChildren(...items.map(row));
    table.hidden = !items.length;
    prev.disabled = state.page <= 1;
    next.disabled = state.page * LIMIT >= total;
    pager.hidden = total <= LIMIT;
  }

  const localToIso = (value) => (value ? zonedLocalToIso(value, zone) : '');
  const refilter = () => {
    state.action = action.value;
    state.actor = actor.value.trim();
    state.job_id = /^\d+$/.test(job.value) ? job.value : '';
    state.since = localToIso(since.value);
    state.until = localToIso(until.value);
    state.page = 1;
    load();
  };
  const typed = debounce(refilter, 300);
  action.addEventListener('change', refilter);
  since.addEventListener('change', refilter);
  until.addEventListener('change', refilter);
  actor.addEventListener('input', typed);
  job.addEventListener('input', typed);
  prev.addEventListener('click', () => { state.page -= 1; load(); });
  next.addEventListener('click', () => { state.page += 1; load(); });
  await load();
  return () => { typed.cancel(); if (controller) controller.abort(); };
}

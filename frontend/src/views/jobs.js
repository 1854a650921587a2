// Jobs list: status filter, search by name, pagination; row actions.
import { get } from '../api.js';
import { appendTo, badge, debounce, h } from '../dom.js';
import { jobActions, jobsDeniedNote, newJobButton } from '../job-actions.js';
import { setQuery } from '../router.js';
import { describeSchedule, tickRelativeTimes, timeCell } from '../schedule.js';
import { firstJobChoices } from '../templates.js';
import { formatZone } from '../time.js';

const LIMIT = 20;

export function render(view, params, query) {
  const state = { status: query.status || '', q: query.q || '', page: Math.max(1, Number(query.page) || 1) };

  const statusSelect = h('select', { id: 'filter-status' },
    [['', 'All'], ['active', 'Active'], ['paused', 'Paused'], ['completed', 'Completed']]
      .map(([value, label]) => h('option', { value }, label)));
  statusSelect.value = state.status;
  const search = h('input', { id: 'filter-q', type: 'search', placeholder: 'Name contains…', value: state.q,
    autocomplete: 'off' });
  const summary = h('p', { class: 'muted', id: 'jobs-summary', 'aria-live': 'polite' });
  const tbody = h('tbody');
  const table = h('table', { class: 'table responsive', 'aria-describedby': 'jobs-summary' },
    h('caption', { class: 'sr-only' }, 'Jobs in this workspace'),
    h('thead', {}, h('tr', {}, ['Name', 'Schedule', 'Next run', 'Last result', 'Actions']
      .map((t) => h('th', { scope: 'col' }, t)))),
    tbody);
  const prev = h('button', { type: 'button', class: 'btn btn-sm' }, '← Previous');
  const next = h('button', { type: 'button', class: 'btn btn-sm' }, 'Next →');
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, next);
  const empty = h('div', { class: 'empty', hidden: true });

  appendTo(view,
    h('div', { class: 'page-head' }, h('h1', {}, 'Jobs'), newJobButton()),
    jobsDeniedNote(),
    h('div', { class: 'card' },
      h('div', { class: 'filters', role: 'search' },
        h('div', { class: 'field' }, h('label', { for: 'filter-status' }, 'Status'), statusSelect),
        h('div', { class: 'field grow' }, h('label', { for: 'filter-q' }, 'Search by name'), search)),
      summary,
      h('div', { class: 'table-wrap' }, table),
      empty,
      pager));

  let controller = null;
  async function load() {
    setQuery(state);
    if (controller) controller.abort();
    controller = new AbortController();
    let data;
    try {
      data = await get('/jobs', { status: state.status, q: state.q, page: state.page, limit: LIMIT },
        { signal: controller.signal });
    } catch (err) {
      if (err.name === 'AbortError') return;
      summary.textContent = err.message;
      return;
    }
    const items = data.items || [];
    const totalCount = data.total ?? items.length;
    const first = totalCount ? (state.page - 1) * LIMIT + 1 : 0;
    summary.textContent = totalCount
      ? `Showing ${first}–${first + items.length - 1} of ${totalCount} job${totalCount === 1 ? '' : 's'}.`
      : '';
    tbody.replaceChildren(...items.map(row));
    table.hidden = !items.length;
    empty.hidden = Boolean(items.length);
    empty.replaceChildren(...(state.q || state.status
      ? [h('p', {}, 'No jobs match these filters.')]
      : [h('p', {}, 'No jobs yet.'), firstJobChoices()]));
    prev.disabled = state.page <= 1;
    next.disabled = state.page * LIMIT >= totalCount;
    pager.hidden = totalCount <= LIMIT;
  }

  // One wrapper per cell, so the phone layout's label + value grid has exactly two columns.
  const cell = (label, ...content) => h('td', { 'data-label': label }, h('div', {}, ...content));

  function row(job) {
    return h('tr', {},
      cell('Name',
        h('a', { href: `/jobs/${job.id}`, class: 'strong' }, job.name),
        job.status !== 'active' ? [' ', badge(job.status)] : null),
      cell('Schedule', h('span', {}, describeSchedule(job)),
        h('span', { class: 'muted small block' }, formatZone(job.timezone, job.next_run_at || Date.now()))),
      cell('Next run', timeCell(job.status === 'active' ? job.next_run_at : null, job.timezone,
        { empty: job.status === 'paused' ? 'Paused' : '—', pending: job.status === 'active' })),
      cell('Last result', job.last_status ? badge(job.last_status) : h('span', { class: 'muted' }, 'Never run')),
      cell('Actions', jobActions(job, { compact: true, onDone: (action) => {
        if (action === 'delete' && tbody.children.length === 1 && state.page > 1) state.page -= 1;
        load();
      } })));
  }

  statusSelect.addEventListener('change', () => { state.status = statusSelect.value; state.page = 1; load(); });
  const onSearch = debounce(() => { state.q = search.value.trim(); state.page = 1; load(); }, 300);
  search.addEventListener('input', onSearch);
  prev.addEventListener('click', () => { state.page -= 1; load(); });
  next.addEventListener('click', () => { state.page += 1; load(); });

  const stopTick = tickRelativeTimes(view);
  load();
  return () => { stopTick(); onSearch.cancel(); if (controller) controller.abort(); };
}

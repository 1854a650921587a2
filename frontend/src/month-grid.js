// The month grid of the calendar view (the workspace's, or one job's): a day's colour says how it
// went (green: runs succeeded, red: a run failed, grey: only skips), with its future runs, holidays
// and clock changes marked; arrow keys move between days, Enter (or a click) opens the day's runs.
// A grid in the ARIA sense: one day is in the tab order, and each day's text says what it holds.
import { get } from './api.js';
import {
  dayLabel, dayTone, dayTotals, monthRange, monthTitle, monthWeeks, moveIndex, shiftMonth,
} from './calendar-days.js';
import { h } from './dom.js';
import { formatTime } from './time.js';

const WEEKDAYS = [['Mon', 'Monday'], ['Tue', 'Tuesday'], ['Wed', 'Wednesday'], ['Thu', 'Thursday'],
  ['Fri', 'Friday'], ['Sat', 'Saturday'], ['Sun', 'Sunday']];
const TONE_WORDS = { ok: 'succeeded', failed: 'failed', planned: 'planned', skipped: 'skipped', none: '' };

function todayIso() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

/** A month grid element; `jobId` limits it to one job, `zoneOf(jobId)` gives each job's zone. */
export function createMonthGrid({ jobId = null, idPrefix = 'calendar', zoneOf = () => undefined } = {}) {
  const today = todayIso();
  let [year, month] = today.split('-').map(Number).slice(0, 2);
  let days = {};
  let focused = today;
  let seq = 0;

  const title = h('h2', { id: `${idPrefix}-title`, class: 'month-title', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': 'Previous month' }, '← Previous');
  const next = h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': 'Next month' }, 'Next →');
  const status = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const table = h('table', { class: 'month-grid', role: 'grid', 'aria-labelledby': `${idPrefix}-title` });
  const detail = h('section', { class: 'day-detail card', id: `${idPrefix}-day`, 'aria-live': 'polite',
    'aria-labelledby': `${idPrefix}-day-title`, hidden: true });
  const legend = h('ul', { class: 'month-legend', 'aria-label': 'Legend' },
    h('li', {}, h('span', { class: 'swatch tone-ok', 'aria-hidden': 'true' }), 'runs succeeded'),
    h('li', {}, h('span', { class: 'swatch tone-failed', 'aria-hidden': 'true' }), 'a run failed'),
    h('li', {}, h('span', { class: 'swatch tone-skipped', 'aria-hidden': 'true' }), 'only skipped'),
    h('li', {}, h('span', { class: 'swatch tone-planned', 'aria-hidden': 'true' }), 'runs to come'),
    h('li', {}, h('span', { class: 'mark mark-holiday', 'aria-hidden': 'true' }, 'H'), 'excluded day (holiday)'),
    h('li', {}, h('span', { class: 'mark mark-dst', 'aria-hidden': 'true' }, '⏱'), 'clocks change'));
  const element = h('div', { class: 'month' },
    h('div', { class: 'month-head' }, prev, title, next), status, table, legend, detail);

  function cells() {
    return [...table.querySelectorAll('[role="gridcell"]')];
  }

  function draw() {
    title.textContent = monthTitle(year, month);
    const weeks = monthWeeks(year, month);
    if (!weeks.flat().includes(focused)) focused = weeks.flat().find(Boolean);
    const head = h('thead', {}, h('tr', { role: 'row' }, WEEKDAYS.map(([short, long]) =>
      h('th', { role: 'columnheader', scope: 'col', abbr: long }, short))));
    const body = h('tbody', {}, weeks.map((week) => h('tr', { role: 'row' }, week.map((iso) => {
      if (!iso) return h('td', { role: 'gridcell', class: 'day-empty', 'aria-disabled': 'true', tabindex: '-1' });
      const day = days[iso];
      const tone = dayTone(day);
      const { planned } = dayTotals(day);
      const holiday = (day?.excluded || []).length > 0;
      const dst = (day?.dst || []).length > 0;
      return h('td', {
        role: 'gridcell',
        class: `day tone-${tone}${iso === today ? ' day-today' : ''}`,
        tabindex: iso === focused ? '0' : '-1',
        'data-date': iso,
        'aria-selected': detail.dataset.date === iso ? 'true' : 'false',
        'aria-current': iso === today ? 'date' : false,
      },
      // The day's name in words for screen readers; what is drawn is hidden from them.
      h('span', { class: 'sr-only' }, dayLabel(iso, day)),
      h('span', { class: 'day-number', 'aria-hidden': 'true' }, String(Number(iso.slice(8)))),
      h('span', { class: 'day-marks', 'aria-hidden': 'true' },
        holiday ? h('span', { class: 'mark mark-holiday', title: day.excluded.map((m) => m.reasons.join(', ')).join('; ') }, 'H') : null,
        dst ? h('span', { class: 'mark mark-dst', title: 'Clocks change' }, '⏱') : null),
      h('span', { class: 'day-summary', 'aria-hidden': 'true' },
        TONE_WORDS[tone] && tone !== 'planned' ? TONE_WORDS[tone] : null,
        planned ? `${planned} to come` : null));
    }))));
    table.replaceChildren(head, body);
  }

  function openDay(iso) {
    const day = days[iso];
    detail.hidden = false;
    detail.dataset.date = iso;
    cells().forEach((cell) => cell.setAttribute('aria-selected', cell.dataset.date === iso ? 'true' : 'false'));
    const heading = h('h3', { id: `${idPrefix}-day-title` }, dayLabel(iso, day).split(':')[0]);
    const marks = [
      ...(day?.excluded || []).map((m) => h('li', {}, `Excluded by ${m.calendar}: ${m.reasons.join(', ')}`)),
      ...(day?.dst || []).map((m) => h('li', {}, `Clocks change in ${m.timezone}: UTC${m.offset_before} → UTC${m.offset_after}`)),
    ];
    const jobs = (day?.jobs || []).map((job) => {
      const zone = zoneOf(job.job_id);
      const counts = Object.entries(job.counts || {}).map(([status, n]) => `${n} ${status}`).join(', ');
      return h('li', { class: 'day-job' },
        jobId ? null : h('a', { href: `/jobs/${job.job_id}` }, job.name),
        counts ? h('p', {}, `Ran: ${counts}.`) : null,
        job.planned.length ? h('p', {}, 'Runs at ', job.planned.map((iso2, i) => [i ? ', ' : '',
          h('time', { datetime: iso2 }, formatTime(iso2, zone || undefined, { zone: true }))]), '.') : null,
        job.skipped.length ? h('ul', { class: 'skips' }, job.skipped.map((skip) => h('li', {},
          h('time', { datetime: skip.at }, formatTime(skip.at, zone || undefined, { zone: true })),
          ` skipped: ${skip.reason}`))) : null);
    });
    detail.replaceChildren(heading,
      marks.length ? h('ul', { class: 'day-marks-list' }, marks) : null,
      jobs.length ? h('ul', { class: 'day-jobs' }, jobs) : h('p', { class: 'muted' }, 'No runs this day.'));
  }

  async function load() {
    const mine = ++seq;
    const [from, to] = monthRange(year, month);
    status.textContent = 'Loading…';
    draw();
    try {
      const query = { from, to };
      if (jobId) query.job_id = jobId;
      const result = await get('/calendar', query);
      if (mine !== seq) return;
      days = Object.fromEntries(result.days.map((day) => [day.date, day]));
      status.textContent = result.truncated ? 'Some runs are left out: this month holds too many to list.' : '';
    } catch (err) {
      if (mine !== seq) return;
      days = {};
      status.textContent = `Could not load the calendar: ${err.message}`;
    }
    const hadFocus = table.contains(document.activeElement);
    draw();
    if (hadFocus) table.querySelector('[tabindex="0"]')?.focus();
    if (detail.dataset.date && days[detail.dataset.date] !== undefined) openDay(detail.dataset.date);
  }

  function go(delta) {
    [year, month] = shiftMonth(year, month, delta);
    focused = null;
    detail.hidden = true;
    delete detail.dataset.date;
    load();
  }

  prev.addEventListener('click', () => go(-1));
  next.addEventListener('click', () => go(1));
  table.addEventListener('click', (event) => {
    const cell = event.target.closest('td[data-date]');
    if (!cell) return;
    focused = cell.dataset.date;
    cells().forEach((c) => c.setAttribute('tabindex', c === cell ? '0' : '-1'));
    cell.focus();
    openDay(cell.dataset.date);
  });
  table.addEventListener('keydown', (event) => {
    const all = cells();
    const index = all.indexOf(document.activeElement);
    if (index < 0) return;
    if (event.key === 'Enter' || event.key === ' ') {
      const { date } = all[index].dataset;
      if (date) { event.preventDefault(); openDay(date); }
      return;
    }
    let target = moveIndex(index, event.key, all.length);
    if (target === null) return;
    event.preventDefault();
    // Skip the blank cells before the 1st and after the last day.
    const step = target >= index ? 1 : -1;
    while (all[target] && !all[target].dataset.date && target + step >= 0 && target + step < all.length) target += step;
    if (!all[target]?.dataset.date) return;
    all[index].setAttribute('tabindex', '-1');
    all[target].setAttribute('tabindex', '0');
    focused = all[target].dataset.date;
    all[target].focus();
  });

  load();
  return { element, reload: load };
}

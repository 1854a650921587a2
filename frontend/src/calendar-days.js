// Pure helpers for time rules and the month grid: no DOM, tested with Vitest.

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
  'November', 'December'];
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** 'YYYY-MM-DD' of a calendar date given as year, month (1–12), day. */
export function isoDate(year, month, day) {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** [year, month] of the month before (-1) or after (+1). */
export function shiftMonth(year, month, delta) {
  const index = year * 12 + (month - 1) + delta;
  return [Math.floor(index / 12), (index % 12) + 1];
}

/** The first and last ISO dates of a month. */
export function monthRange(year, month) {
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return [isoDate(year, month, 1), isoDate(year, month, last)];
}

/** "December 2026". */
export function monthTitle(year, month) {
  return `${MONTHS[month - 1]} ${year}`;
}

/** The month as weeks of seven cells, Monday first: each an ISO date, or null outside the month. */
export function monthWeeks(year, month) {
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const lead = (new Date(Date.UTC(year, month - 1, 1)).getUTCDay() + 6) % 7;
  const cells = [...Array(lead).fill(null)];
  for (let day = 1; day <= days; day += 1) cells.push(isoDate(year, month, day));
  while (cells.length % 7) cells.push(null);
  const weeks = [];
  for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
  return weeks;
}

/** Totals of a day of the calendar view: executions by status, planned and skipped runs. */
export function dayTotals(day) {
  const totals = { counts: {}, planned: 0, skipped: 0, jobs: 0 };
  for (const job of day?.jobs || []) {
    totals.jobs += 1;
    for (const [status, n] of Object.entries(job.counts || {})) totals.counts[status] = (totals.counts[status] || 0) + n;
    totals.planned += (job.planned || []).length;
    // Skips on record are counted under counts.skipped; these are the ones still to come.
    totals.skipped += (job.skipped || []).length - (job.counts?.skipped || 0);
  }
  return totals;
}

/**
 * How a day reads at a glance: 'failed' (red: a run failed), 'ok' (green: runs succeeded),
 * 'planned' (runs to come), 'skipped' (grey: only skipped runs) or 'none'.
 */
export function dayTone(day) {
  const { counts, planned } = dayTotals(day);
  if (counts.failed) return 'failed';
  if (counts.succeeded) return 'ok';
  if (planned || counts.pending || counts.running || counts.retrying) return 'planned';
  if ((day?.jobs || []).some((job) => (job.skipped || []).length) || counts.skipped || counts.cancelled) return 'skipped';
  return 'none';
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** What a day holds, in words, for its cell's accessible name: "Friday 25 December 2026: 2 succeeded, …". */
export function dayLabel(iso, day) {
  const [year, month, date] = iso.split('-').map(Number);
  const weekday = WEEKDAYS[(new Date(Date.UTC(year, month - 1, date)).getUTCDay() + 6) % 7];
  const parts = [];
  const { counts, planned } = dayTotals(day);
  for (const status of ['succeeded', 'failed', 'running', 'retrying', 'pending', 'cancelled']) {
    if (counts[status]) parts.push(`${counts[status]} ${status}`);
  }
  const skipped = (day?.jobs || []).reduce((n, job) => n + (job.skipped || []).length, 0);
  if (skipped) parts.push(`${skipped} skipped`);
  if (planned) parts.push(plural(planned, 'planned run'));
  for (const mark of day?.excluded || []) parts.push(`${mark.reasons.join(', ')} (${mark.calendar})`);
  for (const mark of day?.dst || []) parts.push(`clocks change in ${mark.timezone}`);
  const text = `${weekday} ${date} ${MONTHS[month - 1]} ${year}`;
  return parts.length ? `${text}: ${parts.join('; ')}` : `${text}: nothing`;
}

/** The cell a key moves focus to in a grid of `total` cells, seven a row; null for other keys. */
export function moveIndex(index, key, total) {
  const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };
  let next;
  if (key in moves) next = index + moves[key];
  else if (key === 'Home') next = index - (index % 7);
  else if (key === 'End') next = index - (index % 7) + 6;
  else return null;
  return Math.min(Math.max(next, 0), total - 1);
}

/**
 * The marker shown next to a run in the editor's preview, in words (null for a plain run):
 * "skipped: calendar: Germany (Christmas Day)", "clocks go back that night: runs once, at the first 01:30".
 */
export function runMarker(run) {
  if (!run) return null;
  if (run.skipped && run.skipped.startsWith('calendar: ')) {
    const why = (run.note || '').replace(/ \([^)]*\): skipped$/, '');
    return why && why !== run.note ? `skipped: ${run.skipped} (${why})` : `skipped: ${run.skipped}`;
  }
  if (run.skipped) return run.note ? `skipped: ${run.note.replace(/: skipped$/, '')}` : `skipped: ${run.skipped}`;
  return run.note || null;
}

/** A calendar's definition in words: "Public holidays DE-BY · weekends · 2 custom dates". */
export function describeCalendar(calendar) {
  const parts = [];
  if (calendar.country) {
    parts.push(`Public holidays ${calendar.country}${calendar.subdivision ? `-${calendar.subdivision}` : ''}`);
  }
  if (calendar.weekends) parts.push('weekends');
  const dates = (calendar.dates || []).length;
  if (dates) parts.push(plural(dates, 'custom date'));
  return parts.length ? parts.join(' · ') : 'No days excluded yet';
}

/** "2026-12-24, 2026-12-31\n2027-01-01" → the ISO dates, in order, without repeats. */
export function parseDates(text) {
  return [...new Set(String(text || '').split(/[\s,;]+/).map((part) => part.trim()).filter(Boolean))];
}

// A job's schedule and next run, in words, for lists and detail pages.
import { describeCron } from './cron-builder.js';
import { h } from './dom.js';
import { describeInterval, formatInZone, formatRelative } from './time.js';

/** "At 09:00, only on Monday" / "Every 5 minutes" / "Once, Mon 7 Dec 2026, 09:00 CET". */
export function describeSchedule(job) {
  if (job.schedule_type === 'cron') {
    const { text } = describeCron(job.cron_expression || '');
    return text || job.cron_expression || '—';
  }
  if (job.schedule_type === 'interval') return describeInterval(job.interval_seconds);
  if (job.schedule_type === 'once') return `Once, ${formatInZone(job.run_at, job.timezone)}`;
  return '—';
}

/** A <time> with the instant in the job's zone and how far away it is. */
export function timeCell(iso, timeZone, { empty = '—' } = {}) {
  if (!iso) return h('span', { class: 'muted' }, empty);
  return h('span', { class: 'time-cell' },
    h('time', { datetime: iso, title: new Date(iso).toISOString() }, formatInZone(iso, timeZone)),
    h('span', { class: 'relative', 'data-relative': iso }, formatRelative(iso)));
}

/** Keep every "in 4 min" on the page current. Returns a stop function. */
export function tickRelativeTimes(root) {
  const timer = setInterval(() => {
    root.querySelectorAll('[data-relative]').forEach((el) => {
      el.textContent = formatRelative(el.dataset.relative);
    });
  }, 15000);
  return () => clearInterval(timer);
}

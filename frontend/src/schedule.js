// A job's schedule and its times, in words, for lists and detail pages (all through time.js).
import { describeCron } from './cron-builder.js';
import { h } from './dom.js';
import { lateAfterSeconds } from './status.js';
import { describeInterval, formatDateTime, formatRelative, isLate, localTimeNote } from './time.js';

/** "At 09:00, only on Monday" / "Every 5 minutes" / "Once, Mon, 7 Dec 2026, 09:00 CET". */
export function describeSchedule(job) {
  if (job.schedule_type === 'cron') {
    const { text } = describeCron(job.cron_expression || '');
    return text || job.cron_expression || '—';
  }
  if (job.schedule_type === 'interval') return describeInterval(job.interval_seconds);
  if (job.schedule_type === 'once') return `Once, ${formatDateTime(job.run_at, job.timezone)}`;
  if (job.schedule_type === 'after') {
    const count = job.run_after?.jobs?.length || 0;
    const on = { success: 'succeeded', failure: 'failed', completion: 'finished' }[job.run_after?.on] || 'finished';
    return count === 1 ? `After another job ${on}` : `After ${count} other jobs ${on}`;
  }
  return '—';
}

/** The word "late", for a run past its time that nothing has started. */
export function lateBadge() {
  return h('span', { class: 'badge badge-late' }, 'late');
}

/**
 * A <time> with the instant in the job's zone, the viewer's own time when it differs, how far away
 * it is, and "late" when `pending` says it should have started by now.
 */
export function timeCell(iso, timeZone, { empty = '—', pending = false, seconds = false } = {}) {
  if (!iso) return h('span', { class: 'muted' }, empty);
  const note = localTimeNote(iso, timeZone);
  const late = pending && isLate(iso, lateAfterSeconds());
  return h('span', { class: 'time-cell' },
    h('time', { datetime: iso, title: new Date(iso).toISOString() }, formatDateTime(iso, timeZone, { seconds })),
    note ? h('span', { class: 'local-time' }, `· ${note}`) : null,
    h('span', { class: 'relative', 'data-relative': iso }, formatRelative(iso)),
    late ? lateBadge() : null);
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

/** An execution's reason in words: why it was skipped or cancelled, or what it waits (or waited) for. */
export function reasonText(reason) {
  if (!reason) return '';
  if (reason === 'backfill') return 'its turn in a backfill (max concurrency)';
  if (reason === 'backfill_cancelled') return 'the backfill was cancelled';
  if (reason.startsWith('concurrency_key:')) return `concurrency key “${reason.slice('concurrency_key:'.length)}”`;
  return reason.replace(/_/g, ' ');
}

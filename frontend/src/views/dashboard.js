// Dashboard: jobs by status, the last 24 hours of runs, what runs next and what failed.
import { get } from '../api.js';
import { runsByHourChart } from '../charts.js';
import { badge, h } from '../dom.js';
import { tickRelativeTimes, timeCell } from '../schedule.js';
import { firstJobChoices } from '../templates.js';
import { retentionNote } from '../retention.js';
import { newJobButton } from '../job-actions.js';
import { deniedHere } from '../workspace.js';
import { formatDateTime, formatDuration, formatRelative } from '../time.js';

function stat(label, value, hint) {
  return h('div', { class: 'stat card' },
    h('p', { class: 'stat-label' }, label),
    h('p', { class: 'stat-value' }, value),
    hint ? h('p', { class: 'stat-hint' }, hint) : null);
}

function total(counts) {
  if (typeof counts === 'number') return counts;
  return Object.values(counts || {}).reduce((sum, n) => sum + (Number(n) || 0), 0);
}

/** The success rate as a percentage; the API gives a fraction (0..1) or null when nothing ran. */
export function percent(rate) {
  if (rate === null || rate === undefined) return '—';
  const value = rate <= 1 ? rate * 100 : rate;
  return `${value.toFixed(value >= 99.95 || value === 0 ? 0 : 1)}%`;
}

/** The chart's key, written once (the chart's own legend would show "Time: --" until hovered). */
function chartLegend() {
  return h('ul', { class: 'chart-legend' },
    h('li', {}, h('span', { class: 'swatch swatch-succeeded', 'aria-hidden': 'true' }), 'Succeeded'),
    h('li', {}, h('span', { class: 'swatch swatch-failed', 'aria-hidden': 'true' }), 'Failed'));
}

export async function render(view) {
  view.append(h('div', { class: 'page-head' },
    h('h1', {}, 'Dashboard'),
    newJobButton()));
  const body = h('div', { class: 'stack', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  view.append(body);
  let stats;
  try {
    stats = await get('/dashboard/stats');
  } catch (err) {
    body.replaceChildren(h('p', { class: 'form-alert', role: 'alert' }, err.message));
    body.removeAttribute('aria-busy');
    return undefined;
  }
  const byStatus = stats.jobs_by_status || {};
  // A first visit: no jobs yet, so no numbers worth showing; offer a first job instead.
  if (!total(byStatus)) {
    body.replaceChildren(
      h('p', { class: 'lead' }, 'Welcome to Chronos. Nothing is scheduled yet.'),
      firstJobChoices());
    body.removeAttribute('aria-busy');
    return undefined;
  }
  const runs = stats.executions_24h || {};
  const runsTotal = total(runs);
  const failedRuns = typeof runs === 'object' ? (runs.failed || 0) : null;

  const chartBox = h('div', { class: 'chart', role: 'img',
    'aria-label': `Runs per hour over the last 24 hours: ${runsTotal} in total${failedRuns !== null ? `, ${failedRuns} failed` : ''}.` });

  const hourly = stats.runs_by_hour_24h || [];
  const hasRuns = hourly.some((row) => (row.succeeded || 0) + (row.failed || 0) > 0);
  const upcoming = stats.upcoming || [];
  const failures = stats.recent_failures || [];

  body.replaceChildren(
    h('div', { class: 'stats' },
      stat('Active jobs', String(byStatus.active || 0),
        `${byStatus.paused || 0} paused · ${byStatus.completed || 0} completed`),
      stat('Runs, last 24 h', String(runsTotal), failedRuns !== null ? `${failedRuns} failed` : null),
      stat('Success rate, 24 h', percent(stats.success_rate_24h)),
      stat('Duration, 24 h', formatDuration(stats.duration_ms_mean_24h),
        `p95 ${formatDuration(stats.duration_ms_p95_24h)}`)),
    h('section', { class: 'card', 'aria-labelledby': 'runs-title' },
      h('h2', { id: 'runs-title' }, 'Runs per hour'),
      hasRuns ? [chartBox, chartLegend()] : h('p', { class: 'muted' }, 'No runs in the last 24 hours.')),
    h('div', { class: 'grid-2' },
      h('section', { class: 'card', 'aria-labelledby': 'upcoming-title' },
        h('h2', { id: 'upcoming-title' }, 'Next runs'),
        upcoming.length ? h('ul', { class: 'list' }, upcoming.map((item) => h('li', {},
          h('a', { href: `/jobs/${item.job_id ?? item.id}` }, item.name || item.job_name || `Job ${item.job_id ?? item.id}`),
          timeCell(item.next_run_at, item.timezone, { pending: true }))))
          : h('p', { class: 'muted' }, 'Nothing scheduled.', deniedHere('job.create') ? null : [' ', h('a', { href: '/jobs/new' }, 'Create a job'), '.'])),
      h('section', { class: 'card', 'aria-labelledby': 'failures-title' },
        h('h2', { id: 'failures-title' }, 'Recent failures'),
        failures.length ? h('ul', { class: 'list' }, failures.map((item) => h('li', {},
          h('div', {},
            h('a', { href: `/executions/${item.execution_id ?? item.id}` },
              item.job_name || item.name || `Execution ${item.execution_id ?? item.id}`),
            item.error ? h('p', { class: 'muted small clamp' }, item.error) : null),
          h('span', { class: 'time-cell' }, badge(item.status || 'failed'),
            h('time', { class: 'relative', datetime: item.finished_at || '',
              title: formatDateTime(item.finished_at) }, formatRelative(item.finished_at))))))
          : h('p', { class: 'muted' }, 'No recent failures.'))),
    stats.retention ? h('p', { class: 'muted small', id: 'retention-note' }, retentionNote(stats.retention)) : null);
  body.removeAttribute('aria-busy');

  const stops = [tickRelativeTimes(view)];
  if (hasRuns) stops.push(runsByHourChart(chartBox, hourly));
  return () => stops.forEach((stop) => stop());
}

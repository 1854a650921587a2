// Scheduler health: is anything running, is it behind, and why, in words. Refreshes every 10 s.
import { badge, h } from '../dom.js';
import { lateBadge } from '../schedule.js';
import { refreshStatus } from '../status.js';
import { browserZone, formatDateTime, formatRelative } from '../time.js';

const POLL_MS = 10_000;
const WORDS = {
  ok: 'Everything is running on time.',
  degraded: 'The scheduler is running, but something is behind.',
  down: 'The scheduler is not running jobs.',
};

function seconds(value) {
  if (value === null || value === undefined) return '—';
  if (value < 1) return `${Math.round(value * 1000)} ms`;
  if (value < 120) return `${value.toFixed(value < 10 ? 1 : 0)} s`;
  return `${Math.round(value / 60)} min`;
}

function facts(rows) {
  return h('dl', { class: 'settings' }, rows.filter(Boolean).map(([term, value]) =>
    h('div', {}, h('dt', {}, term), h('dd', {}, value))));
}

function latenessText(lateness) {
  if (!lateness.runs) return 'No runs started in the last hour.';
  return `Half started within ${seconds(lateness.p50_seconds)} of their time, 99 in 100 within `
    + `${seconds(lateness.p99_seconds)} (${lateness.runs} run${lateness.runs === 1 ? '' : 's'} in the last hour).`;
}

function overdueList(items) {
  if (!items.length) return h('p', { class: 'muted' }, 'None: every run due so far has started.');
  return h('ul', { class: 'list' }, items.map((item) => h('li', {},
    h('span', {},
      item.execution_id
        ? h('a', { href: `/executions/${item.execution_id}` }, `${item.job_name} · run #${item.execution_id}`)
        : h('a', { href: `/jobs/${item.job_id}` }, `${item.job_name} · next run not planned`)),
    h('span', { class: 'time-cell' },
      h('time', { datetime: item.due_at }, formatDateTime(item.due_at, item.timezone)),
      h('span', { class: 'relative' }, `due ${formatRelative(item.due_at)}`), lateBadge()))));
}

function workersList(workers) {
  if (!workers.length) return h('p', { class: 'muted' }, 'No worker has been seen in the last day.');
  return h('ul', { class: 'list' }, workers.map((worker) => h('li', {},
    h('code', {}, worker.name),
    h('span', { class: 'time-cell' }, badge(worker.alive ? 'alive' : 'silent'),
      h('span', { class: 'relative' }, `last heart-beat ${formatRelative(worker.last_seen)}`)))));
}

function syncText(sync) {
  if (!sync) return 'No safety sync has run yet.';
  const counts = Object.entries(sync.details || {}).filter(([, n]) => n)
    .map(([name, n]) => `${n} ${name.replace(/_/g, ' ')}`);
  return `${formatRelative(sync.finished_at)} on ${sync.worker}: `
    + (counts.length ? `${counts.join(', ')}.` : 'nothing needed putting right.');
}

function renderStatus(status) {
  const jobs = status.jobs;
  const system = status.system;
  const sections = [
    h('section', { class: `card health-summary health-${status.status}`, 'aria-labelledby': 'health-now' },
      h('h2', { id: 'health-now' }, h('span', {}, 'Now: '), badge(status.status)),
      h('p', { class: 'lead-strong' }, WORDS[status.status] || status.status),
      status.reasons.length ? h('ul', { class: 'reasons' }, status.reasons.map((reason) => h('li', {}, reason))) : null,
      h('p', { class: 'muted small' }, `Checked ${formatDateTime(status.checked_at, browserZone(), { seconds: true })}. `
        + `A run is late when it has not started ${status.late_after_seconds} s after its time.`)),
    h('section', { class: 'card', 'aria-labelledby': 'health-mine' },
      h('h2', { id: 'health-mine' }, 'Your jobs'),
      facts([
        ['Overdue runs', String(jobs.overdue_count)],
        ['Running past their timeout', String(jobs.running_over_timeout)],
        ['Lateness, last hour', latenessText(jobs.lateness)],
      ]),
      h('h3', {}, 'Overdue'),
      overdueList(jobs.overdue)),
  ];
  if (system) {
    sections.push(
      h('section', { class: 'card', 'aria-labelledby': 'health-workers' },
        h('h2', { id: 'health-workers' }, 'Workers'),
        h('p', {}, system.workers_alive
          ? `${system.workers_alive} worker${system.workers_alive === 1 ? '' : 's'} alive (a heart-beat in the last minute).`
          : 'No worker is alive.'),
        workersList(system.workers)),
      h('section', { class: 'card', 'aria-labelledby': 'health-scheduler' },
        h('h2', { id: 'health-scheduler' }, 'The scheduler'),
        facts([
          ['Database', system.database === 'ok' ? 'Reachable' : system.database],
          ['Queue (Redis or SQLite)', system.queue === 'ok' ? 'Reachable' : system.queue],
          ['Waiting in the queue', system.queue_depth.ready === null ? 'Unknown'
            : `${system.queue_depth.ready} ready, ${system.queue_depth.scheduled} waiting for their time`],
          ['Overdue runs, all users', String(system.overdue_count)],
          ['Running past their timeout, all users', String(system.running_over_timeout)],
          ['Lateness, all users', latenessText(system.lateness)],
          ['Last safety sync', syncText(system.last_sync)],
        ])));
  }
  return sections;
}

export async function render(view) {
  const live = h('p', { class: 'muted small', id: 'health-live' });
  const body = h('div', { class: 'stack', 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  view.append(h('div', { class: 'page-head' }, h('h1', {}, 'Scheduler health'), live), body);
  let timer = null;
  let stopped = false;

  async function load() {
    clearTimeout(timer);
    const status = await refreshStatus();
    if (stopped) return;
    if (!status) {
      body.replaceChildren(h('p', { class: 'form-alert', role: 'alert' }, 'Could not read the scheduler status.'));
    } else {
      body.replaceChildren(...renderStatus(status));
      live.textContent = 'Refreshes every 10 s.';
    }
    body.removeAttribute('aria-busy');
    if (!document.hidden) timer = setTimeout(load, POLL_MS);
  }
  const onVisibility = () => { if (!document.hidden) load(); else clearTimeout(timer); };
  document.addEventListener('visibilitychange', onVisibility);
  await load();
  return () => { stopped = true; clearTimeout(timer); document.removeEventListener('visibilitychange', onVisibility); };
}


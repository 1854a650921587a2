// Job detail: settings, a live execution history (polled every 2 s while the tab is visible),
// and a chart of recent durations.
import { get } from '../api.js';
import { durationChart } from '../charts.js';
import { announce, badge, h } from '../dom.js';
import { jobActions } from '../job-actions.js';
import { navigate } from '../router.js';
import { describeSchedule, tickRelativeTimes, timeCell } from '../schedule.js';
import { formatDuration, formatInZone } from '../time.js';

const POLL_MS = 2000;
const HISTORY_LIMIT = 20;
const FINISHED = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

// The signing secret of a job just created: shown once, kept only in memory, never in the URL.
let pendingSecret = null;

/** Keep a new job's signing secret for its detail page to show once. */
export function rememberSecret(jobId, secret) {
  pendingSecret = secret ? { jobId: String(jobId), secret } : null;
}

function takeSecret(jobId) {
  if (pendingSecret && pendingSecret.jobId === String(jobId)) {
    const { secret } = pendingSecret;
    pendingSecret = null;
    return secret;
  }
  return null;
}

function secretCallout(secret) {
  const code = h('code', { class: 'secret', id: 'signing-secret' }, secret);
  const copy = h('button', { type: 'button', class: 'btn btn-sm' }, 'Copy');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(secret);
      announce('Signing secret copied.');
    } catch {
      const range = document.createRange();
      range.selectNodeContents(code);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }
  });
  return h('section', { class: 'callout', role: 'region', 'aria-labelledby': 'secret-title' },
    h('h2', { id: 'secret-title' }, 'Signing secret — shown only once'),
    h('p', {}, 'Chronos signs each HTTP call with this key (header X-Chronos-Signature, HMAC-SHA256). ',
      'Copy it now to verify calls in your receiver; it will not be shown again.'),
    h('div', { class: 'secret-row' }, code, copy));
}

function settingsList(job) {
  const rows = [
    ['Schedule', describeSchedule(job)],
    job.schedule_type === 'cron' ? ['Cron expression', h('code', {}, job.cron_expression)] : null,
    ['Time zone', job.timezone],
    ['Next run', timeCell(job.status === 'active' ? job.next_run_at : null, job.timezone,
      { empty: job.status === 'paused' ? 'Paused' : '—' })],
    ['Last run', job.last_run_at ? h('span', {}, timeCell(job.last_run_at, job.timezone), ' ',
      job.last_status ? badge(job.last_status) : null) : 'Never'],
    job.handler === 'http' && job.target
      ? ['Calls', h('code', { class: 'break' }, `${job.target.method || 'POST'} ${job.target.url}`)]
      : ['Action', job.handler === 'log' ? 'Log the payload' : job.handler],
    ['Timeout', `${job.timeout_seconds} s`],
    ['Retries', job.max_retries ? `${job.max_retries}, after ${(job.retry_backoff_seconds || []).join(', ')} s` : 'None'],
    ['Overlap', job.overlap_policy],
    ['Missed runs', job.misfire_policy === 'skip' ? 'Skip' : 'Run once'],
    ['On failure', job.notify_on_failure && (job.notify_emails || []).length
      ? `E-mail ${job.notify_emails.join(', ')}` : 'No e-mail'],
  ].filter(Boolean);
  return h('dl', { class: 'settings' }, rows.map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))));
}

function executionRow(execution, timeZone) {
  return h('tr', { 'data-id': String(execution.id) },
    h('td', { 'data-label': 'Run' }, h('a', { href: `/executions/${execution.id}`, 'data-key': `x${execution.id}` },
      `#${execution.id}`)),
    h('td', { 'data-label': 'Status' }, badge(execution.status)),
    h('td', { 'data-label': 'Trigger' }, execution.trigger.replace('_', ' ')),
    h('td', { 'data-label': 'Scheduled for' }, formatInZone(execution.scheduled_for, timeZone, { seconds: true })),
    h('td', { 'data-label': 'Started' }, execution.started_at
      ? formatInZone(execution.started_at, timeZone, { seconds: true }) : '—'),
    h('td', { 'data-label': 'Duration' }, formatDuration(execution.duration_ms)),
    h('td', { 'data-label': 'Attempts' }, String(execution.attempt ?? 0)));
}

export async function render(view, params, query) {
  let job;
  try {
    job = await get(`/jobs/${params.id}`);
  } catch (err) {
    view.append(h('h1', {}, 'Job'), h('p', { class: 'form-alert', role: 'alert' },
      err.status === 404 ? 'This job does not exist (or is not yours).' : err.message));
    return undefined;
  }
  if (query.created) announce(`Created “${job.name}”.`, 'success');
  if (query.saved) announce('Changes saved.', 'success');
  const secret = takeSecret(job.id);

  const heading = h('h1', {});
  const statusSlot = h('span', {});
  const actionSlot = h('div', {});
  const settingsSlot = h('div', {});
  const tbody = h('tbody');
  const liveNote = h('p', { class: 'muted small', id: 'history-note' });
  const emptyNote = h('p', { class: 'muted' }, 'No runs yet. They appear here as they happen.');
  const table = h('table', { class: 'table responsive', 'aria-describedby': 'history-note' },
    h('caption', { class: 'sr-only' }, 'Execution history, newest first'),
    h('thead', {}, h('tr', {}, ['Run', 'Status', 'Trigger', 'Scheduled for', 'Started', 'Duration', 'Attempts']
      .map((t) => h('th', { scope: 'col' }, t)))),
    tbody);
  const newer = h('button', { type: 'button', class: 'btn btn-sm' }, '← Newer runs');
  const older = h('button', { type: 'button', class: 'btn btn-sm' }, 'Older runs →');
  const pager = h('nav', { class: 'pager', 'aria-label': 'Execution history pages', hidden: true }, newer, older);
  let historyPage = 1;
  newer.addEventListener('click', () => { historyPage = Math.max(1, historyPage - 1); poll(); });
  older.addEventListener('click', () => { historyPage += 1; poll(); });
  const chartBox = h('div', { class: 'chart', role: 'img', 'aria-label': 'Durations of recent runs' });
  const chartSection = h('section', { class: 'card', 'aria-labelledby': 'chart-title', hidden: true },
    h('h2', { id: 'chart-title' }, 'Duration of recent runs'), chartBox);

  // (Element.append would print a null as the text "null".)
  view.append(...[
    h('p', { class: 'crumbs' }, h('a', { href: '/jobs' }, '← Jobs')),
    h('div', { class: 'page-head' }, h('div', { class: 'title-row' }, heading, statusSlot),
      h('div', { class: 'head-actions' }, h('a', { class: 'btn btn-sm', href: `/jobs/${job.id}/edit` }, 'Edit'), actionSlot)),
    secret ? secretCallout(secret) : null,
    job.description ? h('p', { class: 'lead' }, job.description) : null,
    h('section', { class: 'card', 'aria-labelledby': 'settings-title' }, h('h2', { id: 'settings-title' }, 'Settings'), settingsSlot),
    h('section', { class: 'card', 'aria-labelledby': 'history-title' },
      h('div', { class: 'section-head' }, h('h2', { id: 'history-title' }, 'Execution history'), liveNote),
      h('div', { class: 'table-wrap' }, table), emptyNote, pager),
    chartSection].filter(Boolean));

  function showJob() {
    heading.textContent = job.name;
    statusSlot.replaceChildren(badge(job.status));
    actionSlot.replaceChildren(jobActions(job, { onDone: (action, result) => {
      if (action === 'delete') { navigate('/jobs'); return; }
      if (action === 'execute') { poll(); return; }
      if (result && result.id) job = result;
      showJob();
      poll();
    } }));
    settingsSlot.replaceChildren(settingsList(job));
  }
  showJob();

  let lastRows = '';
  let lastChart = '';
  let destroyChart = null;
  const seen = new Map();
  let timer = null;
  let stopped = false;

  function showExecutions(items) {
    const rows = JSON.stringify(items.map((e) => [e.id, e.status, e.started_at, e.duration_ms, e.attempt]));
    if (rows !== lastRows) {
      lastRows = rows;
      // Keep keyboard focus on the same link when the rows are rebuilt.
      const focusedKey = tbody.contains(document.activeElement) ? document.activeElement.dataset.key : null;
      tbody.replaceChildren(...items.map((e) => executionRow(e, job.timezone)));
      if (focusedKey) tbody.querySelector(`[data-key="${focusedKey}"]`)?.focus();
    }
    table.hidden = !items.length;
    emptyNote.hidden = Boolean(items.length);
    for (const e of items) {
      const before = seen.get(e.id);
      if (before && before !== e.status && FINISHED.has(e.status)) {
        announce(`Run #${e.id} ${e.status}.`, e.status === 'failed' ? 'error' : 'success');
      }
      seen.set(e.id, e.status);
    }
    const points = items.filter((e) => e.duration_ms != null)
      .map((e) => ({ at: e.started_at || e.scheduled_for, duration_ms: e.duration_ms }))
      .sort((a, b) => new Date(a.at) - new Date(b.at));
    const chartKey = JSON.stringify(points);
    if (chartKey !== lastChart) {
      lastChart = chartKey;
      if (destroyChart) { destroyChart(); destroyChart = null; }
      chartSection.hidden = points.length < 2;
      if (points.length >= 2) destroyChart = durationChart(chartBox, points);
    }
  }

  let pollSeq = 0;
  // One polling loop: a poll started by a click supersedes one in flight (its result is dropped).
  async function poll() {
    clearTimeout(timer);
    if (stopped) return;
    const seq = ++pollSeq;
    try {
      const [fresh, page] = await Promise.all([
        get(`/jobs/${job.id}`),
        get(`/jobs/${job.id}/executions`, { page: historyPage, limit: HISTORY_LIMIT }),
      ]);
      if (stopped || seq !== pollSeq) return;
      const statusChanged = fresh.status !== job.status || fresh.next_run_at !== job.next_run_at
        || fresh.last_status !== job.last_status;
      job = fresh;
      if (statusChanged) showJob();
      showExecutions(page.items || []);
      const total = page.total ?? 0;
      pager.hidden = total <= HISTORY_LIMIT;
      newer.disabled = historyPage <= 1;
      older.disabled = historyPage * HISTORY_LIMIT >= total;
      liveNote.textContent = `Live: updated ${new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' })}.`;
    } catch (err) {
      if (stopped || seq !== pollSeq) return;
      if (err.status === 404) { navigate('/jobs', { replace: true }); return; }
      liveNote.textContent = `Could not refresh: ${err.message}`;
    }
    if (!document.hidden) timer = setTimeout(poll, POLL_MS);
  }

  // A hidden tab stops polling; coming back refreshes at once.
  const onVisibility = () => {
    if (document.hidden) { clearTimeout(timer); liveNote.textContent = 'Paused while this tab is hidden.'; }
    else poll();
  };
  document.addEventListener('visibilitychange', onVisibility);
  const stopTick = tickRelativeTimes(view);
  await poll();

  return () => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisibility);
    stopTick();
    if (destroyChart) destroyChart();
  };
}

// Execution detail: result, error, the HTTP response excerpt, and the logs attempt by attempt.
// Refreshes every 2 s until the execution has finished.
import { get, post } from '../api.js';
import { announce, badge, h } from '../dom.js';
import { navigate } from '../router.js';
import { reasonText } from '../schedule.js';
import { formatDateTime, formatDuration, formatTime, formatZone } from '../time.js';

const POLL_MS = 2000;
const FINISHED = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

function pretty(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, 2);
}

/** Links to other runs: "#12, #13". */
function runLinks(ids) {
  return h('ul', { class: 'inline-list' }, ids.map((id) => h('li', {}, h('a', { href: `/executions/${id}` }, `#${id}`))));
}

function details(execution) {
  const result = execution.result || {};
  const upstream = execution.upstream_execution_ids || [];
  const downstream = execution.downstream_execution_ids || [];
  const rows = [
    ['Job', h('a', { href: `/jobs/${execution.job_id}` }, execution.job_name || `Job ${execution.job_id}`)],
    execution.job_version ? ['Job version', h('a', { href: `/jobs/${execution.job_id}/versions/${execution.job_version}` },
      `Version ${execution.job_version}`)] : null,
    ['Trigger', execution.trigger.replace('_', ' ')],
    ['Time zone', formatZone(execution.job_timezone, execution.scheduled_for)],
    ['Scheduled for', formatDateTime(execution.scheduled_for, execution.job_timezone, { seconds: true })],
    ['Started', execution.started_at ? formatDateTime(execution.started_at, execution.job_timezone, { seconds: true }) : '—'],
    ['Finished', execution.finished_at ? formatDateTime(execution.finished_at, execution.job_timezone, { seconds: true }) : '—'],
    ['Duration', formatDuration(execution.duration_ms)],
    ['Attempts', String(execution.attempt ?? 0)],
    execution.next_attempt_at ? ['Next attempt', formatDateTime(execution.next_attempt_at, execution.job_timezone, { seconds: true })] : null,
    result.http_status ? ['HTTP status', String(result.http_status)] : null,
    result.url ? ['URL', h('code', { class: 'break' }, `${result.method || ''} ${result.url}`.trim())] : null,
    execution.reason ? [execution.status === 'waiting' ? 'Waiting for' : 'Reason', reasonText(execution.reason)] : null,
    execution.backfill_id ? ['Backfill', `#${execution.backfill_id}`] : null,
    upstream.length ? ['Caused by', runLinks(upstream)] : null,
    downstream.length ? ['Caused', runLinks(downstream)] : null,
    execution.rerun_of ? ['Runs again', runLinks([execution.rerun_of])] : null,
    execution.payload != null ? ['Payload of this run', h('pre', {}, pretty(execution.payload))] : null,
  ].filter(Boolean);
  return h('dl', { class: 'settings' }, rows.map(([t, v]) => h('div', {}, h('dt', {}, t), h('dd', {}, v))));
}

function logsByAttempt(lines, timeZone) {
  if (!lines.length) return [h('p', { class: 'muted' }, 'No log lines yet.')];
  const groups = new Map();
  for (const line of lines) {
    const key = line.attempt ?? 0;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(line);
  }
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([attempt, group]) => h('section', { class: 'attempt' },
    h('h3', {}, attempt ? `Attempt ${attempt}` : 'Before the first attempt'),
    h('ol', { class: 'log' }, group.map((line) => h('li', { class: `log-line log-${line.level}` },
      h('time', { datetime: line.timestamp, title: formatDateTime(line.timestamp, timeZone, { seconds: true }) },
        formatTime(line.timestamp, timeZone, { ms: true })),
      h('span', { class: `level level-${line.level}` }, line.level),
      h('span', { class: 'message' }, line.message),
      line.data && Object.keys(line.data).length
        ? h('details', {}, h('summary', {}, 'Data'), h('pre', {}, pretty(line.data))) : null)))));
}

export async function render(view, params) {
  const heading = h('h1', {}, `Execution #${params.id}`);
  const statusSlot = h('span', { 'aria-live': 'polite' });
  const rerun = h('button', { type: 'button', class: 'btn btn-sm' }, 'Re-run');
  rerun.addEventListener('click', async () => {
    rerun.disabled = true;
    try {
      const again = await post(`/executions/${params.id}/rerun`);
      navigate(`/executions/${again.id}`, { flash: [`Started run #${again.id}, a re-run of #${params.id}.`, 'success'] });
    } catch (err) {
      announce(err.message, 'error');
      rerun.disabled = false;
    }
  });
  const detailSlot = h('div', {});
  const outcomeSlot = h('div', { class: 'stack' });
  const logSlot = h('div', { class: 'stack' });
  view.append(
    h('p', { class: 'crumbs' }, h('a', { href: '/jobs', id: 'back-link' }, '← Jobs')),
    h('div', { class: 'page-head' }, h('div', { class: 'title-row' }, heading, statusSlot),
      h('div', { class: 'head-actions' }, rerun)),
    h('section', { class: 'card', 'aria-labelledby': 'exec-details' }, h('h2', { id: 'exec-details' }, 'Details'), detailSlot),
    outcomeSlot,
    h('section', { class: 'card', 'aria-labelledby': 'exec-logs' }, h('h2', { id: 'exec-logs' }, 'Logs'), logSlot));

  let timer = null;
  let stopped = false;
  let last = '';

  let seq = 0;
  async function load() {
    clearTimeout(timer);
    const mine = ++seq;
    let execution;
    let logs;
    try {
      [execution, logs] = await Promise.all([
        get(`/executions/${params.id}`),
        get(`/executions/${params.id}/logs`, { page: 1, limit: 100 }),
      ]);
    } catch (err) {
      if (stopped || mine !== seq) return;
      detailSlot.replaceChildren(h('p', { class: 'form-alert', role: 'alert' },
        err.status === 404 ? 'This execution does not exist (or is not in this workspace).' : err.message));
      return;
    }
    if (stopped || mine !== seq) return;
    const key = JSON.stringify([execution, logs.items]);
    if (key !== last) {
      last = key;
      view.querySelector('#back-link').setAttribute('href', `/jobs/${execution.job_id}`);
      view.querySelector('#back-link').textContent = `← ${execution.job_name || 'Job'}`;
      statusSlot.replaceChildren(badge(execution.status));
      detailSlot.replaceChildren(details(execution));
      const result = execution.result || {};
      const outcome = [];
      if (execution.error) {
        outcome.push(h('section', { class: 'card', 'aria-labelledby': 'exec-error' },
          h('h2', { id: 'exec-error' }, 'Error'), h('pre', { class: 'error-text' }, execution.error)));
      }
      if (result.http_status !== undefined) {
        const headers = Object.entries(result.headers || {});
        outcome.push(h('section', { class: 'card stack', 'aria-labelledby': 'exec-response' },
          h('h2', { id: 'exec-response' }, 'Response excerpt'),
          result.body_excerpt ? h('pre', {}, result.body_excerpt) : h('p', { class: 'muted' }, 'Empty body.'),
          headers.length ? h('details', {}, h('summary', {}, `Response headers (${headers.length})`),
            h('dl', { class: 'kv' }, headers.map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))))) : null));
      }
      // Anything else a handler recorded (custom handlers have their own result shapes).
      const extra = { ...result };
      ['http_status', 'headers', 'body_excerpt', 'url', 'method'].forEach((key) => delete extra[key]);
      if (Object.keys(extra).length) {
        outcome.push(h('section', { class: 'card', 'aria-labelledby': 'exec-result' },
          h('h2', { id: 'exec-result' }, 'Result'), h('pre', {}, pretty(extra))));
      }
      outcomeSlot.replaceChildren(...outcome);
      logSlot.replaceChildren(...logsByAttempt(logs.items || [], execution.job_timezone));
      if (logs.total > (logs.items || []).length) {
        logSlot.append(h('p', { class: 'muted small' }, `Showing the first ${logs.items.length} of ${logs.total} lines.`));
      }
    }
    if (!FINISHED.has(execution.status) && !document.hidden) timer = setTimeout(load, POLL_MS);
  }
  const onVisibility = () => { if (!document.hidden) load(); else clearTimeout(timer); };
  document.addEventListener('visibilitychange', onVisibility);
  await load();
  return () => { stopped = true; clearTimeout(timer); document.removeEventListener('visibilitychange', onVisibility); };
}

// Job detail: settings, a live execution history (polled every 2 s while the tab is visible),
// and a chart of recent durations.
import { currentUser, get, post } from '../api.js';
import { durationChart } from '../charts.js';
import { backfillSection } from '../backfill.js';
import { announce, badge, confirmDialog, h } from '../dom.js';
import { jobActions } from '../job-actions.js';
import { deniedHere } from '../workspace.js';
import { jobTabs } from './job-history.js';
import { createMonthGrid } from '../month-grid.js';
import { navigate } from '../router.js';
import { describeSchedule, lateBadge, reasonText, tickRelativeTimes, timeCell } from '../schedule.js';
import { lateAfterSeconds } from '../status.js';
import { browserZone, formatDateTime, formatDuration, formatTime, formatZone, isLate } from '../time.js';
import { describeRetention } from '../retention.js';

const POLL_MS = 2000;
const HISTORY_LIMIT = 20;
const UPCOMING_LIMIT = 5;
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

/** The signing secret, shown once (after creating or rotating): calm, and dismissible. */
function secretCallout(secret, onDismiss) {
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
  const dismiss = h('button', { type: 'button', class: 'btn btn-sm btn-ghost' }, 'Dismiss');
  const box = h('section', { class: 'callout', role: 'region', 'aria-labelledby': 'secret-title' },
    h('div', { class: 'callout-head' }, h('h2', { id: 'secret-title' }, 'Signing secret — shown only once'), dismiss),
    h('p', {}, 'Chronos signs each HTTP call with this key (X-Chronos-Signature, HMAC-SHA256), so your receiver ',
      'can check a call is genuine. Copy it now if you need it; you can always rotate it for a new one.'),
    h('div', { class: 'secret-row' }, code, copy));
  dismiss.addEventListener('click', () => { box.remove(); onDismiss(); });
  return box;
}

/** Who hears about a failure, in words: the listed addresses, or the owner when there are none. */
export function failureNotice(job, ownerEmail) {
  if (!job.notify_on_failure) return 'Nobody is e-mailed';
  const emails = job.notify_emails || [];
  if (emails.length) return `E-mail ${emails.join(', ')}`;
  return ownerEmail ? `E-mail you (${ownerEmail})` : "E-mail the job's owner";
}

/** Links to jobs by id ("Runs after", "Triggers"), named where the name is known. */
function jobLinks(jobs, names) {
  if (!jobs.length) return h('span', { class: 'muted' }, 'None');
  return h('ul', { class: 'inline-list' }, jobs.map((j) => h('li', {},
    h('a', { href: `/jobs/${j.id}` }, j.name || names.get(j.id) || `Job #${j.id}`))));
}

function settingsList(job, names = new Map()) {
  const on = { success: 'succeeded', failure: 'failed', completion: 'finished' }[job.run_after?.on];
  const rows = [
    ['Schedule', describeSchedule(job)],
    job.schedule_type === 'after'
      ? ['Runs after', h('span', {}, jobLinks((job.run_after?.jobs || []).map((id) => ({ id })), names),
        ` — when ${job.run_after?.jobs?.length > 1 ? 'all have' : 'it has'} ${on}`,
        job.run_after?.within_seconds ? `, within ${job.run_after.within_seconds} s` : '')]
      : null,
    ['Triggers', jobLinks(job.triggers || [], names)],
    job.schedule_type === 'cron' ? ['Cron expression', h('code', {}, job.cron_expression)] : null,
    ['Time zone', formatZone(job.timezone, job.next_run_at || Date.now())],
    ['Next run', timeCell(job.status === 'active' ? job.next_run_at : null, job.timezone,
      { empty: job.status === 'paused' ? 'Paused' : '—', pending: job.status === 'active' })],
    ['Last run', job.last_run_at ? h('span', {}, timeCell(job.last_run_at, job.timezone), ' ',
      job.last_status ? badge(job.last_status) : null) : 'Never'],
    job.handler === 'http' && job.target
      ? ['Calls', h('code', { class: 'break' }, `${job.target.method || 'POST'} ${job.target.url}`)]
      : ['Action', job.handler === 'log' ? 'Log the payload' : job.handler],
    ['Timeout', `${job.timeout_seconds} s`],
    ['Retries', job.max_retries ? `${job.max_retries}, after ${(job.retry_backoff_seconds || []).join(', ')} s` : 'None'],
    ['Overlap', job.overlap_policy],
    ['Missed runs', job.misfire_policy === 'skip' ? 'Skip' : 'Run once'],
    ['History kept', describeRetention(job)],
    job.concurrency_key ? ['Concurrency key', h('a', { href: '/concurrency-limits' }, job.concurrency_key)] : null,
    job.schedule_type === 'cron' ? ['Daylight saving', dstPolicyWords(job.dst_policy)] : null,
    (job.exclude_calendars || []).length ? ['Excluded days', h('span', { class: 'calendar-names' },
      `${calendarNames(job)}: `,
      job.on_excluded === 'next_business_day' ? 'runs move to the next business day' : 'runs are skipped',
      ' (', h('a', { href: '/calendars' }, 'calendars'), ')')] : null,
    job.jitter_seconds ? ['Jitter', `up to ${job.jitter_seconds} s after each slot`] : null,
    ['On failure', failureNotice(job, currentUser()?.email)],
    job.notify_webhook_url ? ['Webhook', h('code', { class: 'break' }, job.notify_webhook_url)] : null,
  ].filter(Boolean);
  return h('dl', { class: 'settings' }, rows.map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))));
}

// The names of the user's calendars by id, read once per job page.
let calendarsById = {};

function calendarNames(job) {
  return (job.exclude_calendars || []).map((id) => calendarsById[id] || `calendar ${id}`).join(', ');
}

const FOLD_WORDS = { first: 'runs once, at the first', last: 'runs once, at the second', both: 'runs at both' };
const GAP_WORDS = { shift: 'runs at the first moment after the jump', skip: 'skipped (on record)' };

/** The job's daylight saving policy in words. */
export function dstPolicyWords(policy) {
  const { fold = 'first', gap = 'shift' } = policy || {};
  return `A time that happens twice: ${FOLD_WORDS[fold] || fold}. A time that does not exist: ${GAP_WORDS[gap] || gap}.`;
}

/** Due (or due again) longer ago than the allowance, and no worker has started it. */
function overdue(execution) {
  if (execution.status === 'pending') return isLate(execution.scheduled_for, lateAfterSeconds());
  if (execution.status === 'retrying') return isLate(execution.next_attempt_at, lateAfterSeconds());
  return false;
}

function executionRow(execution, timeZone) {
  return h('tr', { 'data-id': String(execution.id) },
    h('td', { 'data-label': 'Run' }, h('a', { href: `/executions/${execution.id}`, 'data-key': `x${execution.id}` },
      `#${execution.id}`)),
    h('td', { 'data-label': 'Status' }, h('span', { class: 'badges' }, badge(execution.status),
      overdue(execution) ? lateBadge() : null),
    execution.status === 'waiting' && execution.reason
      ? h('span', { class: 'reason' }, `for ${reasonText(execution.reason)}`) : null),
    h('td', { 'data-label': 'Trigger' }, execution.trigger.replace('_', ' ')),
    h('td', { 'data-label': 'Scheduled for' }, formatDateTime(execution.scheduled_for, timeZone, { seconds: true })),
    h('td', { 'data-label': 'Started' }, execution.started_at
      ? formatDateTime(execution.started_at, timeZone, { seconds: true }) : '—'),
    h('td', { 'data-label': 'Duration' }, formatDuration(execution.duration_ms)),
    h('td', { 'data-label': 'Attempts' }, String(execution.attempt ?? 0)));
}

export async function render(view, params, query) {
  let job;
  try {
    job = await get(`/jobs/${params.id}`);
  } catch (err) {
    view.append(h('h1', {}, 'Job'), h('p', { class: 'form-alert', role: 'alert' },
      err.status === 404 ? 'This job does not exist (or is not in this workspace).' : err.message));
    return undefined;
  }
  // Names of the jobs this one runs after (the graph knows every job in a dependency).
  const names = new Map();
  try {
    for (const node of (await get('/jobs/graph')).nodes || []) names.set(node.id, node.name);
  } catch {
    // The links still work, named by id.
  }
  if ((job.exclude_calendars || []).length) {
    try {
      calendarsById = Object.fromEntries((await get('/calendars')).items.map((c) => [c.id, c.name]));
    } catch {
      calendarsById = {};  // the ids are shown instead
    }
  }
  if (query.created) announce(`Created “${job.name}”.`, 'success');
  if (query.saved) announce('Changes saved.', 'success');
  const secretSlot = h('div', {});
  function showSecret(secret) {
    secretSlot.replaceChildren();
    // Only an HTTP call is signed: for any other action the secret means nothing to the user.
    if (secret && job.handler === 'http') secretSlot.append(secretCallout(secret, () => { heading.setAttribute('tabindex', '-1'); heading.focus(); }));
  }

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
  // Slots the planner has already planned (pending, not yet due) are not history: shown apart.
  const upcomingList = h('ol', { class: 'upcoming' });
  const upcomingSection = h('section', { class: 'card', 'aria-labelledby': 'upcoming-title', hidden: true },
    h('h2', { id: 'upcoming-title' }, 'Upcoming'),
    h('p', { class: 'muted small' }, 'Runs already planned. Each moves to the history when it happens.'),
    upcomingList);
  const backfills = backfillSection(job);
  const monthGrid = createMonthGrid({ jobId: job.id, idPrefix: 'job-calendar', zoneOf: () => job.timezone });
  const calendarSection = h('section', { class: 'card', 'aria-labelledby': 'job-calendar-section' },
    h('h2', { id: 'job-calendar-section' }, 'Calendar'), monthGrid.element);
  const chartBox = h('div', { class: 'chart', role: 'img', 'aria-label': 'Durations of recent runs' });
  const chartSection = h('section', { class: 'card', 'aria-labelledby': 'chart-title', hidden: true },
    h('h2', { id: 'chart-title' }, 'Duration of recent runs'), chartBox);

  const rotate = h('button', { type: 'button', class: 'btn btn-sm' }, 'Rotate signing secret');
  rotate.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: 'Rotate the signing secret?',
      message: 'Calls are signed with a new secret from now on; a receiver checking the old one will refuse them.',
      confirmLabel: 'Rotate secret',
    });
    if (!ok) return;
    try {
      const rotated = await post(`/jobs/${job.id}/rotate-secret`);
      showSecret(rotated.signing_secret);
      announce('Signing secret rotated.', 'success');
    } catch (err) {
      announce(err.message, 'error');
    }
  });

  // Run now with another payload, for this run only.
  const overridePayload = h('textarea', { id: 'run-payload', rows: '4', class: 'mono', 'aria-describedby': 'run-payload-hint' });
  overridePayload.value = job.payload != null ? JSON.stringify(job.payload, null, 2) : '';
  const runWith = h('button', { type: 'button', class: 'btn btn-sm' }, 'Run with this payload');
  const runWithError = h('p', { class: 'field-error', id: 'run-payload-error', hidden: true });
  runWith.addEventListener('click', async () => {
    let payload;
    try {
      payload = overridePayload.value.trim() ? JSON.parse(overridePayload.value) : null;
    } catch (err) {
      runWithError.textContent = `Not valid JSON: ${err.message}`;
      runWithError.hidden = false;
      overridePayload.setAttribute('aria-invalid', 'true');
      overridePayload.focus();
      return;
    }
    runWithError.hidden = true;
    overridePayload.removeAttribute('aria-invalid');
    runWith.disabled = true;
    try {
      const execution = await post(`/jobs/${job.id}/execute`, { payload });
      announce(`Started run #${execution.id} of “${job.name}” with another payload.`, 'success');
      poll();
    } catch (err) {
      announce(err.message, 'error');
    } finally {
      runWith.disabled = false;
    }
  });
  const runWithSection = h('details', { class: 'card run-with' },
    h('summary', {}, h('span', { class: 'summary-title' }, 'Another payload, for one run')),
    h('div', { class: 'stack' },
      h('div', { class: 'field' }, h('label', { for: 'run-payload' }, 'Payload for this run (JSON)'), overridePayload,
        h('p', { class: 'hint', id: 'run-payload-hint' }, 'Sent instead of the job’s payload, this once; the job keeps its own.'),
        runWithError),
      h('div', {}, runWith)));

  // (Element.append would print a null as the text "null".)
  view.append(...[
    h('p', { class: 'crumbs' }, h('a', { href: '/jobs' }, '← Jobs')),
    h('div', { class: 'page-head' }, h('div', { class: 'title-row' }, heading, statusSlot),
      h('div', { class: 'head-actions' },
        deniedHere('job.edit') ? null : h('a', { class: 'btn btn-sm', href: `/jobs/${job.id}/edit` }, 'Edit'), actionSlot,
        rotate)),
    jobTabs(job.id, 'overview'),
    secretSlot,
    job.description ? h('p', { class: 'lead' }, job.description) : null,
    // The live history first: it is what people come to this page for.
    h('section', { class: 'card', 'aria-labelledby': 'history-title' },
      h('div', { class: 'section-head' }, h('h2', { id: 'history-title' }, 'Execution history'), liveNote),
      h('div', { class: 'table-wrap' }, table), emptyNote, pager),
    upcomingSection,
    h('section', { class: 'card', 'aria-labelledby': 'settings-title' }, h('h2', { id: 'settings-title' }, 'Settings'), settingsSlot),
    runWithSection,
    backfills.element,
    calendarSection,
    chartSection].filter(Boolean));

  let shownLate = false;
  function showJob() {
    shownLate = job.status === 'active' && isLate(job.next_run_at, lateAfterSeconds());
    heading.textContent = job.name;
    statusSlot.replaceChildren(badge(job.status));
    rotate.hidden = job.handler !== 'http' || Boolean(deniedHere('job.rotate_secret'));
    actionSlot.replaceChildren(jobActions(job, { onDone: (action, result) => {
      if (action === 'delete') { navigate('/jobs', { flash: [`Deleted “${job.name}”.`, 'success'] }); return; }
      if (action === 'execute') { poll(); return; }
      if (result && result.id) job = result;
      showJob();
      poll();
    } }));
    settingsSlot.replaceChildren(settingsList(job, names));
  }
  showJob();
  showSecret(takeSecret(job.id));

  let lastRows = '';
  let lastChart = '';
  let destroyChart = null;
  const seen = new Map();
  let timer = null;
  let stopped = false;

  function showExecutions(items) {
    const rows = JSON.stringify(items.map((e) => [e.id, e.status, e.reason, e.started_at, e.duration_ms, e.attempt,
      overdue(e)]));
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

  let lastUpcoming = '';
  function showUpcoming(items) {
    const now = Date.now();
    const future = items.filter((e) => new Date(e.scheduled_for) > now)
      .sort((a, b) => new Date(a.scheduled_for) - new Date(b.scheduled_for)).slice(0, UPCOMING_LIMIT);
    const key = JSON.stringify(future.map((e) => e.id));
    if (key === lastUpcoming) return;
    lastUpcoming = key;
    upcomingList.replaceChildren(...future.map((e) => h('li', {}, timeCell(e.scheduled_for, job.timezone,
      { seconds: true }))));
    upcomingSection.hidden = !future.length;
  }

  let pollSeq = 0;
  // One polling loop: a poll started by a click supersedes one in flight (its result is dropped).
  async function poll() {
    clearTimeout(timer);
    if (stopped) return;
    const seq = ++pollSeq;
    try {
      const [fresh, page, planned] = await Promise.all([
        get(`/jobs/${job.id}`),
        get(`/jobs/${job.id}/executions`, { page: historyPage, limit: HISTORY_LIMIT }),
        get(`/jobs/${job.id}/executions`, { include: 'planned', status: 'pending', limit: UPCOMING_LIMIT * 2 }),
        backfills.refresh(),
      ]);
      if (stopped || seq !== pollSeq) return;
      const late = (j) => j.status === 'active' && isLate(j.next_run_at, lateAfterSeconds());
      const statusChanged = fresh.status !== job.status || fresh.next_run_at !== job.next_run_at
        || fresh.last_status !== job.last_status || late(fresh) !== shownLate;
      job = fresh;
      if (statusChanged) showJob();
      showExecutions(page.items || []);
      showUpcoming(planned.items || []);
      const total = page.total ?? 0;
      pager.hidden = total <= HISTORY_LIMIT;
      newer.disabled = historyPage <= 1;
      older.disabled = historyPage * HISTORY_LIMIT >= total;
      liveNote.textContent = `Live: updated ${formatTime(new Date(), browserZone(), { seconds: true })}.`;
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

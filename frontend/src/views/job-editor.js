// Create and edit a job, in sections: the basics (name, when, what) first, and "Advanced" (retries,
// overlap, missed runs, notifications) folded away; the save button stays in reach in a sticky
// footer. "Test run" tries the action through a worker before saving. Every field's error, from the
// browser, the live cron check or the server, stays next to its field until that field is fixed.
import { currentUser, get, patch, post } from '../api.js';
import { runMarker } from '../calendar-days.js';
import { createCronBuilder, describeCron } from '../cron-builder.js';
import { debounce, h } from '../dom.js';
import { clearErrors, flattenErrors, showErrors, showFieldError } from '../forms.js';
import { navigate } from '../router.js';
import { templateJob } from '../templates.js';
import {
  allZones, browserZone, formatDateTime, formatRelative, formatTime, formatWithLocal, formatZone, isoToZonedLocal,
  localTimeNote, zonedLocalToIso,
} from '../time.js';
import { deniedHere } from '../workspace.js';
import { rememberSecret } from './job-detail.js';

const INTERVAL_UNITS = [[1, 'seconds'], [60, 'minutes'], [3600, 'hours'], [86400, 'days']];
const SCHEDULE_KEYS = ['schedule_type', 'job_type', 'cron_expression', 'interval_seconds', 'run_at', 'timezone',
  'run_after'];
const RUN_AFTER_ON = [['success', 'succeeded'], ['failure', 'failed'], ['completion', 'finished either way']];
// Fields folded into "Advanced": an error in one opens it.
const ADVANCED_FIELDS = ['timeout_seconds', 'max_retries', 'retry_backoff_seconds', 'overlap_policy', 'misfire_policy',
  'keep_days', 'keep_last', 'concurrency_key',
  'notify_on_failure', 'notify_on_recovery', 'notify_emails', 'notify_webhook_url'];
// Fields folded into "Daylight saving, holidays and jitter": an error in one opens it.
const TIME_FIELDS = ['dst_policy', 'exclude_calendars', 'on_excluded', 'jitter_seconds'];
const MAX_JITTER_SECONDS = 86400;
const TEST_POLL_MS = 1000;
// After this long still waiting, say plainly that no worker seems to be running; stop at the second.
const TEST_NO_WORKER_MS = 10_000;
const TEST_GIVE_UP_MS = 60_000;

function field(input, label, { hint, className = 'field' } = {}) {
  const hintId = hint ? `${input.id}-hint` : null;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  return h('div', { class: className }, h('label', { for: input.id }, label), input,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null);
}

function select(id, dataField, options, value) {
  const el = h('select', { id, 'data-field': dataField },
    options.map(([v, label]) => h('option', { value: v }, label)));
  if (value !== undefined) el.value = value;
  return el;
}

/** "60, 300,900" → [60, 300, 900]; null when a part is not a whole number. */
export function parseBackoff(text) {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  if (!parts.length || parts.some((p) => !/^\d+$/.test(p))) return null;
  return parts.map(Number);
}

/** The largest unit that divides the interval evenly: 7200 → [2, 3600]. */
function splitInterval(seconds) {
  for (const [size] of [...INTERVAL_UNITS].reverse()) {
    if (seconds % size === 0) return [seconds / size, size];
  }
  return [seconds, 1];
}

export async function render(view, params, query = {}) {
  const editing = Boolean(params.id);
  const denied = deniedHere(editing ? 'job.edit' : 'job.create');
  if (denied) {
    view.append(h('h1', {}, editing ? 'Edit job' : 'New job'), h('p', { class: 'notice denied' }, denied),
      h('p', {}, h('a', { href: editing ? `/jobs/${params.id}` : '/jobs' }, editing ? '← Back to the job' : '← Jobs')));
    return undefined;
  }
  let job = null;
  if (editing) {
    try {
      job = await get(`/jobs/${params.id}`);
    } catch (err) {
      view.append(h('h1', {}, 'Edit job'), h('p', { class: 'form-alert', role: 'alert' },
        err.status === 404 ? 'This job does not exist (or is not in this workspace).' : err.message));
      return undefined;
    }
  }
  // A template ("Create your first job") prefills a new job; nothing is saved until "Create job".
  const template = !editing && query.template ? templateJob(query.template) : null;
  let calendars = [];
  let calendarsProblem = null;
  try {
    calendars = (await get('/calendars')).items;
  } catch (err) {
    calendarsProblem = err.message;
  }
  const prefill = job || template;
  const zone = prefill?.timezone || browserZone();
  // The jobs this one may run after (yours, but not itself).
  let otherJobs = [];
  try {
    otherJobs = ((await get('/jobs', { limit: 100 })).items || []).filter((j) => !job || j.id !== job.id);
  } catch {
    otherJobs = [];
  }

  // --- basics
  const name = h('input', { id: 'job-name', 'data-field': 'name', required: true, maxlength: '200',
    value: prefill?.name || '', autocomplete: 'off' });
  const description = h('textarea', { id: 'job-description', 'data-field': 'description', rows: '2' });
  description.value = job?.description || '';

  // --- schedule
  const initialType = prefill?.schedule_type || 'cron';
  const typeRadios = [['cron', 'Recurring (cron)'], ['interval', 'Every fixed interval'], ['once', 'One time'],
    ['after', 'After other jobs']]
    .map(([value, label]) => {
      const input = h('input', { type: 'radio', name: 'schedule_type', id: `schedule-${value}`, value });
      input.checked = value === initialType;
      return h('label', { class: 'segment', for: input.id }, input, h('span', {}, label));
    });
  const typeField = h('fieldset', { class: 'segments', 'data-field': 'schedule_type' },
    h('legend', {}, 'Schedule type'), h('div', { class: 'segment-row' }, typeRadios));

  const timezone = h('select', { id: 'job-timezone', 'data-field': 'timezone' },
    allZones().map((z) => h('option', { value: z }, z)));
  if (![...timezone.options].some((o) => o.value === zone)) timezone.append(h('option', { value: zone }, zone));
  timezone.value = zone;

  const words = h('p', { class: 'cron-words', id: 'cron-words' });
  const nextList = h('ol', { class: 'next-runs', 'aria-label': 'Next five runs, and the runs skipped before them' });
  const previewStatus = h('p', { class: 'muted small', id: 'cron-preview-status' });
  const previewPanel = h('section', { class: 'preview', 'aria-labelledby': 'preview-title', 'aria-live': 'polite' },
    h('h3', { id: 'preview-title' }, 'Schedule in words'), words,
    h('h3', {}, 'Next 5 runs'), previewStatus, nextList);

  const builder = createCronBuilder({ idPrefix: 'cron', expression: prefill?.cron_expression || '',
    onChange: () => schedulePreview() });
  const cronPanel = h('div', { class: 'cron-layout' }, builder.element, previewPanel);

  // --- time rules: daylight saving, holiday calendars, jitter
  const policy = job?.dst_policy || { fold: 'first', gap: 'shift' };
  const fold = select('job-dst-fold', 'dst_policy.fold', [
    ['first', 'Run once, at the first of the two'],
    ['last', 'Run once, at the second of the two'],
    ['both', 'Run at both']], policy.fold);
  const gap = select('job-dst-gap', 'dst_policy.gap', [
    ['shift', 'Run at the first moment after the jump (e.g. 03:00)'],
    ['skip', 'Skip that run (kept on record as skipped)']], policy.gap);
  const chosen = new Set(job?.exclude_calendars || []);
  const calendarBoxes = calendars.map((calendar) => {
    const box = h('input', { type: 'checkbox', id: `job-calendar-${calendar.id}`, value: String(calendar.id),
      class: 'calendar-choice' });
    box.checked = chosen.has(calendar.id);
    return h('div', { class: 'check' }, box, h('label', { for: box.id }, calendar.name));
  });
  const calendarField = h('fieldset', { class: 'plain', 'data-field': 'exclude_calendars', id: 'job-calendars' },
    h('legend', {}, 'Do not run on the days of'),
    calendarBoxes.length ? calendarBoxes : h('p', { class: 'muted small' },
      calendarsProblem ? `Could not load your calendars: ${calendarsProblem}` : 'No holiday calendars yet. '),
    h('p', { class: 'hint' }, h('a', { href: '/calendars' }, 'Manage holiday calendars'), ' (public holidays, custom dates, weekends).'));
  const onExcluded = select('job-on-excluded', 'on_excluded', [
    ['skip', 'Skip the run (kept on record as skipped)'],
    ['next_business_day', 'Move it to the next business day, same time']], job?.on_excluded || 'skip');
  const jitter = h('input', { id: 'job-jitter', type: 'number', min: '0', max: String(MAX_JITTER_SECONDS),
    inputmode: 'numeric', 'data-field': 'jitter_seconds', value: String(job?.jitter_seconds ?? 0) });
  const timeRules = h('details', { class: 'time-rules', id: 'time-rules' },
    h('summary', {}, h('span', { class: 'summary-title' }, 'Daylight saving, holidays and jitter')),
    h('div', { class: 'stack' },
      h('div', { class: 'grid-2' },
        field(fold, 'When clocks go back (a time happens twice)'),
        field(gap, 'When clocks go forward (a time does not exist)')),
      calendarField,
      field(onExcluded, 'On an excluded day'),
      field(jitter, 'Jitter (seconds)', { hint: 'Delay each run by a fixed offset between 0 and this many seconds, '
        + 'the same for a run on every planner, to spread jobs that share a time. 0 for none.' })));
  timeRules.open = Boolean(job && (policy.fold !== 'first' || policy.gap !== 'shift'
    || (job.exclude_calendars || []).length || job.on_excluded !== 'skip' || job.jitter_seconds));

  const [intervalCount, intervalUnit] = splitInterval(job?.interval_seconds || 300);
  const intervalInput = h('input', { id: 'job-interval', type: 'number', min: '1', inputmode: 'numeric',
    'data-field': 'interval_seconds', value: String(intervalCount) });
  const unitSelect = select('job-interval-unit', 'interval_unit',
    INTERVAL_UNITS.map(([size, label]) => [String(size), label]), String(intervalUnit));
  const intervalPanel = h('div', { class: 'grid-2' }, field(intervalInput, 'Every'), field(unitSelect, 'Unit'));

  const runAt = h('input', { id: 'job-run-at', type: 'datetime-local', 'data-field': 'run_at', step: '1',
    value: job?.run_at ? isoToZonedLocal(job.run_at, zone) : template?.run_at_local || '' });
  const runAtHint = h('p', { class: 'hint', id: 'job-run-at-hint' });
  runAt.setAttribute('aria-describedby', 'job-run-at-hint');
  const oncePanel = h('div', { class: 'field' }, h('label', { for: 'job-run-at' }, 'Run at'), runAt, runAtHint);

  const runAfter = prefill?.run_after || { jobs: [], on: 'success', within_seconds: null };
  const upstreamBoxes = otherJobs.map((other) => {
    const box = h('input', { type: 'checkbox', id: `after-job-${other.id}`, value: String(other.id),
      class: 'after-job' });
    box.checked = (runAfter.jobs || []).includes(other.id);
    return h('div', { class: 'check' }, box, h('label', { for: box.id }, other.name));
  });
  const upstreamField = h('fieldset', { class: 'plain after-jobs', 'data-field': 'run_after.jobs', id: 'run-after-jobs' },
    h('legend', {}, 'Run after'),
    upstreamBoxes.length ? h('div', { class: 'stack' }, upstreamBoxes)
      : h('p', { class: 'muted' }, 'You have no other job yet: create the job to run first, then this one.'),
    h('p', { class: 'hint' }, 'Pick one job for a chain, several for a fan-in: it runs once each of them has run.'));
  const afterOn = select('run-after-on', 'run_after.on',
    RUN_AFTER_ON.map(([value, label]) => [value, `When they ${label}`]), runAfter.on || 'success');
  const afterWithin = h('input', { id: 'run-after-within', type: 'number', min: '1', inputmode: 'numeric',
    'data-field': 'run_after.within_seconds', value: runAfter.within_seconds ? String(runAfter.within_seconds) : '' });
  const afterPanel = h('div', { class: 'stack' }, upstreamField,
    h('div', { class: 'grid-2' }, field(afterOn, 'Runs'),
      field(afterWithin, 'Within (seconds, optional)', { hint: 'A fan-in runs only if every upstream run is this recent.' })));

  // --- what to run
  // A first job needs no URL: writing to the run's log is the default, calling a URL one choice away.
  const handlerChoices = [['log', 'Log a message (no setup needed)'], ['http', 'Call a URL (HTTP request)']];
  // A deployment's own handler (registered in Python) stays selectable for its jobs.
  if (job && !handlerChoices.some(([value]) => value === job.handler)) handlerChoices.push([job.handler, job.handler]);
  const handler = select('job-handler', 'handler', handlerChoices, prefill?.handler || 'log');
  const method = select('target-method', 'target.method',
    ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'].map((m) => [m, m]), job?.target?.method || 'POST');
  const url = h('input', { id: 'target-url', type: 'url', 'data-field': 'target.url', placeholder: 'https://example.com/hook',
    value: job?.target?.url || '', autocomplete: 'off' });
  const headerRows = h('div', { class: 'header-rows', 'data-field': 'target.headers', id: 'target-headers' });
  const addHeader = h('button', { type: 'button', class: 'btn btn-sm' }, '+ Add header');
  const body = h('textarea', { id: 'target-body', 'data-field': 'target.body', rows: '4', class: 'mono',
    placeholder: '{"hello": "world"}' });
  body.value = typeof job?.target?.body === 'string' ? job.target.body
    : job?.target?.body != null ? JSON.stringify(job.target.body, null, 2) : '';
  const httpPanel = h('div', { class: 'stack' },
    h('div', { class: 'grid-url' }, field(method, 'Method'), field(url, 'URL')),
    h('fieldset', { class: 'plain' }, h('legend', {}, 'Headers'), headerRows, addHeader),
    field(body, 'Body', { hint: 'Sent as is. Leave empty to send the payload as JSON.' }));
  const payload = h('textarea', { id: 'job-payload', 'data-field': 'payload', rows: '4', class: 'mono' });
  payload.value = prefill?.payload != null ? JSON.stringify(prefill.payload, null, 2) : '';
  const payloadField = field(payload, 'Payload (JSON)', { hint: 'Recorded in the execution log; sent as the body of an HTTP call without one.' });

  let headerCount = 0;
  function addHeaderRow(key = '', value = '') {
    headerCount += 1;
    const n = headerCount;
    const k = h('input', { id: `header-${n}-name`, class: 'header-name', value: key, autocomplete: 'off' });
    const v = h('input', { id: `header-${n}-value`, class: 'header-value', value, autocomplete: 'off' });
    const row = h('div', { class: 'header-row' },
      h('div', { class: 'field' }, h('label', { for: k.id }, `Header ${n} name`), k),
      h('div', { class: 'field' }, h('label', { for: v.id }, `Header ${n} value`), v));
    const remove = h('button', { type: 'button', class: 'btn btn-sm btn-ghost', 'aria-label': `Remove header ${n}` }, 'Remove');
    remove.addEventListener('click', () => { row.remove(); addHeader.focus(); });
    row.append(remove);
    headerRows.append(row);
    return k;
  }
  Object.entries(job?.target?.headers || {}).forEach(([k, v]) => addHeaderRow(k, v));
  addHeader.addEventListener('click', () => addHeaderRow().focus());

  // --- reliability and notifications
  const timeout = h('input', { id: 'job-timeout', type: 'number', min: '1', 'data-field': 'timeout_seconds',
    value: String(job?.timeout_seconds ?? 30), inputmode: 'numeric' });
  const retries = h('input', { id: 'job-retries', type: 'number', min: '0', max: '10', 'data-field': 'max_retries',
    value: String(job?.max_retries ?? 3), inputmode: 'numeric' });
  const backoff = h('input', { id: 'job-backoff', 'data-field': 'retry_backoff_seconds',
    value: (job?.retry_backoff_seconds || [60, 300, 900]).join(', '), autocomplete: 'off' });
  const overlap = select('job-overlap', 'overlap_policy', [['allow', 'Allow (run alongside)'],
    ['forbid', 'Forbid (skip this run)'], ['replace', 'Replace (cancel the running one)']], job?.overlap_policy || 'allow');
  const misfire = select('job-misfire', 'misfire_policy', [['run_once', 'Run once now'],
    ['skip', 'Skip to the next run']], job?.misfire_policy || 'run_once');
  const keepDays = h('input', { id: 'job-keep-days', type: 'number', min: '1', max: '3650', 'data-field': 'keep_days',
    value: job?.keep_days == null ? '' : String(job.keep_days), inputmode: 'numeric', placeholder: 'Default' });
  const keepLast = h('input', { id: 'job-keep-last', type: 'number', min: '1', 'data-field': 'keep_last',
    value: job?.keep_last == null ? '' : String(job.keep_last), inputmode: 'numeric', placeholder: 'No cap' });
  const concurrencyKey = h('input', { id: 'job-concurrency-key', 'data-field': 'concurrency_key', autocomplete: 'off',
    maxlength: '64', value: job?.concurrency_key || '', placeholder: 'api.example.com' });
  const notify = h('input', { id: 'job-notify', type: 'checkbox', 'data-field': 'notify_on_failure' });
  notify.checked = job ? Boolean(job.notify_on_failure) : true;
  const emails = h('input', { id: 'job-emails', 'data-field': 'notify_emails', type: 'text', autocomplete: 'off',
    value: (job?.notify_emails || []).join(', '), placeholder: 'ops@example.com, me@example.com' });
  const emailsHint = h('p', { class: 'hint', id: 'job-emails-hint', 'aria-live': 'polite' });
  emails.setAttribute('aria-describedby', 'job-emails-hint');
  const recovery = h('input', { id: 'job-notify-recovery', type: 'checkbox', 'data-field': 'notify_on_recovery' });
  recovery.checked = Boolean(job?.notify_on_recovery);
  const webhook = h('input', { id: 'job-webhook', type: 'url', 'data-field': 'notify_webhook_url', autocomplete: 'off',
    value: job?.notify_webhook_url || '', placeholder: 'https://hooks.example.com/…' });

  // --- test run
  const testButton = h('button', { type: 'button', class: 'btn' }, 'Test run');
  const testOutcome = h('div', { class: 'test-outcome', id: 'test-run-outcome', 'aria-live': 'polite' });
  const testPanel = h('div', { class: 'test-run' },
    h('div', { class: 'test-run-head' }, testButton,
      h('p', { class: 'hint' }, 'Runs the action once now, through a worker, without saving the job.')),
    testOutcome);

  const advanced = h('details', { class: 'card advanced', id: 'advanced' },
    h('summary', {}, h('span', { class: 'summary-title' }, 'Advanced'),
      h('span', { class: 'muted small' }, ' retries, overlap, missed runs, concurrency key, history, notifications')),
    h('div', { class: 'stack' },
      h('section', { class: 'stack', 'aria-labelledby': 'sec-reliability' },
        h('h2', { id: 'sec-reliability' }, 'Retries and limits'),
        h('div', { class: 'grid-3' },
          field(timeout, 'Timeout (seconds)'),
          field(retries, 'Max retries'),
          field(backoff, 'Retry backoff (seconds)', { hint: 'Comma-separated, e.g. 60, 300, 900; the last repeats.' })),
        h('div', { class: 'grid-2' },
          field(overlap, 'If the previous run is still going'),
          field(misfire, 'If runs were missed while Chronos was down')),
        field(concurrencyKey, 'Concurrency key (optional)', { hint: 'Jobs sharing a key share its limit, set on the '
          + 'Limits page; runs over it wait their turn. Letters, digits and . _ : -' })),
      h('section', { class: 'stack', 'aria-labelledby': 'sec-history' },
        h('h2', { id: 'sec-history' }, 'History kept'),
        h('div', { class: 'grid-2' },
          field(keepDays, 'Keep runs for (days)', { hint: "Empty: the workspace's default. Failures are kept longer." }),
          field(keepLast, 'Keep at most (runs)', { hint: 'Empty: no cap; only the newest finished runs stay.' }))),
      h('section', { class: 'stack', 'aria-labelledby': 'sec-notify' },
        h('h2', { id: 'sec-notify' }, 'Notifications'),
        h('div', { class: 'check' }, notify, h('label', { for: 'job-notify' }, 'E-mail when a run finally fails')),
        h('div', { class: 'field' }, h('label', { for: 'job-emails' }, 'Recipients'), emails, emailsHint),
        h('div', { class: 'check' }, recovery,
          h('label', { for: 'job-notify-recovery' }, 'Also e-mail when it works again after a failure')),
        field(webhook, 'Webhook for notices (optional)', { hint: 'Also POST each notice here (Slack-compatible JSON).' }))));
  // Open when editing a job whose advanced settings are not the defaults, so nothing is hidden.
  advanced.open = Boolean(job && (job.max_retries !== 3 || job.timeout_seconds !== 30 || job.overlap_policy !== 'allow'
    || job.misfire_policy !== 'run_once' || (job.notify_emails || []).length || !job.notify_on_failure
    || job.concurrency_key || job.keep_days != null || job.keep_last != null
    || job.notify_on_recovery || job.notify_webhook_url
    || JSON.stringify(job.retry_backoff_seconds) !== JSON.stringify([60, 300, 900])));

  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, editing ? 'Save changes' : 'Create job');
  const form = h('form', { class: 'stack editor', novalidate: true },
    h('section', { class: 'card stack', 'aria-labelledby': 'sec-basics' },
      h('h2', { id: 'sec-basics' }, 'Basics'),
      field(name, 'Name'),
      field(description, 'Description (optional)')),
    h('section', { class: 'card stack', 'aria-labelledby': 'sec-schedule' },
      h('h2', { id: 'sec-schedule' }, 'When'),
      typeField,
      field(timezone, 'Time zone', { hint: 'The schedule is read in this zone, daylight saving included.' }),
      cronPanel, intervalPanel, oncePanel, afterPanel, timeRules),
    h('section', { class: 'card stack', 'aria-labelledby': 'sec-what' },
      h('h2', { id: 'sec-what' }, 'What to run'),
      field(handler, 'Action'),
      httpPanel, payloadField, testPanel),
    advanced,
    h('div', { class: 'form-actions sticky-actions' }, submit,
      h('a', { class: 'btn btn-ghost', href: editing ? `/jobs/${job.id}` : '/jobs' }, 'Cancel')));

  // (Element.append would print a null as the text "null".)
  view.append(...[h('div', { class: 'page-head' }, h('h1', {}, editing ? `Edit “${job.name}”` : 'New job')),
    template ? h('p', { class: 'notice' }, `Prefilled from “${query.template.replace(/-/g, ' ')}”: change anything, `
      + 'then create it.') : null,
    form].filter(Boolean));
  const zoneHint = form.querySelector('#job-timezone-hint');

  // --- behaviour
  const scheduleType = () => form.querySelector('input[name="schedule_type"]:checked').value;

  function showPanels() {
    const type = scheduleType();
    cronPanel.hidden = type !== 'cron';
    intervalPanel.hidden = type !== 'interval';
    oncePanel.hidden = type !== 'once';
    afterPanel.hidden = type !== 'after';
    const isHttp = handler.value === 'http';
    httpPanel.hidden = !isHttp;
    payloadField.hidden = isHttp;
    updateRunAtHint();
  }

  function updateRunAtHint() {
    const iso = zonedLocalToIso(runAt.value, timezone.value);
    runAtHint.textContent = iso
      ? `${formatWithLocal(iso, timezone.value)} (${formatRelative(iso)}).`
      : `Date and time in ${formatZone(timezone.value)}.`;
  }

  function updateZoneHint() {
    const mine = browserZone();
    zoneHint.textContent = `The schedule is read in ${formatZone(timezone.value)}, daylight saving included. `
      + (timezone.value === mine ? 'This is your zone.' : `Your zone is ${formatZone(mine)}.`);
  }

  function updateEmailsHint() {
    const listed = emails.value.split(/[,;\s]+/).filter(Boolean).length;
    const me = currentUser()?.email;
    emailsHint.textContent = !notify.checked ? 'Nobody will be e-mailed when a run fails.'
      : listed ? 'Comma-separated e-mail addresses; only they are told.'
        : `With no addresses, the e-mail goes to you${me ? `, ${me}` : ''}. Add addresses to tell others instead.`;
  }

  // What the live check last said about the cron expression: kept, so a later save that fails on
  // another field (an empty URL) still shows it.
  let cronProblem = null;
  let previewController = null;
  async function preview() {
    const expression = builder.getExpression();
    const described = describeCron(expression);
    const input = builder.inputs.expression;
    const showInvalid = (message) => {
      cronProblem = message;
      words.textContent = 'Not a valid schedule yet.';
      nextList.replaceChildren();
      previewStatus.textContent = 'Fix the cron expression to see when it runs.';
      input.setAttribute('aria-invalid', 'true');
      let box = form.querySelector('#cron-expression-error');
      if (!box) {
        box = h('p', { class: 'field-error', id: 'cron-expression-error' });
        input.closest('.field').append(box);
        input.setAttribute('aria-describedby', `${input.getAttribute('aria-describedby')} cron-expression-error`);
      }
      box.textContent = message;
    };
    const clearInvalid = () => {
      cronProblem = null;
      input.removeAttribute('aria-invalid');
      const box = form.querySelector('#cron-expression-error');
      if (box) box.remove();
      input.setAttribute('aria-describedby', (input.getAttribute('aria-describedby') || '')
        .split(' ').filter((id) => id && id !== 'cron-expression-error').join(' '));
    };
    if (!expression) { showInvalid('Enter a cron expression, e.g. 0 9 * * 1.'); return; }
    if (previewController) previewController.abort();
    previewController = new AbortController();
    previewStatus.textContent = 'Checking…';
    let result;
    try {
      const rules = readTimeRules({});
      const request = { cron_expression: expression, timezone: timezone.value, count: 5,
        dst_policy: rules.dst_policy, exclude_calendars: rules.exclude_calendars, on_excluded: rules.on_excluded,
        jitter_seconds: rules.jitter_seconds ?? 0 };
      if (editing) request.job_id = job.id;
      result = await post('/cron/preview', request, { signal: previewController.signal });
    } catch (err) {
      if (err.name === 'AbortError') return;
      const fieldErrors = Object.values(err.errors || {}).flat().join(' ');
      showInvalid(fieldErrors || err.message);
      return;
    }
    if (!result.valid) {
      showInvalid(result.error || described.error || 'This is not a valid cron expression.');
      return;
    }
    clearInvalid();
    words.textContent = described.text || result.expression || expression;
    previewStatus.textContent = `In ${formatZone(timezone.value)}:`;
    const runs = result.runs || (result.next_runs || []).map((at) => ({ at, skipped: null, note: null }));
    nextList.replaceChildren(...runs.map((run) => {
      const note = localTimeNote(run.at, timezone.value);
      const marker = runMarker(run);
      return h('li', { class: run.skipped ? 'run-skipped' : null },
        // Seconds shown when the run has some (a seconds field, or jitter).
        h('time', { datetime: run.at }, formatDateTime(run.at, timezone.value, { seconds: run.at.slice(17, 19) !== '00' })),
        note ? h('span', { class: 'local-time' }, `· ${note}`) : null,
        run.skipped ? null : h('span', { class: 'relative' }, formatRelative(run.at)),
        marker ? h('span', { class: run.skipped ? 'run-marker run-marker-skipped' : 'run-marker' }, marker) : null);
    }));
  }
  const schedulePreview = debounce(preview, 300);

  form.addEventListener('change', (event) => {
    if (event.target.name === 'schedule_type' || event.target === handler) showPanels();
    if (event.target === timezone) {
      updateRunAtHint(); updateZoneHint();
      if (scheduleType() === 'cron') schedulePreview();
    }
    if (event.target === notify) updateEmailsHint();
    if (timeRules.contains(event.target) && scheduleType() === 'cron') schedulePreview();
  });
  jitter.addEventListener('input', () => { if (scheduleType() === 'cron') schedulePreview(); });
  emails.addEventListener('input', updateEmailsHint);
  form.querySelectorAll('input[name="schedule_type"]').forEach((r) => r.addEventListener('change', () => {
    if (r.checked && r.value === 'cron') schedulePreview();
  }));
  runAt.addEventListener('input', updateRunAtHint);

  /** The request body from the form, or {errors} found before asking the server. */
  function readForm() {
    const errors = {};
    const type = scheduleType();
    const data = {
      name: name.value.trim(),
      description: description.value,
      schedule_type: type,
      job_type: type === 'once' ? 'one_time' : 'recurring',
      timezone: timezone.value,
      handler: handler.value,
      overlap_policy: overlap.value,
      misfire_policy: misfire.value,
      concurrency_key: concurrencyKey.value.trim() || null,
      notify_on_failure: notify.checked,
      notify_on_recovery: recovery.checked,
      notify_emails: emails.value.split(/[,;\s]+/).map((e) => e.trim()).filter(Boolean),
      notify_webhook_url: webhook.value.trim() || null,
    };
    if (!data.name) errors.name = ['Give the job a name.'];
    if (type === 'cron') data.cron_expression = builder.getExpression();
    if (type === 'interval') {
      const count = Number(intervalInput.value);
      if (!Number.isInteger(count) || count < 1) errors.interval_seconds = ['Enter a whole number of at least 1.'];
      else data.interval_seconds = count * Number(unitSelect.value);
    }
    if (type === 'once') {
      const iso = zonedLocalToIso(runAt.value, timezone.value);
      if (!iso) errors.run_at = ['Choose a date and time.'];
      else data.run_at = iso;
    }
    if (type === 'after') {
      const jobs = [...upstreamField.querySelectorAll('.after-job:checked')].map((box) => Number(box.value));
      const within = afterWithin.value.trim();
      if (!jobs.length) errors['run_after.jobs'] = ['Pick at least one job to run after.'];
      if (within && !(Number.isInteger(Number(within)) && Number(within) >= 1)) {
        errors['run_after.within_seconds'] = ['Enter a whole number of seconds, or leave it empty.'];
      }
      data.run_after = { jobs, on: afterOn.value, within_seconds: within ? Number(within) : null };
    }
    for (const [key, input, min] of [['timeout_seconds', timeout, 1], ['max_retries', retries, 0]]) {
      const n = Number(input.value);
      if (input.value === '' || !Number.isInteger(n) || n < min) errors[key] = [`Enter a whole number of at least ${min}.`];
      else data[key] = n;
    }
    for (const [key, input] of [['keep_days', keepDays], ['keep_last', keepLast]]) {
      const n = Number(input.value);
      if (input.value.trim() === '') data[key] = null;
      else if (!Number.isInteger(n) || n < 1) errors[key] = ['Enter a whole number of at least 1, or leave it empty.'];
      else data[key] = n;
    }
    Object.assign(data, readTimeRules(errors));
    const steps = parseBackoff(backoff.value);
    if (!steps) errors.retry_backoff_seconds = ['Enter whole seconds separated by commas, e.g. 60, 300, 900.'];
    else data.retry_backoff_seconds = steps;
    Object.assign(data, readAction(errors));
    return { data, errors };
  }

  /** The DST policy, calendars, on_excluded and jitter, as a job and the preview take them. */
  function readTimeRules(errors) {
    const rules = {
      dst_policy: { fold: fold.value, gap: gap.value },
      exclude_calendars: [...calendarField.querySelectorAll('.calendar-choice:checked')].map((box) => Number(box.value)),
      on_excluded: onExcluded.value,
    };
    const seconds = Number(jitter.value || 0);
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_JITTER_SECONDS) {
      errors.jitter_seconds = [`Enter whole seconds from 0 to ${MAX_JITTER_SECONDS}.`];
    } else {
      rules.jitter_seconds = seconds;
    }
    return rules;
  }

  /** What runs (handler, target or payload), as a job and a test run take it; problems into `errors`. */
  function readAction(errors) {
    const action = { handler: handler.value };
    if (action.handler === 'http') {
      const headers = {};
      headerRows.querySelectorAll('.header-row').forEach((row) => {
        const key = row.querySelector('.header-name').value.trim();
        if (key) headers[key] = row.querySelector('.header-value').value;
      });
      action.target = { url: url.value.trim(), method: method.value, headers };
      if (body.value.trim()) action.target.body = body.value;
      if (!action.target.url) errors['target.url'] = ['Enter the URL to call.'];
    } else if (payload.value.trim()) {
      try {
        action.payload = JSON.parse(payload.value);
      } catch (err) {
        errors.payload = [`Not valid JSON: ${err.message}`];
      }
    } else {
      action.payload = null;
    }
    return action;
  }

  // What the form says about the stored job before any edit: a PATCH sends only what changed.
  const original = editing ? readForm().data : null;

  function changes(data) {
    const changed = {};
    for (const [key, value] of Object.entries(data)) {
      if (JSON.stringify(value) !== JSON.stringify(original[key])) changed[key] = value;
    }
    if (SCHEDULE_KEYS.some((key) => key in changed)) {
      for (const key of SCHEDULE_KEYS) if (key in data) changed[key] = data[key];
    }
    if ('handler' in changed && 'target' in data) changed.target = data.target;
    return changed;
  }

  // The server's last word on each field, with the value it judged: shown until that value changes.
  let serverErrors = {};
  const valueOf = (fieldName) => {
    const control = form.querySelector(`[data-field="${CSS.escape(fieldName.split('.').slice(0, 2).join('.'))}"]`)
      || form.querySelector(`[data-field="${CSS.escape(fieldName.split('.')[0])}"]`);
    if (!control) return null;
    // A group of boxes (the jobs to run after) is judged by which are checked.
    if (control.tagName === 'FIELDSET') {
      return [...control.querySelectorAll('input:checked')].map((box) => box.value).join(',');
    }
    return control.type === 'checkbox' ? control.checked : control.value ?? control.textContent;
  };

  /** Every error known now: the browser's checks, the live cron check, the server's unfixed ones. */
  function allErrors(fresh) {
    const merged = { ...fresh };
    for (const [key, { message, value }] of Object.entries(serverErrors)) {
      if (!(key in merged) && valueOf(key) === value) merged[key] = [message];
    }
    if (scheduleType() === 'cron' && cronProblem && !merged.cron_expression) merged.cron_expression = [cronProblem];
    return merged;
  }

  function show(errors, message) {
    if (Object.keys(errors).some((key) => ADVANCED_FIELDS.includes(key.split('.')[0]))) advanced.open = true;
    if (Object.keys(errors).some((key) => TIME_FIELDS.includes(key.split('.')[0]))) timeRules.open = true;
    showErrors(form, { message, errors });
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const { data, errors } = readForm();
    const known = allErrors(errors);
    if (Object.keys(known).length) {
      show(known, 'Please fix the highlighted fields.');
      return;
    }
    submit.disabled = true;
    try {
      if (editing) {
        const body = changes(data);
        if (Object.keys(body).length) await patch(`/jobs/${job.id}`, body);
        navigate(`/jobs/${job.id}?saved=1`);
      } else {
        const created = await post('/jobs', data);
        rememberSecret(created.id, created.signing_secret);
        navigate(`/jobs/${created.id}?created=1`);
      }
    } catch (err) {
      submit.disabled = false;
      if (err.status !== 422) { showErrors(form, err); return; }
      serverErrors = Object.fromEntries(Object.entries(flattenErrors(err.errors))
        .map(([key, message]) => [key, { message, value: valueOf(key) }]));
      const errorsNow = allErrors({});
      if (Object.keys(errorsNow).length) show(errorsNow, err.message);
      else showErrors(form, err);
    }
  });

  // --- test run: the worker makes the call; this page only asks and waits for the outcome.
  let testSeq = 0;
  let testTimer = null;

  function showTestOutcome(run, { waitedMs = 0 } = {}) {
    const parts = [];
    if (run.status === 'pending' || run.status === 'running') {
      parts.push(h('p', { class: 'test-status' }, run.status === 'running' ? 'Running…' : 'Waiting for a worker…'));
      if (run.status === 'pending' && waitedMs >= TEST_NO_WORKER_MS) {
        parts.push(h('p', { class: 'form-alert' }, 'No worker has picked the test run up yet. Test runs, like '
          + 'every job, are made by a worker process (chronos worker): is one running? See ',
        h('a', { href: '/system' }, 'scheduler health'), '.'));
      }
      testOutcome.replaceChildren(...parts);
      return;
    }
    const ok = run.status === 'succeeded';
    const result = run.result || {};
    const summary = [ok ? 'Test run succeeded' : `Test run failed: ${run.error || 'no reason given'}`];
    if (result.http_status) summary.push(`HTTP ${result.http_status}`);
    if (run.duration_ms != null) summary.push(`${run.duration_ms} ms`);
    parts.push(h('p', { class: `test-status ${ok ? 'test-ok' : 'test-failed'}` }, summary.join(' · ')));
    if ((run.logs || []).length) {
      parts.push(h('ol', { class: 'log', 'aria-label': 'Test run log' }, run.logs.map((line) => h('li',
        { class: `log-line log-${line.level}` },
        h('time', { datetime: line.timestamp }, formatTime(line.timestamp, browserZone(), { seconds: true })),
        h('span', { class: `level level-${line.level}` }, line.level),
        h('span', { class: 'message' }, line.message)))));
    }
    if (result.body_excerpt) {
      parts.push(h('details', {}, h('summary', {}, 'Response excerpt'), h('pre', {}, result.body_excerpt)));
    }
    testOutcome.replaceChildren(...parts);
  }

  async function followTestRun(id, seq, startedAt) {
    clearTimeout(testTimer);
    let run;
    try {
      run = await get(`/test-runs/${id}`);
    } catch (err) {
      if (seq !== testSeq) return;
      testOutcome.replaceChildren(h('p', { class: 'form-alert' }, `Could not read the test run: ${err.message}`));
      testButton.disabled = false;
      return;
    }
    if (seq !== testSeq) return;
    const waitedMs = Date.now() - startedAt;
    showTestOutcome(run, { waitedMs });
    if ((run.status === 'pending' || run.status === 'running') && waitedMs < TEST_GIVE_UP_MS) {
      testTimer = setTimeout(() => followTestRun(id, seq, startedAt), TEST_POLL_MS);
    } else {
      testButton.disabled = false;
    }
  }

  testButton.addEventListener('click', async () => {
    const errors = {};
    const action = readAction(errors);
    form.querySelectorAll('#target-url-error, #job-payload-error').forEach((box) => box.remove());
    if (Object.keys(errors).length) {
      for (const [key, messages] of Object.entries(errors)) showFieldError(form, key, messages.join(' '));
      form.querySelector('[aria-invalid="true"]')?.focus();
      return;
    }
    const timeoutValue = Number(timeout.value);
    const request = { ...action, name: name.value.trim(),
      timeout_seconds: Number.isInteger(timeoutValue) && timeoutValue >= 1 ? timeoutValue : 30 };
    if (editing) request.job_id = job.id;
    testButton.disabled = true;
    const seq = ++testSeq;
    testOutcome.replaceChildren(h('p', { class: 'test-status' }, 'Sending the test run to a worker…'));
    try {
      const run = await post('/test-runs', request);
      if (seq !== testSeq) return;
      showTestOutcome(run);
      followTestRun(run.id, seq, Date.now());
    } catch (err) {
      testButton.disabled = false;
      if (err.status === 422) {
        for (const [key, message] of Object.entries(flattenErrors(err.errors))) showFieldError(form, key, message);
      }
      testOutcome.replaceChildren(h('p', { class: 'form-alert' }, err.message));
    }
  });

  showPanels();
  updateZoneHint();
  updateEmailsHint();
  if (scheduleType() === 'cron') preview();
  if (!editing) name.focus();
  return () => {
    schedulePreview.cancel();
    if (previewController) previewController.abort();
    testSeq += 1;
    clearTimeout(testTimer);
  };
}

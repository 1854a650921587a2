// A job version's changes ({field: [before, after]}) as readable rows: the field's name in words and
// each value as short text. Pure (no DOM), so the history view and the audit table share it.

const LABELS = {
  name: 'Name',
  description: 'Description',
  status: 'Status',
  schedule_type: 'Schedule type',
  job_type: 'Recurrence',
  cron_expression: 'Cron expression',
  interval_seconds: 'Interval (seconds)',
  run_at: 'Run at',
  timezone: 'Time zone',
  handler: 'Action',
  payload: 'Payload',
  target: 'HTTP call',
  'target.url': 'URL',
  'target.method': 'HTTP method',
  'target.headers': 'HTTP headers',
  'target.body': 'Request body',
  timeout_seconds: 'Timeout (seconds)',
  max_retries: 'Retries',
  retry_backoff_seconds: 'Retry after (seconds)',
  overlap_policy: 'Overlap',
  misfire_policy: 'Missed runs',
  notify_on_failure: 'E-mail on failure',
  notify_on_recovery: 'E-mail on recovery',
  notify_emails: 'Notify e-mails',
  notify_webhook_url: 'Webhook',
  role: 'Role',
  email: 'E-mail',
  expires_at: 'Expires',
};

/** A field name in words: "max_retries" → "Retries"; an unknown one → "Some field". */
export function fieldLabel(field) {
  if (LABELS[field]) return LABELS[field];
  const text = String(field).replace(/[._]/g, ' ').trim();
  return text ? text[0].toUpperCase() + text.slice(1) : 'Field';
}

/** One value as short text: none, yes/no, a list joined, an object as compact JSON. */
export function formatValue(value) {
  if (value === null || value === undefined || value === '') return '(none)';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (Array.isArray(value) && value.every((v) => ['string', 'number'].includes(typeof v))) {
    return value.length ? value.join(', ') : '(none)';
  }
  if (typeof value === 'object') {
    return Object.keys(value).length ? JSON.stringify(value) : '(none)';
  }
  return String(value);
}

/**
 * `{field: [before, after]}` → [{field, label, before, after}] with text values, in a stable order
 * (the name first, then as the job editor lists its fields). An object value that changed in a few
 * keys (target, payload) is opened into one row per key, so a long URL change reads on its own.
 * A change whose value is not a [before, after] pair is shown as its after value.
 */
export function changeRows(changes) {
  const rows = [];
  for (const [field, pair] of Object.entries(changes || {})) {
    const [before, after] = Array.isArray(pair) && pair.length === 2 ? pair : [undefined, pair];
    if (isPlainObject(before) && isPlainObject(after) && field === 'target') {
      for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
        if (JSON.stringify(before[key]) === JSON.stringify(after[key])) continue;
        rows.push(row(`${field}.${key}`, before[key], after[key]));
      }
    } else {
      rows.push(row(field, before, after));
    }
  }
  const order = Object.keys(LABELS);
  const position = (field) => {
    const at = order.indexOf(field);
    return at === -1 ? order.length : at;
  };
  return rows.sort((a, b) => position(a.field) - position(b.field) || a.field.localeCompare(b.field));
}

function row(field, before, after) {
  return { field, label: fieldLabel(field), before: formatValue(before), after: formatValue(after),
    added: before === undefined || before === null };
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Whether every change sets a field that had no value: the version that created the job. */
export function isCreation(changes) {
  const rows = changeRows(changes);
  return rows.length > 0 && rows.every((r) => r.added);
}

/** "Changed name, cron expression and 2 more" — a one-line summary of a version's changes. */
export function summarizeChanges(changes) {
  const labels = changeRows(changes).map((r) => r.label.toLowerCase());
  if (!labels.length) return 'No changes to the definition';
  if (isCreation(changes)) return 'Created';
  if (labels.length <= 3) return `Changed ${joinWords(labels)}`;
  return `Changed ${labels.slice(0, 2).join(', ')} and ${labels.length - 2} more`;
}

function joinWords(words) {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** Who did it, in words, from an actor {type, id, label} (a user's e-mail or an API key's name). */
export function actorLabel(actor) {
  if (!actor) return 'Chronos';
  if (typeof actor === 'string') return actor;
  const label = actor.label || (actor.id !== undefined ? `#${actor.id}` : 'unknown');
  return actor.type === 'api_key' ? `API key “${label}”` : label;
}

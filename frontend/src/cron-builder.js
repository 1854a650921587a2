// The visual cron builder: pure conversion between preset settings and a cron expression,
// and the widget that keeps the preset controls and the raw expression in sync.
import cronstrue from 'cronstrue';
import { h } from './dom.js';

export const PRESETS = [
  { value: 'minutes', label: 'Every N minutes' },
  { value: 'hourly', label: 'Hourly' },
  { value: 'daily', label: 'Daily' },
  { value: 'weekly', label: 'Weekly' },
  { value: 'monthly', label: 'Monthly' },
  { value: 'custom', label: 'Custom (cron expression)' },
];

// Monday first, as most people read a week; the numbers are cron's (Sunday = 0).
export const WEEKDAYS = [
  { value: 1, label: 'Mon', name: 'Monday' },
  { value: 2, label: 'Tue', name: 'Tuesday' },
  { value: 3, label: 'Wed', name: 'Wednesday' },
  { value: 4, label: 'Thu', name: 'Thursday' },
  { value: 5, label: 'Fri', name: 'Friday' },
  { value: 6, label: 'Sat', name: 'Saturday' },
  { value: 0, label: 'Sun', name: 'Sunday' },
];

export const DEFAULT_STATE = Object.freeze({
  preset: 'weekly', every: 15, minute: 0, hour: 9, weekdays: [1], day: 1,
});

const INT = /^\d{1,2}$/;

function inRange(text, min, max) {
  if (!INT.test(text)) return null;
  const n = Number(text);
  return n >= min && n <= max ? n : null;
}

/** Expand a day-of-week field such as "1-5" or "1,3,5" (7 is Sunday too); null if it is anything else. */
export function parseWeekdays(field) {
  const days = new Set();
  for (const part of field.split(',')) {
    const range = part.split('-');
    if (range.length === 1) {
      const d = inRange(part, 0, 7);
      if (d === null) return null;
      days.add(d % 7);
    } else if (range.length === 2) {
      const a = inRange(range[0], 0, 7);
      const b = inRange(range[1], 0, 7);
      if (a === null || b === null || a > b) return null;
      for (let d = a; d <= b; d += 1) days.add(d % 7);
    } else {
      return null;
    }
  }
  return [...days].sort((x, y) => x - y);
}

/** The cron expression for a preset state; custom state carries its own expression. */
export function toCron(state) {
  const { minute, hour } = state;
  switch (state.preset) {
    case 'minutes':
      return Number(state.every) === 1 ? '* * * * *' : `*/${Number(state.every)} * * * *`;
    case 'hourly':
      return `${Number(minute)} * * * *`;
    case 'daily':
      return `${Number(minute)} ${Number(hour)} * * *`;
    case 'weekly': {
      const days = [...new Set(state.weekdays.map((d) => Number(d) % 7))].sort((a, b) => a - b);
      return `${Number(minute)} ${Number(hour)} * * ${days.length ? days.join(',') : '*'}`;
    }
    case 'monthly':
      return `${Number(minute)} ${Number(hour)} ${Number(state.day)} * *`;
    default:
      return (state.expression || '').trim();
  }
}

/** The preset state an expression corresponds to, or null when only the raw (custom) mode can show it. */
export function fromCron(expression) {
  const fields = (expression || '').trim().split(/\s+/);
  if (fields.length !== 5) return null;
  const [min, hr, dom, mon, dow] = fields;
  if (mon !== '*') return null;
  if (hr === '*' && dom === '*' && dow === '*') {
    if (min === '*') return { preset: 'minutes', every: 1 };
    const step = /^\*\/(\d{1,2})$/.exec(min);
    if (step) {
      const every = Number(step[1]);
      return every >= 1 && every <= 59 ? { preset: 'minutes', every } : null;
    }
    const minute = inRange(min, 0, 59);
    return minute === null ? null : { preset: 'hourly', minute };
  }
  const minute = inRange(min, 0, 59);
  const hour = inRange(hr, 0, 23);
  if (minute === null || hour === null) return null;
  if (dom === '*' && dow === '*') return { preset: 'daily', minute, hour };
  if (dom === '*') {
    const weekdays = parseWeekdays(dow);
    return weekdays && weekdays.length ? { preset: 'weekly', minute, hour, weekdays } : null;
  }
  if (dow === '*') {
    const day = inRange(dom, 1, 31);
    return day === null ? null : { preset: 'monthly', minute, hour, day };
  }
  return null;
}

/** The schedule in words, or null with the parser's complaint when cronstrue cannot read it. */
export function describeCron(expression) {
  try {
    return { text: cronstrue.toString(expression, { use24HourTimeFormat: true, verbose: false }), error: null };
  } catch (err) {
    return { text: null, error: String(err && err.message ? err.message : err).replace(/^Error:\s*/, '') };
  }
}

const pad = (n) => String(n).padStart(2, '0');

/**
 * The builder widget. `onChange(expression)` fires on every edit, from either side.
 * Returns {element, getExpression, setExpression, inputs: {expression}}.
 */
export function createCronBuilder({ idPrefix = 'cron', expression = '', onChange = () => {} } = {}) {
  let state = { ...DEFAULT_STATE, weekdays: [...DEFAULT_STATE.weekdays] };
  const id = (name) => `${idPrefix}-${name}`;

  const presetSelect = h('select', { id: id('preset') },
    PRESETS.map((p) => h('option', { value: p.value }, p.label)));
  const everyInput = h('input', { id: id('every'), type: 'number', min: '1', max: '59', inputmode: 'numeric' });
  const minuteInput = h('input', { id: id('minute'), type: 'number', min: '0', max: '59', inputmode: 'numeric' });
  const timeInput = h('input', { id: id('time'), type: 'time', step: '60' });
  const dayInput = h('input', { id: id('day'), type: 'number', min: '1', max: '31', inputmode: 'numeric' });
  const dayBoxes = WEEKDAYS.map((d) => h('input', { type: 'checkbox', id: id(`dow-${d.value}`), value: String(d.value) }));
  const exprInput = h('input', {
    id: id('expression'), name: 'cron_expression', 'data-field': 'cron_expression', type: 'text',
    autocomplete: 'off', spellcheck: 'false', class: 'mono', 'aria-describedby': `${id('expression-help')}`,
  });

  const field = (input, label, extra = {}) => h('div', { class: 'field', ...extra },
    h('label', { for: input.id }, label), input);

  const everyField = field(everyInput, 'Every (minutes)');
  const minuteField = field(minuteInput, 'At minute past the hour');
  const timeField = field(timeInput, 'At time');
  const dayField = field(dayInput, 'Day of month');
  const daysField = h('fieldset', { class: 'weekdays' },
    h('legend', {}, 'On days'),
    h('div', { class: 'chip-row' }, WEEKDAYS.map((d, i) => h('label', { class: 'chip', for: dayBoxes[i].id },
      dayBoxes[i], h('span', { 'aria-hidden': 'true' }, d.label), h('span', { class: 'sr-only' }, d.name)))));

  const element = h('div', { class: 'cron-builder' },
    h('div', { class: 'grid-2' }, field(presetSelect, 'Repeat'), everyField, minuteField, timeField, dayField),
    daysField,
    h('div', { class: 'field' },
      h('label', { for: exprInput.id }, 'Cron expression'),
      exprInput,
      h('p', { class: 'hint', id: id('expression-help') },
        'Five fields: minute, hour, day of month, month, day of week. Editing it updates the choices above.')));

  function show() {
    const p = state.preset;
    everyField.hidden = p !== 'minutes';
    minuteField.hidden = p !== 'hourly';
    timeField.hidden = !['daily', 'weekly', 'monthly'].includes(p);
    daysField.hidden = p !== 'weekly';
    dayField.hidden = p !== 'monthly';
  }

  function writeControls() {
    presetSelect.value = state.preset;
    everyInput.value = String(state.every);
    minuteInput.value = String(state.minute);
    timeInput.value = `${pad(state.hour)}:${pad(state.minute)}`;
    dayInput.value = String(state.day);
    dayBoxes.forEach((box) => { box.checked = state.weekdays.includes(Number(box.value)); });
    show();
  }

  function readControls() {
    const [hh, mm] = (timeInput.value || '00:00').split(':').map(Number);
    const next = { ...state, preset: presetSelect.value };
    next.every = Math.min(59, Math.max(1, Number(everyInput.value) || 1));
    if (next.preset === 'hourly') next.minute = Math.min(59, Math.max(0, Number(minuteInput.value) || 0));
    else { next.hour = hh || 0; next.minute = mm || 0; }
    next.day = Math.min(31, Math.max(1, Number(dayInput.value) || 1));
    next.weekdays = dayBoxes.filter((b) => b.checked).map((b) => Number(b.value));
    return next;
  }

  // `settle` rewrites the controls from the state (on change); while typing, leave the field alone.
  function fromControls(settle) {
    const next = readControls();
    if (next.preset === 'custom') {
      state = { ...next, expression: exprInput.value };
      show();
      onChange(exprInput.value);
      return;
    }
    state = next;
    if (settle) writeControls(); else show();
    exprInput.value = toCron(state);
    onChange(exprInput.value);
  }

  function setExpression(value) {
    exprInput.value = value;
    const parsed = fromCron(value);
    state = parsed ? { ...state, ...parsed } : { ...state, preset: 'custom' };
    writeControls();
  }

  [presetSelect, everyInput, minuteInput, timeInput, dayInput, ...dayBoxes].forEach((el) => {
    el.addEventListener('change', () => fromControls(true));
    if (el.type === 'number' || el.type === 'time') el.addEventListener('input', () => fromControls(false));
  });
  exprInput.addEventListener('input', () => {
    const parsed = fromCron(exprInput.value);
    state = parsed ? { ...state, ...parsed } : { ...state, preset: 'custom' };
    writeControls();
    onChange(exprInput.value);
  });

  if (expression) setExpression(expression);
  else { writeControls(); exprInput.value = toCron(state); }

  return {
    element,
    getExpression: () => exprInput.value.trim(),
    setExpression,
    inputs: { expression: exprInput },
  };
}

// Holiday calendars: days a job does not run on (public holidays by country and region, custom
// dates, weekends). Create, see a year's days, delete (refused while a job uses one).
import { ApiError, del, get, post } from '../api.js';
import { describeCalendar, parseDates } from '../calendar-days.js';
import { announce, confirmDialog, h } from '../dom.js';
import { clearErrors, showErrors } from '../forms.js';
import { deniedHere } from '../workspace.js';

function field(input, label, hint) {
  const hintId = hint ? `${input.id}-hint` : null;
  if (hintId) input.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null);
}

export async function render(view) {
  let countries = {};
  try {
    countries = (await get('/calendars/countries')).countries;
  } catch {
    // The codes are then typed without suggestions; the server still checks them.
  }
  const name = h('input', { id: 'calendar-name', 'data-field': 'name', required: true, maxlength: '100', autocomplete: 'off' });
  const countryList = h('datalist', { id: 'calendar-countries' },
    Object.keys(countries).sort().map((code) => h('option', { value: code })));
  const country = h('input', { id: 'calendar-country', 'data-field': 'country', list: 'calendar-countries',
    autocomplete: 'off', maxlength: '8', placeholder: 'DE' });
  const subdivisionList = h('datalist', { id: 'calendar-subdivisions' });
  const subdivision = h('input', { id: 'calendar-subdivision', 'data-field': 'subdivision', list: 'calendar-subdivisions',
    autocomplete: 'off', maxlength: '64', placeholder: 'BY' });
  const dates = h('textarea', { id: 'calendar-dates', 'data-field': 'dates', rows: '3', class: 'mono',
    placeholder: '2026-12-24, 2026-12-31' });
  const weekends = h('input', { id: 'calendar-weekends', type: 'checkbox', 'data-field': 'weekends' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create calendar');
  const form = h('form', { class: 'card stack', novalidate: true, 'aria-labelledby': 'new-calendar-title' },
    h('h2', { id: 'new-calendar-title' }, 'New calendar'),
    field(name, 'Name'),
    h('div', { class: 'grid-2' },
      field(country, 'Country (public holidays)', 'An ISO code such as DE, US or GB; leave empty for none.'),
      field(subdivision, 'Region (optional)', 'A state or region code such as BY (Bavaria) or CA (California).')),
    countryList, subdivisionList,
    field(dates, 'Custom dates (optional)', 'ISO dates (YYYY-MM-DD), separated by commas or new lines.'),
    h('div', { class: 'check' }, weekends, h('label', { for: 'calendar-weekends' }, 'Exclude weekends (Saturday and Sunday)')),
    h('div', { class: 'form-actions' }, submit));

  const list = h('ul', { class: 'calendar-list', 'aria-labelledby': 'calendars-title' });
  const listAlert = h('div', { id: 'calendars-alert' });
  view.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Holiday calendars'), h('a', { class: 'btn', href: '/calendar' }, 'Calendar')),
    h('p', { class: 'muted' }, 'A job skips the days of the calendars it names (or moves its run to the next business '
      + 'day); every skipped run is on record with its reason.'),
    deniedHere('calendars.manage') ? h('p', { class: 'muted', id: 'calendars-denied' }, deniedHere('calendars.manage'))
      : form,
    h('section', { class: 'stack', 'aria-labelledby': 'calendars-title' },
      h('h2', { id: 'calendars-title' }, 'Your calendars'), listAlert, list));

  country.addEventListener('input', () => {
    const subdivisions = countries[country.value.trim().toUpperCase()] || [];
    subdivisionList.replaceChildren(...subdivisions.map((code) => h('option', { value: code })));
  });

  async function showDays(calendar, box, button) {
    const year = new Date().getFullYear();
    button.disabled = true;
    try {
      const body = await get(`/calendars/${calendar.id}`, { year });
      box.replaceChildren(h('h4', {}, `Excluded days in ${year}`), body.days.length
        ? h('ul', { class: 'excluded-days' }, body.days.map((day) => h('li', {},
          h('time', { datetime: day.date }, day.date), ` — ${day.reasons.join(', ')}`)))
        : h('p', { class: 'muted' }, 'None this year.'));
      box.hidden = false;
    } catch (err) {
      box.replaceChildren(h('p', { class: 'form-alert' }, err.message));
      box.hidden = false;
    }
    button.disabled = false;
  }

  async function remove(calendar) {
    const ok = await confirmDialog({ title: `Delete “${calendar.name}”?`,
      message: 'Jobs that use it must drop it first.', confirmLabel: 'Delete', danger: true });
    if (!ok) return;
    try {
      await del(`/calendars/${calendar.id}`);
      announce(`Deleted “${calendar.name}”.`, 'success');
      listAlert.replaceChildren();
      await refresh();
    } catch (err) {
      // 409: the message names the jobs that still use it.
      listAlert.replaceChildren(h('p', { class: 'form-alert', role: 'alert' }, err.message));
      announce(err.message, 'error');
    }
  }

  async function refresh() {
    let items = [];
    try {
      items = (await get('/calendars')).items;
    } catch (err) {
      list.replaceChildren(h('li', { class: 'form-alert' }, err.message));
      return;
    }
    if (!items.length) {
      list.replaceChildren(h('li', { class: 'muted' }, 'No calendars yet.'));
      return;
    }
    list.replaceChildren(...items.map((calendar) => {
      const days = h('div', { class: 'calendar-days', hidden: true });
      const show = h('button', { type: 'button', class: 'btn btn-sm' }, 'Show days');
      const drop = h('button', { type: 'button', class: 'btn btn-sm btn-danger',
        'aria-label': `Delete ${calendar.name}` }, 'Delete');
      if (deniedHere('calendars.manage')) { drop.disabled = true; drop.title = deniedHere('calendars.manage'); }
      show.addEventListener('click', () => showDays(calendar, days, show));
      drop.addEventListener('click', () => remove(calendar));
      return h('li', { class: 'card calendar-item', 'data-id': String(calendar.id) },
        h('div', { class: 'calendar-item-head' },
          h('div', {}, h('h3', { class: 'calendar-name' }, calendar.name),
            h('p', { class: 'muted small' }, describeCalendar(calendar))),
          h('div', { class: 'actions' }, show, drop)),
        days);
    }));
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body = {
      name: name.value.trim(),
      country: country.value.trim() || null,
      subdivision: subdivision.value.trim() || null,
      dates: parseDates(dates.value),
      weekends: weekends.checked,
    };
    if (!body.name) {
      showErrors(form, new ApiError(422, { message: 'Please fix the highlighted fields.',
        errors: { name: ['Give the calendar a name.'] } }));
      return;
    }
    submit.disabled = true;
    try {
      const created = await post('/calendars', body);
      announce(`Created “${created.name}”.`, 'success');
      form.reset();
      await refresh();
    } catch (err) {
      showErrors(form, err);
    }
    submit.disabled = false;
  });

  await refresh();
  return undefined;
}

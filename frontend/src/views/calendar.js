// The calendar: every job's month at a glance (what ran, what will, what is skipped and why).
import { get } from '../api.js';
import { h } from '../dom.js';
import { createMonthGrid } from '../month-grid.js';

export async function render(view) {
  const zones = {};
  try {
    const page = await get('/jobs', { limit: 100 });
    for (const job of page.items) zones[job.id] = job.timezone;
  } catch {
    // Times are then shown in the browser's zone; the grid itself still loads.
  }
  const grid = createMonthGrid({ idPrefix: 'calendar', zoneOf: (id) => zones[id] });
  view.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Calendar'),
      h('a', { class: 'btn', href: '/calendars' }, 'Holiday calendars')),
    h('p', { class: 'muted' }, 'Each day of the month: green when its runs succeeded, red when one failed, grey when '
      + 'runs were only skipped; runs still to come are listed, holidays (H) and clock changes (⏱) marked. '
      + 'Use the arrow keys to move between days and Enter to see a day\u2019s runs.'),
    grid.element);
  return undefined;
}

// Ready-made first jobs: each opens the editor prefilled (/jobs/new?template=NAME). None needs a URL.
import { h } from './dom.js';
import { browserZone } from './time.js';
import { deniedHere } from './workspace.js';

const pad = (n) => String(n).padStart(2, '0');

/** The next quarter hour at least 30 min away, as a datetime-local value in the browser's zone. */
function reminderTime(now = new Date()) {
  const at = new Date(now.getTime() + 30 * 60_000);
  at.setMinutes(Math.ceil(at.getMinutes() / 15) * 15, 0, 0);
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

export const TEMPLATES = [
  {
    name: 'heartbeat', title: 'A heartbeat every minute', text: 'Writes a line to its log every minute.',
    job: () => ({ name: 'Heartbeat', schedule_type: 'cron', cron_expression: '* * * * *', timezone: browserZone(),
      handler: 'log', payload: { message: 'alive' } }),
  },
  {
    name: 'daily-report', title: 'A daily report at 09:00', text: `Every day at 09:00 in your zone (${browserZone()}).`,
    job: () => ({ name: 'Daily report', schedule_type: 'cron', cron_expression: '0 9 * * *', timezone: browserZone(),
      handler: 'log', payload: { report: 'daily' } }),
  },
  {
    name: 'reminder', title: 'A one-off reminder', text: 'Runs once, half an hour from now.',
    job: () => ({ name: 'Reminder', schedule_type: 'once', run_at_local: reminderTime(), timezone: browserZone(),
      handler: 'log', payload: { message: 'Time to look at this again.' } }),
  },
];

/** The job fields of a template by name, or null. */
export function templateJob(name) {
  const found = TEMPLATES.find((t) => t.name === name);
  return found ? found.job() : null;
}

/** The "Create your first job" block: a link per template, and a blank job. */
export function firstJobChoices() {
  const denied = deniedHere('job.create');
  if (denied) return h('p', { class: 'notice denied' }, `No jobs here yet. ${denied}`);
  return h('section', { class: 'card first-job', 'aria-labelledby': 'first-job-title' },
    h('h2', { id: 'first-job-title' }, 'Create your first job'),
    h('p', { class: 'muted' }, 'Start from one of these; you can change everything before saving.'),
    h('ul', { class: 'template-list' }, TEMPLATES.map((t) => h('li', {},
      h('a', { class: 'template', href: `/jobs/new?template=${t.name}` },
        h('span', { class: 'template-title' }, t.title), h('span', { class: 'muted small' }, t.text))))),
    h('p', {}, h('a', { href: '/jobs/new' }, 'Or start from a blank job')));
}

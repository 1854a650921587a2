// The scheduler's health, polled from /system/status while someone is signed in: a banner on every
// page when it is not ok, and the allowance after which a run counts as late (lists mark those).
import { get, isSignedIn, onSessionChange } from './api.js';
import { h } from './dom.js';

const POLL_MS = 30_000;
const DEFAULT_LATE_AFTER = 10;

let latest = null;
let timer = null;
let slot = null;
let shownKey = '';
const listeners = new Set();

/** The last status read (null before the first). */
export function latestStatus() {
  return latest;
}

/** Seconds after its time a run that has not started counts as late. */
export function lateAfterSeconds() {
  return latest?.late_after_seconds ?? DEFAULT_LATE_AFTER;
}

/** Call `fn(status)` on every status read; returns a function that stops it. */
export function onStatus(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

const HEADLINES = {
  down: 'The scheduler is not running jobs',
  degraded: 'The scheduler is behind',
};

function showBanner(status) {
  if (!slot) return;
  const key = status && status.status !== 'ok' ? JSON.stringify([status.status, status.reasons]) : '';
  if (key === shownKey) return;
  shownKey = key;
  if (!key) { slot.replaceChildren(); return; }
  const onHealthPage = location.pathname === '/system';
  slot.replaceChildren(h('section', {
    class: `system-banner system-banner-${status.status}`, role: 'region', 'aria-label': 'Scheduler status',
  },
  h('p', { class: 'system-banner-title' }, `${HEADLINES[status.status] || 'Scheduler status'}.`),
  h('ul', {}, (status.reasons || []).map((reason) => h('li', {}, reason))),
  onHealthPage ? null : h('a', { href: '/system' }, 'See scheduler health')));
}

/** Read the status now (and tell the banner and the listeners). */
export async function refreshStatus() {
  if (!isSignedIn()) { latest = null; showBanner(null); return null; }
  try {
    latest = await get('/system/status');
  } catch {
    return latest;  // the page itself reports a server it cannot reach
  }
  showBanner(latest);
  listeners.forEach((fn) => fn(latest));
  return latest;
}

let polling = false;

function schedule() {
  clearTimeout(timer);
  polling = !document.hidden && isSignedIn();
  if (polling) timer = setTimeout(async () => { await refreshStatus(); schedule(); }, POLL_MS);
}

/** Start polling into `element` (the banner slot under the top bar). */
export function startStatusBanner(element) {
  slot = element;
  // Another session is another user's view: never show the last one's.
  onSessionChange((session) => { if (!session) { latest = null; showBanner(null); } });
  document.addEventListener('visibilitychange', () => {
    if (document.hidden) { clearTimeout(timer); polling = false; } else refreshStatus().then(schedule);
  });
}

/** After sign-in, sign-out or a page change: read now if signed in, clear the banner if not. */
export function statusAfterNavigation() {
  if (!isSignedIn()) { clearTimeout(timer); polling = false; latest = null; showBanner(null); return; }
  shownKey = '';  // the banner's link depends on the page
  if (!latest) refreshStatus().then(schedule);
  else { showBanner(latest); if (!polling) schedule(); }
}

// A job's history: every version of its definition, newest first, with who changed what (before →
// after, field by field), a link to the full definition of each, and Restore (editors and above).
import { get, post } from '../api.js';
import { announce, appendTo, confirmDialog, h } from '../dom.js';
import { actorLabel, changeRows, fieldLabel, formatValue, isCreation, summarizeChanges } from '../diff.js';
import { navigate } from '../router.js';
import { formatDateTime, formatRelative } from '../time.js';
import { deniedHere } from '../workspace.js';

const LIMIT = 20;
// Fields of a stored definition that are bookkeeping, not something the user set.
const NOT_DEFINITION = new Set(['id', 'version', 'workspace_id', 'owner_id', 'created_at', 'updated_at', 'next_run_at',
  'last_run_at', 'last_status', 'schedule_version', 'at', 'actor', 'changes']);

/** The job page's tabs: Overview and History. */
export function jobTabs(jobId, current) {
  return h('nav', { class: 'tabs', 'aria-label': 'Job' },
    h('a', { href: `/jobs/${jobId}`, 'aria-current': current === 'overview' ? 'page' : false }, 'Overview'),
    h('a', { href: `/jobs/${jobId}/history`, 'aria-current': current === 'history' ? 'page' : false }, 'History'));
}

/** before → after, one row per field. */
export function changesTable(changes, caption) {
  const rows = changeRows(changes);
  if (!rows.length) return h('p', { class: 'muted' }, 'No changes to the definition.');
  if (isCreation(changes)) {
    // The first version: what the job was created with (a "before" column would say "(none)" throughout).
    return h('details', { class: 'created-with' }, h('summary', {}, `Created with ${rows.length} settings`),
      h('dl', { class: 'settings' }, rows.map((r) => h('div', {}, h('dt', {}, r.label), h('dd', { class: 'break' }, r.after)))));
  }
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table responsive diff' },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', {}, h('tr', {}, ['Field', 'Before', 'After'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, rows.map((r) => h('tr', {},
      h('th', { scope: 'row', 'data-label': 'Field' }, r.label),
      h('td', { 'data-label': 'Before' }, r.added ? h('span', { class: 'muted' }, '(none)') : h('del', {}, r.before)),
      h('td', { 'data-label': 'After' }, h('ins', {}, r.after)))))));
}

/** "Restored version 2 as version 5." */
function restoredMessage(n, restored) {
  return `Restored version ${n}${restored?.version ? ` as version ${restored.version}` : ''}.`;
}

/** Ask, restore version `n` of `job` as a new version; resolves the job, or null. */
export async function restoreVersion(job, n) {
  const ok = await confirmDialog({ title: `Restore version ${n} of “${job.name}”?`,
    message: 'The job’s definition becomes what it was in that version, saved as a new version. Nothing is lost: the current one stays in the history.',
    confirmLabel: 'Restore version' });
  if (!ok) return null;
  try {
    return (await post(`/jobs/${job.id}/versions/${n}/restore`)) || job;
  } catch (err) {
    announce(err.message, 'error');
    return null;
  }
}

function when(iso) {
  return h('time', { datetime: iso, title: formatDateTime(iso) }, formatRelative(iso) || formatDateTime(iso));
}

async function loadJob(view, id) {
  try {
    return await get(`/jobs/${id}`);
  } catch (err) {
    view.append(h('h1', {}, 'Job history'), h('p', { class: 'form-alert', role: 'alert' },
      err.status === 404 ? 'This job does not exist (or is not in this workspace).' : err.message));
    return null;
  }
}

export async function render(view, params, query) {
  let job = await loadJob(view, params.id);
  if (!job) return undefined;
  document.title = `History · ${job.name} · Chronos`;
  const restoreDenied = deniedHere('job.restore');
  const list = h('ol', { class: 'versions' });
  const summary = h('p', { class: 'muted', id: 'versions-summary', 'aria-live': 'polite' });
  const newer = h('button', { type: 'button', class: 'btn btn-sm' }, '← Newer versions');
  const older = h('button', { type: 'button', class: 'btn btn-sm' }, 'Older versions →');
  const pager = h('nav', { class: 'pager', 'aria-label': 'Version pages', hidden: true }, newer, older);
  let page = Math.max(1, Number(query.page) || 1);
  view.append(
    h('p', { class: 'crumbs' }, h('a', { href: '/jobs' }, '← Jobs')),
    h('div', { class: 'page-head' }, h('h1', {}, job.name)),
    jobTabs(job.id, 'history'),
    h('section', { class: 'card stack', 'aria-labelledby': 'versions-title' },
      h('h2', { id: 'versions-title' }, 'Versions'),
      summary,
      restoreDenied ? h('p', { class: 'notice denied' }, restoreDenied) : null,
      list, pager));

  function item(version) {
    const current = version.version === job.version;
    const actions = [h('a', { class: 'btn btn-sm', href: `/jobs/${job.id}/versions/${version.version}`,
      'aria-label': `View version ${version.version}` }, 'View')];
    if (!current && !restoreDenied) {
      const restore = h('button', { type: 'button', class: 'btn btn-sm', 'aria-label': `Restore version ${version.version}` },
        'Restore');
      restore.addEventListener('click', async () => {
        restore.disabled = true;
        const restored = await restoreVersion(job, version.version);
        if (restored) {
          announce(restoredMessage(version.version, restored), 'success');
          job = { ...job, ...restored };
          page = 1;
          load();
        } else if (restore.isConnected) restore.disabled = false;
      });
      actions.push(restore);
    }
    return h('li', { class: 'version' },
      h('div', { class: 'version-head' },
        h('h3', { id: `version-${version.version}`, class: 'version-title' }, `Version ${version.version}`,
          current ? h('span', { class: 'badge badge-active' }, 'current') : null),
        h('p', { class: 'muted small' }, when(version.at), ' · by ', actorLabel(version.actor), ' · ',
          summarizeChanges(version.changes)),
        h('div', { class: 'row-actions' }, actions)),
      changesTable(version.changes, `Changes in version ${version.version}`));
  }

  async function load() {
    let data;
    try {
      data = await get(`/jobs/${job.id}/versions`, { page, limit: LIMIT });
    } catch (err) {
      summary.textContent = err.message;
      return;
    }
    const items = data.items || [];
    const total = data.total ?? items.length;
    summary.textContent = total ? `${total} version${total === 1 ? '' : 's'}, newest first.` : 'No versions recorded yet.';
    list.replaceChildren(...items.map(item));
    pager.hidden = total <= LIMIT;
    newer.disabled = page <= 1;
    older.disabled = page * LIMIT >= total;
  }
  newer.addEventListener('click', () => { page -= 1; load(); });
  older.addEventListener('click', () => { page += 1; load(); });
  await load();
  return undefined;
}

/** One version's full definition (/jobs/:id/versions/:n), with Restore. */
export async function renderVersion(view, params) {
  const job = await loadJob(view, params.id);
  if (!job) return undefined;
  const n = Number(params.n);
  document.title = `Version ${n} · ${job.name} · Chronos`;
  let version;
  try {
    version = await get(`/jobs/${job.id}/versions/${n}`);
  } catch (err) {
    view.append(h('p', { class: 'crumbs' }, h('a', { href: `/jobs/${job.id}/history` }, `← History of ${job.name}`)),
      h('h1', {}, `Version ${n}`), h('p', { class: 'form-alert', role: 'alert' },
        err.status === 404 ? 'This version does not exist.' : err.message));
    return undefined;
  }
  const definition = version.definition || version.job || version;
  const restoreDenied = deniedHere('job.restore');
  const current = n === job.version;
  const restore = h('button', { type: 'button', class: 'btn btn-primary' }, 'Restore this version');
  restore.addEventListener('click', async () => {
    restore.disabled = true;
    const restored = await restoreVersion(job, n);
    if (restored) navigate(`/jobs/${job.id}/history`, { flash: [restoredMessage(n, restored), 'success'] });
    else if (restore.isConnected) restore.disabled = false;
  });
  const rows = Object.entries(definition).filter(([key]) => !NOT_DEFINITION.has(key));
  appendTo(view,
    h('p', { class: 'crumbs' }, h('a', { href: `/jobs/${job.id}/history` }, `← History of ${job.name}`)),
    h('div', { class: 'page-head' },
      h('div', { class: 'title-row' }, h('h1', {}, `Version ${n} of “${job.name}”`),
        current ? h('span', { class: 'badge badge-active' }, 'current') : null),
      h('div', { class: 'head-actions' }, current || restoreDenied ? null : restore)),
    version.at ? h('p', { class: 'muted' }, 'Saved ', when(version.at), ' by ', actorLabel(version.actor), '.') : null,
    restoreDenied && !current ? h('p', { class: 'notice denied' }, restoreDenied) : null,
    h('section', { class: 'card', 'aria-labelledby': 'definition-title' },
      h('h2', { id: 'definition-title' }, 'Definition'),
      h('dl', { class: 'settings' }, rows.map(([key, value]) => h('div', {},
        h('dt', {}, fieldLabel(key)), h('dd', { class: 'break' }, formatValue(value)))))),
    version.changes ? h('section', { class: 'card', 'aria-labelledby': 'changes-title' },
      h('h2', { id: 'changes-title' }, 'What this version changed'),
      changesTable(version.changes, `Changes in version ${n}`)) : null);
  return undefined;
}

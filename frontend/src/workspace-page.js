// The frame of a workspace's settings pages: its name, and tabs for Members, API keys, Audit log and
// Settings. Opening one makes that workspace the current one, so the header and the jobs agree.
import { ensureWorkspaces } from './api.js';
import { announce, h } from './dom.js';
import { roleLabel } from './roles.js';
import { chooseWorkspace, currentWorkspace, knownWorkspaces } from './workspace.js';

export const TABS = [
  ['members', 'Members'],
  ['api-keys', 'API keys'],
  ['audit', 'Audit log'],
  ['settings', 'Settings'],
];

/**
 * Draw the frame for tab `tab` of workspace `id` into `view`; resolves {workspace, body} to fill in,
 * or null (with a message drawn) when the user is not a member of it.
 */
export async function workspacePage(view, id, tab) {
  await ensureWorkspaces();
  const workspace = knownWorkspaces().find((w) => String(w.id) === String(id));
  if (!workspace) {
    view.append(h('h1', {}, 'Workspace'), h('p', { class: 'form-alert', role: 'alert' },
      'This workspace does not exist, or you are not a member of it.'));
    return null;
  }
  if (String(currentWorkspace()?.id) !== String(workspace.id)) chooseWorkspace(workspace.id);
  const label = TABS.find(([key]) => key === tab)[1];
  document.title = `${label} · ${workspace.name} · Chronos`;
  const body = h('div', { class: 'stack' });
  view.append(
    h('div', { class: 'page-head' },
      h('div', { class: 'title-row' }, h('h1', {}, workspace.name),
        workspace.personal ? h('span', { class: 'badge' }, 'personal') : null),
      h('p', { class: 'muted' }, `You are ${/^[aeiou]/i.test(workspace.role) ? 'an' : 'a'} ${roleLabel(workspace.role).toLowerCase()} here.`)),
    h('nav', { class: 'tabs', 'aria-label': 'Workspace settings' },
      TABS.map(([key, text]) => h('a', { href: `/workspaces/${workspace.id}/${key}`,
        'aria-current': key === tab ? 'page' : false }, text))),
    body);
  return { workspace, body };
}

/** A one-time value (an API key, an invitation link) with a Copy button. */
export function copyRow(id, value, what) {
  const code = h('code', { class: 'secret', id }, value);
  // The visible word starts the accessible name ("Copy API key"), as speech input expects.
  const copy = h('button', { type: 'button', class: 'btn btn-sm' }, 'Copy', h('span', { class: 'sr-only' }, ` ${what}`));
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(value);
      announce(`Copied the ${what}.`, 'success');
    } catch {
      // No clipboard permission (plain http, an older browser): select it for Ctrl+C instead.
      const range = document.createRange();
      range.selectNodeContents(code);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }
  });
  return h('div', { class: 'secret-row' }, code, copy);
}

/** A note in place of a control the caller's role may not use. */
export function deniedNote(text) {
  return h('p', { class: 'notice denied' }, text);
}

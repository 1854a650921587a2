// The workspace the web app acts in: chosen in the header, remembered per user in localStorage (so
// a new tab opens where you were), and the personal workspace when nothing (or a stale id) is chosen.
// api.js sends it as X-Chronos-Workspace on every request.
import { reason } from './roles.js';

const PREFIX = 'chronos.workspace.';

let workspaces = [];
let userKey = null;
let chosen = null;
const listeners = new Set();

function storage() {
  try {
    return globalThis.localStorage || null;
  } catch {
    return null; // storage disabled by the browser: the choice lasts for this page only
  }
}

/** The stored workspace id for a user (by id or e-mail), or null. */
export function readChoice(user, store = storage()) {
  if (!user || !store) return null;
  return store.getItem(PREFIX + user) || null;
}

/** Remember (or, with null, forget) a user's workspace. */
export function writeChoice(user, id, store = storage()) {
  if (!user || !store) return;
  if (id === null || id === undefined) store.removeItem(PREFIX + user);
  else store.setItem(PREFIX + user, String(id));
}

/**
 * Which workspace to act in: the chosen one while the user is still a member of it, else the personal
 * one, else the first. `list` is GET /workspaces' items; null when the list is empty.
 */
export function pickWorkspace(list, choice) {
  if (!list || !list.length) return null;
  return list.find((w) => String(w.id) === String(choice))
    || list.find((w) => w.personal) || list[0];
}

/** Start for a signed-in user (or stop, with null): forget another user's list, read their choice. */
export function setUser(user) {
  const key = user ? String(user.id ?? user.email ?? '') || null : null;
  if (key === userKey) return;
  userKey = key;
  workspaces = [];
  chosen = readChoice(userKey);
  notify();
}

/** The id to send as X-Chronos-Workspace, or null (the server then uses the personal workspace). */
export function workspaceHeader() {
  const current = currentWorkspace();
  if (current) return current.personal ? null : String(current.id);
  return chosen;
}

/** The workspace acted in ({id, name, role, personal}), once the list is known; else null. */
export function currentWorkspace() {
  return pickWorkspace(workspaces, chosen);
}

/** The caller's role in the current workspace, or null before the list is known. */
export function currentRole() {
  return currentWorkspace()?.role || null;
}

/**
 * Why the caller may not use the control for `action` here ("Editors and above can edit jobs."), or
 * null when they may, or when their role is not known yet (then the server decides).
 */
export function deniedHere(action) {
  const role = currentRole();
  return role ? reason(role, action) : null;
}

/** Every workspace the user is a member of, as last loaded. */
export function knownWorkspaces() {
  return workspaces;
}

/** Replace the list (after GET /workspaces). A choice the user is no longer a member of is forgotten. */
export function setWorkspaces(list) {
  workspaces = Array.isArray(list) ? list : [];
  if (chosen && workspaces.length && !workspaces.some((w) => String(w.id) === String(chosen))) {
    chosen = null;
    writeChoice(userKey, null);
  }
  notify();
}

/** Act in workspace `id` from now on (remembered for this user). */
export function chooseWorkspace(id) {
  chosen = id === null || id === undefined ? null : String(id);
  writeChoice(userKey, chosen);
  notify();
}

/** The chosen workspace is gone (left, removed, deleted): back to the personal one. */
export function resetWorkspace() {
  const gone = chosen;
  chosen = null;
  writeChoice(userKey, null);
  workspaces = workspaces.filter((w) => String(w.id) !== String(gone));
  notify();
}

/** Call `fn(currentWorkspace())` whenever the list or the choice changes. */
export function onWorkspaceChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function notify() {
  const current = currentWorkspace();
  listeners.forEach((fn) => fn(current));
}

/**
 * Where the page at `path` goes when switching to workspace `id`: a settings tab to the same tab of
 * the other workspace; one job or execution (which belongs to the old one) to the jobs list; a list
 * or the dashboard stays.
 */
export function pathInWorkspace(path, id) {
  const settings = /^\/workspaces\/[^/]+(\/[a-z-]+)?\/?$/.exec(path);
  if (settings) return `/workspaces/${id}${settings[1] || ''}`;
  if (/^\/(jobs|executions)\/[^/]+/.test(path) && path !== '/jobs/new') return '/jobs';
  return path;
}

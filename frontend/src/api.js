// The only module that calls fetch: the session's tokens, their refresh before expiry, errors, and
// the workspace every request acts in (X-Chronos-Workspace).
import { knownWorkspaces, resetWorkspace, setUser, setWorkspaces, workspaceHeader } from './workspace.js';

const BASE = '/api/v1';
const STORAGE_KEY = 'chronos.session';
// Refresh this long before the access token expires, so a request never goes out with a dying token.
const REFRESH_MARGIN_MS = 60_000;

/** An API failure in the one error shape: status, message and, for bad input, field errors. */
export class ApiError extends Error {
  constructor(status, body = {}, retryAfter = null) {
    super(body.message || defaultMessage(status));
    this.name = 'ApiError';
    this.status = status;
    this.errors = body.errors || {};
    this.retryAfter = retryAfter;
  }
}

function defaultMessage(status) {
  if (status === 0) return 'Cannot reach the Chronos server. Check your connection and try again.';
  if (status === 429) return 'Too many requests. Wait a moment and try again.';
  if (status >= 500) return 'The server had a problem. Try again in a moment.';
  return `Request failed (${status}).`;
}

let session = readStored();
let refreshTimer = null;
let refreshing = null;
const listeners = new Set();

function readStored() {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY)) || null;
  } catch {
    return null;
  }
}

/** When a JWT expires (ms since epoch), read from its own `exp` claim. */
function tokenExpiry(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload)).exp * 1000;
  } catch {
    return Date.now() + 5 * 60_000;
  }
}

function store(tokens, user) {
  session = {
    access: tokens.access_token,
    refresh: tokens.refresh_token || session?.refresh,
    expiresAt: tokenExpiry(tokens.access_token),
    user: user || tokens.user || session?.user || null,
  };
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  setUser(session.user);
  scheduleRefresh();
  listeners.forEach((fn) => fn(session));
}

function clear() {
  session = null;
  clearTimeout(refreshTimer);
  sessionStorage.removeItem(STORAGE_KEY);
  setUser(null);
  listeners.forEach((fn) => fn(null));
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  if (!session?.refresh) return;
  const wait = Math.max(1000, session.expiresAt - Date.now() - REFRESH_MARGIN_MS);
  refreshTimer = setTimeout(() => { refresh().catch(() => {}); }, wait);
}

/** The signed-in user, or null. */
export function currentUser() {
  return session?.user || null;
}

export function isSignedIn() {
  return Boolean(session?.access);
}

/** Call `fn(session|null)` whenever the session starts, refreshes or ends. */
export function onSessionChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Rotate the tokens (one refresh at a time, however many requests are waiting). */
export function refresh() {
  if (!session?.refresh) return Promise.reject(new ApiError(401, { message: 'Your session has ended.' }));
  if (!refreshing) {
    const token = session.refresh;
    refreshing = send('POST', '/auth/refresh', { token })
      .then((tokens) => store(tokens))
      .catch((err) => {
        if (err.status === 401 || err.status === 422) expire();
        throw err;
      })
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

function expire() {
  clear();
  window.dispatchEvent(new CustomEvent('chronos:session-expired'));
}

async function send(method, path, { body, query, token, signal, workspace } = {}) {
  let url = BASE + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
    }
    const text = params.toString();
    if (text) url += `?${text}`;
  }
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  if (workspace) headers['X-Chronos-Workspace'] = workspace;
  let response;
  try {
    response = await fetch(url, {
      method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0);
  }
  if (response.status === 204) return null;
  let data = null;
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const retryAfter = Number(response.headers.get('Retry-After')) || null;
    const errorBody = data && typeof data === 'object' ? data : {};
    if (response.status === 429 && retryAfter) {
      errorBody.message = `Too many requests. Try again in ${retryAfter} s.`;
    }
    throw new ApiError(response.status, errorBody, retryAfter);
  }
  return data;
}

/**
 * An authenticated request. Refreshes a token that is about to expire first; on a 401 tries one
 * refresh and retries; if the session cannot be renewed, signs out and sends the user to sign in.
 */
export async function request(method, path, options = {}) {
  if (!session) {
    expire();
    throw new ApiError(401, { message: 'Please sign in.' });
  }
  if (session.expiresAt - Date.now() < REFRESH_MARGIN_MS / 2) {
    await refresh().catch(() => {});
    if (!session) throw new ApiError(401, { message: 'Your session has expired. Please sign in again.' });
  }
  // Routes that name their workspace in the path (or need none) go without the header.
  const workspace = NAMES_ITS_WORKSPACE.test(path) ? null : workspaceHeader();
  try {
    return await authorized(method, path, { ...options, workspace });
  } catch (err) {
    if (workspace && err instanceof ApiError && err.status === 404) await checkWorkspace(workspace);
    throw err;
  }
}

const NAMES_ITS_WORKSPACE = /^\/(workspaces|invitations|auth)(\/|$)/;

async function authorized(method, path, options) {
  try {
    return await send(method, path, { ...options, token: session.access });
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    try {
      await refresh();
    } catch {
      expire();
      throw new ApiError(401, { message: 'Your session has expired. Please sign in again.' });
    }
    return send(method, path, { ...options, token: session.access });
  }
}

/**
 * A 404 in a shared workspace may mean the user is no longer a member of it (they left, were removed,
 * or it was deleted): if so, forget it, go back to the personal workspace and tell the shell.
 */
async function checkWorkspace(workspace) {
  let list;
  try {
    list = await authorized('GET', '/workspaces', { query: { limit: 100 } });
  } catch {
    return;
  }
  const items = list?.items || [];
  if (items.some((w) => String(w.id) === String(workspace))) return;
  setWorkspaces(items);
  resetWorkspace();
  window.dispatchEvent(new CustomEvent('chronos:workspace-gone'));
}

/** The workspaces the signed-in user is a member of (and keep the list for the switcher). */
export async function loadWorkspaces() {
  const list = await request('GET', '/workspaces', { query: { limit: 100 } });
  setWorkspaces(list?.items || []);
  return list?.items || [];
}

let loadingWorkspaces = null;

/** The workspace list, loaded once (pages need the caller's role before they draw their controls). */
export function ensureWorkspaces() {
  if (knownWorkspaces().length) return Promise.resolve(knownWorkspaces());
  if (!loadingWorkspaces) {
    loadingWorkspaces = loadWorkspaces().catch(() => []).finally(() => { loadingWorkspaces = null; });
  }
  return loadingWorkspaces;
}

export const get = (path, query, options = {}) => request('GET', path, { ...options, query });
export const post = (path, body, options = {}) => request('POST', path, { ...options, body });
export const patch = (path, body) => request('PATCH', path, { body });
export const put = (path, body) => request('PUT', path, { body });
export const del = (path) => request('DELETE', path);

/** Sign in: keeps the tokens in this tab's sessionStorage. */
export async function signIn(email, password) {
  const tokens = await send('POST', '/auth/login', { body: { email, password } });
  store(tokens, tokens.user);
  return tokens.user;
}

/** Create an account and sign in with the tokens it comes with. */
export async function register(email, password) {
  const account = await send('POST', '/auth/register', { body: { email, password } });
  store(account, account.user);
  return account.user;
}

/** Sign out: revoke the access and refresh tokens on the server, then forget them here. */
export async function signOut() {
  const current = session;
  clear();
  if (!current) return;
  // Revoke both tokens in one call; if the access token has already expired, present the refresh
  // token itself. A failure (server down) must not keep the user signed in here.
  try {
    await send('POST', '/auth/logout', { token: current.access, body: { refresh_token: current.refresh } });
  } catch {
    if (current.refresh) await send('POST', '/auth/logout', { token: current.refresh, body: {} }).catch(() => {});
  }
}

// A tab that was hidden for a long time may have missed its timer: catch up when it comes back.
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && session && session.expiresAt - Date.now() < REFRESH_MARGIN_MS) {
    refresh().catch(() => {});
  }
});

if (session) {
  setUser(session.user);
  scheduleRefresh();
}

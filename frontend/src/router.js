// History-API routes (/jobs/12, /executions/34): e-mails link straight to them.
import { isSignedIn } from './api.js';
import { announce, clearToasts } from './dom.js';

const routes = [];
let outlet = null;
let cleanup = null;
let renderId = 0;
let onRendered = () => {};
let prepare = async () => {};
let rendered = false;

/** Register a route: pattern like "/jobs/:id", a view module's `render`, and whether it needs sign-in. */
export function route(pattern, render, { public: isPublic = false, title = '' } = {}) {
  const keys = [];
  const regex = new RegExp(`^${pattern.replace(/:([a-z_]+)/g, (_, key) => { keys.push(key); return '([^/]+)'; })}/?$`);
  routes.push({ regex, keys, render, isPublic, title });
}

function match(pathname) {
  for (const r of routes) {
    const m = r.regex.exec(pathname);
    if (m) {
      const params = {};
      r.keys.forEach((key, i) => { params[key] = decodeURIComponent(m[i + 1]); });
      return { ...r, params };
    }
  }
  return null;
}

let flash = null;

/** Go to a URL inside the app; `flash: [message, tone]` is announced on the page it leads to. */
export function navigate(url, { replace = false, state = null, flash: message = null } = {}) {
  if (replace) history.replaceState(state, '', url);
  else history.pushState(state, '', url);
  flash = message;
  return render();
}

/** Update the query string without re-rendering (filters, pages). */
export function setQuery(params) {
  const url = new URL(location.href);
  for (const [key, value] of Object.entries(params)) {
    if (value === '' || value === null || value === undefined || (key === 'page' && Number(value) === 1)) {
      url.searchParams.delete(key);
    } else {
      url.searchParams.set(key, String(value));
    }
  }
  history.replaceState(history.state, '', url.pathname + url.search);
}

/** Where the user is now, to come back to after signing in. */
export function currentPath() {
  return location.pathname + location.search;
}

async function render() {
  const id = ++renderId;
  const found = match(location.pathname) || match('/404');
  if (!found.isPublic && !isSignedIn()) {
    const next = encodeURIComponent(currentPath());
    history.replaceState(null, '', `/sign-in?next=${next}`);
    return render();
  }
  if (cleanup) {
    try { cleanup(); } catch (err) { console.warn(err); }
    cleanup = null;
  }
  // Toasts belong to the page they were about; the next page starts without them.
  clearToasts();
  const view = document.createElement('div');
  view.className = 'view';
  outlet.replaceChildren(view);
  document.title = found.title ? `${found.title} · Chronos` : 'Chronos';
  const query = Object.fromEntries(new URLSearchParams(location.search));
  if (!found.isPublic) await prepare();
  if (id !== renderId) return;
  const result = await found.render(view, found.params, query);
  if (id !== renderId) {
    if (typeof result === 'function') result();
    return;
  }
  cleanup = typeof result === 'function' ? result : null;
  if (flash) { announce(...flash); flash = null; }
  onRendered(found);
  // After an in-app navigation, move focus to the new page's heading so screen readers announce it
  // (a first page load leaves focus at the start, where the skip link is).
  const heading = view.querySelector('h1');
  const firstRender = !rendered;
  rendered = true;
  if (heading && !firstRender && !view.contains(document.activeElement)) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
  window.scrollTo(0, 0);
}

/**
 * Start: intercept same-origin link clicks and back/forward. `beforeRender` is awaited before a
 * signed-in page draws (what every such page needs first: the workspace and the caller's role).
 */
export function start(element, { afterRender, beforeRender } = {}) {
  outlet = element;
  if (afterRender) onRendered = afterRender;
  if (beforeRender) prepare = beforeRender;
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a[href]');
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    // (Read as attributes: an SVG link's `href` and `target` are not strings.)
    if (link.getAttribute('target') || link.hasAttribute('download') || link.dataset?.external !== undefined) return;
    const url = new URL(link.getAttribute('href'), location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api')) return;
    // In-page anchors (the skip link) keep their normal behaviour.
    if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
    event.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
  window.addEventListener('popstate', () => render());
  return render();
}

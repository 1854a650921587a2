// A tiny element builder. User data only ever goes in as text nodes (never innerHTML).

/**
 * h('a', {href: '/jobs', class: 'btn'}, 'Jobs', child, [more]) → Element.
 * Attributes starting with "on" and holding a function become event listeners; `false`/`null` are skipped.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'value' && 'value' in el) {
      el.value = value;
    } else if (value === true) {
      el.setAttribute(key, '');
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Append children to an element, skipping null/false (Element.append would print "null"). */
export function appendTo(el, ...children) {
  append(el, children);
  return el;
}

/** Replace an element's children. */
export function setChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

const MAX_TOASTS = 3;
const TOAST_MS = { info: 5000, success: 5000, warn: 8000, error: 10000 };

/**
 * Announce a status message to screen readers and show it as a toast under the top bar.
 * At most a few at once, each dismissible and gone after a few seconds; an error removes the
 * success and info messages before it (a stale "Saved" must not sit above "Could not save").
 */
export function announce(message, tone = 'info') {
  const region = document.getElementById('toasts');
  if (!region) return;
  if (tone === 'error' || tone === 'warn') {
    region.querySelectorAll('.toast-success, .toast-info').forEach((old) => old.remove());
  }
  const close = h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss message' }, '×');
  const toast = h('div', { class: `toast toast-${tone}` }, h('span', {}, message), close);
  close.addEventListener('click', () => toast.remove());
  region.appendChild(toast);
  while (region.children.length > MAX_TOASTS) region.firstElementChild.remove();
  setTimeout(() => toast.remove(), TOAST_MS[tone] || TOAST_MS.info);
}

/** Remove every toast (on navigation: a message belongs to the page it was about). */
export function clearToasts() {
  document.getElementById('toasts')?.replaceChildren();
}

/** A status badge: the colour helps, the word carries the meaning. */
export function badge(status) {
  const text = status || '—';
  return h('span', { class: `badge badge-${String(text).replace(/[^a-z_]/g, '')}` }, text.replace(/_/g, ' '));
}

/** Ask to confirm in a modal <dialog>; resolves true when the user confirms. */
export function confirmDialog({ title, message, confirmLabel = 'Confirm', danger = false }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'confirm-title' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'confirm-title' }, title),
        h('p', {}, message),
        h('div', { class: 'actions' },
          h('button', { type: 'submit', value: 'cancel', class: 'btn' }, 'Cancel'),
          h('button', { type: 'submit', value: 'ok', class: danger ? 'btn btn-danger' : 'btn btn-primary' },
            confirmLabel))));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'ok');
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
    });
    document.body.appendChild(dialog);
    dialog.showModal();
  });
}

/** Debounce a function by `ms`. */
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

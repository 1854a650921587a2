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

/** Replace an element's children. */
export function setChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** Announce a status message to screen readers and show it as a toast. */
export function announce(message, tone = 'info') {
  const region = document.getElementById('toasts');
  if (!region) return;
  const toast = h('div', { class: `toast toast-${tone}` }, message);
  region.appendChild(toast);
  // A few at a time: older ones make room.
  while (region.children.length > 3) region.firstElementChild.remove();
  setTimeout(() => toast.remove(), 5000);
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

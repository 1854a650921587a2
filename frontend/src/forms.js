// Field errors next to their fields (from the server's 422 `errors` or from checks in the browser).
import { h } from './dom.js';

/** {"target": {"url": ["bad"]}} → {"target.url": "bad"}; lists of messages are joined. */
export function flattenErrors(errors, prefix = '') {
  const flat = {};
  for (const [key, value] of Object.entries(errors || {})) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) flat[name] = value.join(' ');
    else if (value && typeof value === 'object') Object.assign(flat, flattenErrors(value, name));
    else flat[name] = String(value);
  }
  return flat;
}

/** Remove every error shown in the form. */
export function clearErrors(form) {
  form.querySelectorAll('.field-error').forEach((el) => el.remove());
  form.querySelectorAll('[aria-invalid]').forEach((el) => {
    el.removeAttribute('aria-invalid');
    const ids = (el.getAttribute('aria-describedby') || '').split(' ').filter((id) => !id.endsWith('-error'));
    if (ids.length) el.setAttribute('aria-describedby', ids.join(' '));
    else el.removeAttribute('aria-describedby');
  });
  const alert = form.querySelector('.form-alert');
  if (alert) { alert.hidden = true; alert.replaceChildren(); }
}

/** Show one message under the control whose data-field is `field`. Returns the control, or null. */
export function showFieldError(form, field, message) {
  let name = field;
  let control = null;
  // "notify_emails.0" or "target.headers.X" fall back to the nearest field that exists in the form.
  while (name && !(control = form.querySelector(`[data-field="${CSS.escape(name)}"]`))) {
    name = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : '';
  }
  if (!control) return null;
  const errorId = `${control.id || name.replace(/\W/g, '-')}-error`;
  let box = form.querySelector(`#${CSS.escape(errorId)}`);
  if (!box) {
    box = h('p', { class: 'field-error', id: errorId });
    const anchor = control.closest('.field, fieldset') || control;
    anchor.appendChild(box);
  }
  box.textContent = box.textContent ? `${box.textContent} ${message}` : message;
  control.setAttribute('aria-invalid', 'true');
  const described = new Set((control.getAttribute('aria-describedby') || '').split(' ').filter(Boolean));
  described.add(errorId);
  control.setAttribute('aria-describedby', [...described].join(' '));
  return control;
}

/** Show a message for the whole form (role=alert), with any errors no field claimed. */
export function showFormAlert(form, message, leftovers = {}) {
  let alert = form.querySelector('.form-alert');
  if (!alert) {
    alert = h('div', { class: 'form-alert', role: 'alert', tabindex: '-1' });
    form.prepend(alert);
  }
  alert.hidden = false;
  alert.replaceChildren(h('p', {}, message));
  const rest = Object.entries(leftovers);
  if (rest.length) {
    alert.appendChild(h('ul', {}, rest.map(([field, text]) => h('li', {}, field === '_schema' ? text : `${field}: ${text}`))));
  }
  return alert;
}

/** Show an ApiError (or client-side errors) on a form; focus the first invalid control. */
export function showErrors(form, err) {
  clearErrors(form);
  const flat = flattenErrors(err.errors);
  const unplaced = {};
  let first = null;
  for (const [field, message] of Object.entries(flat)) {
    const control = showFieldError(form, field, message);
    if (!control) unplaced[field] = message;
    else if (!first) first = control;
  }
  const count = Object.keys(flat).length;
  const message = count ? `Please fix ${count === 1 ? 'the highlighted field' : 'the highlighted fields'}.`
    : err.message;
  if (!count || Object.keys(unplaced).length) {
    const alert = showFormAlert(form, count ? err.message : message, unplaced);
    if (!first) alert.focus();
  } else {
    showFormAlert(form, message);
  }
  // Focus the first invalid control in reading order, not in the order the server listed them.
  const firstInForm = form.querySelector('[aria-invalid="true"]');
  if (firstInForm) firstInForm.focus();
  else if (first) first.focus();
}

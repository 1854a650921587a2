// A workspace's API keys: create one (name, role, optional expiry) and see it once, list them with
// their prefix, role, last use and expiry, and revoke one (refused at once, everywhere).
import { del, get, post } from '../api.js';
import { announce, confirmDialog, h } from '../dom.js';
import { clearErrors, showErrors } from '../forms.js';
import { grantableRoles, reason, roleLabel } from '../roles.js';
import { formatDateTime, formatRelative, zonedLocalToIso, browserZone } from '../time.js';
import { copyRow, deniedNote, workspacePage } from '../workspace-page.js';

function when(iso, empty) {
  if (!iso) return h('span', { class: 'muted' }, empty);
  return h('time', { datetime: iso, title: formatDateTime(iso) }, formatRelative(iso));
}

/** The key, once: copy it now, it is never shown again. */
function keyCallout(created, onDismiss) {
  const dismiss = h('button', { type: 'button', class: 'btn btn-sm btn-ghost' }, 'I have copied it');
  const box = h('section', { class: 'callout', 'aria-labelledby': 'new-key-title' },
    h('div', { class: 'callout-head' }, h('h3', { id: 'new-key-title' }, `API key “${created.name}” — shown only once`), dismiss),
    h('p', {}, 'Copy it now and keep it somewhere safe: you won’t see it again. It acts in this workspace as ',
      `${roleLabel(created.role).toLowerCase()}; send it as “Authorization: Bearer <key>”.`),
    copyRow('new-api-key', created.key, 'API key'));
  dismiss.addEventListener('click', () => { box.remove(); onDismiss(); });
  return box;
}

export async function render(view, params) {
  const page = await workspacePage(view, params.id, 'api-keys');
  if (!page) return undefined;
  const { workspace, body } = page;
  const base = `/workspaces/${workspace.id}/api-keys`;
  const denied = reason(workspace.role, 'api_keys.manage');
  if (denied) {
    body.append(h('section', { class: 'card', 'aria-labelledby': 'keys-title' },
      h('h2', { id: 'keys-title' }, 'API keys'), deniedNote(denied)));
    return undefined;
  }

  const name = h('input', { id: 'key-name', 'data-field': 'name', required: true, maxlength: '100', autocomplete: 'off',
    placeholder: 'CI deploys' });
  const role = h('select', { id: 'key-role', 'data-field': 'role' },
    grantableRoles(workspace.role).map((r) => h('option', { value: r }, roleLabel(r))));
  role.value = 'editor';
  const expires = h('input', { id: 'key-expires', type: 'date', 'data-field': 'expires_at', 'aria-describedby': 'key-expires-hint' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create key');
  const form = h('form', { class: 'stack', novalidate: true },
    h('div', { class: 'grid-3' },
      h('div', { class: 'field' }, h('label', { for: 'key-name' }, 'Name'), name),
      h('div', { class: 'field' }, h('label', { for: 'key-role' }, 'Role'), role),
      h('div', { class: 'field' }, h('label', { for: 'key-expires' }, 'Expires (optional)'), expires,
        h('p', { class: 'hint', id: 'key-expires-hint' }, 'At the end of that day, your time. Empty: never.'))),
    h('div', { class: 'form-actions' }, submit));
  const createdSlot = h('div', {});
  const tbody = h('tbody');
  const empty = h('p', { class: 'muted' }, 'No API keys yet.');
  const tableWrap = h('div', { class: 'table-wrap' }, h('table', { class: 'table responsive' },
    h('caption', { class: 'sr-only' }, 'API keys of this workspace'),
    h('thead', {}, h('tr', {}, ['Name', 'Key', 'Role', 'Created', 'Last used', 'Expires', 'Actions']
      .map((t) => h('th', { scope: 'col' }, t)))),
    tbody));

  body.append(
    h('section', { class: 'card stack', 'aria-labelledby': 'new-key-form-title' },
      h('h2', { id: 'new-key-form-title' }, 'Create an API key'),
      h('p', { class: 'muted' }, 'A key lets a script or CI act in this workspace without a password, with the role you give it (at most your own).'),
      form, createdSlot),
    h('section', { class: 'card', 'aria-labelledby': 'keys-title' },
      h('h2', { id: 'keys-title' }, 'API keys'), tableWrap, empty));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!name.value.trim()) {
      showErrors(form, { message: 'Name the key.', errors: { name: ['Enter a name, such as what uses the key.'] } });
      return;
    }
    const data = { name: name.value.trim(), role: role.value };
    if (expires.value) data.expires_at = zonedLocalToIso(`${expires.value}T23:59:59`, browserZone());
    submit.disabled = true;
    try {
      const created = await post(base, data);
      createdSlot.replaceChildren(keyCallout(created, () => name.focus()));
      createdSlot.querySelector('.secret-row button').focus();
      form.reset();
      role.value = 'editor';
      load();
    } catch (err) {
      showErrors(form, err);
    } finally {
      submit.disabled = false;
    }
  });

  function row(key) {
    const revoke = h('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost', 'aria-label': `Revoke ${key.name}` },
      'Revoke');
    revoke.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: `Revoke “${key.name}”?`,
        message: 'Every request with this key is refused from now on. This cannot be undone.',
        confirmLabel: 'Revoke key', danger: true });
      if (!ok) return;
      revoke.disabled = true;
      try {
        await del(`${base}/${key.id}`);
        announce(`Revoked “${key.name}”.`, 'success');
        load();
      } catch (err) {
        announce(err.message, 'error');
        revoke.disabled = false;
      }
    });
    return h('tr', {},
      h('td', { 'data-label': 'Name' }, h('span', { class: 'strong break' }, key.name)),
      h('td', { 'data-label': 'Key' }, h('code', {}, `${key.prefix}…`)),
      h('td', { 'data-label': 'Role' }, roleLabel(key.role)),
      h('td', { 'data-label': 'Created' }, when(key.created_at, '—'),
        key.created_by ? h('span', { class: 'muted small block break' }, `by ${emails.get(key.created_by) || `user #${key.created_by}`}`) : null),
      h('td', { 'data-label': 'Last used' }, when(key.last_used_at, 'Never')),
      h('td', { 'data-label': 'Expires' }, when(key.expires_at, 'Never')),
      h('td', { 'data-label': 'Actions' }, revoke));
  }

  // Keys name their creator by user id: the members list says who that is.
  const emails = new Map();
  async function load() {
    try {
      const [data, members] = await Promise.all([get(base, { limit: 100 }),
        get(`/workspaces/${workspace.id}/members`, { limit: 100 }).catch(() => ({ items: [] }))]);
      for (const m of members.items || []) emails.set(m.user_id, m.email);
      const items = data.items || [];
      tbody.replaceChildren(...items.map(row));
      tableWrap.hidden = !items.length;
      empty.hidden = Boolean(items.length);
      empty.textContent = 'No API keys yet.';
    } catch (err) {
      tableWrap.hidden = true;
      empty.hidden = false;
      empty.textContent = err.message;
    }
  }
  await load();
  return undefined;
}

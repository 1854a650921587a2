// The workspace switcher in the top bar: every workspace the user is a member of (with their role),
// "New workspace…", and a link to the current workspace's settings. Switching keeps the page when it
// makes sense in the other workspace (lists, dashboard, settings) and goes to the jobs list otherwise.
import { loadWorkspaces, post } from './api.js';
import { announce, h } from './dom.js';
import { clearErrors, showErrors } from './forms.js';
import { navigate } from './router.js';
import { roleLabel } from './roles.js';
import { chooseWorkspace, currentWorkspace, knownWorkspaces, onWorkspaceChange, pathInWorkspace } from './workspace.js';

const NEW = '__new__';

/** Ask for a new workspace's name; resolves the created workspace, or null when cancelled. */
export function newWorkspaceDialog() {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const name = h('input', { id: 'new-workspace-name', 'data-field': 'name', required: true, maxlength: '100',
      autocomplete: 'off' });
    const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
    const form = h('form', { class: 'stack', novalidate: true },
      h('h2', { id: 'new-workspace-title' }, 'New workspace'),
      h('p', { class: 'muted' }, 'A workspace holds jobs you share with others. You will be its owner.'),
      h('div', { class: 'field' }, h('label', { for: 'new-workspace-name' }, 'Name'), name),
      h('div', { class: 'actions' }, cancel, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create workspace')));
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'new-workspace-title' }, form);
    let created = null;
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(created);
    });
    cancel.addEventListener('click', () => dialog.close());
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      if (!name.value.trim()) {
        showErrors(form, { message: 'Name the workspace.', errors: { name: ['Enter a name.'] } });
        return;
      }
      try {
        created = await post('/workspaces', { name: name.value.trim() });
        dialog.close();
      } catch (err) {
        showErrors(form, err);
      }
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    name.focus();
  });
}

/** Switch to workspace `id` and show the current page there. */
export function switchTo(id, { flash = true } = {}) {
  chooseWorkspace(id);
  const now = currentWorkspace();
  const target = pathInWorkspace(location.pathname, id);
  const message = now && flash ? [`Now in “${now.name}” (${roleLabel(now.role).toLowerCase()}).`, 'info'] : null;
  return navigate(target === location.pathname ? target + location.search : target, { flash: message });
}

/** Build the switcher into `container`; it follows the workspace list and choice from then on. */
export function mountSwitcher(container) {
  const select = h('select', { id: 'workspace-select', class: 'workspace-select' });
  const settings = h('a', { class: 'btn btn-ghost btn-sm', id: 'workspace-settings', href: '/' }, 'Settings');
  container.replaceChildren(h('label', { for: 'workspace-select', class: 'sr-only' }, 'Workspace'), select, settings);

  function draw() {
    const list = knownWorkspaces();
    const current = currentWorkspace();
    container.hidden = !list.length;
    select.replaceChildren(
      // The personal workspace is named after its owner's e-mail, which the top bar shows already.
      ...list.map((w) => h('option', { value: String(w.id) },
        `${w.personal ? 'Personal workspace' : w.name} · ${roleLabel(w.role)}`)),
      h('option', { value: NEW }, '+ New workspace…'));
    if (current) {
      select.value = String(current.id);
      settings.setAttribute('href', `/workspaces/${current.id}/members`);
      settings.setAttribute('aria-label', current.personal ? 'Settings of your personal workspace'
        : `Settings of workspace ${current.name}`);
    }
  }

  select.addEventListener('change', async () => {
    if (select.value !== NEW) {
      switchTo(select.value);
      return;
    }
    draw(); // back to the current one while the dialog is open
    const created = await newWorkspaceDialog();
    if (!created) return;
    await loadWorkspaces().catch(() => {});
    announce(`Created the workspace “${created.name}”.`, 'success');
    switchTo(created.id, { flash: false });
  });
  onWorkspaceChange(draw);
  draw();
}

// The workspace switcher in the top bar: every workspace the user is a member of (with their role),
// "New workspace…", and a link to the current workspace's settings. Switching keeps the page when it
// makes sense in the other workspace (lists, dashboard, settings) and goes to the jobs list otherwise.
import { loadWorkspaces, post } from './api.js';
import { announce, h } from './dom.js';
import { clearErrors, showErrors } from './forms.js';
import { navigate } from './router.js';
import { roleLabel } from './roles.js';
import { chooseWorkspace, currentWorkspace, knownWorkspaces, onWorkspaceChange, pathInWorkspace } from './workspace.js';

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

/**
 * Build the switcher into `container`; it follows the workspace list and choice from then on.
 * A disclosure menu, not a <select>: choosing moves to another workspace (a change of context), which
 * a select would do on every arrow key.
 */
export function mountSwitcher(container) {
  const current = h('span', { class: 'workspace-current' });
  const button = h('button', { type: 'button', class: 'btn btn-sm workspace-button', id: 'workspace-button',
    'aria-expanded': 'false', 'aria-controls': 'workspace-menu' },
  h('span', { class: 'sr-only' }, 'Workspace: '), current, h('span', { 'aria-hidden': 'true' }, ' ▾'));
  const list = h('ul', { class: 'workspace-list', 'aria-label': 'Your workspaces' });
  const create = h('button', { type: 'button', class: 'btn btn-sm btn-ghost' }, '+ New workspace…');
  const menu = h('div', { class: 'workspace-menu', id: 'workspace-menu', hidden: true }, list, create);
  const settings = h('a', { class: 'btn btn-ghost btn-sm', id: 'workspace-settings', href: '/' }, 'Settings');
  container.replaceChildren(h('div', { class: 'workspace-picker' }, button, menu), settings);

  function setOpen(open, { focusButton = false } = {}) {
    menu.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    if (open) (list.querySelector('[aria-current="true"]') || list.querySelector('button') || create).focus();
    else if (focusButton) button.focus();
  }

  function draw() {
    const all = knownWorkspaces();
    const now = currentWorkspace();
    container.hidden = !all.length;
    list.replaceChildren(...all.map((w) => {
      const item = h('button', { type: 'button', class: 'workspace-item',
        'aria-current': now && String(now.id) === String(w.id) ? 'true' : false },
      `${w.personal ? 'Personal workspace' : w.name} · ${roleLabel(w.role)}`);
      item.addEventListener('click', () => {
        setOpen(false);
        if (!now || String(now.id) !== String(w.id)) switchTo(w.id);
      });
      return h('li', {}, item);
    }));
    if (now) {
      // The personal workspace is named after its owner's e-mail, which the top bar shows already.
      current.textContent = `${now.personal ? 'Personal workspace' : now.name} · ${roleLabel(now.role)}`;
      settings.setAttribute('href', `/workspaces/${now.id}/members`);
      settings.setAttribute('aria-label', now.personal ? 'Settings of your personal workspace'
        : `Settings of workspace ${now.name}`);
    }
  }

  button.addEventListener('click', () => setOpen(menu.hidden));
  create.addEventListener('click', async () => {
    setOpen(false);
    const created = await newWorkspaceDialog();
    if (!created) { button.focus(); return; }
    await loadWorkspaces().catch(() => {});
    announce(`Created the workspace “${created.name}”.`, 'success');
    switchTo(created.id, { flash: false });
  });
  // Escape, or a click or focus anywhere else, closes it.
  container.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !menu.hidden) { event.preventDefault(); setOpen(false, { focusButton: true }); }
  });
  document.addEventListener('click', (event) => { if (!menu.hidden && !container.contains(event.target)) setOpen(false); });
  container.addEventListener('focusout', (event) => {
    if (!menu.hidden && event.relatedTarget && !container.contains(event.relatedTarget)) setOpen(false);
  });
  onWorkspaceChange(draw);
  draw();
}

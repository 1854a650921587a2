// A workspace's own settings: its name, how long its history is kept, and deleting it with everything
// in it (owners only; the others see the values and why they cannot change them).
import { del, loadWorkspaces, patch } from '../api.js';
import { announce, confirmDialog, h } from '../dom.js';
import { clearErrors, showErrors } from '../forms.js';
import { navigate } from '../router.js';
import { parseRetentionDays } from '../retention.js';
import { reason } from '../roles.js';
import { resetWorkspace } from '../workspace.js';
import { deniedNote, workspacePage } from '../workspace-page.js';

export async function render(view, params) {
  const page = await workspacePage(view, params.id, 'settings');
  if (!page) return undefined;
  const { workspace, body } = page;
  const renameDenied = reason(workspace.role, 'workspace.update');
  const deleteDenied = reason(workspace.role, 'workspace.delete')
    || (workspace.personal ? 'Your personal workspace cannot be deleted.' : null);

  const name = h('input', { id: 'workspace-name', 'data-field': 'name', required: true, maxlength: '100',
    value: workspace.name, autocomplete: 'off', disabled: Boolean(renameDenied),
    'aria-describedby': renameDenied ? 'rename-denied' : false });
  const save = h('button', { type: 'submit', class: 'btn btn-primary', disabled: Boolean(renameDenied) }, 'Rename');
  const form = h('form', { class: 'stack', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: 'workspace-name' }, 'Name'), name),
    renameDenied ? h('p', { class: 'notice denied', id: 'rename-denied' }, renameDenied) : null,
    h('div', { class: 'form-actions' }, save));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!name.value.trim()) {
      showErrors(form, { message: 'Name the workspace.', errors: { name: ['Enter a name.'] } });
      return;
    }
    save.disabled = true;
    try {
      await patch(`/workspaces/${workspace.id}`, { name: name.value.trim() });
      await loadWorkspaces().catch(() => {});
      navigate(location.pathname, { replace: true, flash: ['Workspace renamed.', 'success'] });
    } catch (err) {
      showErrors(form, err);
      save.disabled = false;
    }
  });

  const retention = retentionForm(workspace);

  const remove = h('button', { type: 'button', class: 'btn btn-danger' }, 'Delete workspace');
  remove.addEventListener('click', async () => {
    const ok = await confirmDialog({ title: `Delete “${workspace.name}”?`,
      message: 'Its jobs stop running, and the jobs, their history, API keys and audit log are deleted for every member. This cannot be undone.',
      confirmLabel: 'Delete workspace', danger: true });
    if (!ok) return;
    remove.disabled = true;
    try {
      await del(`/workspaces/${workspace.id}`);
      resetWorkspace();
      await loadWorkspaces().catch(() => {});
      navigate('/', { flash: [`Deleted the workspace “${workspace.name}”.`, 'success'] });
    } catch (err) {
      announce(err.message, 'error');
      remove.disabled = false;
    }
  });

  body.append(
    h('section', { class: 'card', 'aria-labelledby': 'rename-title' }, h('h2', { id: 'rename-title' }, 'Name'), form),
    h('section', { class: 'card', 'aria-labelledby': 'retention-title' },
      h('h2', { id: 'retention-title' }, 'History retention'), retention),
    h('section', { class: 'card stack', 'aria-labelledby': 'delete-title' }, h('h2', { id: 'delete-title' }, 'Delete this workspace'),
      deleteDenied ? deniedNote(deleteDenied)
        : [h('p', { class: 'muted' }, 'Deletes its jobs, executions, API keys and audit log, for every member.'),
          h('div', {}, remove)]));
  return undefined;
}

/** How long the workspace keeps its history: two numbers of days, empty for the instance default. */
function retentionForm(workspace) {
  const denied = reason(workspace.role, 'workspace.retention');
  const input = (id, field, value, hintId) => h('input', { id, 'data-field': field, type: 'number', min: '0',
    max: '3650', inputmode: 'numeric', placeholder: 'Instance default', autocomplete: 'off',
    value: value == null ? '' : String(value), disabled: Boolean(denied),
    'aria-describedby': denied ? `${hintId} retention-denied` : hintId });
  const keepDays = input('workspace-retention-days', 'retention_days', workspace.retention_days, 'retention-days-hint');
  const keepFailed = input('workspace-retention-failed-days', 'retention_failed_days',
    workspace.retention_failed_days, 'retention-failed-hint');
  const save = h('button', { type: 'submit', class: 'btn btn-primary', disabled: Boolean(denied) }, 'Save retention');
  const form = h('form', { class: 'stack', novalidate: true },
    h('p', { class: 'muted' }, 'Finished runs older than this are deleted, with their logs. '
      + 'A job’s own “Keep runs for” wins over it; runs still waiting or running are never deleted.'),
    h('div', { class: 'grid-2' },
      h('div', { class: 'field' }, h('label', { for: keepDays.id }, 'Keep history for (days)'), keepDays,
        h('p', { class: 'hint', id: 'retention-days-hint' }, 'Empty: the instance default. 0: forever.')),
      h('div', { class: 'field' }, h('label', { for: keepFailed.id }, 'Keep failures at least (days)'), keepFailed,
        h('p', { class: 'hint', id: 'retention-failed-hint' }, 'Empty: the instance default. 0: forever.'))),
    denied ? h('p', { class: 'notice denied', id: 'retention-denied' }, denied) : null,
    h('div', { class: 'form-actions' }, save));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const days = parseRetentionDays(keepDays.value);
    const failed = parseRetentionDays(keepFailed.value);
    const errors = {};
    if (days.error) errors.retention_days = [days.error];
    if (failed.error) errors.retention_failed_days = [failed.error];
    if (Object.keys(errors).length) {
      showErrors(form, { message: 'Check the numbers of days.', errors });
      return;
    }
    save.disabled = true;
    try {
      await patch(`/workspaces/${workspace.id}`, { retention_days: days.value, retention_failed_days: failed.value });
      await loadWorkspaces().catch(() => {});
      navigate(location.pathname, { replace: true, flash: ['History retention saved.', 'success'] });
    } catch (err) {
      showErrors(form, err);
      save.disabled = false;
    }
  });
  return form;
}

// Row and page actions on a job: pause, resume, run now, delete (with confirmation).
import { del, post } from './api.js';
import { announce, confirmDialog, h } from './dom.js';
import { deniedHere } from './workspace.js';

/**
 * Buttons for a job. `onDone(action, result)` runs after a successful action (refresh the view).
 * Labels carry the job's name for screen readers when `compact` (a table row). A button the caller's
 * role may not use is left out; with none left, the reason is shown instead (in a table row, briefly:
 * the page says why once, see `jobsDeniedNote`).
 */
export function jobActions(job, { onDone, compact = false }) {
  const allowed = (action) => !deniedHere(action);
  if (!['job.pause', 'job.execute', 'job.delete'].some(allowed)) {
    return compact ? h('span', { class: 'muted small' }, 'View only')
      : h('p', { class: 'notice denied' }, deniedHere('job.edit'));
  }
  const label = (verb) => (compact ? { 'aria-label': `${verb} ${job.name}` } : {});
  const run = async (button, fn) => {
    button.disabled = true;
    try {
      await fn();
    } catch (err) {
      announce(err.message, 'error');
    } finally {
      if (button.isConnected) button.disabled = false;
    }
  };
  const buttons = [];
  const mayPause = allowed('job.pause');
  if (mayPause && job.status === 'active') {
    const pause = h('button', { type: 'button', class: 'btn btn-sm', ...label('Pause') }, 'Pause');
    pause.addEventListener('click', () => run(pause, async () => {
      const updated = await post(`/jobs/${job.id}/pause`);
      announce(`Paused “${job.name}”.`);
      onDone('pause', updated);
    }));
    buttons.push(pause);
  } else if (mayPause && job.status === 'paused') {
    const resume = h('button', { type: 'button', class: 'btn btn-sm', ...label('Resume') }, 'Resume');
    resume.addEventListener('click', () => run(resume, async () => {
      const updated = await post(`/jobs/${job.id}/resume`);
      announce(`Resumed “${job.name}”.`);
      onDone('resume', updated);
    }));
    buttons.push(resume);
  }
  const runNow = h('button', { type: 'button', class: 'btn btn-sm', ...label('Run now') }, 'Run now');
  runNow.addEventListener('click', () => run(runNow, async () => {
    const execution = await post(`/jobs/${job.id}/execute`);
    announce(`Started a run of “${job.name}”.`);
    onDone('execute', execution);
  }));
  if (allowed('job.execute')) buttons.push(runNow);
  const remove = h('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost', ...label('Delete') }, 'Delete');
  remove.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: `Delete “${job.name}”?`,
      message: 'The job stops running and its history and logs are deleted. This cannot be undone.',
      confirmLabel: 'Delete job',
      danger: true,
    });
    if (!ok) return;
    await run(remove, async () => {
      try {
        await del(`/jobs/${job.id}`);
      } catch (err) {
        // Other jobs run after this one: say which, and delete only if asked again.
        if (err.status !== 409 || !err.errors?.dependants) throw err;
        const force = await confirmDialog({
          title: `Other jobs run after “${job.name}”`,
          message: `${err.errors.dependants.join(', ')} run after it. Deleting it removes it from what they run `
            + 'after; a job left with nothing to run after is paused.',
          confirmLabel: 'Delete anyway',
          danger: true,
        });
        if (!force) return;
        await del(`/jobs/${job.id}?force=true`);
      }
      announce(`Deleted “${job.name}”.`);
      onDone('delete', null);
    });
  });
  if (allowed('job.delete')) buttons.push(remove);
  return h('div', { class: 'row-actions' }, buttons);
}

/** Why this role sees no job controls ("Editors and above can edit jobs."), or null. */
export function jobsDeniedNote() {
  const denied = deniedHere('job.edit');
  return denied ? h('p', { class: 'notice denied' }, `You can look but not change anything here. ${denied}`) : null;
}

/** The "New job" button, or nothing for a role that may not create jobs (the page says why). */
export function newJobButton() {
  return deniedHere('job.create') ? null : h('a', { class: 'btn btn-primary', href: '/jobs/new' }, 'New job');
}

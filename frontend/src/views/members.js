// A workspace's members: who is in it and with which role, invitations (a link to copy, pending ones
// to revoke), changing a role, removing a member, and leaving.
import { currentUser, del, get, loadWorkspaces, patch, post } from '../api.js';
import { announce, confirmDialog, h } from '../dom.js';
import { clearErrors, showErrors } from '../forms.js';
import { navigate } from '../router.js';
import { atLeast, grantableRoles, reason, roleLabel } from '../roles.js';
import { formatDateTime, formatRelative } from '../time.js';
import { resetWorkspace } from '../workspace.js';
import { copyRow, deniedNote, workspacePage } from '../workspace-page.js';

function roleSelect(id, roles, value, attrs = {}) {
  const select = h('select', { id, ...attrs }, roles.map((r) => h('option', { value: r }, roleLabel(r))));
  select.value = value;
  return select;
}

function when(iso) {
  return iso ? h('time', { datetime: iso, title: formatDateTime(iso) }, formatDateTime(iso)) : '—';
}

export async function render(view, params) {
  const page = await workspacePage(view, params.id, 'members');
  if (!page) return undefined;
  const { workspace, body } = page;
  const base = `/workspaces/${workspace.id}`;
  const me = currentUser();
  const myRole = workspace.role;
  const manageDenied = reason(myRole, 'members.manage');

  const membersBody = h('tbody');
  const membersNote = h('p', { class: 'muted', id: 'members-note', 'aria-live': 'polite' });
  const membersCard = h('section', { class: 'card', 'aria-labelledby': 'members-title' },
    h('h2', { id: 'members-title' }, 'Members'), membersNote,
    h('div', { class: 'table-wrap' }, h('table', { class: 'table responsive', 'aria-describedby': 'members-note' },
      h('caption', { class: 'sr-only' }, 'Members of this workspace'),
      h('thead', {}, h('tr', {}, ['Member', 'Role', 'Joined', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
      membersBody)));

  const inviteSlot = h('div', {});
  const invitesBody = h('tbody');
  const invitesEmpty = h('p', { class: 'muted' }, 'No pending invitations.');
  const invitesTable = h('div', { class: 'table-wrap' }, h('table', { class: 'table responsive' },
    h('caption', { class: 'sr-only' }, 'Pending invitations'),
    h('thead', {}, h('tr', {}, ['E-mail', 'Role', 'Expires', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
    invitesBody));

  body.append(membersCard);
  if (manageDenied) {
    body.append(h('section', { class: 'card', 'aria-labelledby': 'invite-title' },
      h('h2', { id: 'invite-title' }, 'Invite someone'), deniedNote(manageDenied)));
  } else {
    body.append(inviteCard(), h('section', { class: 'card', 'aria-labelledby': 'invites-title' },
      h('h2', { id: 'invites-title' }, 'Pending invitations'), invitesTable, invitesEmpty));
  }

  function inviteCard() {
    const email = h('input', { id: 'invite-email', type: 'email', 'data-field': 'email', required: true,
      autocomplete: 'off' });
    const role = roleSelect('invite-role', grantableRoles(myRole), 'viewer', { 'data-field': 'role' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Invite');
    const form = h('form', { class: 'stack', novalidate: true },
      h('div', { class: 'grid-2' },
        h('div', { class: 'field' }, h('label', { for: 'invite-email' }, 'E-mail'), email),
        h('div', { class: 'field' }, h('label', { for: 'invite-role' }, 'Role'), role)),
      h('div', { class: 'form-actions' }, submit));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      if (!/^[^\s@]+@[^\s@]+$/.test(email.value.trim())) {
        showErrors(form, { message: 'Enter a valid e-mail address.', errors: { email: ['Enter a valid e-mail address.'] } });
        return;
      }
      submit.disabled = true;
      try {
        const invitation = await post(`${base}/invitations`, { email: email.value.trim(), role: role.value });
        inviteSlot.replaceChildren(h('section', { class: 'callout', 'aria-labelledby': 'invite-link-title' },
          h('h3', { id: 'invite-link-title' }, `Invitation link for ${invitation.email}`),
          h('p', {}, `Send this link to ${invitation.email}. It joins them as ${roleLabel(invitation.role).toLowerCase()}, `,
            `works once, for an account with that e-mail, until ${formatDateTime(invitation.expires_at)}.`,
            invitation.emailed ? ' It has been e-mailed to them too.' : ' This server sends no e-mail: copy the link to them yourself.'),
          copyRow('invite-link', invitation.accept_url, 'invitation link')));
        announce(`Invited ${invitation.email}.`, 'success');
        form.reset();
        role.value = 'viewer';
        loadInvitations();
      } catch (err) {
        showErrors(form, err);
      } finally {
        submit.disabled = false;
      }
    });
    return h('section', { class: 'card stack', 'aria-labelledby': 'invite-title' },
      h('h2', { id: 'invite-title' }, 'Invite someone'),
      h('p', { class: 'muted' }, 'They get a link to accept; they sign in (or create an account) with this e-mail.'),
      form, inviteSlot);
  }

  function memberRow(member) {
    const self = me && String(member.user_id) === String(me.id);
    // An admin manages viewers, editors and admins; only an owner changes an owner or makes one.
    const mayChange = !manageDenied && (member.role !== 'owner' || myRole === 'owner');
    const roles = grantableRoles(myRole);
    let roleCell = roleLabel(member.role);
    if (!manageDenied && !mayChange) {
      roleCell = h('span', {}, roleCell, h('span', { class: 'muted small block' }, reason(myRole, 'members.change_owner')));
    }
    if (mayChange) {
      const select = roleSelect(`role-${member.user_id}`, roles.includes(member.role) ? roles : [...roles, member.role],
        member.role, { 'aria-label': `Role of ${member.email}` });
      select.addEventListener('change', async () => {
        select.disabled = true;
        try {
          await patch(`${base}/members/${member.user_id}`, { role: select.value });
          announce(`${member.email} is now ${/^[aeiou]/.test(select.value) ? 'an' : 'a'} ${select.value}.`, 'success');
          member.role = select.value;
          if (self) await loadWorkspaces().catch(() => {});
        } catch (err) {
          select.value = member.role;
          announce(err.message, 'error');
        } finally {
          select.disabled = false;
        }
      });
      roleCell = select;
    }
    const actions = [];
    if (self && !workspace.personal) {
      const leave = h('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost' }, 'Leave workspace');
      leave.addEventListener('click', () => leaveWorkspace(member, leave));
      actions.push(leave);
    } else if (!self && mayChange) {
      const remove = h('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost',
        'aria-label': `Remove ${member.email}` }, 'Remove');
      remove.addEventListener('click', () => removeMember(member, remove));
      actions.push(remove);
    }
    return h('tr', {},
      h('td', { 'data-label': 'Member' }, h('span', { class: 'break' }, member.email), self ? h('span', { class: 'muted' }, ' (you)') : null),
      h('td', { 'data-label': 'Role' }, roleCell),
      h('td', { 'data-label': 'Joined' }, when(member.joined_at)),
      h('td', { 'data-label': 'Actions' }, actions.length ? h('div', { class: 'row-actions' }, actions) : '—'));
  }

  async function removeMember(member, button) {
    const ok = await confirmDialog({ title: `Remove ${member.email}?`,
      message: `They lose access to “${workspace.name}” and its jobs at once. Their jobs stay in the workspace.`,
      confirmLabel: 'Remove member', danger: true });
    if (!ok) return;
    button.disabled = true;
    try {
      await del(`${base}/members/${member.user_id}`);
      announce(`Removed ${member.email}.`, 'success');
      loadMembers();
    } catch (err) {
      announce(err.message, 'error');
      button.disabled = false;
    }
  }

  async function leaveWorkspace(member, button) {
    const ok = await confirmDialog({ title: `Leave “${workspace.name}”?`,
      message: 'You lose access to its jobs until someone invites you again.', confirmLabel: 'Leave workspace',
      danger: true });
    if (!ok) return;
    button.disabled = true;
    try {
      await del(`${base}/members/${member.user_id}`);
      resetWorkspace();
      await loadWorkspaces().catch(() => {});
      navigate('/', { flash: [`You left “${workspace.name}”.`, 'success'] });
    } catch (err) {
      announce(err.message, 'error');
      button.disabled = false;
    }
  }

  function invitationRow(invitation) {
    const revoke = h('button', { type: 'button', class: 'btn btn-sm btn-danger-ghost',
      'aria-label': `Revoke the invitation for ${invitation.email}` }, 'Revoke');
    revoke.addEventListener('click', async () => {
      const ok = await confirmDialog({ title: `Revoke the invitation for ${invitation.email}?`,
        message: 'The link stops working at once.', confirmLabel: 'Revoke invitation', danger: true });
      if (!ok) return;
      try {
        await del(`${base}/invitations/${invitation.id}`);
        announce(`Revoked the invitation for ${invitation.email}.`, 'success');
        loadInvitations();
      } catch (err) {
        announce(err.message, 'error');
      }
    });
    return h('tr', {},
      h('td', { 'data-label': 'E-mail' }, h('span', { class: 'break' }, invitation.email)),
      h('td', { 'data-label': 'Role' }, roleLabel(invitation.role)),
      h('td', { 'data-label': 'Expires' }, invitation.expires_at
        ? h('time', { datetime: invitation.expires_at, title: formatDateTime(invitation.expires_at) },
          formatRelative(invitation.expires_at)) : '—'),
      h('td', { 'data-label': 'Actions' }, revoke));
  }

  async function loadMembers() {
    try {
      const data = await get(`${base}/members`, { limit: 100 });
      const items = data.items || [];
      membersBody.replaceChildren(...items.map(memberRow));
      membersNote.textContent = `${data.total ?? items.length} member${(data.total ?? items.length) === 1 ? '' : 's'}.`;
    } catch (err) {
      membersNote.textContent = err.message;
    }
  }

  async function loadInvitations() {
    try {
      const data = await get(`${base}/invitations`, { limit: 100 });
      const items = data.items || [];
      invitesBody.replaceChildren(...items.map(invitationRow));
      invitesTable.hidden = !items.length;
      invitesEmpty.hidden = Boolean(items.length);
    } catch (err) {
      invitesEmpty.textContent = err.message;
      invitesTable.hidden = true;
    }
  }

  await Promise.all([loadMembers(), atLeast(myRole, 'admin') ? loadInvitations() : null]);
  return undefined;
}

// Accept an invitation (/invitations/<token>, the link an admin copied or e-mailed): sign in or create
// an account first, with the invited e-mail; then see which workspace and role, and accept.
import { currentUser, get, isSignedIn, loadWorkspaces, post, signOut } from '../api.js';
import { appendTo, h } from '../dom.js';
import { navigate } from '../router.js';
import { roleLabel } from '../roles.js';
import { formatDateTime } from '../time.js';
import { chooseWorkspace } from '../workspace.js';

export async function render(view, params) {
  const here = `/invitations/${encodeURIComponent(params.token)}`;
  const card = h('section', { class: 'auth-card card' });
  view.append(card);
  if (!isSignedIn()) {
    const next = encodeURIComponent(here);
    card.append(h('h1', {}, 'You are invited to a workspace'),
      h('p', {}, 'Sign in with the e-mail address the invitation was sent to, or create an account with it, to accept.'),
      h('div', { class: 'form-actions' },
        h('a', { class: 'btn btn-primary', href: `/sign-in?next=${next}` }, 'Sign in to accept'),
        h('a', { class: 'btn', href: `/register?next=${next}` }, 'Create an account')));
    return undefined;
  }

  let invitation;
  try {
    invitation = await get(`/invitations/${encodeURIComponent(params.token)}`);
  } catch (err) {
    card.append(h('h1', {}, 'Invitation'), h('p', { class: 'form-alert', role: 'alert' }, problem(err)),
      h('p', {}, h('a', { href: '/' }, 'Go to your dashboard')));
    return undefined;
  }
  const workspaceName = invitation.workspace_name || 'a workspace';
  const alert = h('div', { class: 'form-alert', role: 'alert', tabindex: '-1', hidden: true });
  const accept = h('button', { type: 'button', class: 'btn btn-primary' }, 'Accept invitation');
  const email = currentUser()?.email;
  const otherAccount = invitation.email && email && invitation.email.toLowerCase() !== email.toLowerCase();
  appendTo(card,
    h('h1', {}, `Join “${workspaceName}”`),
    h('p', {}, `You are invited as ${roleLabel(invitation.role).toLowerCase()}`,
      invitation.email ? ` (for ${invitation.email})` : '', '.'),
    invitation.expires_at ? h('p', { class: 'muted small' }, `The invitation expires ${formatDateTime(invitation.expires_at)}.`) : null,
    otherAccount ? h('p', { class: 'notice' }, `You are signed in as ${email}. The invitation is for ${invitation.email}: `,
      'sign out and sign in with that address to accept.') : null,
    alert,
    h('div', { class: 'form-actions' }, accept, otherAccount ? signOutButton(here) : null));

  accept.addEventListener('click', async () => {
    accept.disabled = true;
    alert.hidden = true;
    try {
      const joined = await post(`/invitations/${encodeURIComponent(params.token)}/accept`);
      await loadWorkspaces().catch(() => []);
      chooseWorkspace(joined?.id ?? invitation.workspace_id);
      navigate('/jobs', { replace: true, flash: [`You joined “${workspaceName}” as ${invitation.role}.`, 'success'] });
    } catch (err) {
      alert.replaceChildren(h('p', {}, problem(err)));
      alert.hidden = false;
      alert.focus();
      accept.disabled = false;
    }
  });
  return undefined;
}

function signOutButton(here) {
  const button = h('button', { type: 'button', class: 'btn' }, 'Sign out');
  button.addEventListener('click', async () => {
    await signOut();
    navigate(`/sign-in?next=${encodeURIComponent(here)}`);
  });
  return button;
}

/** What went wrong with an invitation, in words (the server's message when it has one). */
function problem(err) {
  if (err.status === 404) return 'This invitation link is not valid. Ask for a new one.';
  if (err.status === 403) return err.message || 'This invitation is for another e-mail address.';
  if (err.status === 409 || err.status === 410) return err.message || 'This invitation has expired, been revoked or been used.';
  return err.message;
}

// Boot: the shell (navigation, account), the routes, and what happens when a session ends.
import './styles.css';
import { currentUser, ensureWorkspaces, isSignedIn, onSessionChange, signOut } from './api.js';
import { announce } from './dom.js';
import { currentPath, navigate, route, start } from './router.js';
import { startStatusBanner, statusAfterNavigation } from './status.js';
import * as signIn from './views/sign-in.js';
import * as register from './views/register.js';
import * as dashboard from './views/dashboard.js';
import * as jobs from './views/jobs.js';
import * as jobEditor from './views/job-editor.js';
import * as jobDetail from './views/job-detail.js';
import * as execution from './views/execution.js';
import * as health from './views/health.js';
import * as workflows from './views/workflows.js';
import * as limits from './views/limits.js';
import * as calendar from './views/calendar.js';
import * as calendars from './views/calendars.js';
import * as notFound from './views/not-found.js';
import * as jobHistory from './views/job-history.js';
import * as members from './views/members.js';
import * as apiKeys from './views/api-keys.js';
import * as audit from './views/audit.js';
import * as workspaceSettings from './views/workspace-settings.js';
import * as invitation from './views/invitation.js';
import { deniedHere, onWorkspaceChange } from './workspace.js';
import { mountSwitcher } from './workspace-switcher.js';

route('/sign-in', signIn.render, { public: true, title: 'Sign in' });
route('/register', register.render, { public: true, title: 'Create account' });
route('/', dashboard.render, { title: 'Dashboard' });
route('/jobs', jobs.render, { title: 'Jobs' });
route('/jobs/new', jobEditor.render, { title: 'New job' });
route('/jobs/:id/edit', jobEditor.render, { title: 'Edit job' });
route('/jobs/:id', jobDetail.render, { title: 'Job' });
route('/jobs/:id/history', jobHistory.render, { title: 'Job history' });
route('/jobs/:id/versions/:n', jobHistory.renderVersion, { title: 'Job version' });
route('/workspaces/:id', (view, params) => navigate(`/workspaces/${params.id}/members`, { replace: true }), { title: 'Workspace' });
route('/workspaces/:id/members', members.render, { title: 'Members' });
route('/workspaces/:id/api-keys', apiKeys.render, { title: 'API keys' });
route('/workspaces/:id/audit', audit.render, { title: 'Audit log' });
route('/workspaces/:id/settings', workspaceSettings.render, { title: 'Workspace settings' });
route('/invitations/:token', invitation.render, { public: true, title: 'Invitation' });
route('/executions/:id', execution.render, { title: 'Execution' });
route('/calendar', calendar.render, { title: 'Calendar' });
route('/calendars', calendars.render, { title: 'Holiday calendars' });
route('/system', health.render, { title: 'Scheduler health' });
route('/workflows', workflows.render, { title: 'Workflows' });
route('/concurrency-limits', limits.render, { title: 'Concurrency limits' });
route('/404', notFound.render, { public: true, title: 'Not found' });

const nav = document.getElementById('main-nav');
const account = document.getElementById('account');

function showAccount() {
  const signedIn = isSignedIn();
  nav.hidden = !signedIn;
  account.hidden = !signedIn;
  const email = document.getElementById('account-email');
  email.textContent = currentUser()?.email || '';
  email.title = email.textContent;
  // A role that may not create jobs is not offered "New job" (the pages say why).
  nav.querySelector('[data-nav="new"]').hidden = Boolean(deniedHere('job.create'));
}

function markCurrentNav() {
  const path = location.pathname;
  const current = path === '/' ? 'dashboard' : path === '/jobs/new' ? 'new' : path.startsWith('/jobs') ? 'jobs'
    : path === '/system' ? 'system' : path === '/workflows' ? 'workflows'
    : path === '/concurrency-limits' ? 'limits' : path.startsWith('/calendar') ? 'calendar' : '';
  const settings = document.getElementById('workspace-settings');
  if (settings) {
    if (path.startsWith('/workspaces/')) settings.setAttribute('aria-current', 'page');
    else settings.removeAttribute('aria-current');
  }
  nav.querySelectorAll('a').forEach((a) => {
    if (a.dataset.nav === current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
}

onSessionChange((session) => {
  showAccount();
  if (session) ensureWorkspaces();
});
onWorkspaceChange(showAccount);
mountSwitcher(document.getElementById('workspace-switch'));

document.getElementById('sign-out').addEventListener('click', async () => {
  await signOut();
  navigate('/sign-in?signed_out=1');
});

// The session could not be renewed: back to sign in, and back to this page afterwards.
window.addEventListener('chronos:session-expired', () => {
  if (location.pathname === '/sign-in' || location.pathname === '/register') return;
  announce('Your session has expired. Please sign in again.', 'warn');
  navigate(`/sign-in?next=${encodeURIComponent(currentPath())}&expired=1`, { replace: true });
});

// The workspace the user was in is gone (they left or were removed, or it was deleted).
window.addEventListener('chronos:workspace-gone', () => {
  navigate('/', { replace: true, flash: ['You are no longer a member of that workspace: back to your personal one.', 'warn'] });
});

showAccount();
startStatusBanner(document.getElementById('system-banner'));
start(document.getElementById('main'), {
  beforeRender: () => ensureWorkspaces(),
  afterRender: () => { showAccount(); markCurrentNav(); statusAfterNavigation(); },
});

// Boot: the shell (navigation, account), the routes, and what happens when a session ends.
import './styles.css';
import { currentUser, isSignedIn, onSessionChange, signOut } from './api.js';
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
import * as calendar from './views/calendar.js';
import * as calendars from './views/calendars.js';
import * as notFound from './views/not-found.js';

route('/sign-in', signIn.render, { public: true, title: 'Sign in' });
route('/register', register.render, { public: true, title: 'Create account' });
route('/', dashboard.render, { title: 'Dashboard' });
route('/jobs', jobs.render, { title: 'Jobs' });
route('/jobs/new', jobEditor.render, { title: 'New job' });
route('/jobs/:id/edit', jobEditor.render, { title: 'Edit job' });
route('/jobs/:id', jobDetail.render, { title: 'Job' });
route('/executions/:id', execution.render, { title: 'Execution' });
route('/calendar', calendar.render, { title: 'Calendar' });
route('/calendars', calendars.render, { title: 'Holiday calendars' });
route('/system', health.render, { title: 'Scheduler health' });
route('/404', notFound.render, { public: true, title: 'Not found' });

const nav = document.getElementById('main-nav');
const account = document.getElementById('account');

function showAccount() {
  const signedIn = isSignedIn();
  nav.hidden = !signedIn;
  account.hidden = !signedIn;
  document.getElementById('account-email').textContent = currentUser()?.email || '';
}

function markCurrentNav() {
  const path = location.pathname;
  const current = path === '/' ? 'dashboard' : path === '/jobs/new' ? 'new' : path.startsWith('/jobs') ? 'jobs'
    : path === '/system' ? 'system' : path.startsWith('/calendar') ? 'calendar' : '';
  nav.querySelectorAll('a').forEach((a) => {
    if (a.dataset.nav === current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
}

onSessionChange(showAccount);

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

showAccount();
startStatusBanner(document.getElementById('system-banner'));
start(document.getElementById('main'), {
  afterRender: () => { showAccount(); markCurrentNav(); statusAfterNavigation(); },
});

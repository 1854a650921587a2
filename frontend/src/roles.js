// What each role may do in a workspace, for the controls the web app offers. The server's permission
// table is the authority (a control shown here may still be refused); this one hides or disables what
// would fail, and says why.

/** The roles, least to most. */
export const ROLES = ['viewer', 'editor', 'admin', 'owner'];

// Each control the app offers → the least role that may use it, and what it lets you do (for the reason).
const ACTIONS = {
  'job.create': ['editor', 'create jobs'],
  'job.edit': ['editor', 'edit jobs'],
  'job.pause': ['editor', 'pause and resume jobs'],
  'job.execute': ['editor', 'run jobs now'],
  'job.delete': ['editor', 'delete jobs'],
  'job.rotate_secret': ['editor', 'rotate signing secrets'],
  'job.restore': ['editor', 'restore versions'],
  'job.backfill': ['editor', 'backfill jobs'],
  'limits.manage': ['editor', 'set concurrency limits'],
  'calendars.manage': ['editor', 'manage holiday calendars'],
  'members.manage': ['admin', 'invite and manage members'],
  'api_keys.manage': ['admin', 'manage API keys'],
  'audit.read': ['admin', 'read the audit log'],
  'workspace.update': ['owner', 'rename the workspace'],
  'workspace.retention': ['owner', 'change how long history is kept'],
  'workspace.delete': ['owner', 'delete the workspace'],
  'members.make_owner': ['owner', 'make owners'],
  'members.change_owner': ['owner', 'change an owner’s role'],
};

const PLURAL = { viewer: 'Viewers', editor: 'Editors', admin: 'Admins', owner: 'Owners' };

/** The rank of a role (viewer 0 … owner 3); -1 for no or an unknown role. */
export function rank(role) {
  return ROLES.indexOf(role);
}

/** Whether `role` is `least` or above. */
export function atLeast(role, least) {
  return rank(role) >= 0 && rank(role) >= rank(least);
}

/** The least role an action needs. */
export function neededRole(action) {
  const entry = ACTIONS[action];
  if (!entry) throw new Error(`Unknown action: ${action}`);
  return entry[0];
}

/** Whether a member with `role` may use the control for `action`. */
export function can(role, action) {
  return atLeast(role, neededRole(action));
}

/**
 * Why a control is not offered, in words ("Editors and above can edit jobs."), or null when `role`
 * may use it. Owners are the top role, so theirs reads "Only owners can …".
 */
export function reason(role, action) {
  if (can(role, action)) return null;
  const [least, what] = ACTIONS[action];
  const who = least === 'owner' ? 'Only owners' : `${PLURAL[least]} and above`;
  return `${who} can ${what}.`;
}

/** The roles a member with `role` may hand out (to an invitation or an API key): at most their own. */
export function grantableRoles(role) {
  return ROLES.filter((r) => atLeast(role, r));
}

/** A role for display: "Viewer". */
export function roleLabel(role) {
  return role ? role[0].toUpperCase() + role.slice(1) : '—';
}

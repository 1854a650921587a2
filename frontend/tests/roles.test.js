import { expect, test } from 'vitest';
import { atLeast, can, grantableRoles, reason, ROLES } from '../src/roles.js';

test('roles are ordered viewer < editor < admin < owner', () => {
  expect(ROLES).toEqual(['viewer', 'editor', 'admin', 'owner']);
  expect(atLeast('editor', 'viewer')).toBe(true);
  expect(atLeast('editor', 'admin')).toBe(false);
  expect(atLeast('owner', 'admin')).toBe(true);
  expect(atLeast(null, 'viewer')).toBe(false);
  expect(atLeast('superuser', 'viewer')).toBe(false);
});

test('a viewer may read but not change jobs, and is told who can', () => {
  expect(can('viewer', 'job.edit')).toBe(false);
  expect(reason('viewer', 'job.edit')).toBe('Editors and above can edit jobs.');
  expect(reason('viewer', 'job.execute')).toBe('Editors and above can run jobs now.');
  expect(reason('editor', 'job.edit')).toBeNull();
  expect(can('editor', 'job.restore')).toBe(true);
});

test('members, keys and the audit log need an admin; renaming needs an owner', () => {
  for (const action of ['members.manage', 'api_keys.manage', 'audit.read']) {
    expect(can('editor', action)).toBe(false);
    expect(can('admin', action)).toBe(true);
  }
  expect(reason('editor', 'api_keys.manage')).toBe('Admins and above can manage API keys.');
  expect(reason('admin', 'workspace.update')).toBe('Only owners can rename the workspace.');
  expect(reason('admin', 'workspace.retention')).toBe('Only owners can change how long history is kept.');
  expect(reason('owner', 'workspace.retention')).toBeNull();
  expect(can('owner', 'workspace.delete')).toBe(true);
  expect(reason('admin', 'members.change_owner')).toBe('Only owners can change an owner’s role.');
});

test('an unknown action is a programming error, not a silent allow', () => {
  expect(() => can('owner', 'job.teleport')).toThrow(/Unknown action/);
});

test('a member hands out at most their own role', () => {
  expect(grantableRoles('admin')).toEqual(['viewer', 'editor', 'admin']);
  expect(grantableRoles('owner')).toEqual(ROLES);
  expect(grantableRoles('viewer')).toEqual(['viewer']);
  expect(grantableRoles(undefined)).toEqual([]);
});

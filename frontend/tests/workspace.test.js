import { beforeEach, expect, test } from 'vitest';
import {
  chooseWorkspace, currentRole, currentWorkspace, deniedHere, pathInWorkspace, pickWorkspace, readChoice, resetWorkspace, setUser,
  setWorkspaces, workspaceHeader, writeChoice,
} from '../src/workspace.js';

class MemoryStorage {
  constructor() { this.data = new Map(); }
  getItem(key) { return this.data.has(key) ? this.data.get(key) : null; }
  setItem(key, value) { this.data.set(key, String(value)); }
  removeItem(key) { this.data.delete(key); }
}

const PERSONAL = { id: 1, name: 'Personal', role: 'owner', personal: true };
const TEAM = { id: 7, name: 'Ops', role: 'viewer', personal: false };

beforeEach(() => {
  globalThis.localStorage = new MemoryStorage();
  setUser(null);
});

test('the choice is kept per user', () => {
  const store = new MemoryStorage();
  writeChoice('1', 7, store);
  writeChoice('2', 9, store);
  expect(readChoice('1', store)).toBe('7');
  expect(readChoice('2', store)).toBe('9');
  writeChoice('1', null, store);
  expect(readChoice('1', store)).toBeNull();
  expect(readChoice(null, store)).toBeNull();
});

test('the chosen workspace wins while the user is a member, else the personal one', () => {
  expect(pickWorkspace([PERSONAL, TEAM], '7')).toBe(TEAM);
  expect(pickWorkspace([TEAM, PERSONAL], null)).toBe(PERSONAL);
  expect(pickWorkspace([TEAM, PERSONAL], '99')).toBe(PERSONAL);
  expect(pickWorkspace([TEAM], '99')).toBe(TEAM);
  expect(pickWorkspace([], '7')).toBeNull();
});

test('the header names a shared workspace and is left out for the personal one', () => {
  setUser({ id: 5, email: 'a@example.com' });
  expect(workspaceHeader()).toBeNull();
  chooseWorkspace(7);
  // Before the list is loaded the stored choice is sent as it is (the server answers 404 if stale).
  expect(workspaceHeader()).toBe('7');
  setWorkspaces([PERSONAL, TEAM]);
  expect(currentWorkspace()).toBe(TEAM);
  expect(currentRole()).toBe('viewer');
  expect(workspaceHeader()).toBe('7');
  chooseWorkspace(1);
  expect(workspaceHeader()).toBeNull();
});

test('a new tab of the same user opens in the remembered workspace; another user does not inherit it', () => {
  setUser({ id: 5 });
  chooseWorkspace(7);
  setUser(null);
  setUser({ id: 5 });
  expect(workspaceHeader()).toBe('7');
  setUser({ id: 6 });
  expect(workspaceHeader()).toBeNull();
});

test('a workspace the user left is forgotten: back to the personal one', () => {
  setUser({ id: 5 });
  chooseWorkspace(7);
  setWorkspaces([PERSONAL]);
  expect(currentWorkspace()).toBe(PERSONAL);
  expect(readChoice('5')).toBeNull();
  chooseWorkspace(7);
  setWorkspaces([PERSONAL, TEAM]);
  resetWorkspace();
  expect(currentWorkspace()).toBe(PERSONAL);
  expect(workspaceHeader()).toBeNull();
});

test('switching keeps a list or a settings tab, and leaves a job of the old workspace', () => {
  expect(pathInWorkspace('/workspaces/3/audit', 7)).toBe('/workspaces/7/audit');
  expect(pathInWorkspace('/workspaces/3', 7)).toBe('/workspaces/7');
  expect(pathInWorkspace('/jobs/12/history', 7)).toBe('/jobs');
  expect(pathInWorkspace('/executions/40', 7)).toBe('/jobs');
  expect(pathInWorkspace('/jobs/new', 7)).toBe('/jobs/new');
  expect(pathInWorkspace('/jobs', 7)).toBe('/jobs');
  expect(pathInWorkspace('/', 7)).toBe('/');
});

test('controls are gated by the role in the current workspace, and left to the server while unknown', () => {
  setUser({ id: 5 });
  expect(deniedHere('job.edit')).toBeNull();
  setWorkspaces([PERSONAL, TEAM]);
  chooseWorkspace(7);
  expect(deniedHere('job.edit')).toBe('Editors and above can edit jobs.');
  chooseWorkspace(1);
  expect(deniedHere('job.edit')).toBeNull();
});

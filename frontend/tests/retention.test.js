import { expect, test } from 'vitest';
import { describeRetention, parseRetentionDays, retentionNote } from '../src/retention.js';

const instance = { days_from: 'instance', failed_days_from: 'instance' };

test('the policy in force in words, saying where it comes from', () => {
  expect(retentionNote({ days: 30, failed_days: 90, jobs_with_own_policy: 0, ...instance }))
    .toBe('History is kept 30 days; failures 90 days (the instance default).');
  expect(retentionNote({ days: 30, failed_days: 30, jobs_with_own_policy: 1, ...instance }))
    .toBe('History is kept 30 days (the instance default). 1 job has its own rule.');
  expect(retentionNote({ days: null, failed_days: 90, jobs_with_own_policy: 3, ...instance }))
    .toBe('History is kept forever (the instance default). 3 jobs have their own rule.');
  expect(retentionNote({ days: 7, failed_days: 90, days_from: 'workspace', failed_days_from: 'instance' }))
    .toBe('History is kept 7 days (set for this workspace); failures 90 days (the instance default).');
  expect(retentionNote({ days: 7, failed_days: 30, days_from: 'workspace', failed_days_from: 'workspace' }))
    .toBe('History is kept 7 days; failures 30 days (set for this workspace).');
  // Failures kept no longer than the rest need no word, wherever their number comes from.
  expect(retentionNote({ days: 30, failed_days: 7, days_from: 'instance', failed_days_from: 'workspace' }))
    .toBe('History is kept 30 days (the instance default).');
  expect(retentionNote({ days: 7, failed_days: null, days_from: 'workspace', failed_days_from: 'workspace' }))
    .toBe('History is kept 7 days; failures forever (set for this workspace).');
  expect(retentionNote({ days: null, failed_days: null, days_from: 'workspace', failed_days_from: 'instance' }))
    .toBe('History is kept forever (set for this workspace).');
});

test('a note without sources (an older server) says no source', () => {
  expect(retentionNote({ days: 30, failed_days: 90 })).toBe('History is kept 30 days; failures 90 days.');
});

test("a job's own rule in words", () => {
  expect(describeRetention({ keep_days: null, keep_last: null })).toBe('Default period');
  expect(describeRetention({ keep_days: 1, keep_last: 500 })).toBe('1 day, at most 500 runs');
  expect(describeRetention({ keep_days: 7, keep_last: null })).toBe('7 days');
});

test('the workspace form: empty is the instance default, 0 forever, whole days up to ten years', () => {
  expect(parseRetentionDays('')).toEqual({ value: null });
  expect(parseRetentionDays('  ')).toEqual({ value: null });
  expect(parseRetentionDays(undefined)).toEqual({ value: null });
  expect(parseRetentionDays('0')).toEqual({ value: 0 });
  expect(parseRetentionDays(' 7 ')).toEqual({ value: 7 });
  expect(parseRetentionDays('3650')).toEqual({ value: 3650 });
  for (const bad of ['3651', '-1', '7.5', '1e3', 'seven', '7 days', '\u0000']) {
    expect(parseRetentionDays(bad).error).toMatch(/from 0 to 3650/);
  }
});

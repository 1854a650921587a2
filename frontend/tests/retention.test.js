import { expect, test } from 'vitest';
import { describeRetention, retentionNote } from '../src/retention.js';

test('the instance policy in words', () => {
  expect(retentionNote({ days: 30, failed_days: 90, jobs_with_own_policy: 0 }))
    .toBe('History is kept 30 days; failures 90 days.');
  expect(retentionNote({ days: 30, failed_days: 30, jobs_with_own_policy: 1 }))
    .toBe('History is kept 30 days. 1 job has its own rule.');
  expect(retentionNote({ days: null, failed_days: 90, jobs_with_own_policy: 3 }))
    .toBe('History is kept forever. 3 jobs have their own rule.');
});

test("a job's own rule in words", () => {
  expect(describeRetention({ keep_days: null, keep_last: null })).toBe('Default period');
  expect(describeRetention({ keep_days: 1, keep_last: 500 })).toBe('1 day, at most 500 runs');
  expect(describeRetention({ keep_days: 7, keep_last: null })).toBe('7 days');
});

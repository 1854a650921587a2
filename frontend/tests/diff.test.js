import { expect, test } from 'vitest';
import { actorLabel, changeRows, fieldLabel, formatValue, summarizeChanges } from '../src/diff.js';

test('values read as short text', () => {
  expect(formatValue(null)).toBe('(none)');
  expect(formatValue('')).toBe('(none)');
  expect(formatValue(true)).toBe('Yes');
  expect(formatValue(false)).toBe('No');
  expect(formatValue([60, 300])).toBe('60, 300');
  expect(formatValue([])).toBe('(none)');
  expect(formatValue({ message: 'hi' })).toBe('{"message":"hi"}');
  expect(formatValue(0)).toBe('0');
});

test('fields read in words, unknown ones are still readable', () => {
  expect(fieldLabel('cron_expression')).toBe('Cron expression');
  expect(fieldLabel('target.url')).toBe('URL');
  expect(fieldLabel('some_new_field')).toBe('Some new field');
});

test('changes become before → after rows in the editor\'s order', () => {
  const rows = changeRows({
    max_retries: [0, 3],
    cron_expression: ['0 9 * * *', '30 9 * * 1-5'],
    name: ['Report', 'Daily report'],
  });
  expect(rows.map((r) => r.field)).toEqual(['name', 'cron_expression', 'max_retries']);
  expect(rows[0]).toMatchObject({ label: 'Name', before: 'Report', after: 'Daily report', added: false });
  expect(rows[2]).toMatchObject({ before: '0', after: '3' });
});

test('an HTTP target opens into the keys that changed', () => {
  const rows = changeRows({ target: [
    { url: 'http://a.test/x', method: 'POST', headers: { Authorization: '••••••' } },
    { url: 'http://b.test/y', method: 'POST', headers: { Authorization: '••••••' } },
  ] });
  expect(rows).toEqual([{ field: 'target.url', label: 'URL', before: 'http://a.test/x', after: 'http://b.test/y',
    added: false }]);
});

test('a first version shows what it was created with; an odd shape still shows', () => {
  expect(changeRows({ name: [null, 'New'] })[0]).toMatchObject({ before: '(none)', after: 'New', added: true });
  expect(changeRows({ name: 'New' })[0]).toMatchObject({ after: 'New', added: true });
  expect(changeRows(null)).toEqual([]);
});

test('a version is summarised in one line', () => {
  expect(summarizeChanges({})).toBe('No changes to the definition');
  expect(summarizeChanges({ name: ['a', 'b'] })).toBe('Changed name');
  expect(summarizeChanges({ name: [null, 'a'], timezone: [null, 'UTC'] })).toBe('Created');
  expect(summarizeChanges({ name: [null, 'a'], timezone: ['UTC', 'Asia/Tokyo'] })).toBe('Changed name and time zone');
  expect(summarizeChanges({ name: ['a', 'b'], timezone: ['UTC', 'Europe/Berlin'] }))
    .toBe('Changed name and time zone');
  expect(summarizeChanges({ name: [1, 2], description: [1, 2], timezone: [1, 2], max_retries: [1, 2] }))
    .toBe('Changed name, description and 2 more');
});

test('actors read as a person or a key', () => {
  expect(actorLabel({ type: 'user', id: 3, label: 'ann@example.com' })).toBe('ann@example.com');
  expect(actorLabel({ type: 'api_key', id: 9, label: 'CI' })).toBe('API key “CI”');
  expect(actorLabel(null)).toBe('Chronos');
  expect(actorLabel({ type: 'user', id: 4 })).toBe('#4');
});

import { describe, expect, test } from 'vitest';
import {
  describeInterval, formatDuration, formatRelative, isoToZonedLocal, zonedLocalToIso, zoneOffsetMinutes,
} from '../src/time.js';

const NOW = Date.UTC(2026, 11, 7, 12, 0, 0);
const at = (seconds) => NOW + seconds * 1000;

describe('relative time', () => {
  test.each([
    [2, 'now'],
    [-3, 'now'],
    [30, 'in 30 s'],
    [-30, '30 s ago'],
    [4 * 60, 'in 4 min'],
    [-4 * 60 - 10, '4 min ago'],
    [59 * 60 + 50, 'in 1 h'],
    [3 * 3600, 'in 3 h'],
    [-5 * 3600, '5 h ago'],
    [24 * 3600, 'in 1 day'],
    [-3 * 86400, '3 days ago'],
  ])('%i s from now → %s', (seconds, expected) => {
    expect(formatRelative(at(seconds), NOW)).toBe(expected);
  });

  test('missing or bad input gives an empty string', () => {
    expect(formatRelative(null, NOW)).toBe('');
    expect(formatRelative('not a date', NOW)).toBe('');
  });
});

describe('zoned local time → ISO with offset', () => {
  test('winter and summer offsets of the chosen zone, not the browser\'s', () => {
    expect(zonedLocalToIso('2026-12-07T09:30', 'Europe/Berlin')).toBe('2026-12-07T09:30:00+01:00');
    expect(zonedLocalToIso('2026-07-07T09:30', 'Europe/Berlin')).toBe('2026-07-07T09:30:00+02:00');
    expect(zonedLocalToIso('2026-07-07T09:30', 'America/New_York')).toBe('2026-07-07T09:30:00-04:00');
    expect(zonedLocalToIso('2026-07-07T09:30', 'Asia/Kolkata')).toBe('2026-07-07T09:30:00+05:30');
    expect(zonedLocalToIso('2026-07-07T09:30', 'UTC')).toBe('2026-07-07T09:30:00+00:00');
  });

  test('the ISO string names the same instant', () => {
    const iso = zonedLocalToIso('2026-03-29T03:30', 'Europe/London');
    expect(new Date(iso).toISOString()).toBe('2026-03-29T02:30:00.000Z');
  });

  test('a time in the spring-forward gap moves past it', () => {
    // 02:30 does not exist in New York on 2026-03-08.
    expect(zonedLocalToIso('2026-03-08T02:30', 'America/New_York')).toBe('2026-03-08T03:30:00-04:00');
  });

  test('round trip back to a datetime-local value', () => {
    expect(isoToZonedLocal('2026-12-07T08:30:00Z', 'Europe/Berlin')).toBe('2026-12-07T09:30');
    expect(zoneOffsetMinutes(Date.UTC(2026, 0, 1), 'America/New_York')).toBe(-300);
    expect(zonedLocalToIso('nonsense', 'UTC')).toBeNull();
  });
});

describe('durations and intervals in words', () => {
  test.each([[85, '85 ms'], [1234, '1.2 s'], [42000, '42 s'], [123000, '2 min 3 s'], [null, '—']])(
    '%s ms → %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
  test.each([[60, 'Every minute'], [90, 'Every 90 seconds'], [7200, 'Every 2 hours'], [86400, 'Every day']])(
    '%i s → %s', (s, text) => expect(describeInterval(s)).toBe(text));
});

test('a wall-clock time that happens twice (fall back) means its first occurrence', () => {
  expect(zonedLocalToIso('2026-11-01T01:30', 'America/New_York')).toBe('2026-11-01T01:30:00-04:00');
});

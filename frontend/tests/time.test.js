import { describe, expect, test } from 'vitest';
import {
  describeInterval, formatDateTime, formatDay, formatDuration, formatRelative, formatTime, formatWithLocal, formatZone,
  isLate, isoToZonedLocal, localTimeNote, offsetName, zoneAbbreviation, zonedLocalToIso, zoneOffsetMinutes,
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

describe('one way to write a zone', () => {
  const winter = '2026-12-09T08:30:00Z';
  const summer = '2026-07-09T08:30:00Z';

  test.each([
    ['Europe/Berlin', winter, 'CET'], ['Europe/Berlin', summer, 'CEST'],
    ['America/New_York', winter, 'EST'], ['America/New_York', summer, 'EDT'],
    ['Asia/Kolkata', winter, 'IST'], ['Australia/Sydney', winter, 'AEDT'],
    ['UTC', winter, 'UTC'], ['Asia/Kathmandu', winter, 'UTC+5:45'], ['America/Sao_Paulo', winter, 'UTC-3'],
  ])('%s at %s → %s, whatever the browser locale', (zone, when, abbreviation) => {
    expect(zoneAbbreviation(when, zone)).toBe(abbreviation);
  });

  test('the IANA name as it is, with the abbreviation', () => {
    expect(formatZone('America/New_York', winter)).toBe('America/New_York (EST)');
    expect(formatZone('Europe/Berlin', summer)).toBe('Europe/Berlin (CEST)');
    expect(formatZone('UTC', winter)).toBe('UTC');
  });

  test('offsets without a known abbreviation', () => {
    expect(offsetName(0)).toBe('UTC');
    expect(offsetName(540)).toBe('UTC+9');
    expect(offsetName(-210)).toBe('UTC-3:30');
  });
});

describe('date and clock follow the browser locale', () => {
  const at = '2026-12-09T08:30:05Z';

  test('24-hour day-first in en-GB, 12-hour month-first in en-US; the zone is always named the same', () => {
    expect(formatDateTime(at, 'Europe/Berlin', { locale: 'en-GB' })).toBe('Wed, 9 Dec 2026, 09:30 CET');
    expect(formatDateTime(at, 'Europe/Berlin', { locale: 'en-US' })).toBe('Wed, Dec 9, 2026, 9:30 AM CET');
    expect(formatDateTime(at, 'America/New_York', { locale: 'en-GB' })).toBe('Wed, 9 Dec 2026, 03:30 EST');
    expect(formatDateTime(at, 'America/New_York', { locale: 'en-GB', seconds: true }))
      .toBe('Wed, 9 Dec 2026, 03:30:05 EST');
    expect(formatDateTime(null, 'UTC')).toBe('—');
  });

  test('the day alone', () => {
    expect(formatDay(at, 'Europe/Berlin', { locale: 'en-GB' })).toBe('9 Dec');
    expect(formatDay(at, 'Europe/Berlin', { locale: 'en-US' })).toBe('Dec 9');
  });

  test('the clock alone', () => {
    expect(formatTime(at, 'Europe/Berlin', { locale: 'en-GB' })).toBe('09:30');
    expect(formatTime(at, 'Europe/Berlin', { locale: 'en-US' })).toBe('9:30 AM');
    expect(formatTime('2026-12-09T08:30:05.120Z', 'UTC', { locale: 'en-GB', ms: true })).toBe('08:30:05.120');
    expect(formatTime(at, 'America/New_York', { locale: 'en-GB', zone: true })).toBe('03:30 EST');
  });
});

describe("the viewer's own time beside the job's", () => {
  test('zones that differ: "09:00 CET · 03:00 your time"', () => {
    const at = '2026-12-09T08:00:00Z';
    expect(localTimeNote(at, 'Europe/Berlin', { viewerZone: 'America/New_York', locale: 'en-GB' }))
      .toBe('03:00 your time');
    expect(formatWithLocal(at, 'Europe/Berlin', { viewerZone: 'America/New_York', locale: 'en-GB' }))
      .toBe('Wed, 9 Dec 2026, 09:00 CET · 03:00 your time');
  });

  test('another day for the viewer is said', () => {
    expect(localTimeNote('2026-12-09T02:00:00Z', 'Asia/Tokyo', { viewerZone: 'America/New_York', locale: 'en-GB' }))
      .toBe('Tue 21:00 your time');
  });

  test('the same clock (another zone name, same offset) needs no note', () => {
    expect(localTimeNote('2026-12-09T08:00:00Z', 'Europe/Paris', { viewerZone: 'Europe/Berlin' })).toBe('');
    expect(localTimeNote('2026-12-09T08:00:00Z', 'UTC', { viewerZone: 'UTC' })).toBe('');
  });
});

test('late: due longer ago than the allowance, and not otherwise', () => {
  const now = Date.UTC(2026, 11, 9, 12, 0, 0);
  expect(isLate(new Date(now - 51_000).toISOString(), 10, now)).toBe(true);
  expect(isLate(new Date(now - 5_000).toISOString(), 10, now)).toBe(false);
  expect(isLate(new Date(now + 60_000).toISOString(), 10, now)).toBe(false);
  expect(isLate(null, 10, now)).toBe(false);
});

import { describe, expect, test } from 'vitest';
import {
  dayLabel, dayTone, dayTotals, describeCalendar, isoDate, monthRange, monthTitle, monthWeeks, moveIndex, parseDates,
  runMarker, shiftMonth,
} from '../src/calendar-days.js';

describe('months', () => {
  test('December 2026 starts on a Tuesday and has five weeks', () => {
    const weeks = monthWeeks(2026, 12);
    expect(weeks).toHaveLength(5);
    expect(weeks[0]).toEqual([null, '2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', '2026-12-05', '2026-12-06']);
    expect(weeks[4]).toEqual(['2026-12-28', '2026-12-29', '2026-12-30', '2026-12-31', null, null, null]);
  });
  test('February of a leap year, starting on a Monday', () => {
    const weeks = monthWeeks(2027, 2);
    expect(weeks[0][0]).toBe('2027-02-01');
    expect(monthRange(2028, 2)).toEqual(['2028-02-01', '2028-02-29']);
    expect(weeks.flat().filter(Boolean)).toHaveLength(28);
  });
  test('shifting months across years', () => {
    expect(shiftMonth(2026, 12, 1)).toEqual([2027, 1]);
    expect(shiftMonth(2027, 1, -1)).toEqual([2026, 12]);
    expect(monthTitle(2027, 3)).toBe('March 2027');
    expect(isoDate(2027, 3, 4)).toBe('2027-03-04');
  });
});

describe('days', () => {
  const failed = { jobs: [{ counts: { succeeded: 2, failed: 1 }, planned: [], skipped: [] }] };
  const ok = { jobs: [{ counts: { succeeded: 2 }, planned: [], skipped: [] }] };
  const planned = { jobs: [{ counts: {}, planned: ['2026-12-08T09:00:00+01:00'], skipped: [] }] };
  const holiday = {
    jobs: [{ counts: {}, planned: [], skipped: [{ at: '2026-12-25T09:00:00+01:00', reason: 'calendar: Germany' }] }],
    excluded: [{ calendar: 'Germany', reasons: ['Christmas Day'] }],
    dst: [],
  };
  test('a day reads green, red, planned or grey', () => {
    expect(dayTone(failed)).toBe('failed');
    expect(dayTone(ok)).toBe('ok');
    expect(dayTone(planned)).toBe('planned');
    expect(dayTone(holiday)).toBe('skipped');
    expect(dayTone({ jobs: [] })).toBe('none');
    expect(dayTone(undefined)).toBe('none');
  });
  test('totals count skips to come apart from those on record', () => {
    expect(dayTotals(holiday)).toEqual({ counts: {}, planned: 0, skipped: 1, jobs: 1 });
  });
  test('a day in words names what ran, what will, holidays and clock changes', () => {
    expect(dayLabel('2026-12-25', holiday)).toBe('Friday 25 December 2026: 1 skipped; Christmas Day (Germany)');
    expect(dayLabel('2026-12-07', failed)).toBe('Monday 7 December 2026: 2 succeeded; 1 failed');
    expect(dayLabel('2027-03-14', { jobs: [], dst: [{ timezone: 'America/New_York' }] }))
      .toBe('Sunday 14 March 2027: clocks change in America/New_York');
    expect(dayLabel('2026-12-08', planned)).toBe('Tuesday 8 December 2026: 1 planned run');
    expect(dayLabel('2026-12-09', {})).toBe('Wednesday 9 December 2026: nothing');
  });
});

describe('keyboard', () => {
  test('arrows move by a day or a week, Home and End to the week ends, clamped', () => {
    expect(moveIndex(8, 'ArrowRight', 35)).toBe(9);
    expect(moveIndex(8, 'ArrowLeft', 35)).toBe(7);
    expect(moveIndex(8, 'ArrowDown', 35)).toBe(15);
    expect(moveIndex(3, 'ArrowUp', 35)).toBe(0);
    expect(moveIndex(33, 'ArrowDown', 35)).toBe(34);
    expect(moveIndex(9, 'Home', 35)).toBe(7);
    expect(moveIndex(9, 'End', 35)).toBe(13);
    expect(moveIndex(9, 'Enter', 35)).toBeNull();
  });
});

describe('preview markers', () => {
  test('in words', () => {
    expect(runMarker({ skipped: 'calendar: Germany', note: 'Christmas Day (Germany): skipped' }))
      .toBe('skipped: calendar: Germany (Christmas Day)');
    expect(runMarker({ skipped: 'calendar: Germany', note: null })).toBe('skipped: calendar: Germany');
    expect(runMarker({ skipped: 'dst_gap', note: '02:30 does not exist that night: skipped' }))
      .toBe('skipped: 02:30 does not exist that night');
    expect(runMarker({ skipped: null, note: 'clocks go back that night: runs once, at the first 01:30' }))
      .toBe('clocks go back that night: runs once, at the first 01:30');
    expect(runMarker({ skipped: null, note: null })).toBeNull();
  });
});

describe('calendars', () => {
  test('described and parsed', () => {
    expect(describeCalendar({ country: 'DE', subdivision: 'BY', weekends: true, dates: ['2026-12-24'] }))
      .toBe('Public holidays DE-BY · weekends · 1 custom date');
    expect(describeCalendar({ dates: [] })).toBe('No days excluded yet');
    expect(parseDates('2026-12-24, 2026-12-31\n2026-12-24 ;2027-01-01')).toEqual(['2026-12-24', '2026-12-31', '2027-01-01']);
    expect(parseDates('')).toEqual([]);
  });
});

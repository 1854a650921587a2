import { describe, expect, test } from 'vitest';
import { describeCron, fromCron, parseWeekdays, toCron } from '../src/cron-builder.js';

describe('cron builder ⇄ expression', () => {
  const cases = [
    [{ preset: 'minutes', every: 5 }, '*/5 * * * *'],
    [{ preset: 'minutes', every: 1 }, '* * * * *'],
    [{ preset: 'hourly', minute: 15 }, '15 * * * *'],
    [{ preset: 'daily', minute: 30, hour: 7 }, '30 7 * * *'],
    [{ preset: 'weekly', minute: 0, hour: 9, weekdays: [1, 3, 5] }, '0 9 * * 1,3,5'],
    [{ preset: 'weekly', minute: 45, hour: 18, weekdays: [0, 6] }, '45 18 * * 0,6'],
    [{ preset: 'monthly', minute: 0, hour: 2, day: 15 }, '0 2 15 * *'],
  ];

  test.each(cases)('%o → %s and back', (state, expression) => {
    expect(toCron(state)).toBe(expression);
    expect(fromCron(expression)).toEqual(state);
  });

  test('weekday ranges and 7-as-Sunday are understood and written canonically', () => {
    expect(parseWeekdays('1-5')).toEqual([1, 2, 3, 4, 5]);
    expect(parseWeekdays('7,1')).toEqual([0, 1]);
    expect(toCron(fromCron('0 9 * * 1-5'))).toBe('0 9 * * 1,2,3,4,5');
  });

  test('expressions no preset can show stay custom', () => {
    for (const expr of ['0 9 * 1 *', '0 */2 * * *', '0 9 1 * 1', '61 * * * *', '* * *', '0 0 0 * * *', 'bad', '']) {
      expect(fromCron(expr)).toBeNull();
    }
  });

  test('custom state keeps its expression', () => {
    expect(toCron({ preset: 'custom', expression: ' 0 */2 * * * ' })).toBe('0 */2 * * *');
  });

  test('words come from cronstrue; garbage gives an error, not an exception', () => {
    expect(describeCron('*/5 * * * *').text).toBe('Every 5 minutes');
    expect(describeCron('0 9 * * 1').text).toMatch(/09:00.*Monday/);
    const bad = describeCron('61 * * * *');
    expect(bad.text).toBeNull();
    expect(bad.error).toBeTruthy();
  });
});

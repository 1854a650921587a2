// Time formatting and time-zone math for the browser (pure functions, unit-tested).

const UNITS = [
  { limit: 60, size: 1, short: 's' },
  { limit: 3600, size: 60, short: 'min' },
  { limit: 86400, size: 3600, short: 'h' },
];

/** "in 4 min", "3 h ago", "in 2 days", "now" — relative to `now` (ms or Date). */
export function formatRelative(when, now = Date.now()) {
  if (when === null || when === undefined || when === '') return '';
  const target = new Date(when).getTime();
  if (Number.isNaN(target)) return '';
  const diff = Math.round((target - new Date(now).getTime()) / 1000);
  const abs = Math.abs(diff);
  if (abs < 5) return 'now';
  let text;
  const unit = UNITS.find((u) => abs < u.limit);
  if (unit) {
    text = `${Math.round(abs / unit.size)} ${unit.short}`;
    // 59.6 min rounds to "60 min": say "1 h" instead.
    if (unit.size > 1 && Math.round(abs / unit.size) * unit.size >= unit.limit) {
      text = `${Math.round(unit.limit / 3600) || 1} h`;
    }
    if (unit.size === 3600 && Math.round(abs / 3600) >= 24) text = '1 day';
  } else {
    const days = Math.round(abs / 86400);
    text = days === 1 ? '1 day' : `${days} days`;
  }
  return diff > 0 ? `in ${text}` : `${text} ago`;
}

/** A date-time in a zone, with the zone's abbreviation: "Mon, 7 Dec 2026, 09:00 CET". */
export function formatInZone(when, timeZone = undefined, { seconds = false } = {}) {
  if (!when) return '—';
  const date = new Date(when);
  if (Number.isNaN(date.getTime())) return '—';
  try {
    return new Intl.DateTimeFormat('en-GB', {
      timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric',
      hour: '2-digit', minute: '2-digit', second: seconds ? '2-digit' : undefined,
      hourCycle: 'h23', timeZoneName: 'short',
    }).format(date);
  } catch {
    return date.toISOString();
  }
}

/** Milliseconds as "85 ms", "1.2 s", "2 min 3 s". */
export function formatDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(Number(ms))) return '—';
  const n = Number(ms);
  if (n < 1000) return `${Math.round(n)} ms`;
  if (n < 60000) return `${(n / 1000).toFixed(n < 10000 ? 1 : 0)} s`;
  const minutes = Math.floor(n / 60000);
  const seconds = Math.round((n % 60000) / 1000);
  return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
}

function wallClockParts(ms, timeZone) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour') % 24,
    minute: get('minute'), second: get('second') };
}

/** The zone's UTC offset in minutes at instant `ms` (east positive: Berlin in winter → 60). */
export function zoneOffsetMinutes(ms, timeZone) {
  const p = wallClockParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

const pad = (n, width = 2) => String(Math.abs(n)).padStart(width, '0');

function offsetText(minutes) {
  const sign = minutes < 0 ? '-' : '+';
  return `${sign}${pad(Math.floor(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
}

/**
 * A datetime-local value ("2026-12-07T09:30") read as wall-clock time in `timeZone`, as an ISO string
 * with that zone's offset ("2026-12-07T09:30:00+01:00"). A time in a spring-forward gap moves past it.
 */
export function zonedLocalToIso(local, timeZone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local || '');
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1).map((v) => Number(v || 0));
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  // The offsets in force half a day either side; a DST change between them makes two candidates.
  const before = zoneOffsetMinutes(wall - 12 * 3600000, timeZone);
  const after = zoneOffsetMinutes(wall + 12 * 3600000, timeZone);
  const fits = [before, after]
    .map((offset) => wall - offset * 60000)
    .filter((instant) => instant + zoneOffsetMinutes(instant, timeZone) * 60000 === wall)
    .sort((a, b) => a - b);
  // Twice on fall-back: the first occurrence (as the scheduler does). Never in a spring-forward gap:
  // read it with the offset before the gap, which lands just as far past it (02:30 → 03:30).
  const instant = fits.length ? fits[0] : wall - before * 60000;
  const final = zoneOffsetMinutes(instant, timeZone);
  const p = wallClockParts(instant, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${offsetText(final)}`;
}

/** An instant as a datetime-local value in `timeZone` (for editing a one-time job). */
export function isoToZonedLocal(iso, timeZone) {
  if (!iso) return '';
  const ms = new Date(iso).getTime();
  if (Number.isNaN(ms)) return '';
  const p = wallClockParts(ms, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}`;
}

/** The browser's IANA zone, falling back to UTC. */
export function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** All IANA zones the browser knows, with UTC first. */
export function allZones() {
  let zones = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = [];
  }
  return ['UTC', ...zones.filter((z) => z !== 'UTC')];
}

/** "Every 90 seconds" → words for an interval schedule. */
export function describeInterval(seconds) {
  const s = Number(seconds);
  if (!s) return '—';
  const units = [[86400, 'day'], [3600, 'hour'], [60, 'minute'], [1, 'second']];
  for (const [size, name] of units) {
    if (s % size === 0) {
      const n = s / size;
      return n === 1 ? `Every ${name}` : `Every ${n} ${name}s`;
    }
  }
  return `Every ${s} seconds`;
}

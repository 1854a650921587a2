// Every time the app shows goes through this module (pure functions, unit-tested), so a time reads
// the same on every page: the date and clock style of the browser's locale (Intl), the job's zone
// as its IANA name and abbreviation ("Europe/Berlin (CET)"), the viewer's own time beside it when
// the zones differ ("09:00 CET · 03:00 your time"), and relative times ("in 3 h") where they help.

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

// Intl names a zone by the conventions of the locale asked ("GMT-5" for New York in en-GB, "GMT+1"
// for Berlin in en-US): ask the locales whose people use the zone, and keep the first real letters.
const ABBREVIATION_LOCALES = ['en-US', 'en-GB', 'en-AU', 'en-IN', 'en-NZ', 'en-ZA', 'en-IE', 'en-CA', 'ja-JP'];
const abbreviations = new Map();

function toDate(when) {
  if (when === null || when === undefined || when === '') return null;
  const date = when instanceof Date ? when : new Date(when);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "UTC+05:30"-style text for an offset in minutes ("UTC" for zero, "UTC+9" for whole hours). */
export function offsetName(minutes) {
  if (!minutes) return 'UTC';
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${Math.floor(abs / 60)}${abs % 60 ? `:${String(abs % 60).padStart(2, '0')}` : ''}`;
}

/** The zone's abbreviation at that instant: "CET" or "CEST", "EST" or "EDT", else "UTC+9". */
export function zoneAbbreviation(when, timeZone) {
  const date = toDate(when) || new Date();
  const zone = timeZone || browserZone();
  let offset;
  try {
    offset = zoneOffsetMinutes(date.getTime(), zone);
  } catch {
    return zone;
  }
  const key = `${zone}|${offset}`;
  if (abbreviations.has(key)) return abbreviations.get(key);
  let found = null;
  for (const locale of ABBREVIATION_LOCALES) {
    const name = new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: 'short' })
      .formatToParts(date).find((part) => part.type === 'timeZoneName')?.value;
    if (name && /^[A-Z]{2,5}$/.test(name)) { found = name; break; }
  }
  const result = found || offsetName(offset);
  abbreviations.set(key, result);
  return result;
}

/** The zone as one name everywhere: its IANA name with its abbreviation now, "Europe/Berlin (CET)". */
export function formatZone(timeZone, when = Date.now()) {
  const zone = timeZone || 'UTC';
  const abbreviation = zoneAbbreviation(when, zone);
  return abbreviation === zone ? zone : `${zone} (${abbreviation})`;
}

function formatter(locale, options) {
  let resolved = locale;
  try {
    new Intl.DateTimeFormat(locale);
  } catch {
    resolved = 'en-GB';
  }
  // A 24-hour clock reads 09:30 in every format (Intl would write 9:30 for a time alone), a
  // 12-hour one 9:30 AM.
  const twelve = new Intl.DateTimeFormat(resolved, { hour: 'numeric' }).resolvedOptions().hourCycle === 'h12'
    || new Intl.DateTimeFormat(resolved, { hour: 'numeric' }).resolvedOptions().hourCycle === 'h11';
  const hour = options.hour && !twelve ? '2-digit' : options.hour;
  return new Intl.DateTimeFormat(resolved, { ...options, hour });
}

/**
 * A date and time in a zone, in the browser locale's style, with the zone's abbreviation:
 * "Wed, 9 Dec 2026, 09:30 CET" (en-GB), "Wed, Dec 9, 2026, 9:30 AM EST" (en-US).
 */
export function formatDateTime(when, timeZone, { seconds = false, weekday = true, locale } = {}) {
  const date = toDate(when);
  if (!date) return '—';
  const zone = timeZone || browserZone();
  const text = formatter(locale, {
    timeZone: zone, weekday: weekday ? 'short' : undefined, day: 'numeric', month: 'short', year: 'numeric',
    hour: 'numeric', minute: '2-digit', second: seconds ? '2-digit' : undefined,
  }).format(date);
  return `${text} ${zoneAbbreviation(date, zone)}`;
}

/** The clock alone, in the locale's style: "09:30", "09:30:05.120", with the zone's abbreviation if asked. */
export function formatTime(when, timeZone, { seconds = false, ms = false, zone = false, locale } = {}) {
  const date = toDate(when);
  if (!date) return '—';
  const tz = timeZone || browserZone();
  const text = formatter(locale, {
    timeZone: tz, hour: 'numeric', minute: '2-digit', second: seconds || ms ? '2-digit' : undefined,
    fractionalSecondDigits: ms ? 3 : undefined,
  }).format(date);
  return zone ? `${text} ${zoneAbbreviation(date, tz)}` : text;
}

/** The day alone, in the locale's style: "9 Dec" (en-GB), "Dec 9" (en-US). */
export function formatDay(when, timeZone, { locale } = {}) {
  const date = toDate(when);
  if (!date) return '—';
  return formatter(locale, { timeZone: timeZone || browserZone(), day: 'numeric', month: 'short' }).format(date);
}

function dayKey(date, timeZone) {
  const p = wallClockParts(date.getTime(), timeZone);
  return `${p.year}-${p.month}-${p.day}`;
}

/**
 * The viewer's own time of an instant shown in another zone — "03:30 your time", with the weekday
 * when the date differs ("Tue 23:30 your time") — or '' when both zones read the same clock.
 */
export function localTimeNote(when, timeZone, { viewerZone, locale } = {}) {
  const date = toDate(when);
  if (!date || !timeZone) return '';
  const mine = viewerZone || browserZone();
  if (zoneOffsetMinutes(date.getTime(), mine) === zoneOffsetMinutes(date.getTime(), timeZone)) return '';
  const time = formatTime(date, mine, { locale });
  if (dayKey(date, mine) === dayKey(date, timeZone)) return `${time} your time`;
  const day = formatter(locale, { timeZone: mine, weekday: 'short' }).format(date);
  return `${day} ${time} your time`;
}

/** A date-time in the job's zone with the viewer's beside it: "Wed, 9 Dec 2026, 09:30 CET · 03:30 your time". */
export function formatWithLocal(when, timeZone, options = {}) {
  const text = formatDateTime(when, timeZone, options);
  const note = localTimeNote(when, timeZone, options);
  return note ? `${text} · ${note}` : text;
}

/** Whether something due at `when` has waited longer than `lateAfterSeconds` without starting. */
export function isLate(when, lateAfterSeconds, now = Date.now()) {
  const date = toDate(when);
  if (!date) return false;
  return new Date(now).getTime() - date.getTime() > lateAfterSeconds * 1000;
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

// How long history is kept, in words: the policy in force in a workspace (dashboard), a job's own
// rule, and reading the workspace's retention form.

/** The most days a workspace (or a job) may keep history; the server refuses more. */
export const MAX_RETENTION_DAYS = 3650;

const days = (n) => `${n} day${n === 1 ? '' : 's'}`;
const SOURCE = { workspace: 'set for this workspace', instance: 'the instance default' };

/**
 * The policy in force, in words ("History is kept 7 days (set for this workspace); failures 90 days
 * (the instance default)."). `retention` is the dashboard's: days/failed_days (null: forever), where
 * each comes from (`days_from`, `failed_days_from`: "workspace" | "instance") and how many jobs have
 * their own rule.
 */
export function retentionNote(retention) {
  const kept = retention.days ? `History is kept ${days(retention.days)}` : 'History is kept forever';
  // Failures are worth a word when they outlive the rest.
  const failures = !retention.days ? null
    : !retention.failed_days ? 'failures forever'
      : retention.failed_days > retention.days ? `failures ${days(retention.failed_days)}` : null;
  const source = (key) => SOURCE[retention[`${key}_from`]];
  let text;
  if (failures && source('days') !== source('failed_days')) {
    text = `${kept} (${source('days')}); ${failures} (${source('failed_days')}).`;
  } else {
    text = `${kept}${failures ? `; ${failures}` : ''}${source('days') ? ` (${source('days')})` : ''}.`;
  }
  const own = retention.jobs_with_own_policy || 0;
  if (own) text += ` ${own} job${own === 1 ? ' has its' : 's have their'} own rule.`;
  return text;
}

/** How long this job's runs are kept, in words. */
export function describeRetention(job) {
  const parts = [];
  parts.push(job.keep_days == null ? 'Default period' : days(job.keep_days));
  if (job.keep_last != null) parts.push(`at most ${job.keep_last} run${job.keep_last === 1 ? '' : 's'}`);
  return parts.join(', ');
}

/**
 * A workspace retention field as typed → {value} (whole days, 0 for forever; null when empty: the
 * instance default) or {error} in words.
 */
export function parseRetentionDays(text) {
  const typed = String(text ?? '').trim();
  if (!typed) return { value: null };
  if (!/^\d+$/.test(typed) || Number(typed) > MAX_RETENTION_DAYS) {
    return { error: `Enter a whole number of days from 0 to ${MAX_RETENTION_DAYS}, or leave it empty.` };
  }
  return { value: Number(typed) };
}

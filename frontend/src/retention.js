// How long history is kept, in words: the instance's policy (dashboard) and a job's own rule.

/** What the instance keeps, in words ("History is kept 30 days; failures 90 days."). */
export function retentionNote(retention) {
  const days = (n) => `${n} day${n === 1 ? '' : 's'}`;
  let text = retention.days ? `History is kept ${days(retention.days)}` : 'History is kept forever';
  if (retention.days && retention.failed_days && retention.failed_days > retention.days) {
    text += `; failures ${days(retention.failed_days)}`;
  }
  text += '.';
  const own = retention.jobs_with_own_policy || 0;
  if (own) text += ` ${own} job${own === 1 ? ' has its' : 's have their'} own rule.`;
  return text;
}

/** How long this job's runs are kept, in words. */
export function describeRetention(job) {
  const parts = [];
  parts.push(job.keep_days == null ? 'Default period' : `${job.keep_days} day${job.keep_days === 1 ? '' : 's'}`);
  if (job.keep_last != null) parts.push(`at most ${job.keep_last} run${job.keep_last === 1 ? '' : 's'}`);
  return parts.join(', ');
}

/**
 * The cron trigger's work: drop what has expired. Each domain contributes its statements here so one
 * D1 batch removes them all.
 */
import { ACTIVITY_RETENTION_DAYS, DAY_MS } from '../constants';
import type { Env } from '../env';

export async function runScheduledPurge(env: Env, nowMs: number): Promise<void> {
  const activityCutoffMs = nowMs - ACTIVITY_RETENTION_DAYS * DAY_MS;
  await env.DB.batch([
    env.DB.prepare('DELETE FROM sessions WHERE expires_at <= ?').bind(nowMs),
    env.DB.prepare('DELETE FROM challenges WHERE expires_at <= ?').bind(nowMs),
    env.DB.prepare('DELETE FROM rate_limits WHERE expires_at <= ?').bind(nowMs),
    env.DB.prepare('DELETE FROM saml_used_assertions WHERE expires_at <= ?').bind(nowMs),
    env.DB.prepare('DELETE FROM user_activities WHERE at < ?').bind(activityCutoffMs),
    env.DB.prepare('DELETE FROM message_log WHERE at < ?').bind(activityCutoffMs),
  ]);
}

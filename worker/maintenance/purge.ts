/**
 * The cron trigger's work: drop what has expired. Each domain contributes its statements here so one
 * D1 batch removes them all.
 */
import { ACTIVITY_RETENTION_DAYS, DAY_MS } from '../constants';
import type { Env } from '../env';
import { upgradeLegacyProviderSecrets } from '../messaging/settings';
import { auditRetentionDays } from '../settings/platform';
import { expiredEnrolmentStatements } from '../tokens/repo';
import { upgradeLegacySeeds } from '../tokens/secrets';
import { deleteExpiredRows } from './repo';

export async function runScheduledPurge(env: Env, nowMs: number): Promise<void> {
  await deleteExpiredRows(
    env.DB,
    { nowMs, activityCutoffMs: nowMs - ACTIVITY_RETENTION_DAYS * DAY_MS, auditCutoffMs: nowMs - (await auditRetentionDays(env.DB)) * DAY_MS },
    expiredEnrolmentStatements(env.DB, nowMs),
  );
  await upgradeLegacySecrets(env);
}

/**
 * Key separation (lib/keys.ts): seeds and provider secrets still sealed under the Worker secret itself are
 * re-sealed under their purpose keys, a batch per run until none is left. A failure is logged, not thrown: the
 * old values keep working, and the next run tries again.
 */
async function upgradeLegacySecrets(env: Env): Promise<void> {
  for (const [what, upgrade] of [
    ['token seeds', () => upgradeLegacySeeds(env)],
    ['provider secrets', () => upgradeLegacyProviderSecrets(env)],
  ] as const) {
    try {
      await upgrade();
    } catch (error) {
      console.error(`re-sealing legacy ${what} failed: ${(error as Error)?.message ?? String(error)}`);
    }
  }
}
